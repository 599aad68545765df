"""Ground-truth labels sent after the fact: ``POST /v2/models/{name}/feedback``.

Body: one item or ``{"feedback": [item, …]}`` (at most 10,000), where an item is
``{"request_id": "…", "label": value}`` (every row of that request, or the one
row named by ``"row": n``) or ``{"request_id": "…", "labels": [v0, v1, …]}`` (one
label per row, in order). The request id is the ``X-Request-Id`` a prediction
answered with (or the OIP ``id``). Labels are stored like the inference log,
kind ``feedback`` (see :mod:`shipyard.serving.log_store`); monitoring joins the
two on ``_request_id`` and ``_row``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shipyard.core.errors import InvalidInput

__all__ = ["MAX_ITEMS", "feedback_columns"]

MAX_ITEMS = 10_000
_SCALARS = (str, int, float, bool)


def feedback_columns(body: object) -> dict[str, list[Any]]:
    """The label records of a feedback body; :class:`InvalidInput` naming the bad field."""
    items = body.get("feedback") if isinstance(body, dict) and "feedback" in body else [body]
    if not isinstance(items, list) or not items:
        raise InvalidInput("'feedback' must be a non-empty list of items")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"at most {MAX_ITEMS:,} feedback items per request")
    now = datetime.now(UTC)
    columns: dict[str, list[Any]] = {"_request_id": [], "_row": [], "_time": [], "label": []}
    for index, item in enumerate(items):
        where = f"feedback item {index}" if len(items) > 1 else "the feedback"
        if not isinstance(item, dict):
            raise InvalidInput(f"{where} must be an object with request_id and label")
        request_id = item.get("request_id")
        if not isinstance(request_id, str) or not request_id or len(request_id) > 128:
            raise InvalidInput(f"{where}: 'request_id' must be the id a prediction answered with")
        if "labels" in item:
            labels = item["labels"]
            if not isinstance(labels, list) or not labels:
                raise InvalidInput(f"{where}: 'labels' must be a non-empty list (one per row)")
            rows = list(range(len(labels)))
        elif "label" in item:
            labels = [item["label"]]
            row = item.get("row", -1)
            if not isinstance(row, int) or isinstance(row, bool) or row < -1:
                raise InvalidInput(f"{where}: 'row' must be a row number (0 is the first)")
            rows = [row]
        else:
            raise InvalidInput(f"{where} has no 'label' (or 'labels')")
        for label in labels:
            if label is not None and not isinstance(label, _SCALARS):
                raise InvalidInput(f"{where}: a label must be a number, a string or a boolean")
        columns["_request_id"].extend([request_id] * len(labels))
        columns["_row"].extend(rows)
        columns["_time"].extend([now] * len(labels))
        columns["label"].extend(labels)
    return columns
