"""HTTP content codings: gzip and deflate request bodies in, compressed answers out.

A compressed request body is decoded chunk by chunk as it arrives, and never
to more than the body limit: each ``decompress`` call is given the bytes still
allowed (plus one, to notice the excess), so a zip bomb costs at most the
limit before it is refused with 413. ``deflate`` is the zlib format (RFC 9110);
raw deflate streams, which some old clients send under that name, are read too.
"""

from __future__ import annotations

import zlib

from starlette.exceptions import HTTPException

from shipyard.core.errors import InvalidInput

__all__ = [
    "CODINGS",
    "MIN_COMPRESSED_SIZE",
    "BodyDecoder",
    "answer_coding",
    "compress",
    "request_coding",
    "too_large",
]

CODINGS = ("gzip", "deflate")
"""Content codings accepted on request bodies and offered on answers."""

MIN_COMPRESSED_SIZE = 500
"""Smaller answers go out as they are: compressing them saves less than it costs."""

_ALIASES = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}
_GZIP = 16 + zlib.MAX_WBITS


def too_large(max_bytes: int) -> str:
    return f"the request body is larger than the limit of {max_bytes:,} bytes"


def request_coding(header: bytes | None) -> str | None:
    """The body's coding from ``Content-Encoding`` (None: as is); 415 for any other."""
    if header is None:
        return None
    text = header.decode("latin-1").strip().lower()
    if text in ("", "identity"):
        return None
    coding = _ALIASES.get(text)
    if coding is None:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise HTTPException(
            415, f"content encoding {shown!r} is not supported: send gzip, deflate or none"
        )
    return coding


class BodyDecoder:
    """Decodes one gzip or deflate body fed in chunks, refusing it past ``max_bytes``."""

    def __init__(self, coding: str, max_bytes: int) -> None:
        self.coding = coding
        self.budget = max_bytes
        self.max_bytes = max_bytes
        self._head = b""
        self._inflate: zlib._Decompress | None = None
        if coding == "gzip":
            self._inflate = zlib.decompressobj(_GZIP)

    def feed(self, chunk: bytes) -> bytes:
        """The decoded bytes ``chunk`` completes; 413 past the limit, 400 for a broken stream."""
        if self._inflate is None:
            # deflate: the first two bytes tell the zlib format from a raw stream
            self._head += chunk
            if len(self._head) < 2:
                return b""
            chunk, self._head = self._head, b""
            self._inflate = zlib.decompressobj(
                zlib.MAX_WBITS if _is_zlib(chunk) else -zlib.MAX_WBITS
            )
        out: list[bytes] = []
        data = chunk
        while data:
            inflate = self._inflate
            if inflate.eof:
                if self.coding != "gzip":
                    raise InvalidInput("the deflate body has data after its end")
                inflate = self._inflate = zlib.decompressobj(_GZIP)  # another gzip member
            try:
                piece = inflate.decompress(data, self.budget + 1)
            except zlib.error as exc:
                raise InvalidInput(f"the {self.coding} body cannot be decoded: {exc}") from None
            self.budget -= len(piece)
            if self.budget < 0:
                raise HTTPException(413, too_large(self.max_bytes) + " once decompressed")
            out.append(piece)
            data = inflate.unconsumed_tail or (inflate.unused_data if inflate.eof else b"")
        return b"".join(out)

    def finish(self) -> None:
        """Raise :class:`InvalidInput` unless the stream ended where the body did."""
        if self._inflate is None or not self._inflate.eof:
            raise InvalidInput(f"the {self.coding} body ends before its stream does")


def _is_zlib(head: bytes) -> bool:
    return head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


def answer_coding(accept: bytes | None) -> str | None:
    """The coding to answer in, from the client's ``Accept-Encoding`` (gzip preferred)."""
    if not accept:
        return None
    allowed: dict[str, float] = {}
    for item in accept.decode("latin-1").lower().split(","):
        name, _, params = item.partition(";")
        quality = 1.0
        key, _, value = params.strip().partition("=")
        if key.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        allowed[name.strip()] = quality
    for coding in CODINGS:
        if allowed.get(coding, allowed.get("*", 0.0)) > 0:
            return coding
    return None


def compress(body: bytes, coding: str) -> bytes:
    # level 1: answers are compressed on the event loop, for the network's sake only
    packer = zlib.compressobj(1, zlib.DEFLATED, _GZIP if coding == "gzip" else zlib.MAX_WBITS)
    return packer.compress(body) + packer.flush()
