"""questlog_report: the analytics report for the design team, from Trino's lake.game tables."""
