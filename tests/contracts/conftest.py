"""Fixtures of the contract suites: ``mode`` runs a test embedded and against a server."""

from tests.contracts.sdk_modes import mode

__all__ = ["mode"]
