"""The shared field types: one declaration, enforced and published alike."""

from __future__ import annotations

import re
from typing import Annotated

import pytest
from pydantic import BaseModel, Field, StrictStr, ValidationError

from shipyard.server.fields import BIG, WHOLE, Size, Text, except_pattern, except_words


class Sample(BaseModel):
    count: Annotated[int, Field(strict=True, ge=1, le=10), WHOLE]
    size: Size = 0
    note: Annotated[Text, Field(max_length=5)] = ""
    alias: Annotated[StrictStr, *except_words(["latest"])] = "x"
    lifetime: Annotated[StrictStr, *except_pattern("^0*$", "must be positive")] = "1"


def test_an_integral_float_is_an_integer_as_json_schema_says() -> None:
    assert Sample.model_validate_json('{"count": 10.0}').count == 10


@pytest.mark.parametrize("raw", ['{"count": 10.5}', '{"count": "10"}', '{"count": true}',
                                 '{"count": 11.0}', '{"count": 1, "size": 1e300}'])  # fmt: skip
def test_what_is_not_a_whole_number_in_range_is_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        Sample.model_validate_json(raw)


def test_bounds_reach_the_schema_as_json_schema_keywords() -> None:
    properties = Sample.model_json_schema()["properties"]
    assert (properties["count"]["minimum"], properties["count"]["maximum"]) == (1, 10)
    assert properties["size"]["maximum"] == BIG == float(BIG)  # a double holds it exactly
    assert properties["alias"]["not"] == {"enum": ["latest"]}
    assert properties["lifetime"]["not"] == {"pattern": "^0*$"}
    assert re.search(properties["note"]["pattern"], "a\x00b") is None


REFUSED = ['{"count": 1, "note": "a\\u0000"}', '{"count": 1, "alias": "latest"}',
           '{"count": 1, "lifetime": "000"}']  # fmt: skip


@pytest.mark.parametrize("raw", REFUSED)
def test_refused_values_are_refused_as_published(raw: str) -> None:
    with pytest.raises(ValidationError):
        Sample.model_validate_json(raw)
