"""Load generation for questlog: a seeded player simulator and Apache Bench payloads."""

__version__ = "0.1.0"
