"""What a run consumes: wall time, CPU seconds, peak memory, GPU seconds.

For an SDK run the meter reads this process (and the children it has waited
for) with ``getrusage``; for ``shipyard run -- CMD`` the resources come from
``wait4`` on the command itself (:func:`from_rusage`).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from shipyard.tracking.entities import Resources

__all__ = ["ResourceMeter", "from_rusage", "gpu_count"]

# ru_maxrss is in KiB on Linux and in bytes on macOS.
_RSS_UNIT = 1 if sys.platform == "darwin" else 1024


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass
class ResourceMeter:
    """Measures from the moment it is made; :meth:`read` gives the usage so far."""

    gpus: int = field(default_factory=lambda: _gpus())
    _wall0: float = field(default_factory=time.monotonic)
    _cpu0: float = field(default_factory=_cpu_seconds)

    def read(self) -> Resources:
        wall = time.monotonic() - self._wall0
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
        return Resources(
            wall_seconds=wall,
            cpu_seconds=max(0.0, cpu - self._cpu0),
            peak_rss_bytes=max(own.ru_maxrss, kids.ru_maxrss) * _RSS_UNIT,
            gpu_seconds=wall * self.gpus,
        )


def _gpus() -> int:
    return gpu_count()


def from_rusage(usage: resource.struct_rusage, wall_seconds: float, gpus: int) -> Resources:
    """Resources of a finished child process, from ``os.wait4``."""
    return Resources(
        wall_seconds=wall_seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_bytes=usage.ru_maxrss * _RSS_UNIT,
        gpu_seconds=wall_seconds * gpus,
    )


@lru_cache(maxsize=1)
def gpu_count() -> int:
    """NVIDIA GPUs this process may use: the driver's list, narrowed by CUDA_VISIBLE_DEVICES.

    Read from ``/proc`` (no ``nvidia-smi`` call, so starting a run stays cheap).
    """
    driver = Path("/proc/driver/nvidia/gpus")
    try:
        present = len(list(driver.iterdir())) if driver.is_dir() else 0
    except OSError:
        present = 0
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None or present == 0:
        return present
    chosen = [d for d in visible.split(",") if d.strip() and d.strip() != "-1"]
    return min(present, len(chosen))
