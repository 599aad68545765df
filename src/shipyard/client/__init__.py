"""Talking to a team server: the HTTP client the remote backends are built on."""
