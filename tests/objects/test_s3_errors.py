"""S3 failures reach the user as one clear Shipyard error, never a botocore traceback."""

from __future__ import annotations

import socket

import pytest

from shipyard.core.errors import NotFound, Unavailable
from shipyard.objects import open_store
from shipyard.objects.backends.s3 import S3Backend, parse_s3_url


def test_a_missing_bucket_is_named(s3_endpoint: str, s3_bucket: str) -> None:
    with pytest.raises(NotFound, match="bucket of s3://no-such-bucket-here/x does not exist"):
        open_store("s3://no-such-bucket-here/x", endpoint_url=s3_endpoint)


def test_an_unreachable_endpoint_is_unavailable(s3_bucket: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = S3Backend("s3://bucket/x", endpoint_url=f"http://127.0.0.1:{port}")
    with pytest.raises(Unavailable, match="cannot reach the S3 endpoint"):
        backend.read("shipyard-store.json")


def test_urls_are_parsed_strictly() -> None:
    assert parse_s3_url("s3://bucket/a/b/").prefix == "a/b/"
    assert parse_s3_url("s3://bucket").prefix == ""
