"""Benchmarks: `bench/corpus.py` (import and look-ups) and `python -m bench.wire` (HTTP)."""
