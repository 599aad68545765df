"""The model registry through the SDK and the CLI, embedded and against a team server: the same.

Against the server, files travel through its object routes and it registers
them; loading fetches them back into the local cache (emptied first here, so
the fetch really happens) and verifies them as embedded loading does.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import shipyard
from shipyard.core.errors import IntegrityError, NotFound
from shipyard.models import load_model, register_model
from shipyard.models.signing.keys import generate_keys
from shipyard.registry import alias_version, resolve_model
from shipyard.registry.cache import cache_root, version_dir
from tests.contracts.sdk_modes import Mode, as_admin

X = np.random.default_rng(7).normal(size=(60, 4))


def _model(seed: int) -> LogisticRegression:
    y = X[:, seed % 4] + 0.1 * seed > 0
    return LogisticRegression().fit(X, y)


def _forget_cache(mode: Mode) -> None:
    shutil.rmtree(cache_root(mode.context), ignore_errors=True)


def test_log_model_in_a_run_then_load_by_alias_version_and_latest(
    mode: Mode, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = mode.unique("churn")
    generate_keys(mode.root / ".shipyard" / "keys")
    first, second = _model(1), _model(2)
    with shipyard.start_run(mode.unique("exp"), "lr", context=mode.context) as run:
        run.log_param("C", 1.0)
        logged = run.log_model(first, name, input_example=X[:5])
        run.log_metric("accuracy", 0.93)  # after registration: the version still sees it
    assert (logged.version, logged.uri, logged.flavor) == (1, f"models:/{name}/1", "sklearn")
    assert logged.signed
    assert logged.run_id == run.id
    assert logged.lineage["run"]["id"] == run.id
    assert logged.lineage["params"] == {"C": "1.0"}
    again = register_model(second, name, input_example=X[:5], context=mode.context)
    assert again.version == 2
    as_admin(mode, monkeypatch)
    moved = mode.cli("models", "alias", "set", name, "production", "1", "--json")
    assert moved.exit_code == 0, moved.output
    _forget_cache(mode)
    expected = {"@production": first, "/1": first, "@latest": second, "/2": second}
    for suffix, model in expected.items():
        uri = f"models:/{name}{suffix}"
        loaded = load_model(uri, context=mode.context)
        assert np.array_equal(loaded.predict(X), model.predict(X)), uri
    resolved = resolve_model(mode.context, f"models:/{name}@production")
    assert (resolved.uri, resolved.signed_by) == (f"models:/{name}/1", logged.signer)
    shown = mode.cli("models", "show", f"{name}/1", "--json")
    assert shown.exit_code == 0, shown.output
    record = json.loads(shown.stdout)
    assert record["run_id"] == run.id
    assert record["metrics"]["accuracy"] == 0.93
    listed = json.loads(mode.cli("models", "ls", "--json").stdout)
    assert {m["name"]: m["aliases"] for m in listed}[name] == {"production": 1}


def test_alias_moves_history_and_rollback(mode: Mode, monkeypatch: pytest.MonkeyPatch) -> None:
    name = mode.unique("fraud")
    models = [_model(3), _model(4)]
    for model in models:
        register_model(model, name, input_example=X[:5], context=mode.context)
    as_admin(mode, monkeypatch)
    for version in ("1", "2"):
        result = mode.cli("models", "alias", "set", name, "production", version, "-r", "go")
        assert result.exit_code == 0, result.output
    assert alias_version(mode.context, name, "production") == 2
    back = mode.cli("models", "rollback", name, "production", "--json")
    assert back.exit_code == 0, back.output
    assert json.loads(back.stdout)["current"] == 1
    assert alias_version(mode.context, name, "production") == 1
    history = json.loads(mode.cli("models", "alias", "history", name, "--json").stdout)
    admin = "root" if mode.remote else "local"
    assert [(e["action"], e["from_version"], e["to_version"], e["principal"]) for e in history] == [
        ("set", None, 1, admin),
        ("set", 1, 2, admin),
        ("rollback", 2, 1, admin),
    ]
    loaded = load_model(f"models:/{name}@production", context=mode.context)
    assert np.array_equal(loaded.predict(X), models[0].predict(X))
    again = mode.cli("models", "rollback", name, "production")
    assert again.exit_code == 2
    assert "no earlier version to roll back to" in again.stderr


def test_an_unknown_model_is_not_found(mode: Mode) -> None:
    name = mode.unique("nothing")
    with pytest.raises(NotFound, match=name):
        load_model(f"models:/{name}@production", context=mode.context)
    assert alias_version(mode.context, name, "production") is None
    result = mode.cli("models", "show", name)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1


def test_a_tampered_file_is_refused(mode: Mode) -> None:
    name = mode.unique("tamper")
    version = register_model(_model(5), name, input_example=X[:5], context=mode.context)
    _forget_cache(mode)
    folder = resolve_model(mode.context, version.uri).directory  # fetched and verified
    assert folder == version_dir(mode.context, version)
    weights = next(p for p in folder.iterdir() if p.suffix == ".skops")
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=weights.name) as caught:
        load_model(version.uri, context=mode.context)
    assert caught.value.object_id == weights.name


def test_card_approval_and_promotion_from_the_cli(
    mode: Mode, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = mode.unique("card")
    register_model(_model(6), name, input_example=X[:5], context=mode.context)
    described = mode.cli("models", "describe", name, "--overview", "Predicts churn.")
    assert described.exit_code == 0, described.output
    card = mode.cli("models", "card", name, "--format", "md")
    assert card.exit_code == 0, card.output
    assert "Predicts churn." in card.stdout
    as_admin(mode, monkeypatch)
    approved = mode.cli("models", "approve", name, "1", "--for", "staging", "--json")
    assert approved.exit_code == 0, approved.output
    assert json.loads(approved.stdout)["alias"] == "staging"
    promoted = mode.cli("models", "promote", name, "latest", "--to", "staging", "--json")
    assert promoted.exit_code == 0, promoted.output
    outcome = json.loads(promoted.stdout)
    assert (outcome["moved"], outcome["candidate"], outcome["previous"]) == (True, 1, None)
    assert alias_version(mode.context, name, "staging") == 1


def _holdout(mode: Mode, seed: int) -> str:
    """A labelled CSV in the workspace for ``_model(seed)``'s features."""
    labels = X[:, seed % 4] + 0.1 * seed > 0
    lines = ["f0,f1,f2,f3,y"] + [
        ",".join(f"{v:.6f}" for v in row) + f",{int(label)}"
        for row, label in zip(X, labels, strict=True)
    ]
    (mode.root / "holdout.csv").write_text("\n".join(lines) + "\n")
    return "holdout.csv"


def test_evaluate_from_the_cli_shows_on_the_version(mode: Mode) -> None:
    name = mode.unique("eval")
    model = _model(7)
    register_model(model, name, input_example=X[:5], context=mode.context)
    data = _holdout(mode, 7)
    evaluated = mode.cli(
        "models", "evaluate", f"{name}/1", "--data", data, "--target", "y", "-m", "accuracy",
        "--json",
    )  # fmt: skip
    assert evaluated.exit_code == 0, evaluated.output
    expected = float(np.mean(model.predict(X) == (X[:, 3] + 0.7 > 0)))
    assert json.loads(evaluated.stdout)["metrics"] == {"accuracy": pytest.approx(expected)}
    shown = mode.cli("models", "show", f"{name}/1", "--json")
    assert shown.exit_code == 0, shown.output
    [evaluation] = json.loads(shown.stdout)["evaluations"]
    assert evaluation["metrics"] == {"accuracy": pytest.approx(expected)}
    assert (evaluation["data_path"], evaluation["rows"], evaluation["target"]) == (data, 60, "y")
    assert evaluation["source"] == "evaluate"
    assert evaluation["created_by"] == ("contributor" if mode.remote else "local")
    table = mode.cli("models", "show", f"{name}/1")
    assert data in table.stdout


def test_evaluating_an_unknown_version_is_not_found(mode: Mode) -> None:
    name = mode.unique("eval")
    register_model(_model(8), name, input_example=X[:5], context=mode.context)
    data = _holdout(mode, 8)
    for ref in (f"{name}/9", f"{mode.unique('nothing')}/1"):
        result = mode.cli("models", "evaluate", ref, "--data", data, "--target", "y")
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: "), result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert "no version 9" in result.stderr or "no model named" in result.stderr


def test_alias_rm_keeps_its_reason(mode: Mode, monkeypatch: pytest.MonkeyPatch) -> None:
    name = mode.unique("retire")
    register_model(_model(9), name, input_example=X[:5], context=mode.context)
    as_admin(mode, monkeypatch)
    assert mode.cli("models", "alias", "set", name, "staging", "1").exit_code == 0
    reason = "retired: drift on 2026-11 data & co"
    removed = mode.cli("models", "alias", "rm", name, "staging", "--reason", reason)
    assert removed.exit_code == 0, removed.output
    assert alias_version(mode.context, name, "staging") is None
    history = json.loads(mode.cli("models", "alias", "history", name, "--json").stdout)
    assert [(e["action"], e["reason"]) for e in history] == [("set", ""), ("remove", reason)]
    table = mode.cli("models", "alias", "history", name, "staging")
    assert "retired: drift" in table.stdout
