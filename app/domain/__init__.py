"""Domain rules and use cases: what the platform decides, independent of pages and storage."""
