"""Promotion gates: every gate evaluated with evidence; the alias moves only if all pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sqlalchemy import select

from shipyard.context import Context, open_context
from shipyard.core.errors import ConfigError
from shipyard.core.model_ref import ModelRef
from shipyard.models import register_model
from shipyard.registry.aliases import AliasService
from shipyard.registry.gates.policy import parse_policy
from shipyard.registry.gates.promote import promote
from shipyard.registry.service import RegistryService
from shipyard.store.tables import AuditEventRow


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_classification(n_samples=400, n_features=5, n_informative=4, random_state=3,
                               n_redundant=0)  # fmt: skip
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(5)]), y


@pytest.fixture
def two_versions(workspace: Path, data: tuple[pd.DataFrame, np.ndarray]) -> Path:
    """v1 learned the labels, v2 learned shuffled labels (worse); holdout.csv to score on."""
    X, y = data
    good = LogisticRegression().fit(X, y)
    bad = LogisticRegression().fit(X, np.random.default_rng(0).permutation(y))
    register_model(good, "churn", input_example=X.head(5))
    register_model(bad, "churn", input_example=X.head(5))
    X.assign(label=y).to_csv(workspace / "holdout.csv", index=False)
    return workspace


def _configure(workspace: Path, text: str) -> Context:
    config = workspace / ".shipyard" / "config.toml"
    config.write_text(config.read_text() + "\n" + text)
    return open_context()


def test_a_failing_gate_blocks_promotion_and_leaves_the_alias(two_versions: Path) -> None:
    ctx = _configure(
        two_versions,
        '[gates.production]\nbeats = { data = "holdout.csv", target = "label", '
        'metric = "accuracy", min_delta = 0.0 }\ncard_complete = ["overview"]\n',
    )
    with ctx:
        aliases = AliasService(ctx.db)
        aliases.set_alias(ctx.principal, ctx.project, "churn", "production", 1)
        outcome = promote(ctx, ModelRef("churn", version=2), "production")
        assert not outcome.passed
        assert not outcome.moved
        by_gate = {r.gate: r for r in outcome.results}
        assert not by_gate["beats"].passed
        assert "vs" in by_gate["beats"].evidence
        assert by_gate["beats"].details["champion_version"] == 1
        assert not by_gate["card_complete"].passed
        assert "missing: overview" in by_gate["card_complete"].evidence
        registry = RegistryService(ctx.db)
        assert registry.alias_version(ctx.principal, ctx.project, "churn", "production") == 1
        assert [e.to_version for e in aliases.history(ctx.principal, ctx.project, "churn")] == [1]
        # re-scored on the file, both versions, recorded with the file's digest
        scored = registry.evaluations(ctx.principal, ctx.project, "churn", 2)
        assert [(e.data_path, e.rows, e.source) for e in scored] == [("holdout.csv", 400, "gate")]
        assert len(scored[0].data_digest) == 64
        with ctx.db.read() as session:
            refused = session.scalars(
                select(AuditEventRow).where(AuditEventRow.action == "model.promote.refused")
            ).one()
        assert refused.detail["evaluation"]["passed"] is False


def test_passing_gates_move_the_alias_and_the_evaluation_is_kept(two_versions: Path) -> None:
    ctx = _configure(
        two_versions,
        '[gates.staging]\nmetrics = { accuracy = ">= 0.7" }\n'
        'beats = { data = "holdout.csv", target = "label" }\n'
        "latency = { p99_ms = 60000, runs = 20 }\napproval = true\n",
    )
    with ctx:
        registry = RegistryService(ctx.db)
        registry.record_evaluation(
            ctx.principal, ctx.project, "churn", 1, data_path="holdout.csv", data_digest="0" * 64,
            rows=400, target="label", metrics={"accuracy": 0.9},
        )  # fmt: skip
        dry = promote(ctx, ModelRef("churn", version=1), "staging", dry_run=True)
        assert [r.gate for r in dry.failed] == ["approval"]
        assert "shipyard models approve churn 1 --for staging" in dry.failed[0].evidence
        AliasService(ctx.db).approve(ctx.principal, ctx.project, "churn", 1, "staging")
        outcome = promote(ctx, ModelRef("churn", version=1), "staging", reason="weekly")
        assert outcome.passed
        assert outcome.moved
        by_gate = {r.gate: r for r in outcome.results}
        assert by_gate["beats"].evidence == "no current staging version: nothing to beat"
        assert by_gate["metrics"].details["value"] == 0.9  # from the evaluation on the file
        assert by_gate["latency"].details["runs"] == 20
        event = AliasService(ctx.db).history(ctx.principal, ctx.project, "churn", "staging")[0]
        assert (event.action, event.to_version, event.reason) == ("promote", 1, "weekly")
        assert event.evaluation is not None
        assert event.evaluation["passed"] is True
        assert {g["gate"] for g in event.evaluation["gates"]} == {
            "metrics", "beats", "latency", "approval",
        }  # fmt: skip
        assert event.evaluation["policy"]["approval"] is True
        again = promote(ctx, ModelRef("churn", version=1), "staging")
        assert again.already


def test_latency_validation_and_signature_gates_fail_with_evidence(
    two_versions: Path, data: tuple[pd.DataFrame, np.ndarray]
) -> None:
    suite = two_versions / "suite.yaml"
    suite.write_text("version: 1\ncolumns:\n  f0:\n    type: float\n    min: 100\n")
    ctx = _configure(
        two_versions,
        "[gates.production]\nlatency = { p99_ms = 0.000001 }\nsignature_valid = true\n"
        'validation = { suite = "suite.yaml", data = "holdout.csv" }\n',
    )
    with ctx:
        outcome = promote(ctx, ModelRef("churn", alias="latest"), "production")
        by_gate = {r.gate: r for r in outcome.results}
        assert set(by_gate) == {"latency", "signature_valid", "validation"}
        assert not any(r.passed for r in outcome.results)
        assert "p99" in by_gate["latency"].evidence
        assert by_gate["signature_valid"].evidence == "the version is not signed"
        assert "f0" in by_gate["validation"].evidence
        assert (
            RegistryService(ctx.db).alias_version(ctx.principal, ctx.project, "churn", "production")
            is None
        )


def test_no_policy_means_no_gates(two_versions: Path) -> None:
    with open_context() as ctx:
        outcome = promote(ctx, ModelRef("churn", version=2), "canary")
        assert outcome.moved
        assert not outcome.gates_configured


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"speed": True}, "unknown gate 'speed'"),
        ({"metrics": {"accuracy": "about 0.9"}}, "is not a threshold"),
        ({"metrics": ["accuracy"]}, "must be a table of thresholds"),
        ({"beats": {"data": "x.csv"}}, "needs target"),
        ({"beats": {"data": "x.csv", "target": "y", "metric": "vibes"}}, "metric 'vibes'"),
        ({"beats": {"data": "x.csv", "target": "y", "min_delta": -1}}, "must not be negative"),
        ({"latency": {"p99_ms": 0}}, "p99_ms must be positive"),
        ({"card_complete": ["colour"]}, "unknown field 'colour'"),
        ({"approval": {"count": 0}}, "whole number"),
        ({"signature_valid": "yes"}, "true or false"),
    ],
)
def test_malformed_policies_are_refused_naming_the_key(
    table: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_policy("production", table, Path("."))
    assert "gates.production" in caught.value.one_line()


def test_a_policy_reads_thresholds_and_paths() -> None:
    policy = parse_policy(
        "production",
        {"metrics": {"accuracy": 0.8, "log_loss": "< 0.4"}, "approval": {"count": 2},
         "beats": {"data": "h.csv", "target": "y", "metric": "rmse"}},
        Path("/repo"),
    )  # fmt: skip
    assert [str(t) for t in policy.metrics] == ["accuracy >= 0.8", "log_loss < 0.4"]
    assert policy.approval is not None
    assert policy.approval.count == 2
    assert policy.beats is not None
    assert policy.beats.data == Path("/repo/h.csv")
    assert policy.beats.alias == "production"
    assert not policy.empty
    assert parse_policy("x", {}, Path(".")).empty


def test_beats_scores_both_versions_itself_whatever_evaluations_claim(
    two_versions: Path,
) -> None:
    """Evaluations a client recorded (over HTTP, ``models evaluate``) are never the evidence."""
    from shipyard.objects.files import digest_file

    ctx = _configure(
        two_versions,
        '[gates.production]\nbeats = { data = "holdout.csv", target = "label", '
        'metric = "accuracy", min_delta = 0.0 }\n',
    )
    with ctx:
        registry = RegistryService(ctx.db)
        AliasService(ctx.db).set_alias(ctx.principal, ctx.project, "churn", "production", 1)
        digest = digest_file(two_versions / "holdout.csv").digest.hex
        for version, claimed in ((2, 1.0), (1, 0.0)):
            registry.record_evaluation(
                ctx.principal, ctx.project, "churn", version, data_path="holdout.csv",
                data_digest=digest, rows=400, target="label", metrics={"accuracy": claimed},
            )  # fmt: skip
        outcome = promote(ctx, ModelRef("churn", version=2), "production")
        [beats] = outcome.results
        assert not beats.passed
        assert beats.details["candidate"] < beats.details["champion"]
        assert not outcome.moved
