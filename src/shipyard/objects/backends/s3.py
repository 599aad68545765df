"""A backend in an S3 bucket (AWS S3, MinIO, moto, any S3-compatible endpoint).

Credentials come from the standard AWS chain (environment, shared files,
instance roles); ``endpoint_url`` and ``region`` select the service. Every
value is written with a single PUT, which S3 makes visible all at once:
records are at most a pack (16 MiB) or a chunk (4 MiB), far below the 5 GiB
single-PUT limit, so no multipart upload is ever left half-done. boto3 is
imported only when an S3 store is opened (``pip install 'shipyard[s3]'``).
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from shipyard.core.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    ShipyardError,
    Unauthenticated,
    Unavailable,
)
from shipyard.objects.backends.base import Data, KeyInfo, RequestCounter, as_bytes

__all__ = ["S3Backend", "S3Location", "parse_s3_url"]

_DELETE_BATCH = 1000


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str
    """Empty, or ends with ``/``."""

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")


def parse_s3_url(url: str) -> S3Location:
    """``s3://bucket/some/prefix`` → bucket and prefix; raises :class:`InvalidInput`."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise InvalidInput(f"{url!r} is not an S3 URL", hint="write s3://bucket/prefix")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise InvalidInput(
            f"{url!r} is not a plain S3 URL",
            hint="write s3://bucket/prefix; credentials come from the AWS chain",
        )
    prefix = parts.path.strip("/")
    return S3Location(parts.netloc, prefix + "/" if prefix else "")


def _boto3() -> Any:
    try:
        import boto3
        import botocore.config
    except ImportError:
        raise InvalidInput(
            "S3 object stores need boto3, which is not installed",
            hint="pip install 'shipyard[s3]'",
        ) from None
    return boto3, botocore.config


class S3Backend:
    """Keys live under ``prefix`` in ``bucket``."""

    def __init__(
        self,
        url: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        max_connections: int = 32,
    ) -> None:
        self.location = parse_s3_url(url)
        self.url = self.location.url
        self.remote = True
        boto3, config = _boto3()
        self._counter = RequestCounter()
        try:
            session = boto3.session.Session()
            self.client = session.client(
                "s3",
                endpoint_url=endpoint_url or None,
                region_name=region or None,
                config=config.Config(
                    max_pool_connections=max_connections,
                    retries={"mode": "standard", "max_attempts": 5},
                    connect_timeout=10,
                    read_timeout=60,
                ),
            )
        except Exception as exc:  # botocore raises many kinds for bad endpoints or regions
            raise InvalidInput(f"cannot set up S3 for {self.url}: {exc}") from exc
        self.client.meta.events.register("before-send.s3", self._count_request)

    def __repr__(self) -> str:
        return f"S3Backend({self.url!r})"

    def _count_request(self, **_kwargs: Any) -> None:
        self._counter.add()

    @property
    def requests(self) -> int:
        return self._counter.value

    def _key(self, key: str) -> str:
        return self.location.prefix + key

    def read(self, key: str, start: int = 0, length: int | None = None) -> bytes:
        args: dict[str, Any] = {"Bucket": self.location.bucket, "Key": self._key(key)}
        if length is not None:
            if length == 0:
                return b""
            args["Range"] = f"bytes={start}-{start + length - 1}"
        elif start:
            args["Range"] = f"bytes={start}-"
        with self._errors(key):
            body = self.client.get_object(**args)["Body"]
            try:
                data: bytes = body.read()
            finally:
                body.close()
        if length is not None and len(data) != length:
            raise NotFound(f"{key} in {self.url} is shorter than expected")
        return data

    def write(self, key: str, data: Data) -> None:
        body = bytes(as_bytes(data))
        with self._errors(key):
            self.client.put_object(Bucket=self.location.bucket, Key=self._key(key), Body=body)

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def stat(self, key: str) -> KeyInfo | None:
        try:
            with self._errors(key):
                head = self.client.head_object(Bucket=self.location.bucket, Key=self._key(key))
        except NotFound:
            return None
        return KeyInfo(key, int(head["ContentLength"]), head["LastModified"].timestamp())

    def list(self, prefix: str = "") -> Iterator[KeyInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        strip = len(self.location.prefix)
        with self._errors(prefix or "/"):
            pages = paginator.paginate(Bucket=self.location.bucket, Prefix=self._key(prefix))
            for page in pages:
                for item in page.get("Contents", ()):
                    key = item["Key"][strip:]
                    yield KeyInfo(key, int(item["Size"]), item["LastModified"].timestamp())

    def delete(self, key: str) -> None:
        with self._errors(key):
            self.client.delete_object(Bucket=self.location.bucket, Key=self._key(key))

    def delete_many(self, keys: Iterable[str]) -> None:
        batch: typing.List[str] = []  # noqa: UP006 - ``list`` is a method here
        for key in keys:
            batch.append(key)
            if len(batch) == _DELETE_BATCH:
                self._delete_batch(batch)
                batch = []
        if batch:
            self._delete_batch(batch)

    def _delete_batch(self, keys: Sequence[str]) -> None:
        with self._errors(keys[0]):
            answer = self.client.delete_objects(
                Bucket=self.location.bucket,
                Delete={"Objects": [{"Key": self._key(k)} for k in keys], "Quiet": True},
            )
        errors = answer.get("Errors") or []
        if errors:
            first = errors[0]
            raise Unavailable(
                f"S3 refused to delete {len(errors)} key(s) in {self.url}, e.g. "
                f"{first.get('Key')}: {first.get('Code')}"
            )

    def close(self) -> None:
        self.client.close()

    def _errors(self, key: str) -> _Translate:
        return _Translate(self.url, key)


class _Translate:
    """Turn botocore exceptions into Shipyard's error tree (no secrets in messages)."""

    def __init__(self, url: str, key: str) -> None:
        self.url = url
        self.key = key

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, _tb: Any
    ) -> None:
        if exc is None or isinstance(exc, ShipyardError) or not isinstance(exc, Exception):
            return
        raise _translate(exc, self.url, self.key) from exc


def _translate(exc: Exception, url: str, key: str) -> ShipyardError:
    import botocore.exceptions as bex

    if isinstance(exc, bex.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("NoSuchKey", "404", "NotFound") or (status == 404 and code != "NoSuchBucket"):
            return NotFound(f"{key} does not exist in {url}")
        if code == "NoSuchBucket":
            return NotFound(
                f"the S3 bucket of {url} does not exist", hint="create the bucket first"
            )
        if code in ("AccessDenied", "403", "Forbidden", "AllAccessDisabled"):
            return PermissionDenied(
                f"S3 denied access to {url}", hint="check the credentials' permissions"
            )
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"):
            return Unauthenticated(
                f"S3 rejected the credentials used for {url} ({code})",
                hint="check AWS_ACCESS_KEY_ID / AWS_PROFILE and the secret",
            )
        message = error.get("Message") or code or str(status)
        return Unavailable(f"S3 request for {key} in {url} failed: {message}")
    if isinstance(exc, bex.NoCredentialsError):
        return Unauthenticated(
            f"no AWS credentials found for {url}",
            hint="set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE",
        )
    if isinstance(exc, bex.EndpointConnectionError | bex.ConnectionError | bex.ReadTimeoutError):
        return Unavailable(
            f"cannot reach the S3 endpoint for {url}",
            hint="check the endpoint URL and the network",
        )
    if isinstance(exc, bex.BotoCoreError):
        return Unavailable(f"S3 request for {key} in {url} failed: {exc}")
    return Unavailable(f"S3 request for {key} in {url} failed: {type(exc).__name__}: {exc}")
