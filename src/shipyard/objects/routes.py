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
from pydantic import BaseModel, ConfigDict, Field

from shipyard.context import Context
from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput
from shipyard.objects.exchange import ObjectExchange
from shipyard.objects.manifest import ChunkRef
from shipyard.server.fields import DIGEST, WHOLE, DigestText, ProjectName, path_segment
from shipyard.server.security import request_context

__all__ = ["router"]

router = APIRouter(tags=["objects"])
Ctx = Annotated[Context, Depends(request_context)]
Project = Annotated[ProjectName, Path()]
DigestPath = Annotated[str, Path(pattern=DIGEST)]
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


# {digest:digest}: …/objects/upload is never taken for a digest
path_segment("digest", DIGEST.removeprefix("^").removesuffix("$"))


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
    chunks: list[
        tuple[DigestText, Annotated[int, Field(strict=True, ge=1, le=2**32 - 1), WHOLE]]
    ] = Field(min_length=1, max_length=1_000_000)


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
    "/projects/{project}/objects/{digest:digest}",
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
    if not body:
        raise InvalidInput("the request body holds no objects",
                           hint="send frames: digest, u64 size, bytes")  # fmt: skip
    refs = await run_in_threadpool(ObjectExchange(ctx).put_many, project, body)
    return {"objects": len(refs), "bytes": sum(r.size for r in refs)}


@router.put(
    "/projects/{project}/objects/{digest:digest}/manifest",
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
    "/projects/{project}/objects/{digest:digest}",
    response_class=StreamingResponse,
    responses=_BINARY_ANSWER,
    summary="Download an object, whole or a byte range (Range: bytes=a-b)",
    description="A Range of another form (several ranges, a suffix, another unit) is "
    "ignored, as RFC 9110 allows: the answer is the whole object.",
)
def get_object(
    project: Project,
    digest: DigestPath,
    ctx: Ctx,
    range: Annotated[str | None, Header(max_length=100)] = None,
) -> Response:
    exchange = ObjectExchange(ctx)
    wanted = _parse_range(range)
    start, end = wanted or (0, None)
    backwards = end is not None and end < start  # invalid: RFC 9110 answers 416
    name = Digest.parse(digest)
    size, pieces = exchange.open(project, name, *((0, 0) if backwards else (start, end)))
    headers = {"Accept-Ranges": "bytes", "ETag": f'"{name.hex}"'}
    if wanted is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(pieces, media_type="application/octet-stream", headers=headers)
    if backwards or start >= size:
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


def _parse_range(header: str | None) -> tuple[int, int | None] | None:
    """``(start, end)`` of a single ``bytes=`` range; None to send the whole object."""
    match = _RANGE.match(header.strip()) if header is not None else None
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None
