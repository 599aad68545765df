"""Chunking and manifests: round trips (property-based), streaming equals whole, local edits."""

from __future__ import annotations

import io
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from shipyard.core.digest import digest_of
from shipyard.objects.chunking import ChunkParams, cut_points, iter_chunk_views, iter_chunks
from shipyard.objects.manifest import ChunkRef, Manifest

SMALL = ChunkParams(min_size=256, avg_size=1024, max_size=4096, threshold=4096)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=40_000), st.integers(min_value=1, max_value=20_000))
def test_chunks_join_back_to_the_content(data: bytes, block: int) -> None:
    chunks = list(iter_chunks(io.BytesIO(data), SMALL, block_size=block))
    assert b"".join(chunks) == data
    assert all(len(c) <= SMALL.max_size for c in chunks)


@settings(max_examples=30, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=50_000))
def test_streaming_cuts_like_chunking_the_whole(rnd: random.Random, block: int) -> None:
    data = rnd.randbytes(rnd.randint(0, 120_000))
    whole = [length for _, length in cut_points(data, SMALL)]
    streamed = [len(c) for c in iter_chunks(io.BytesIO(data), SMALL, block_size=block)]
    assert streamed == whole


def _pieces_seen(data: bytes, params: ChunkParams, block: int) -> bytes:
    """What ``on_piece`` saw while the chunks of ``data`` were taken (and released)."""
    seen = bytearray()
    for _view, release in iter_chunk_views(
        io.BytesIO(data), params, block_size=block, on_piece=seen.extend
    ):
        release()
    return bytes(seen)


@settings(max_examples=30, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=50_000))
def test_every_byte_reaches_on_piece_once_in_order(rnd: random.Random, block: int) -> None:
    data = rnd.randbytes(rnd.randint(0, 120_000))  # many blocks: carried chunks are not re-sent
    assert _pieces_seen(data, SMALL, block) == data


def test_a_large_stream_reaches_on_piece_whole() -> None:
    data = random.Random(3).randbytes(9 * 1024 * 1024 + 5)  # read in several pieces
    assert _pieces_seen(data, ChunkParams(), 4 * 1024 * 1024) == data


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.binary(min_size=1, max_size=64), st.integers(0, 2**32 - 1))))
def test_manifest_round_trips(parts: list[tuple[bytes, int]]) -> None:
    manifest = Manifest.of([ChunkRef(digest_of(p), size) for p, size in parts])
    assert Manifest.decode(manifest.encode(), "m") == manifest


def test_editing_the_middle_changes_only_nearby_chunks() -> None:
    rnd = random.Random(1)
    data = bytearray(rnd.randbytes(400_000))
    before = {digest_of(c) for c in iter_chunks(io.BytesIO(bytes(data)), SMALL)}
    data[200_000:201_000] = rnd.randbytes(1000)
    after = list(iter_chunks(io.BytesIO(bytes(data)), SMALL))
    new_bytes = sum(len(c) for c in after if digest_of(c) not in before)
    assert new_bytes < 12 * SMALL.max_size


def test_bad_chunk_sizes_are_refused() -> None:
    import pytest

    from shipyard.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        ChunkParams(min_size=4096, avg_size=1024, max_size=8192)
    with pytest.raises(InvalidInput):
        ChunkParams(threshold=10)
