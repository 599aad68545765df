"""A filter too large for the metadata store is refused as too complex, the same way
in the SDK and the CLI, embedded (SQLite) and against a team server (PostgreSQL)."""

from __future__ import annotations

import pytest

import shipyard
from shipyard.core.errors import InvalidInput
from tests.contracts.sdk_modes import Mode

HUGE = " or ".join(f"metrics.m{i} > {i}" for i in range(3_000))
MESSAGE = "the filter is too complex (3,000 terms; at most 200)"


def test_a_3000_term_filter_is_too_complex_in_the_sdk_and_the_cli(mode: Mode) -> None:
    experiment = mode.unique("limits")
    with shipyard.start_run(experiment, "r", context=mode.context) as run:
        run.log_metric("m0", 1.0)
    with pytest.raises(InvalidInput) as caught:
        shipyard.search_runs(experiment, filter=HUGE, context=mode.context)
    assert caught.value.message == MESSAGE
    result = mode.cli("runs", "ls", "-e", experiment, "--filter", HUGE)
    assert result.exit_code == 2, result.output
    assert MESSAGE in result.stderr
    assert "writable" not in result.stderr
