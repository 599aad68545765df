"""Profiles of in-memory tables: figures, the JSON document, merging."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from shipyard.core.errors import InvalidInput
from shipyard.profiling import Profile, profile_table
from shipyard.profiling.categorical import BooleanColumn, CategoricalColumn
from shipyard.profiling.numeric import NumericColumn


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 30_000
    income = rng.lognormal(10, 1, n)
    income[:300] = np.nan
    income[300] = np.inf
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "income": income,
            "plan": rng.choice(["basic", "pro", "team"], n, p=[0.6, 0.3, 0.1]),
            "churned": rng.random(n) < 0.2,
            "signup": pd.date_range("2024-01-01", periods=n, freq="min"),
            "tags": [[1, 2]] * n,
            "empty": [None] * n,
        }
    )


def test_figures_match_pandas(frame: pd.DataFrame) -> None:
    profile = profile_table(frame)
    assert profile.rows == len(frame)
    assert [name for name, _ in profile.schema] == list(frame.columns)
    age = profile["age"]
    assert isinstance(age, NumericColumn)
    assert age.integer
    assert age.mean == pytest.approx(frame.age.mean(), rel=1e-12)
    assert age.std == pytest.approx(frame.age.std(), rel=1e-9)
    assert (age.min, age.max) == (frame.age.min(), frame.age.max())
    assert age.distinct == pytest.approx(frame.age.nunique(), rel=0.05)
    income = profile["income"]
    assert isinstance(income, NumericColumn)
    assert income.nulls == 300
    assert income.pos_inf == 1
    finite = frame.income[np.isfinite(frame.income)]
    assert income.mean == pytest.approx(finite.mean(), rel=1e-9)
    assert income.quantile(0.5) == pytest.approx(finite.median(), rel=0.02)


def test_arrow_nan_counts_as_null_and_infinities_apart() -> None:
    profile = profile_table(pa.table({"x": [1.0, float("nan"), None, float("-inf"), 3.0]}))
    column = profile["x"]
    assert isinstance(column, NumericColumn)
    assert (column.nulls, column.nan, column.neg_inf, column.count) == (2, 1, 1, 2)
    assert column.mean == 2.0


def test_categorical_boolean_and_other_columns(frame: pd.DataFrame) -> None:
    profile = profile_table(frame)
    plan = profile["plan"]
    assert isinstance(plan, CategoricalColumn)
    assert dict(plan.top()) == frame.plan.value_counts().to_dict()
    assert plan.distinct == 3
    assert plan.distinct_exact
    churned = profile["churned"]
    assert isinstance(churned, BooleanColumn)
    assert churned.true == int(frame.churned.sum())
    assert profile["signup"].kind == "datetime"
    assert profile["signup"].summary()["min"].startswith("2024-01-01T00:00:00")
    assert profile["tags"].kind == "other"
    assert profile["empty"].null_fraction == 1.0


def test_the_document_round_trips_and_stays_small(frame: pd.DataFrame) -> None:
    profile = profile_table(frame, source="train.parquet")
    text = profile.to_json()
    assert len(text) < 120_000  # bounded by columns and sample size, not rows
    data = json.loads(text)
    assert data["type"] == "shipyard.profile"
    assert data["version"] == 1
    again = Profile.from_dict(data)
    assert again.source == "train.parquet"
    for name in frame.columns:
        assert again[name].to_dict() == profile[name].to_dict()
    sample = again.sample_rows()
    assert sample is not None
    assert sample.num_rows == 1000
    assert set(sample.column_names) == {"age", "income", "plan", "churned", "signup"}


def test_profiles_of_two_batches_merge_into_the_whole(frame: pd.DataFrame) -> None:
    whole = profile_table(frame)
    first, second = profile_table(frame.iloc[:12_000]), profile_table(frame.iloc[12_000:])
    merged = first.merged(second)
    assert merged.rows == whole.rows
    for name in ("age", "income"):
        a, b = merged[name], whole[name]
        assert isinstance(a, NumericColumn)
        assert isinstance(b, NumericColumn)
        assert (a.nulls, a.count, a.min, a.max) == (b.nulls, b.count, b.min, b.max)
        assert a.mean == pytest.approx(b.mean, rel=1e-12)
        assert a.std == pytest.approx(b.std, rel=1e-9)
        assert a.quantile(0.9) == pytest.approx(b.quantile(0.9), rel=0.03)
    assert (
        merged["plan"].to_dict()["state"]["frequent"]
        == whole["plan"].to_dict()["state"]["frequent"]
    )
    sample = merged.sample_rows()
    assert sample is not None
    assert sample.num_rows == 1000


def test_a_column_missing_from_one_batch_counts_as_nulls() -> None:
    a = profile_table(pa.table({"x": [1.0, 2.0], "y": ["a", "b"]}))
    b = profile_table(pa.table({"x": [3.0]}))
    merged = a.merged(b)
    assert merged.rows == 3
    assert merged["y"].rows == 3
    assert merged["y"].nulls == 1


def test_merging_a_column_of_another_kind_is_refused() -> None:
    a = profile_table(pa.table({"x": [1.0]}))
    b = profile_table(pa.table({"x": ["one"]}))
    with pytest.raises(InvalidInput, match="'x' is numeric in one and categorical"):
        a.merged(b)


def test_high_cardinality_text_is_bounded_and_estimated() -> None:
    values = [f"user-{i}" for i in range(40_000)]
    profile = profile_table(pa.table({"id": values}))
    column = profile["id"]
    assert isinstance(column, CategoricalColumn)
    assert not column.distinct_exact
    assert column.distinct == pytest.approx(40_000, rel=0.05)
    assert len(column.frequent.counts) <= column.frequent.capacity


def test_an_empty_table_profiles_to_zero_rows() -> None:
    profile = profile_table(
        pd.DataFrame({"x": pd.Series([], dtype=float), "s": pd.Series([], dtype=object)})
    )
    assert profile.rows == 0
    again = Profile.from_dict(json.loads(profile.to_json()))
    assert again.rows == 0
    assert math.isnan(again["x"].mean)


def test_mixed_object_columns_from_pandas_become_text() -> None:
    profile = profile_table(pd.DataFrame({"code": [1, "A7", None, 2.5]}))
    assert profile["code"].kind == "categorical"
    assert profile["code"].nulls == 1


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(type="something"), "not a Shipyard profile"),
        (lambda d: d.update(version=99), "unsupported profile version 99"),
        (lambda d: d.update(rows="many"), "profile.rows has the wrong type"),
        (lambda d: d["columns"][0].update(kind="tensor"), "unknown kind 'tensor'"),
        (lambda d: d["columns"][0]["state"]["moments"].update(m2=-1.0), "impossible values"),
        (
            lambda d: d["columns"][0]["state"]["quantiles"]["levels"][0].update(data="@@"),
            "cannot be decoded",
        ),
        (lambda d: d["sample"]["columns"]["x"].update(values=[1]), "sample"),
    ],
)
def test_a_malformed_document_is_refused_naming_the_field(edit: object, message: str) -> None:
    data = json.loads(profile_table(pa.table({"x": [1.0, 2.0, 3.0]})).to_json())
    edit(data)  # type: ignore[operator]
    with pytest.raises(InvalidInput, match=message):
        Profile.from_dict(data)


def test_profile_table_refuses_what_it_cannot_read() -> None:
    with pytest.raises(InvalidInput, match="cannot profile a list"):
        profile_table([1, 2, 3])  # type: ignore[arg-type]


def test_a_stored_profile_merges_with_a_fresh_one(frame: pd.DataFrame) -> None:
    stored = Profile.from_dict(json.loads(profile_table(frame.iloc[:10_000]).to_json()))
    fresh = profile_table(frame.iloc[10_000:])
    merged = stored.merged(fresh)
    assert merged.rows == len(frame)
    sample = merged.sample_rows()
    assert sample is not None
    assert sample.num_rows == 1000
    assert sample.schema.field("signup").type == pa.float64()
    assert sample.schema.field("plan").type == pa.string()
    assert sample.schema == fresh.sample_rows().schema  # type: ignore[union-attr]
