"""The content-addressed object store (see docs/objects.md).

Public interface for other domains::

    ref = ctx.objects.put_file(path)            # ObjectRef(digest, size)
    ctx.objects.get_file(ref.digest, dest)      # atomic, verified
    remote = open_remote(ctx.settings, "s3://bucket/prefix")
    stats = copy_objects(ctx.objects, remote, digests)
    register_reference_source("datasets", fn)   # gc roots
"""

from shipyard.core.digest import Digest, ObjectRef
from shipyard.core.object_layout import ObjectKind
from shipyard.objects.encryption import StoreKey
from shipyard.objects.fsck import FsckReport, Problem, check_store
from shipyard.objects.gc import GcReport, collect_garbage
from shipyard.objects.open import open_remote, open_store
from shipyard.objects.progress import NO_PROGRESS, Progress, TransferStats
from shipyard.objects.references import (
    ReferenceSource,
    register_reference_source,
    unregister_reference_source,
)
from shipyard.objects.store import ObjectInfo, ObjectStore, StoreUsage
from shipyard.objects.transfer import copy_objects

__all__ = [
    "NO_PROGRESS",
    "Digest",
    "FsckReport",
    "GcReport",
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
    "open_remote",
    "open_store",
    "register_reference_source",
    "unregister_reference_source",
]
