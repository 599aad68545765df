"""Rows of a project archive: the store's JSON row codec, refusing with BadArchive."""

from __future__ import annotations

from shipyard.projects_io.archive import BadArchive
from shipyard.store.row_json import RowCodec as _StoreRowCodec

__all__ = ["RowCodec"]


class RowCodec(_StoreRowCodec):
    error = BadArchive
    source = "the archive"
