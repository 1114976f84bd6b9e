"""consultation pages."""
