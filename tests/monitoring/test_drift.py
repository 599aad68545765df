"""Drift reports: the tests chosen, the verdicts, and bad input as findings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.monitoring import DriftOptions, DriftReport, compare_profiles, drift
from shipyard.profiling import profile_table


def _frame(n: int, seed: int, shift: float = 0.0, new_city: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cities = ["paris", "rome", "oslo", "lima"]
    p = np.array([0.4, 0.3, 0.2, 0.1]) * (1 - new_city)
    return pd.DataFrame(
        {
            "a": rng.normal(shift, 1, n),
            "b": rng.normal(10, 2, n),
            "c": rng.exponential(1, n),
            "flag": rng.random(n) < 0.3,
            "city": rng.choice([*cities, "cairo"], n, p=[*p, new_city]),
        }
    )


def _codes(report: DriftReport) -> list[str]:
    return [f.code for f in report.findings]


def test_large_samples_use_distances_and_find_the_shifted_feature() -> None:
    report = drift(
        _frame(20_000, 1), _frame(20_000, 2, shift=0.5), DriftOptions(multivariate=False)
    )
    tests = {f.column: f.test for f in report.features}
    assert tests == {
        "a": "wasserstein",
        "b": "wasserstein",
        "c": "wasserstein",
        "flag": "jensenshannon",
        "city": "jensenshannon",
    }
    assert [f.column for f in report.drifted_features] == ["a"]
    assert report.feature("a").statistic == pytest.approx(0.5, abs=0.03)  # type: ignore[union-attr]
    assert not report.dataset_drift  # 1 of 5 < 50 %
    assert report.share_drifted == pytest.approx(0.2)


def test_small_samples_use_p_value_tests_equal_to_scipy() -> None:
    ref, cur = _frame(600, 3), _frame(400, 4, shift=0.4)
    report = drift(ref, cur, DriftOptions(multivariate=False))
    a = report.feature("a")
    assert a is not None
    assert a.test == "ks"
    assert a.p_value == stats.ks_2samp(ref.a, cur.a).pvalue
    assert a.drifted
    city = report.feature("city")
    assert city is not None
    assert city.test == "chisquare"
    assert not city.drifted


def test_tests_and_thresholds_can_be_chosen() -> None:
    options = DriftOptions(
        numeric_test="psi",
        column_tests={"city": "psi", "b": "ks"},
        thresholds={"psi": 0.5},
        multivariate=False,
    )
    report = drift(_frame(5000, 5), _frame(5000, 6, shift=0.5), options)
    tests = {f.column: (f.test, f.threshold) for f in report.features}
    assert tests["a"] == ("psi", 0.5)
    assert tests["b"] == ("ks", 0.05)
    assert tests["city"] == ("psi", 0.5)
    assert not report.feature("a").drifted  # type: ignore[union-attr]  # PSI of a 0.5 std shift ≈ 0.25


def test_a_test_that_does_not_fit_the_column_is_refused() -> None:
    with pytest.raises(
        InvalidInput, match="the ks test cannot compare the categorical column 'city'"
    ):
        drift(_frame(100, 1), _frame(100, 2), DriftOptions(column_tests={"city": "ks"}))
    with pytest.raises(InvalidInput, match="unknown drift test 'kss'"):
        DriftOptions(thresholds={"kss": 0.1})
    with pytest.raises(InvalidInput, match="p-value"):
        DriftOptions(thresholds={"ks": 5})


def test_unseen_categories_are_a_finding_and_drift() -> None:
    report = drift(_frame(5000, 7), _frame(5000, 8, new_city=0.2), DriftOptions(multivariate=False))
    city = report.feature("city")
    assert city is not None
    assert city.drifted
    assert "(other)" not in city.histogram["labels"]
    assert "cairo" in city.histogram["labels"]
    finding = next(f for f in report.findings if f.code == "unseen_categories")
    assert finding.column == "city"
    assert "'cairo'" in finding.message


def test_dataset_drift_when_enough_features_drift() -> None:
    ref = _frame(5000, 9)
    cur = ref.assign(a=ref.a + 1, b=ref.b * 1.5, c=ref.c + 1)
    report = drift(ref, cur, DriftOptions(multivariate=False))
    assert report.share_drifted == pytest.approx(0.6)
    assert report.dataset_drift
    assert report.drift_detected


def test_bad_input_becomes_findings_not_errors() -> None:
    ref = _frame(3000, 10).assign(when=pd.Timestamp("2024-01-01"), gone=1.0)
    cur = _frame(3000, 11).assign(when=pd.Timestamp("2024-06-01"), extra=1)
    cur["b"] = None  # all null now
    cur["c"] = "text"  # was numeric
    cur.loc[: len(cur) // 2, "a"] = np.nan  # half null
    report = drift(ref, cur, DriftOptions(multivariate=False))
    by_code = {(f.code, f.column) for f in report.findings}
    assert ("missing_column", "gone") in by_code
    assert ("new_column", "extra") in by_code
    assert ("all_null", "b") in by_code
    assert ("type_mismatch", "c") in by_code
    assert ("null_increase", "a") in by_code
    assert ("not_tested", "when") in by_code
    assert sorted(f.column for f in report.features) == ["a", "city", "flag"]


def test_empty_current_data_is_a_finding() -> None:
    ref = _frame(1000, 12)
    report = drift(ref, ref.iloc[:0])
    assert _codes(report) == ["empty_current"]
    assert report.features == []
    assert not report.drift_detected
    assert drift(ref.iloc[:0], ref).findings[0].code == "empty_reference"


def test_prediction_drift_is_reported_apart() -> None:
    ref = _frame(4000, 13).assign(score=np.random.default_rng(1).random(4000))
    cur = _frame(4000, 14).assign(score=np.random.default_rng(2).random(4000) ** 3)
    report = drift(ref, cur, DriftOptions(prediction="score", multivariate=False))
    assert report.prediction is not None
    assert report.prediction.role == "prediction"
    assert report.prediction.drifted
    assert "score" not in [f.column for f in report.features]
    assert not report.dataset_drift
    assert report.drift_detected
    missing = drift(
        ref, cur.drop(columns=["score"]), DriftOptions(prediction="score", multivariate=False)
    )
    assert missing.prediction is None
    assert ("missing_column", "score") in {(f.code, f.column) for f in missing.findings}


def _correlation_flipped() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two features whose correlation flips sign while each keeps its distribution."""
    rng = np.random.default_rng(15)
    x = rng.normal(size=(2, 6000))
    ref = pd.DataFrame({"x": x[0], "y": 0.95 * x[0] + np.sqrt(1 - 0.95**2) * x[1]})
    z = rng.normal(size=(2, 6000))
    cur = pd.DataFrame({"x": z[0], "y": -0.95 * z[0] + np.sqrt(1 - 0.95**2) * z[1]})
    return ref, cur


def test_the_domain_classifier_sees_a_joint_change_no_single_feature_shows() -> None:
    ref, cur = _correlation_flipped()
    report = drift(ref, cur)
    assert report.drifted_features == []  # the marginals did not move
    mv = report.multivariate
    assert mv is not None
    assert mv.ran
    assert mv.roc_auc is not None
    assert mv.roc_auc > 0.8
    assert mv.drifted
    assert report.dataset_drift
    assert {name for name, _ in mv.top_features} <= {"x", "y"}


def test_the_domain_classifier_stays_quiet_on_the_same_distribution() -> None:
    report = drift(_frame(8000, 16), _frame(8000, 17))
    mv = report.multivariate
    assert mv is not None
    assert mv.ran
    assert not mv.drifted
    assert not report.drift_detected


def test_the_domain_classifier_needs_samples() -> None:
    report = drift(_frame(30, 18), _frame(30, 19))
    assert report.multivariate is not None
    assert not report.multivariate.ran
    assert "multivariate_skipped" in _codes(report)


def test_a_saved_profile_is_as_good_as_the_data(tmp_path: Path) -> None:
    ref, cur = _frame(3000, 20), _frame(3000, 21, shift=0.3)
    ref.to_parquet(tmp_path / "ref.parquet")
    cur.to_csv(tmp_path / "cur.csv", index=False)
    profile_table(ref, source="ref.parquet").save(tmp_path / "ref.json")
    options = DriftOptions(multivariate=False)
    from_data = drift(tmp_path / "ref.parquet", tmp_path / "cur.csv", options)
    from_profile = drift(str(tmp_path / "ref.json"), tmp_path / "cur.csv", options)
    assert [f.to_dict() for f in from_data.features] == [f.to_dict() for f in from_profile.features]
    assert from_data.reference.label == "ref.parquet"
    assert from_data.current.label == "cur.csv"


def test_sides_that_cannot_be_read_raise(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        drift(tmp_path / "nope.csv", tmp_path / "nope.csv")
    with pytest.raises(InvalidInput, match="dataset version"):
        drift("data/train.parquet@v1", tmp_path / "nope.csv")
    (tmp_path / "x.json").write_text('{"a": 1}')
    with pytest.raises(InvalidInput, match="JSON but not a Shipyard profile"):
        drift(tmp_path / "x.json", tmp_path / "x.json")


def test_a_registered_resolver_is_asked_first(tmp_path: Path) -> None:
    from shipyard.monitoring import sources

    saved = profile_table(_frame(500, 22), source="train.parquet@v1")

    def resolver(spec: str, context: object) -> sources.ResolvedData | None:
        return sources.ResolvedData(spec, profile=saved) if spec.endswith("@v1") else None

    sources.register_resolver(resolver)
    try:
        report = drift("data/train.parquet@v1", _frame(500, 23), DriftOptions(multivariate=False))
    finally:
        sources._resolvers.remove(resolver)
    assert report.reference.label == "data/train.parquet@v1"
    assert report.reference.rows == 500


def test_the_report_round_trips_through_json() -> None:
    report = drift(
        _frame(3000, 24), _frame(3000, 25, shift=1.0, new_city=0.1), DriftOptions(prediction="c")
    )
    data = json.loads(json.dumps(report.to_dict()))
    assert data["type"] == "shipyard.drift_report"
    assert data["drifted"] == [f.column for f in report.drifted_features]
    again = DriftReport.from_dict(data)
    assert again.to_dict() == report.to_dict()
    with pytest.raises(InvalidInput, match="not a Shipyard drift report"):
        DriftReport.from_dict({"type": "x"})


def test_compare_profiles_needs_only_profiles() -> None:
    ref = profile_table(pa.table({"v": np.arange(5000.0)}))
    cur = profile_table(pa.table({"v": np.arange(5000.0) + 2500}))
    report = compare_profiles(ref, cur, DriftOptions(multivariate=False))
    assert report.feature("v").drifted  # type: ignore[union-attr]


def test_identifier_columns_are_not_tested_unless_asked() -> None:
    ref = _frame(2000, 26).assign(user=[f"u{i}" for i in range(2000)])
    cur = _frame(2000, 27).assign(user=[f"u{i}" for i in range(5000, 7000)])
    report = drift(ref, cur, DriftOptions(multivariate=False))
    assert report.feature("user") is None
    assert ("not_tested", "user") in {(f.code, f.column) for f in report.findings}
    forced = drift(
        ref, cur, DriftOptions(multivariate=False, column_tests={"user": "jensenshannon"})
    )
    user = forced.feature("user")
    assert user is not None
    assert user.test == "jensenshannon"


def test_a_reference_without_row_sample_skips_the_classifier() -> None:
    ref = profile_table(_frame(3000, 28), sample_rows=0)
    report = drift(ref, _frame(3000, 29))
    assert report.multivariate is not None
    assert not report.multivariate.ran
    assert report.multivariate.reason == "the reference profile keeps no row sample"


def test_a_handful_of_rows_gets_not_enough_data_instead_of_a_verdict() -> None:
    ref, cur = _frame(5000, 30), _frame(3, 31, shift=3.0)
    report = drift(ref, cur)
    assert report.verdict == "not_enough_data"
    assert not report.drift_detected
    assert report.tested == 0
    assert [f.column for f in report.short_of_data] == ["a", "b", "c", "flag", "city"]
    assert "not_enough_data" in _codes(report)
    document = report.to_dict()
    assert document["verdict"] == "not_enough_data"
    assert document["dataset_drift"] is None
    assert document["drift_detected"] is None
    assert document["share_drifted"] is None
    assert {f["verdict"] for f in document["features"]} == {"not_enough_data"}
    assert {f["drifted"] for f in document["features"]} == {None}
    again = DriftReport.from_dict(json.loads(json.dumps(document)))
    assert again.verdict == "not_enough_data"
    assert again.to_dict()["features"] == document["features"]
    # the minimum is an option: with it lowered, the same rows get a verdict
    lowered = drift(ref, cur, DriftOptions(min_sample=3))
    assert (lowered.verdict, lowered.tested) == ("no_drift", 5)


def test_a_feature_short_of_values_has_no_verdict_and_the_rest_decide() -> None:
    ref, cur = _frame(2000, 32), _frame(2000, 33)
    cur.loc[5:, "a"] = np.nan  # 5 values left
    report = drift(ref, cur, DriftOptions(multivariate=False))
    assert report.feature("a") is not None
    assert report.feature("a").verdict == "not_enough_data"  # type: ignore[union-attr]
    assert report.tested == 4
    assert report.verdict == "no_drift"


def test_the_report_says_the_domain_classifier_decided() -> None:
    from shipyard.monitoring.verdict import describe

    ref, cur = _correlation_flipped()
    report = drift(ref, cur)
    assert report.causes == ["domain_classifier"]
    assert report.to_dict()["decided_by"] == ["domain_classifier"]
    said = describe(report)
    assert said.headline.startswith("Drift detected by the domain classifier (ROC AUC 0.")
    assert said.detail == (
        "0 of 2 features drifted (0%; the share alone means dataset drift at ≥ 50%)"
    )
