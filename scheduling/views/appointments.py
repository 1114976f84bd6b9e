"""appointments pages."""
