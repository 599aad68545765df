"""The content-addressed object store (see docs/objects.md).

Public interface for other domains::

    ref = ctx.objects.put_file(path)            # ObjectRef(digest, size)
    ctx.objects.get_file(ref.digest, dest)      # atomic, verified
    remote = open_remote(ctx.settings, "s3://bucket/prefix")   # or https://team-server
    stats = copy_objects(ctx.objects, remote, digests)
    register_reference_source("datasets", fn)   # gc roots

Names are imported on first use, so that importing the CLI stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shipyard.core.digest import Digest, ObjectRef
    from shipyard.core.object_layout import ObjectKind
    from shipyard.objects.encryption import StoreKey
    from shipyard.objects.files import digest_file
    from shipyard.objects.fsck import FsckReport, Problem, check_store
    from shipyard.objects.gc import GcReport, collect_garbage
    from shipyard.objects.http_store import HttpObjectStore
    from shipyard.objects.info import ObjectInfo, StoreUsage
    from shipyard.objects.open import open_remote, open_store
    from shipyard.objects.progress import NO_PROGRESS, Progress, TransferStats
    from shipyard.objects.references import (
        ReferenceSource,
        register_reference_source,
        unregister_reference_source,
    )
    from shipyard.objects.store import ObjectStore
    from shipyard.objects.transfer import copy_objects

_WHERE = {
    "Digest": "shipyard.core.digest",
    "ObjectRef": "shipyard.core.digest",
    "ObjectKind": "shipyard.core.object_layout",
    "StoreKey": "shipyard.objects.encryption",
    "FsckReport": "shipyard.objects.fsck",
    "Problem": "shipyard.objects.fsck",
    "check_store": "shipyard.objects.fsck",
    "GcReport": "shipyard.objects.gc",
    "collect_garbage": "shipyard.objects.gc",
    "HttpObjectStore": "shipyard.objects.http_store",
    "open_remote": "shipyard.objects.open",
    "open_store": "shipyard.objects.open",
    "NO_PROGRESS": "shipyard.objects.progress",
    "Progress": "shipyard.objects.progress",
    "TransferStats": "shipyard.objects.progress",
    "ReferenceSource": "shipyard.objects.references",
    "register_reference_source": "shipyard.objects.references",
    "unregister_reference_source": "shipyard.objects.references",
    "ObjectInfo": "shipyard.objects.info",
    "ObjectStore": "shipyard.objects.store",
    "StoreUsage": "shipyard.objects.info",
    "copy_objects": "shipyard.objects.transfer",
    "digest_file": "shipyard.objects.files",
}

__all__ = [
    "NO_PROGRESS",
    "Digest",
    "FsckReport",
    "GcReport",
    "HttpObjectStore",
    "ObjectInfo",
    "ObjectKind",
    "ObjectRef",
    "ObjectStore",
    "Problem",
    "Progress",
    "ReferenceSource",
    "StoreKey",
    "StoreUsage",
    "TransferStats",
    "check_store",
    "collect_garbage",
    "copy_objects",
    "digest_file",
    "open_remote",
    "open_store",
    "register_reference_source",
    "unregister_reference_source",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'shipyard.objects' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
