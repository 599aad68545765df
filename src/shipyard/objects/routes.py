"""HTTP routes of object transfer (thin over :class:`ObjectExchange`).

Under ``/api/v1/projects/{project}/objects``: ask what the project lacks,
upload blobs (one per ``PUT``, or framed batches of small ones), record large
files as manifests of their chunks, download objects whole or by ``Range``, and
framed batches of small ones. Viewers read, contributors write; every read is
checked against the project's own objects (see docs/security.md).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from shipyard.context import Context
from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput
from shipyard.objects.exchange import ObjectExchange
from shipyard.objects.manifest import ChunkRef
from shipyard.server.security import request_context
from shipyard.store.projects import PROJECT_NAME

__all__ = ["router"]

router = APIRouter(tags=["objects"])
Ctx = Annotated[Context, Depends(request_context)]
Project = Annotated[str, Path(pattern=PROJECT_NAME.pattern, max_length=100)]
DigestText = Annotated[StrictStr, Field(pattern=r"^(blake3:)?[0-9a-fA-F]{64}$")]
DigestPath = Annotated[str, Path(pattern=r"^(blake3:)?[0-9a-fA-F]{64}$")]
MAX_DIGESTS = 10_000
_BINARY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}
_BINARY_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    },
    206: {
        "description": "Part of the object (Range)",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
}
_RANGE = re.compile(r"^bytes=(\d{1,19})-(\d{0,19})$")


class DigestsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    digests: list[DigestText] = Field(max_length=MAX_DIGESTS)


class MissingOut(BaseModel):
    missing: list[str]


class SummaryOut(BaseModel):
    digest: str
    size: int
    chunks: list[tuple[str, int]] | None = Field(description="[digest, size] of each chunk")


class SummariesOut(BaseModel):
    objects: list[SummaryOut]
    missing: list[str]


class ManifestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    chunks: list[tuple[DigestText, Annotated[StrictInt, Field(ge=1, le=2**32 - 1)]]] = Field(
        min_length=1, max_length=1_000_000
    )


class ObjectRefOut(BaseModel):
    digest: str
    size: int


class StoredOut(BaseModel):
    objects: int
    bytes: int


def _digests(texts: list[str]) -> list[Digest]:
    return [Digest.parse(t) for t in texts]


@router.post(
    "/projects/{project}/objects/missing",
    response_model=MissingOut,
    summary="Which of these objects the project lacks (what a push must send)",
)
def missing(project: Project, body: DigestsIn, ctx: Ctx) -> dict[str, list[str]]:
    absent = ObjectExchange(ctx).missing(project, _digests(body.digests))
    return {"missing": [d.hex for d in absent]}


@router.post(
    "/projects/{project}/objects/stat",
    response_model=SummariesOut,
    summary="Sizes and chunk lists of objects the project holds",
)
def stat(project: Project, body: DigestsIn, ctx: Ctx) -> dict[str, Any]:
    found, absent = ObjectExchange(ctx).summaries(project, _digests(body.digests))
    return {"objects": [s.to_dict() for s in found], "missing": [d.hex for d in absent]}


@router.put(
    "/projects/{project}/objects/{digest}",
    status_code=201,
    response_model=ObjectRefOut,
    openapi_extra=_BINARY,
    summary="Upload one object (its bytes must hash to DIGEST)",
)
async def put_object(
    project: Project, digest: DigestPath, request: Request, ctx: Ctx
) -> dict[str, Any]:
    data = await request.body()
    ref = await run_in_threadpool(ObjectExchange(ctx).put_blob, project, Digest.parse(digest), data)
    return {"digest": ref.digest.hex, "size": ref.size}


@router.post(
    "/projects/{project}/objects/upload",
    response_model=StoredOut,
    openapi_extra=_BINARY,
    summary="Upload many small objects as frames (digest, u64 size, bytes)",
)
async def upload_many(project: Project, request: Request, ctx: Ctx) -> dict[str, int]:
    body = await request.body()
    refs = await run_in_threadpool(ObjectExchange(ctx).put_many, project, body)
    return {"objects": len(refs), "bytes": sum(r.size for r in refs)}


@router.put(
    "/projects/{project}/objects/{digest}/manifest",
    status_code=201,
    response_model=ObjectRefOut,
    summary="Record a large object as its chunks (uploaded first; checked)",
)
def put_manifest(
    project: Project, digest: DigestPath, body: ManifestIn, ctx: Ctx
) -> dict[str, Any]:
    chunks = [ChunkRef(Digest.parse(d), size) for d, size in body.chunks]
    ref = ObjectExchange(ctx).put_manifest(project, Digest.parse(digest), chunks)
    return {"digest": ref.digest.hex, "size": ref.size}


@router.get(
    "/projects/{project}/objects/{digest}",
    response_class=StreamingResponse,
    responses=_BINARY_ANSWER,
    summary="Download an object, whole or a byte range (Range: bytes=a-b)",
)
def get_object(
    project: Project,
    digest: DigestPath,
    ctx: Ctx,
    range: Annotated[str | None, Header(max_length=100)] = None,
) -> Response:
    exchange = ObjectExchange(ctx)
    start, end = _parse_range(range)
    size, pieces = exchange.open(project, Digest.parse(digest), start, end)
    headers = {"Accept-Ranges": "bytes", "ETag": f'"{Digest.parse(digest).hex}"'}
    if range is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(pieces, media_type="application/octet-stream", headers=headers)
    if start >= size:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()
        headers["Content-Range"] = f"bytes */{size}"
        return Response(status_code=416, headers=headers)
    last = size - 1 if end is None else min(end, size - 1)
    headers["Content-Range"] = f"bytes {start}-{last}/{size}"
    headers["Content-Length"] = str(last - start + 1)
    return StreamingResponse(
        pieces, status_code=206, media_type="application/octet-stream", headers=headers
    )


@router.post(
    "/projects/{project}/objects/download",
    response_class=StreamingResponse,
    responses={200: _BINARY_ANSWER[200]},
    summary="Download many small objects as frames (digest, u64 size, bytes)",
)
def download_many(project: Project, body: DigestsIn, ctx: Ctx) -> Response:
    frames = ObjectExchange(ctx).fetch_many(project, _digests(body.digests))
    return StreamingResponse(frames, media_type="application/octet-stream")


def _parse_range(header: str | None) -> tuple[int, int | None]:
    if header is None:
        return 0, None
    match = _RANGE.match(header.strip())
    if match is None:
        raise InvalidInput(
            f"unsupported Range {header!r}",
            hint="ask for one range: bytes=START- or bytes=START-END",
        )
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else None
    if end is not None and end < start:
        raise InvalidInput(f"Range {header!r} ends before it starts")
    return start, end
