"""Request bodies of both protocols: one content-type rule, bounded reads, content codings.

The rule (``media_type``): the media type must be one the route takes, and a
``charset`` parameter, when given, must be UTF-8 (415 otherwise), on every
route alike. ``read_body`` enforces the body limit on what arrives and, for a
gzip or deflate body, on what it decodes to (``shipyard.serving.codings``).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from shipyard.core.errors import InvalidInput
from shipyard.serving.codings import BodyDecoder, request_coding, too_large

__all__ = ["media_type", "read_body"]


def media_type(headers: dict[bytes, bytes], accepted: tuple[str, ...]) -> str:
    """The request's media type (lower case) when ``accepted`` holds it; 415 otherwise.

    ``""`` in ``accepted`` lets a request without ``Content-Type`` through.
    """
    header = headers.get(b"content-type", b"").decode("latin-1")
    if header == "application/json" and header in accepted:
        return header  # the common case, parsed for nothing
    media, *parameters = (part.strip() for part in header.split(";"))
    media = media.lower()
    if media not in accepted:
        shown = " or ".join(a for a in accepted if a)
        raise HTTPException(
            415, f"content type {media or '(none)'!r} is not accepted: send {shown}"
        )
    for parameter in parameters:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
            if charset not in ("utf-8", "utf8"):
                raise HTTPException(415, f"only UTF-8 bodies are accepted, not {charset!r}")
    return media


async def read_body(request: Request, headers: dict[bytes, bytes], max_bytes: int) -> bytes:
    """The whole (decoded) body; 413 before reading when Content-Length says it is too
    large, or as soon as the body, or what it decodes to, grows past the limit."""
    coding = request_coding(headers.get(b"content-encoding"))
    length = headers.get(b"content-length")
    if length is not None:
        if not length.isdigit():
            raise InvalidInput("Content-Length is not a number")
        if int(length) > max_bytes:
            raise HTTPException(413, too_large(max_bytes))
    decoder = BodyDecoder(coding, max_bytes) if coding is not None else None
    chunks: list[bytes] = []
    seen = 0
    while True:
        message = await request.receive()
        if message["type"] != "http.request":
            raise InvalidInput("the client went away before sending the whole body")
        chunk: bytes = message.get("body", b"")
        seen += len(chunk)
        if seen > max_bytes:
            raise HTTPException(413, too_large(max_bytes))
        if decoder is not None:
            chunk = decoder.feed(chunk)
        more = message.get("more_body", False)
        if not more and not chunks:
            if decoder is not None:
                decoder.finish()
            return chunk
        chunks.append(chunk)
        if not more:
            if decoder is not None:
                decoder.finish()
            return b"".join(chunks)
