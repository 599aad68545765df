"""Rows of a backup: the store's JSON row codec, every column of the table, in order."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table

from shipyard.core.errors import InvalidInput
from shipyard.store.row_json import RowCodec as _StoreRowCodec

__all__ = ["RowCodec"]


class RowCodec(_StoreRowCodec):
    source = "the backup"

    def __init__(self, table: Table, columns: Sequence[str] | None = None) -> None:
        super().__init__(table, columns)
        expected = [column.name for column in table.columns]
        if self.columns != expected:  # a restore writes whole rows, as they were read
            raise InvalidInput(
                f"the backup's table {table.name} has columns {self.columns}, "
                f"this schema has {expected}"
            )
