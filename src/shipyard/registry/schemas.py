"""The request bodies of the model registry's HTTP routes: what the server accepts, once.

Pydantic checks requests against these models and ``/openapi.json`` is made
from them, so each pattern and bound here is both enforced and published.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StrictFloat, StrictStr

from shipyard.core.model_ref import ALIAS_PATTERN, RESERVED_ALIASES
from shipyard.registry.aliases import REASON_MAX
from shipyard.registry.entities import CARD_FIELDS
from shipyard.registry.gates.scoring import METRICS
from shipyard.registry.service import CARD_FIELD_MAX
from shipyard.registry.version_rules import DESCRIPTION_MAX, MAX_FILES, SOURCES
from shipyard.server.fields import (
    BIG,
    ONLY_DECLARED_KEYS,
    WHOLE,
    Size,
    Text,
    except_words,
    one_of,
)

__all__ = [
    "REASON_MAX",
    "AliasMove",
    "AliasName",
    "ApprovalIn",
    "CardFields",
    "EvaluationIn",
    "NewVersion",
    "PromotionIn",
    "ReasonIn",
    "SettableAlias",
    "StoredVersion",
]

FiniteFloat = Annotated[StrictFloat, Field(allow_inf_nan=False)]
AliasName = Annotated[StrictStr, Field(pattern=ALIAS_PATTERN.pattern)]
SettableAlias = Annotated[AliasName, *except_words(RESERVED_ALIASES)]
"""An alias users may set: not ``latest`` nor another reserved word."""
Reason = Annotated[Text, Field(max_length=REASON_MAX)]
BASE64 = r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


class NewVersion(BaseModel):
    files: dict[
        Annotated[Text, Field(min_length=1, max_length=4096)],
        Annotated[StrictStr, Field(pattern=BASE64)],
    ] = Field(
        min_length=1,
        max_length=MAX_FILES,
        json_schema_extra=ONLY_DECLARED_KEYS,
        description="The model directory: relative path → base64 content "
        "(shipyard-model.json, the flavor's files, model.sig if signed).",
    )
    description: Annotated[Text, Field(max_length=DESCRIPTION_MAX)] = ""


class StoredFile(BaseModel):
    path: Annotated[Text, Field(min_length=1, max_length=4096)]
    blake3: Annotated[StrictStr, Field(pattern="^[0-9a-f]{64}$")]
    size: Size


class StoredVersion(BaseModel):
    files: list[StoredFile] = Field(
        min_length=1,
        max_length=MAX_FILES,
        description="Every file of the model directory (shipyard-model.json, the flavor's "
        "files, model.sig if signed), each already uploaded to the project's objects.",
    )
    run_id: Annotated[Text, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="The run that made it: the server records its "
        "lineage from its own record of the run, which must be in this project.",
    )  # fmt: skip
    description: Annotated[Text, Field(max_length=DESCRIPTION_MAX)] = ""
    source: Annotated[StrictStr, *one_of(SOURCES)] = "sdk"


class AliasMove(BaseModel):
    version: Annotated[int, Field(strict=True, ge=1, le=999_999_999), WHOLE]
    reason: Reason = ""


class ReasonIn(BaseModel):
    reason: Reason = ""


class ApprovalIn(BaseModel):
    alias: SettableAlias
    note: Annotated[Text, Field(max_length=2000)] = ""


class PromotionIn(BaseModel):
    alias: SettableAlias
    dry_run: StrictBool = False
    reason: Reason = ""


class EvaluationIn(BaseModel):
    data_path: Annotated[Text, Field(min_length=1, max_length=4096)] = Field(
        description="The file, as the client names it (a record: the server never reads it).",
    )
    data_digest: Annotated[StrictStr, Field(pattern="^[0-9a-f]{64}$")] = Field(
        description="The file's BLAKE3."
    )
    rows: Annotated[int, Field(strict=True, ge=1, le=BIG), WHOLE]
    target: Annotated[Text, Field(min_length=1, max_length=250)]
    metrics: dict[Annotated[StrictStr, *one_of(METRICS)], FiniteFloat] = Field(
        max_length=len(METRICS), description="Metric → value: " + ", ".join(METRICS) + "."
    )
    source: Literal["evaluate"] = Field(
        default="evaluate",
        description="Only `evaluate`: `gate` marks the scores a promotion gate measured here.",
    )


class CardFields(BaseModel):
    fields: dict[
        Annotated[StrictStr, *one_of(CARD_FIELDS)],
        Annotated[Text, Field(max_length=CARD_FIELD_MAX)] | None,
    ] = Field(
        description="Editable card fields (overview, intended_use, users, limitations, "
        "tradeoffs, ethical_considerations, owners, license); null or '' clears one."
    )
