"""questlog_api."""
