"""Benchmarks: every figure is printed as a ratio against a baseline run in the same process."""
