"""Object store backends: one narrow interface, a local folder and S3."""

from shipyard.objects.backends.base import Backend, KeyInfo

__all__ = ["Backend", "KeyInfo"]
