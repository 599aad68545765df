"""Model names, aliases and ``models:/`` references."""

from __future__ import annotations

import pytest

from shipyard.core.errors import InvalidInput
from shipyard.core.model_ref import RESERVED_ALIASES, ModelRef, check_alias, check_model_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("models:/churn/3", ModelRef("churn", version=3)),
        ("models:/churn@production", ModelRef("churn", alias="production")),
        ("models:/churn@latest", ModelRef("churn", alias="latest")),
        ("churn/12", ModelRef("churn", version=12)),
        ("churn@staging", ModelRef("churn", alias="staging")),
        ("fraud.v2-eu", ModelRef("fraud.v2-eu")),
    ],
)
def test_references_parse(text: str, expected: ModelRef) -> None:
    parsed = ModelRef.parse(text)
    assert parsed == expected
    assert ModelRef.parse(parsed.uri) == parsed


@pytest.mark.parametrize(
    "text",
    [
        "", "models:/", "models:/churn/0", "models:/churn/-1", "models:/churn/x",
        "models:/churn@", "models:/churn@Prod!", "s3://bucket/churn", "models:churn/1",
        "../etc/passwd", "churn/1/2", "a b", "models:/@prod",
    ],
)  # fmt: skip
def test_malformed_references_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        ModelRef.parse(text)


def test_a_bare_name_is_the_model_and_may_be_refused_where_a_version_is_needed() -> None:
    assert ModelRef.parse("churn").is_model
    with pytest.raises(InvalidInput, match="names a model, not one of its versions"):
        ModelRef.parse("churn", require_version=True)


def test_reserved_and_malformed_aliases_are_refused() -> None:
    assert check_alias("production") == "production"
    for word in sorted(RESERVED_ALIASES):
        with pytest.raises(InvalidInput, match="reserved alias"):
            check_alias(word)
    for bad in ("Production", "1st", "", "a" * 64, "pro duction", "prod/1"):
        with pytest.raises(InvalidInput, match="invalid alias"):
            check_alias(bad)


def test_model_names() -> None:
    assert check_model_name("churn-v2.1") == "churn-v2.1"
    for bad in ("", "-x", "a/b", "a@b", "x" * 101, None):
        with pytest.raises(InvalidInput):
            check_model_name(bad)
