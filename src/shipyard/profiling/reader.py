"""Stream a CSV or Parquet file in record batches, with bounded memory.

``scan(path, make_sink)`` opens the file, hands its Arrow schema to
``make_sink`` and feeds the sink every record batch. Parquet is read row group
by row group (a file or a folder of files); CSV is parsed in 4 MiB blocks.

CSV types are inferred from the first block, as Arrow does. When a later block
does not fit (``1`` in the first block, ``2.5`` or ``n/a`` further down), the
column is widened — integer or empty to float when the value is a number,
else to string — and the scan starts again with a new sink. At most one
restart per column and step, so the cost is bounded.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, Protocol, TypeVar

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from shipyard.core.errors import InvalidInput, NotFound

__all__ = ["BATCH_ROWS", "Progress", "Sink", "detect_format", "scan"]

BATCH_ROWS = 65_536
CSV_BLOCK_BYTES = 4 << 20
_PARQUET_BUFFER = 1 << 20

Format = Literal["parquet", "csv"]
Progress = Callable[[int, float | None], None]
"""Called as ``progress(rows_done, fraction_done)``; the fraction is None when unknown."""

_COMPRESSED = (".gz", ".bz2", ".zst", ".lz4")
_CONVERSION_ERROR = re.compile(
    r"In CSV column #(?P<column>\d+): (?:Row #\d+: )?"
    r"CSV conversion error to (?P<type>[\w\[\], ]+): invalid value '(?P<value>.*)'",
    re.DOTALL,
)


class Sink(Protocol):
    def update(self, batch: pa.RecordBatch) -> None: ...


S = TypeVar("S", bound=Sink)


def detect_format(path: Path) -> Format:
    """``parquet`` or ``csv`` from the path; :class:`InvalidInput` for anything else."""
    if path.is_dir():
        return "parquet"
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in (".parquet", ".pq", ".parq"):
        return "parquet"
    if last in (".csv", ".tsv", ".txt"):
        return "csv"
    raise InvalidInput(
        f"cannot tell the format of {path}",
        hint="use a .csv, .tsv or .parquet file (CSV may be .gz/.bz2/.zst compressed)",
    )


def scan(path: Path, make_sink: Callable[[pa.Schema], S], progress: Progress | None = None) -> S:
    """Feed every record batch of the file at ``path`` to a sink made from its schema."""
    if not path.exists():
        raise NotFound(f"no file or folder at {path}")
    fmt = detect_format(path)
    if fmt == "parquet":
        return _scan_parquet(path, make_sink, progress)
    overrides: dict[str, pa.DataType] = {}
    while True:
        try:
            return _scan_csv(path, make_sink, progress, overrides)
        except _Widen as widen:
            if overrides.get(widen.column) == widen.to:
                raise InvalidInput(f"{path}: column {widen.column!r} cannot be read") from None
            overrides[widen.column] = widen.to


# -- Parquet --------------------------------------------------------------------------


def _scan_parquet(path: Path, make_sink: Callable[[pa.Schema], S], progress: Progress | None) -> S:
    try:
        # Without pre-buffering and with a small buffered stream, memory follows the
        # batch, not the row group (a 1M-row × 20 row group: 190 MiB peak instead of 320).
        if path.is_dir():
            options = pads.ParquetFragmentScanOptions(
                pre_buffer=False, use_buffered_stream=True, buffer_size=_PARQUET_BUFFER
            )
            parquet = pads.ParquetFileFormat(default_fragment_scan_options=options)
            dataset = pads.dataset(path, format=parquet)
            schema, total = dataset.schema, dataset.count_rows()
            batches: Iterator[pa.RecordBatch] = iter(
                dataset.to_batches(batch_size=BATCH_ROWS, batch_readahead=2, fragment_readahead=1)
            )
        else:
            handle = pq.ParquetFile(path, pre_buffer=False, buffer_size=_PARQUET_BUFFER)
            schema, total = handle.schema_arrow, handle.metadata.num_rows
            batches = handle.iter_batches(batch_size=BATCH_ROWS)
        sink = make_sink(schema)
        done = 0
        for batch in batches:
            sink.update(batch)
            done += batch.num_rows
            if progress is not None:
                progress(done, done / total if total else 1.0)
        return sink
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise InvalidInput(f"{path} is not a readable Parquet file: {_first_line(exc)}") from exc


# -- CSV --------------------------------------------------------------------------------


class _Widen(Exception):
    def __init__(self, column: str, to: pa.DataType) -> None:
        super().__init__(column)
        self.column = column
        self.to = to


class _CountingFile:
    """A read-only file that counts the bytes read from it (for progress)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.read_bytes = 0
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.read_bytes += len(data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True
        self.raw.close()


@dataclass
class _Csv:
    path: Path
    overrides: dict[str, pa.DataType]

    @property
    def delimiter(self) -> str:
        names = [s.lower() for s in self.path.suffixes]
        return "\t" if ".tsv" in names else ","

    def open(self) -> tuple[_CountingFile, pacsv.CSVStreamingReader]:
        counter = _CountingFile(open(self.path, "rb"))  # noqa: SIM115 - closed by the caller
        stream: pa.NativeFile = pa.PythonFile(counter, mode="r")
        if self.path.suffix.lower() in _COMPRESSED:
            stream = pa.CompressedInputStream(stream, _codec(self.path.suffix.lower()))
        try:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
                parse_options=pacsv.ParseOptions(delimiter=self.delimiter),
                convert_options=pacsv.ConvertOptions(
                    column_types=self.overrides, strings_can_be_null=True
                ),
            )
        except BaseException:
            counter.close()
            raise
        return counter, reader


def _codec(suffix: str) -> str:
    return {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".lz4": "lz4"}[suffix]


def _scan_csv(
    path: Path,
    make_sink: Callable[[pa.Schema], S],
    progress: Progress | None,
    overrides: dict[str, pa.DataType],
) -> S:
    size = path.stat().st_size
    source = _Csv(path, overrides)
    try:
        counter, reader = source.open()
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(f"{path} is not a readable CSV file: {_first_line(exc)}") from exc
    try:
        schema = reader.schema
        sink = make_sink(schema)
        done = 0
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                raise _widening(exc, schema, path) from exc
            sink.update(batch)
            done += batch.num_rows
            if progress is not None:
                progress(done, min(1.0, counter.read_bytes / size) if size else 1.0)
        return sink
    except OSError as exc:
        raise InvalidInput(f"{path} is not a readable CSV file: {_first_line(exc)}") from exc
    finally:
        reader.close()
        counter.close()


def _widening(exc: pa.ArrowInvalid, schema: pa.Schema, path: Path) -> Exception:
    match = _CONVERSION_ERROR.search(str(exc))
    if match is None:
        return InvalidInput(f"{path} is not a readable CSV file: {_first_line(exc)}")
    column = schema.names[int(match["column"])]
    current = schema.field(column).type
    value = match["value"]
    numeric_before = pa.types.is_integer(current) or pa.types.is_null(current)
    return _Widen(column, pa.float64() if numeric_before and _is_number(value) else pa.string())


def _is_number(text: str) -> bool:
    try:
        return not math.isnan(float(text)) or text.strip().lower() in ("nan", "-nan", "+nan")
    except ValueError:
        return False


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
