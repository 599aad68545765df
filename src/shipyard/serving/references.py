"""gc roots of serving: the Parquet batches of the inference log and of feedback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from shipyard.objects.references import register_reference_source

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["inference_log_objects"]


def inference_log_objects(ctx: Context) -> Iterator[str]:
    from shipyard.serving.log_store import all_digests

    yield from all_digests(ctx)


register_reference_source("inference-log", inference_log_objects)
