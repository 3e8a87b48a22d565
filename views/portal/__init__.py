"""The trainee portal."""
