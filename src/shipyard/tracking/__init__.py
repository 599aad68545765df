"""Experiment tracking: runs with params, metrics, tags, inputs, git state and cost.

Pure parts (no database): :mod:`entities` (value objects), :mod:`limits`
(validation), :mod:`query` (the filter language). The service
(:mod:`service`, :mod:`queries`) persists through :mod:`tables`; the SDK
(:mod:`run`, :mod:`shipyard.runs`) reaches it through a :mod:`backend`.
"""
