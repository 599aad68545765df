"""Local paths and tables of any version: ``shipyard.data.open`` and ``read_table``.

``open`` returns the work tree's own path when what is on disk is the version
asked for (checked through the stat cache, so it costs a ``stat``);
otherwise it materialises the version once, read-only, under
``.shipyard/cache/open/<digest>/`` and returns that path. The work tree is
never changed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.data.checkouts import require_objects
from shipyard.data.history import owner_of
from shipyard.data.workspace import DataWorkspace
from shipyard.workspace.destinations import Destinations

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["open_version", "read_table"]


def open_version(ws: DataWorkspace, given: str, *, rev: str | None = None) -> Path:
    name = ws.name_of(given)
    pointer, inner = owner_of(ws, name, rev)
    tree = ws.tree(pointer)
    if inner:
        entry = tree.by_path().get(inner)
        if entry is None:
            raise NotFound(f"{pointer.name} has no file {inner}")
        wanted_digest = entry.digest
    now = ws.current(pointer.name)
    if now is not None and now[1] == pointer.digest:
        return ws.path_of(name)
    if inner and now is not None:
        on_disk = now[2].by_path().get(inner)
        if on_disk is not None and on_disk.digest == wanted_digest:
            return ws.path_of(name)
    require_objects(ws, [pointer], [tree], rev)
    folder = ws.ctx.layout.dot_dir / "cache" / "open" / pointer.digest.hex
    target = folder / pointer.basename
    if not target.exists():
        scratch = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}")
        try:
            dest = scratch / pointer.basename
            if pointer.kind == "file":
                ws.store.get_file(pointer.digest, dest)
            else:
                inside = Destinations(dest, what=f"file of {pointer.name}")
                ws.store.get_files([(f.digest, inside.path(f.path)) for f in tree])
                dest.mkdir(parents=True, exist_ok=True)
            _read_only(dest)
            folder.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(OSError):  # another process made it meanwhile
                os.rename(scratch, folder)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return target if not inner else target.joinpath(*inner.split("/"))


def _read_only(path: Path) -> None:
    mode = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
    if path.is_file():
        os.chmod(path, mode)
        return
    for folder, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(folder, name), mode)


def read_table(
    path: Path, *, columns: list[str] | None = None, kind: Literal["pandas", "arrow"] = "pandas"
) -> pd.DataFrame | pa.Table:
    """Read a CSV/Parquet file (or a folder of Parquet files) into pandas or pyarrow."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.dataset as pads

    from shipyard.data.profiles import is_tabular

    if kind not in ("pandas", "arrow"):
        raise InvalidInput(f"kind must be 'pandas' or 'arrow', not {kind!r}")
    lower = path.name.lower()
    try:
        table: Any
        if path.is_dir() or lower.endswith((".parquet", ".pq", ".parq")):
            table = pads.dataset(path, format="parquet").to_table(columns=columns)
        elif is_tabular(path.name):
            options = pacsv.ParseOptions(delimiter="\t" if ".tsv" in lower else ",")
            convert = pacsv.ConvertOptions(include_columns=columns) if columns else None
            table = pacsv.read_csv(path, parse_options=options, convert_options=convert)
        else:
            raise InvalidInput(
                f"{path.name} is not a CSV or Parquet file", hint="open it with shipyard.data.open"
            )
    except (pa.ArrowInvalid, pa.ArrowKeyError, OSError) as exc:
        raise InvalidInput(f"cannot read {path.name} as a table: {exc}") from None
    return table if kind == "arrow" else table.to_pandas()
