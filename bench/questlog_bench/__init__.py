"""Benchmarks of questlog, side by side with Kafka's own ceilings and a classic baseline (`make bench`)."""
