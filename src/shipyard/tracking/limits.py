"""What tracking accepts: key names, value sizes, numbers. Pure, cheap, one-line errors.

The limits are deliberately close to MLflow's so that code moving over keeps
working: keys up to 250 characters, param and tag values up to 8,000.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Sequence
from numbers import Real
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.core.relpath import check_relpath
from shipyard.tracking.entities import LogBatch, RunEnd, RunStart

__all__ = [
    "ARTIFACT_PATH_MAX",
    "KEY_MAX",
    "NAME_MAX",
    "VALUE_MAX",
    "check_artifact_path",
    "check_batch",
    "check_experiment_name",
    "check_key",
    "check_run_name",
    "check_step",
    "check_value",
    "is_finite_number",
    "metric_value",
    "param_text",
]

KEY_MAX = 250
VALUE_MAX = 8000
NAME_MAX = 250
STEP_MAX = 2**63 - 1

# Letters, digits and a few separators people use in metric names ("val/loss",
# "epoch.acc", "f1 macro"); no control characters, nothing a shell or the filter
# language would trip on except through backticks.
_KEY = re.compile(r"^[\w][\w\-./: ]*$")
_EXPERIMENT = re.compile(r"^[\w][\w\-. ]*$")


def check_key(key: object, what: str) -> str:
    """Return ``key`` if it can name a param, metric or tag; else raise :class:`InvalidInput`."""
    if not isinstance(key, str):
        raise InvalidInput(f"{what} name must be text, not {type(key).__name__}")
    if not key or len(key) > KEY_MAX or key != key.strip() or not _KEY.match(key):
        shown = key if len(key) <= 60 else key[:57] + "..."
        raise InvalidInput(
            f"invalid {what} name {shown!r}",
            hint=f"use up to {KEY_MAX} letters, digits, '_', '-', '.', '/', ':' or spaces, "
            "starting with a letter, digit or '_'",
        )
    return key


def param_text(key: str, value: object, what: str = "param") -> str:
    """A param or tag value as stored text; raises :class:`InvalidInput` past the limit."""
    if value is None:
        text = "None"
    elif isinstance(value, str):
        text = value
    elif isinstance(value, bool | int | float):
        text = repr(value) if isinstance(value, float) else str(value)
    else:
        text = str(value)
    return check_value(key, text, what)


def check_value(key: str, text: str, what: str) -> str:
    if len(text) > VALUE_MAX:
        raise InvalidInput(
            f"{what} {key!r} is {len(text):,} characters long; the limit is {VALUE_MAX:,}",
            hint="log large values as a file (an input or artifact) and keep the param short",
        )
    if "\x00" in text:
        raise InvalidInput(f"{what} {key!r} contains a NUL character")
    return text


def metric_value(key: str, value: Any) -> float:
    """``value`` as a float; NaN and infinities are kept. Raises for non-numbers."""
    if isinstance(value, float):
        return value
    if isinstance(value, bool) or not isinstance(value, Real):
        # numpy scalars are Real; strings, None, lists and bools are not metrics.
        shown = repr(value)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise InvalidInput(
            f"metric {key!r} must be a number, not {type(value).__name__} {shown}",
            hint="log text as a tag or a param",
        )
    try:
        return float(value)
    except (OverflowError, ValueError):
        raise InvalidInput(f"metric {key!r} is too large for a 64-bit float") from None


def check_step(key: str, step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, int):
        try:
            step = operator.index(step)  # numpy integers
        except TypeError:
            raise InvalidInput(
                f"step of metric {key!r} must be a whole number, not {type(step).__name__}"
            ) from None
    if not -STEP_MAX <= step <= STEP_MAX:
        raise InvalidInput(f"step of metric {key!r} does not fit in 64 bits")
    return int(step)


def check_experiment_name(name: object) -> str:
    if not isinstance(name, str) or not name or len(name) > NAME_MAX or not _EXPERIMENT.match(name):
        raise InvalidInput(
            f"invalid experiment name {name!r}",
            hint=f"use up to {NAME_MAX} letters, digits, '_', '-', '.' or spaces",
        )
    return name


def check_run_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        raise InvalidInput(
            f"invalid run name {name!r}", hint=f"use 1 to {NAME_MAX} printable characters"
        )
    if any(ch in name for ch in "\x00\n\r\t"):
        raise InvalidInput(f"invalid run name {name!r}", hint="no control characters")
    return name


def is_finite_number(text: str) -> float | None:
    """The float a param's text spells, when it spells a finite number; else None."""
    if not text or len(text) > 40:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def check_batch(batch: LogBatch) -> LogBatch:
    """Check every row of a batch that did not come through the SDK (the HTTP API).

    The SDK checks values at the line that logs them; a batch arriving over
    HTTP gets the same checks here. Returns the batch; raises :class:`InvalidInput`.
    """
    seen: set[str] = set()
    for _run_id, key, _value, step, stamp in batch.metrics:
        if key not in seen:
            check_key(key, "metric")
            seen.add(key)
        check_step(key, step)
        check_step(key, stamp)
    for what, rows in (("param", batch.params), ("tag", batch.tags)):
        for _run_id, key, value in rows:
            check_key(key, what)
            check_value(key, value, what)
    return batch


ARTIFACT_PATH_MAX = 1000


def check_outcomes(ends: Sequence[RunEnd], starts: Sequence[RunStart]) -> None:
    """Every outcome of a :meth:`write_runs` ends its run."""
    for item in [*(e.outcome for e in ends), *(s.outcome for s in starts if s.outcome)]:
        if not item.status.ended:
            raise InvalidInput("a run ends as finished, failed or killed")


def check_artifact_path(path: object) -> str:
    """``path`` if it names a file inside a run's artifacts; else raise :class:`InvalidInput`.

    At most 1,000 characters, and a safe relative path as every path from
    stored or received bytes must be (:func:`~shipyard.core.relpath.check_relpath`:
    no ``..``, no absolute path, no backslash or control character, no ``.git``
    or ``.shipyard`` folder), so a download can never write outside its folder.
    """
    if isinstance(path, str) and len(path) > ARTIFACT_PATH_MAX:
        raise InvalidInput(
            f"an artifact path must be 1 to {ARTIFACT_PATH_MAX} characters of text",
            hint="use a relative path such as 'plots/loss.png'",
        )
    return check_relpath(path, what="artifact path")
