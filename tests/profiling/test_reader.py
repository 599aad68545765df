"""Profiling files: CSV and Parquet in a streaming pass, and what goes wrong with them."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.profiling import profile_file
from shipyard.profiling.numeric import NumericColumn
from shipyard.profiling.reader import BATCH_ROWS, scan


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 150_000
    return pd.DataFrame(
        {"x": rng.normal(5, 2, n), "n": rng.integers(0, 1000, n), "city": rng.choice(["a", "b"], n)}
    )


def test_csv_and_parquet_give_the_same_figures(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame.to_parquet(tmp_path / "d.parquet", row_group_size=40_000)
    frame.to_csv(tmp_path / "d.csv", index=False)
    a, b = profile_file(tmp_path / "d.parquet"), profile_file(tmp_path / "d.csv")
    assert a.rows == b.rows == len(frame)
    assert a.source == "d.parquet"
    for name in ("x", "n"):
        ca, cb = a[name], b[name]
        assert isinstance(ca, NumericColumn)
        assert isinstance(cb, NumericColumn)
        assert ca.mean == pytest.approx(cb.mean, rel=1e-12)
        assert (ca.min, ca.max) == (cb.min, cb.max)
    assert a["city"].to_dict()["state"] == b["city"].to_dict()["state"]


def test_a_file_is_read_in_batches_with_progress(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame.to_parquet(tmp_path / "d.parquet")
    seen: list[tuple[int, float | None]] = []
    batches: list[int] = []

    class Sink:
        def update(self, batch: pa.RecordBatch) -> None:
            batches.append(batch.num_rows)

    scan(tmp_path / "d.parquet", lambda schema: Sink(), lambda rows, f: seen.append((rows, f)))
    assert max(batches) <= BATCH_ROWS
    assert sum(batches) == len(frame)
    assert len(batches) >= 3
    assert seen[-1] == (len(frame), 1.0)


def test_csv_progress_ends_at_one(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame.to_csv(tmp_path / "d.csv", index=False)
    seen: list[float | None] = []
    profile_file(tmp_path / "d.csv", lambda rows, fraction: seen.append(fraction))
    assert seen[-1] == pytest.approx(1.0)
    assert seen == sorted(seen)  # type: ignore[type-var]


def test_csv_columns_are_widened_when_later_rows_do_not_fit(tmp_path: Path) -> None:
    rows = ["1,x,"] * 200_000 + ["2.5,y,late text"]
    (tmp_path / "w.csv").write_text("a,b,c\n" + "\n".join(rows) + "\n")
    profile = profile_file(tmp_path / "w.csv")
    assert profile.schema == [("a", "double"), ("b", "string"), ("c", "string")]
    assert profile["a"].max == 2.5  # type: ignore[attr-defined]
    assert profile["c"].nulls == 200_000


def test_compressed_csv_and_tsv(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "d.csv.gz", "wt") as handle:
        handle.write("a,b\n1,x\n2,y\n")
    (tmp_path / "d.tsv").write_text("a\tb\n1\tx\n2\ty\n")
    assert profile_file(tmp_path / "d.csv.gz").rows == 2
    assert profile_file(tmp_path / "d.tsv").schema == [("a", "int64"), ("b", "string")]


def test_a_folder_of_parquet_files(frame: pd.DataFrame, tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    pq.write_table(pa.Table.from_pandas(frame.iloc[:1000]), folder / "a.parquet")
    pq.write_table(pa.Table.from_pandas(frame.iloc[1000:2500]), folder / "b.parquet")
    assert profile_file(folder).rows == 2500


def test_what_cannot_be_read_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no file or folder"):
        profile_file(tmp_path / "missing.csv")
    (tmp_path / "data.xlsx").write_bytes(b"PK")
    with pytest.raises(InvalidInput, match="cannot tell the format"):
        profile_file(tmp_path / "data.xlsx")
    (tmp_path / "bad.parquet").write_bytes(b"this is not parquet")
    with pytest.raises(InvalidInput, match="not a readable Parquet file"):
        profile_file(tmp_path / "bad.parquet")
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n3\n")
    with pytest.raises(InvalidInput, match="not a readable CSV file"):
        profile_file(tmp_path / "ragged.csv")
    (tmp_path / "dup.csv").write_text("a,a\n1,2\n")
    with pytest.raises(InvalidInput, match="duplicated column names: a"):
        profile_file(tmp_path / "dup.csv")
