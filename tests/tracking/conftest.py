from __future__ import annotations

from collections.abc import Iterator

import pytest

from shipyard.tracking.session import sdk


@pytest.fixture(autouse=True)
def _fresh_sdk() -> Iterator[None]:
    """Each test starts with no active run and no open backend, and leaves none behind."""
    yield
    sdk.shutdown()
    sdk.stack.clear()
