"""Dataset versioning (see docs/data.md)."""
