"""day pages."""
