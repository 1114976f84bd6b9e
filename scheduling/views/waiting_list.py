"""waiting_list pages."""
