"""MLflow's search filters and orderings in Shipyard's query language.

The two languages share their grammar (``metrics.x > 1 and params.y = 'a'``,
backquoted keys, ``asc``/``desc``); MLflow names a few run attributes
differently and spells statuses in capitals. Anything else goes through as it
is, and Shipyard's parser points at what it does not take.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["mlflow_filter", "mlflow_order_by"]

_ATTRIBUTES = {
    "run_id": "id",
    "run_name": "name",
    "user_id": "user",
    "status": "status",
    "start_time": "start_time",
    "end_time": "end_time",
}
# An attribute as MLflow names it: `attributes.run_name`, `attribute.status`, `run_id`…
_ATTRIBUTE = re.compile(
    r"(?<![\w.`])(?:attributes?\.)?`?(run_id|run_name|user_id|status)`?(?![\w.`])"
)
_RUN_NAME_TAG = re.compile(r"tags\.`mlflow\.runName`|tags\.mlflow\.runName")
_STATUS_VALUE = re.compile(r"'(RUNNING|FINISHED|FAILED|KILLED|SCHEDULED)'")


def _outside_strings(text: str, rewrite: re.Pattern[str], replace: str | None) -> str:
    """Apply ``rewrite`` to the parts of ``text`` outside quoted strings."""
    parts = re.split(r"('(?:[^']|'')*'|\"[^\"]*\")", text)
    for i in range(0, len(parts), 2):
        if replace is None:
            parts[i] = rewrite.sub(lambda m: _ATTRIBUTES[m.group(1)], parts[i])
        else:
            parts[i] = rewrite.sub(replace, parts[i])
    return "".join(parts)


def mlflow_filter(text: str) -> str:
    text = _outside_strings(text, _RUN_NAME_TAG, "name")
    text = _outside_strings(text, _ATTRIBUTE, None)
    return _STATUS_VALUE.sub(lambda m: f"'{m.group(1).lower()}'", text)


def mlflow_order_by(keys: Sequence[str]) -> str:
    return ", ".join(_outside_strings(k, _ATTRIBUTE, None) for k in keys)
