"""Answer shapes of the history routes (pages of columns, downsampled summaries).

Documentation for ``/openapi.json``; the routes send ``HistoryPage.to_dict()``
and ``MetricSummary.to_dict()``, which have these shapes. Values are numbers,
or ``"nan"``, ``"inf"`` and ``"-inf"`` (JSON has no such numbers).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["HistoryPageOut", "MetricBucketOut", "MetricSummaryOut", "SummaryPointOut"]


class HistoryPageOut(BaseModel):
    key: str
    steps: list[int]
    timestamps: list[int] = Field(description="milliseconds since the epoch")
    values: list[float | str]
    next_cursor: str | None = Field(
        description="pass as `after` for the next page; null on the last page"
    )


class SummaryPointOut(BaseModel):
    step: int
    timestamp_ms: int
    value: float | str


class MetricBucketOut(BaseModel):
    start_step: int
    end_step: int = Field(description="the last step the bucket covers (included)")
    count: int
    first: SummaryPointOut
    last: SummaryPointOut
    min: SummaryPointOut = Field(description="lowest value, NaN ignored; the earliest of equals")
    max: SummaryPointOut = Field(description="highest value, NaN ignored; the earliest of equals")


class MetricSummaryOut(BaseModel):
    key: str
    start_step: int | None
    end_step: int | None
    bucket_steps: int
    count: int = Field(description="values in the range")
    buckets: list[MetricBucketOut] = Field(description="buckets holding values, by step")
