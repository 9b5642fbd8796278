"""questlog_stream."""
