from __future__ import annotations

from pathlib import Path

from shipyard.workspace.doctor import Verdict, run_checks


def _verdicts(checks: list) -> dict[str, Verdict]:
    return {c.name: c.verdict for c in checks}


def test_a_fresh_workspace_passes_every_check(workspace: Path) -> None:
    verdicts = _verdicts(run_checks(workspace, env={}))
    assert verdicts["config"] is Verdict.OK
    assert verdicts["metadata store"] is Verdict.OK
    assert verdicts["schema"] is Verdict.OK
    assert verdicts["object folder"] is Verdict.OK
    assert verdicts["git"] is Verdict.OK
    assert Verdict.FAIL not in verdicts.values()


def test_a_corrupt_config_fails_its_line_and_the_rest_still_runs(workspace: Path) -> None:
    (workspace / ".shipyard" / "config.toml").write_text("[[[")
    checks = run_checks(workspace, env={})
    verdicts = _verdicts(checks)
    assert verdicts["config"] is Verdict.FAIL
    assert "extra: s3" in verdicts


def test_an_unreachable_store_fails_its_line(workspace: Path) -> None:
    env = {"SHIPYARD_URI": "postgresql://x:pw@127.0.0.1:1/db"}
    checks = run_checks(workspace, env=env)
    store = next(c for c in checks if c.name == "metadata store")
    assert store.verdict is Verdict.FAIL
    assert "pw" not in store.detail.replace("postgresql", "")
    assert _verdicts(checks)["object folder"] is Verdict.OK


def test_a_missing_object_folder_fails(workspace: Path) -> None:
    (workspace / ".shipyard" / "objects").rmdir()
    assert _verdicts(run_checks(workspace, env={}))["object folder"] is Verdict.FAIL


def test_outside_any_workspace_config_fails(tmp_path: Path) -> None:
    assert _verdicts(run_checks(tmp_path, env={}))["config"] is Verdict.FAIL
