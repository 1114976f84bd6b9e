"""booking pages."""
