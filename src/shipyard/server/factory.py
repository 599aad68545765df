"""Build the server app from the environment: what uvicorn's worker processes call."""

from __future__ import annotations

from fastapi import FastAPI

from shipyard.context import open_context
from shipyard.server.app import create_app

__all__ = ["app_from_environment"]


def app_from_environment() -> FastAPI:
    return create_app(open_context())
