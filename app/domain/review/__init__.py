"""Review after submission: base assignment, on-site confirmation, form codes."""
