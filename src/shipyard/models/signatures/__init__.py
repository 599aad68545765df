"""Signatures from data: inference from an input example, and the request validator."""
