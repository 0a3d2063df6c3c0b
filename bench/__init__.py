"""Benchmarks (not part of the installed package); run with PYTHONPATH set to the repository root."""
