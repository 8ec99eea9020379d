"""Benchmarks of the registry API at scale (see bench/README.md)."""
