"""Field types the HTTP API shares, each declared once for validation and for the schema.

A route's request model is the single statement of what the server accepts:
pydantic checks requests with it and ``/openapi.json`` is generated from it,
so a pattern, a bound or a forbidden value written here is both enforced and
published. Rules that live in the domain (project names, NUL-free text) are
imported from there, never copied.

Integers follow JSON Schema rather than Python: ``10.0`` is the integer 10
(JSON has one number type), while ``true`` and ``"10"`` are not integers.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictStr
from pydantic.config import JsonDict
from starlette.convertors import Convertor, register_url_convertor

from shipyard.core.project_names import PROJECT_NAME

__all__ = [
    "BIG",
    "DIGEST",
    "I64",
    "NO_NUL",
    "ONLY_DECLARED_KEYS",
    "WHOLE",
    "DigestText",
    "Pid",
    "ProjectName",
    "Size",
    "Text",
    "except_pattern",
    "except_words",
    "one_of",
    "path_segment",
]

NO_NUL = r"^[^\x00]*$"
"""Text PostgreSQL can store (it refuses NUL in text columns)."""


def _integral(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WHOLE = BeforeValidator(_integral)
"""Last in ``Annotated[int, Field(strict=True, ge=…, le=…), WHOLE]``: ``10.0`` is 10.

(Bounds given after a validator would reach the schema as unknown keywords.)"""

BIG = 2**53 - 1
"""The largest integer every JSON reader holds exactly (I-JSON, RFC 7493): readers that
take numbers as doubles (JavaScript, many checkers) agree on it, where 2**63 - 1 would
come back as 2**63, past SQL's BIGINT."""
I64 = Annotated[int, Field(strict=True, ge=-BIG, le=BIG), WHOLE]
"""A step or timestamp (64 bits, both signs)."""
Size = Annotated[int, Field(strict=True, ge=0, le=BIG), WHOLE]
Pid = Annotated[int, Field(strict=True, ge=0, le=2**31 - 1), WHOLE]

Text = Annotated[StrictStr, Field(pattern=NO_NUL)]
"""Text without NUL; give its length as ``Annotated[Text, Field(max_length=…)]``."""


ONLY_DECLARED_KEYS: JsonDict = {"additionalProperties": False}
"""For a ``dict`` whose key type has a pattern: pydantic publishes it as
``patternProperties``, which alone lets any other key through."""


def except_words(words: Collection[str]) -> tuple[AfterValidator, Any]:
    """Metadata refusing ``words`` (also published, as ``not: {enum: …}``)."""
    refused = sorted(words)

    def check(value: str) -> str:
        if value in refused:
            raise ValueError(f"{value!r} is reserved ({', '.join(refused)})")
        return value

    published: JsonDict = {"not": {"enum": list(refused)}}
    return AfterValidator(check), Field(json_schema_extra=published)


DIGEST = r"^(blake3:)?[0-9a-fA-F]{64}$"
"""A BLAKE3 digest as :meth:`~shipyard.core.digest.Digest.parse` reads it."""
DigestText = Annotated[StrictStr, Field(pattern=DIGEST)]


def except_pattern(pattern: str, why: str) -> tuple[AfterValidator, Any]:
    """Metadata refusing text that matches ``pattern`` (published as ``not: {pattern: …}``)."""
    refused = re.compile(pattern)

    def check(value: str) -> str:
        if refused.search(value):
            raise ValueError(why)
        return value

    published: JsonDict = {"not": {"pattern": pattern}}
    return AfterValidator(check), Field(json_schema_extra=published)


def one_of(words: Collection[str]) -> tuple[AfterValidator, Any]:
    """Metadata accepting only ``words`` (published as ``enum``), for keys of a mapping."""
    allowed = sorted(words)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {value!r} (known: {', '.join(allowed)})")
        return value

    published: JsonDict = {"enum": list(allowed)}
    return AfterValidator(check), Field(json_schema_extra=published)


def path_segment(name: str, pattern: str) -> None:
    """Let paths say ``{param:NAME}`` for a segment matching ``pattern`` alone.

    A route whose segment is this narrow never takes a sibling's name for a
    value (``…/objects/upload`` for a digest), so a method the sibling lacks is a
    405 naming what it takes, not a 422 from the wrong route.
    """

    class Segment(Convertor[str]):
        regex = pattern

        def convert(self, value: str) -> str:
            return value

        def to_string(self, value: str) -> str:
            return value

    register_url_convertor(name, Segment())


ProjectName = Annotated[StrictStr, Field(pattern=PROJECT_NAME.pattern, max_length=100)]
