"""Mergeable, bounded-memory summaries of a stream of values.

Each sketch updates in place from numpy arrays, merges with another sketch of
the same kind (``merged``), and round-trips through a JSON-ready dict.
"""
