"""Small pure parts of tracking: chunk packing, limits, liveness, git state, the purity rule."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipyard.core.errors import IntegrityError, InvalidInput
from shipyard.tracking.git_state import capture_git_state
from shipyard.tracking.limits import check_key, check_step, metric_value, param_text
from shipyard.tracking.liveness import pid_alive, vanished
from shipyard.tracking.metric_chunks import FORMAT, pack, unpack

_int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@given(st.lists(st.tuples(_int64, _int64, st.floats()), min_size=1, max_size=50))
def test_metric_chunks_round_trip_every_value(points: list[tuple[int, int, float]]) -> None:
    steps, stamps, values = zip(*points, strict=True)
    chunk = pack(steps, stamps, values)
    back = list(unpack(FORMAT, chunk.count, chunk.steps, chunk.timestamps, chunk.values))
    assert [(s, t) for s, t, _ in back] == [(s, t) for s, t, _ in points]
    for (_, _, got), (_, _, want) in zip(back, points, strict=True):
        assert got == want or (math.isnan(got) and math.isnan(want))
    assert (chunk.min_step, chunk.max_step) == (min(steps), max(steps))


def test_a_corrupt_or_unknown_chunk_is_an_integrity_error() -> None:
    chunk = pack([1, 2], [1, 2], [0.1, 0.2])
    with pytest.raises(IntegrityError, match="corrupt"):
        list(unpack(FORMAT, 3, chunk.steps, chunk.timestamps, chunk.values))
    with pytest.raises(IntegrityError, match="format 9"):
        list(unpack(9, 2, chunk.steps, chunk.timestamps, chunk.values))


def test_limits_accept_numbers_of_any_kind_and_refuse_the_rest() -> None:
    import numpy as np

    assert metric_value("m", np.float32(0.5)) == 0.5
    assert metric_value("m", np.int64(3)) == 3.0
    assert metric_value("m", 10**400 // 10**399) == 10.0
    for bad in ("0.5", None, True, [1.0], 10**400):
        with pytest.raises(InvalidInput):
            metric_value("m", bad)
    assert check_step("m", np.int32(7)) == 7
    with pytest.raises(InvalidInput):
        check_step("m", 1.5)
    assert param_text("p", 0.1) == "0.1"
    assert param_text("p", None) == "None"
    for bad_key in ("", " lead", "a\nb", "x" * 251, "semi;colon", 3):
        with pytest.raises(InvalidInput):
            check_key(bad_key, "metric")  # type: ignore[arg-type]
    assert check_key("val/loss f1-macro.x:y", "metric")


def test_liveness_rule() -> None:
    now = datetime.now(UTC)
    fresh = now - timedelta(seconds=5)
    args = {"started_at": fresh, "now": now, "this_host": "me"}
    assert not vanished(host="me", pid=1, heartbeat_at=fresh, alive=True, **args)
    assert vanished(host="me", pid=1, heartbeat_at=fresh, alive=False, **args)
    assert not vanished(host="other", pid=1, heartbeat_at=fresh, **args)
    old = now - timedelta(hours=1)
    assert vanished(host="other", pid=1, heartbeat_at=old, **args)
    assert pid_alive(os.getpid())
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    assert not pid_alive(int(done.stdout))


def test_git_state_of_a_repository(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (tmp_path / "a.py").write_text("x = 1\n")
    git("add", "a.py")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    clean = capture_git_state(tmp_path)
    assert clean.branch == "main"
    assert clean.dirty is False
    assert len(clean.commit or "") == 40
    capture_git_state.__globals__["_capture"].cache_clear()
    (tmp_path / "a.py").write_text("x = 2\n")
    dirty = capture_git_state(tmp_path)
    assert dirty.dirty is True
    assert dirty.commit == clean.commit
    assert dirty.diff_digest
    capture_git_state.__globals__["_capture"].cache_clear()
    assert capture_git_state(tmp_path.parent / "not-a-repo-anywhere").commit is None


def test_tracking_value_objects_and_parser_stay_free_of_the_database() -> None:
    code = (
        "import sys, json, shipyard, shipyard.tracking.entities, shipyard.tracking.query;"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    loaded = {name.split(".")[0] for name in json.loads(out.stdout)}
    assert not loaded & {"sqlalchemy", "pandas", "numpy", "sklearn"}
