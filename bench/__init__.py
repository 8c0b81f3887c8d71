"""Benchmarks, and the local server harness they share with the serving tests."""
