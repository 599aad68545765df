"""Drafting a regular expression that a set of sample strings all match.

Each value is cut into runs of one character class — upper-case letters,
lower-case letters, digits — or single other characters (kept literally).
If every sample has the same sequence of runs, the pattern is that sequence
with each run's length range: ``AB-1234`` and ``XY-99`` give
``[A-Z]{2}-[0-9]{2,4}``. If the cases differ, letters are merged
(``[A-Za-z]``) and tried again. Free text never shares one shape, so it gets
no pattern. Patterns use the common subset of RE2 and Python syntax.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MIN_SAMPLES", "infer_pattern"]

MIN_SAMPLES = 20
_METACHARACTERS = set("\\.^$*+?()[]{}|")
_CLASS_REGEX = {"A": "[A-Z]", "a": "[a-z]", "L": "[A-Za-z]", "9": "[0-9]"}


def _runs(value: str, merge_letters: bool) -> list[tuple[str, int]]:
    runs: list[tuple[str, int]] = []
    for char in value:
        if "A" <= char <= "Z":
            cls = "L" if merge_letters else "A"
        elif "a" <= char <= "z":
            cls = "L" if merge_letters else "a"
        elif "0" <= char <= "9":
            cls = "9"
        else:
            runs.append(("=" + char, 1))
            continue
        if runs and runs[-1][0] == cls:
            runs[-1] = (cls, runs[-1][1] + 1)
        else:
            runs.append((cls, 1))
    return runs


def _quantifier(low: int, high: int) -> str:
    if low == high:
        return "" if low == 1 else f"{{{low}}}"
    return f"{{{low},{high}}}"


def _shape(values: Sequence[str], merge_letters: bool) -> str | None:
    shapes = [_runs(v, merge_letters) for v in values]
    classes = [cls for cls, _ in shapes[0]]
    if any([cls for cls, _ in shape] != classes for shape in shapes[1:]):
        return None
    parts = []
    for i, cls in enumerate(classes):
        lengths = [shape[i][1] for shape in shapes]
        if cls.startswith("="):
            char = cls[1:]
            parts.append("\\" + char if char in _METACHARACTERS else char)
        else:
            parts.append(_CLASS_REGEX[cls] + _quantifier(min(lengths), max(lengths)))
    return "".join(parts)


def infer_pattern(values: Sequence[str]) -> str | None:
    """A pattern every value matches in full, or None if they share no simple shape."""
    values = [v for v in values if v]
    if len(values) < MIN_SAMPLES or len(set(values)) < 2:
        return None
    return _shape(values, merge_letters=False) or _shape(values, merge_letters=True)
