"""Benchmarks: `make bench` (or `python -m bench.run --help`). Not part of the test suite."""
