"""Names in the model registry: model names, alias names, and ``models:/`` references.

A reference names one version of a registered model::

    models:/churn/3             version 3
    models:/churn@production    the version the alias ``production`` points at
    models:/churn@latest        the newest version (``latest`` is computed, never set)

The CLI accepts the same without the scheme (``churn/3``, ``churn@production``);
a bare name (``churn``) names the model itself. Pure: parsing only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shipyard.core.errors import InvalidInput

__all__ = [
    "ALIAS_PATTERN",
    "LATEST",
    "MODEL_NAME_PATTERN",
    "MODEL_URI_SCHEME",
    "RESERVED_ALIASES",
    "ModelRef",
    "check_alias",
    "check_model_name",
    "parse_version",
]

MODEL_URI_SCHEME = "models:/"
LATEST = "latest"
RESERVED_ALIASES = frozenset({LATEST, "all", "none", "new", "versions", "head"})
"""Alias names Shipyard gives a meaning itself (or keeps for later): never set by users."""

MODEL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
ALIAS_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


def check_model_name(name: object) -> str:
    """``name`` if it is a valid registered-model name, else :class:`InvalidInput`."""
    if not isinstance(name, str) or not MODEL_NAME_PATTERN.match(name):
        raise InvalidInput(
            f"invalid model name {name!r}",
            hint="use up to 100 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return name


def check_alias(alias: object) -> str:
    """``alias`` if users may set it; reserved words and malformed names are refused."""
    if not isinstance(alias, str) or not ALIAS_PATTERN.match(alias):
        raise InvalidInput(
            f"invalid alias name {alias!r}",
            hint="use lower-case letters, digits, '_' or '-', starting with a letter "
            "(e.g. staging, production, champion)",
        )
    if alias in RESERVED_ALIASES:
        raise InvalidInput(
            f"{alias!r} is a reserved alias name and cannot be set",
            hint=f"reserved: {', '.join(sorted(RESERVED_ALIASES))}; "
            f"'{LATEST}' always means the newest version",
        )
    return alias


@dataclass(frozen=True)
class ModelRef:
    """A model, or one of its versions by number or by alias."""

    name: str
    version: int | None = None
    alias: str | None = None

    @classmethod
    def parse(cls, text: object, *, require_version: bool = False) -> ModelRef:
        """Read ``models:/NAME/N``, ``models:/NAME@ALIAS``, or the same without the scheme.

        With ``require_version`` a bare name is refused. Raises :class:`InvalidInput`.
        """
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput(f"{text!r} is not a model reference", hint=_FORMS)
        body = text.strip()
        if body.startswith(MODEL_URI_SCHEME):
            body = body[len(MODEL_URI_SCHEME) :]
        elif "://" in body or body.startswith("models:"):
            raise InvalidInput(f"{text!r} is not a model reference", hint=_FORMS)
        ref: ModelRef
        if "@" in body:
            name, _, alias = body.partition("@")
            alias = alias.strip()
            if alias != LATEST:
                _check_alias_syntax(alias, text)
            ref = cls(check_model_name(name), alias=alias)
        elif "/" in body:
            name, _, number = body.partition("/")
            ref = cls(check_model_name(name), version=_version_number(number, text))
        else:
            ref = cls(check_model_name(body))
        if require_version and ref.is_model:
            raise InvalidInput(f"{text!r} names a model, not one of its versions", hint=_FORMS)
        return ref

    @property
    def is_model(self) -> bool:
        """True when the reference names the model itself, not one version."""
        return self.version is None and self.alias is None

    @property
    def is_latest(self) -> bool:
        return self.alias == LATEST

    @property
    def uri(self) -> str:
        return MODEL_URI_SCHEME + str(self)

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}/{self.version}"
        if self.alias is not None:
            return f"{self.name}@{self.alias}"
        return self.name


_FORMS = "use models:/NAME/VERSION, models:/NAME@ALIAS or models:/NAME@latest"


def _check_alias_syntax(alias: str, text: str) -> None:
    if not ALIAS_PATTERN.match(alias):
        raise InvalidInput(f"invalid alias in model reference {text!r}", hint=_FORMS)


def _version_number(number: str, text: str) -> int:
    if not number.isdigit() or int(number) < 1 or len(number) > 9:
        raise InvalidInput(
            f"invalid version in model reference {text!r}",
            hint="versions are whole numbers from 1: " + _FORMS,
        )
    return int(number)


def parse_version(text: object) -> int:
    """A version number given on its own (CLI argument); :class:`InvalidInput` otherwise."""
    value = str(text).strip()
    if not value.isdigit() or int(value) < 1 or len(value) > 9:
        raise InvalidInput(f"invalid model version {text!r}", hint="versions are 1, 2, 3…")
    return int(value)
