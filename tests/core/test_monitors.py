"""``[monitors.<name>]`` in config.toml: parsed into typed monitors, bad values named."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shipyard.core.errors import ConfigError
from shipyard.core.monitors import parse_monitor, triggered_tags
from shipyard.core.settings import build_settings

FULL = {
    "model": "churn@production",
    "window": "12h",
    "reference": "data/train.parquet@v3",
    "cron": "0 * * * *",
    "suite": "suite.yaml",
    "prediction": "churned",
    "ignore": ["customer_id"],
    "task": "classification",
    "positive_label": 1,
    "bucket": "30m",
    "baseline": {"accuracy": 0.93, "f1": 0.9},
    "webhooks": ["env:SLACK_WEBHOOK_URL"],
    "on_breach": "shipyard run -- python retrain.py --reason 'drift found'",
    "repeat": "6h",
    "thresholds": {"drift_share": 0.3, "psi": 0.2, "validation_failures": 2,
                   "performance_decay": 0.1, "decay": {"rmse": 0.25}, "min_rows": 100,
                   "min_sample": 5},
}  # fmt: skip


def test_a_full_monitor_table_is_typed() -> None:
    monitor = parse_monitor("churn", FULL)
    assert monitor.model_name == "churn"
    assert monitor.window == timedelta(hours=12)
    assert monitor.cron == "0 * * * *"
    assert monitor.interval is None
    assert monitor.bucket == timedelta(minutes=30)
    assert monitor.repeat == timedelta(hours=6)
    assert monitor.on_breach == ("shipyard", "run", "--", "python", "retrain.py", "--reason",
                                 "drift found")  # fmt: skip
    t = monitor.thresholds
    assert t.drift_share == 0.3
    assert t.tests == {"psi": 0.2}
    assert t.validation_failures == 2
    assert t.decay_for("rmse") == 0.25
    assert t.decay_for("accuracy") == 0.1
    assert t.min_rows == 100
    assert t.min_sample == 5
    assert parse_monitor("churn", {"model": "churn"}).thresholds.min_sample == 30
    assert monitor.describe_schedule() == "cron 0 * * * *"


def test_settings_carry_the_monitors_of_the_config_file() -> None:
    settings = build_settings(
        file={"project": {"name": "p"}, "monitors": {"churn": {"model": "churn"}}},
        env={"SHIPYARD_MONITORS": "ignored: not a setting"},
    )
    assert list(settings.monitors) == ["churn"]
    assert settings.monitors["churn"].describe_schedule() == "not scheduled"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "needs model"),
        ({"model": "m", "windw": "1h"}, "unknown key 'windw' in [monitors.m1] in config.toml"),
        ({"model": "m", "window": "soon"}, "window: cannot read the duration"),
        ({"model": "m", "interval": "1h", "cron": "* * * * *"}, "both interval and cron"),
        ({"model": "m", "cron": "every hour"}, "needs 5 fields"),
        ({"model": "m", "task": "ranking"}, "task must be one of"),
        ({"model": "m", "baseline": {"speed": 1}}, "unknown metric 'speed'"),
        ({"model": "m", "thresholds": {"ks": 2}}, "ks is a p-value threshold"),
        ({"model": "m", "thresholds": {"drift_share": 0}}, "drift_share must be in (0, 1]"),
        ({"model": "m", "thresholds": {"psy": 0.2}}, "did you mean 'psi'"),
        ({"model": "m", "webhooks": [1]}, "webhooks must be a list of text"),
        ({"model": "m", "on_breach": "retrain 'unclosed"}, "on_breach does not parse"),
        ({"model": "m", "window": "0s"}, "window must be longer than 0s"),
    ],
)
def test_bad_monitor_tables_name_the_key(body: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_monitor("m1", body, "config.toml")
    assert message in caught.value.one_line()


def test_monitors_must_be_tables() -> None:
    with pytest.raises(ConfigError, match="must be a table"):
        build_settings(file={"monitors": {"churn": "yes"}})
    with pytest.raises(ConfigError, match="bad monitor name"):
        build_settings(file={"monitors": {"bad name!": {"model": "m"}}})


def test_only_a_monitors_on_breach_command_tags_its_runs() -> None:
    result = "01jq0000000000000000000001"
    inside = {"SHIPYARD_MONITOR": "churn", "SHIPYARD_MONITOR_RESULT": result}
    assert triggered_tags(inside) == {
        "shipyard.monitor.result": result,
        "shipyard.monitor": "churn",
    }
    assert triggered_tags({"SHIPYARD_MONITOR": "churn"}) == {}
    assert triggered_tags({"SHIPYARD_MONITOR_RESULT": "'; drop table runs; --"}) == {}
