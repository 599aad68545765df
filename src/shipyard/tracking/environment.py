"""The Python environment a run ran in: interpreter, platform, installed packages.

Captured once per process (installing packages mid-run is rare and would not
change modules already imported). Runs store only the environment's digest;
the environment itself is stored once per distinct digest, so 10,000 runs from
one venv keep one package list.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import sys
from functools import lru_cache
from typing import Any

import blake3

__all__ = ["capture_environment", "environment_digest", "host_name", "installed_packages"]


@lru_cache(maxsize=1)
def capture_environment() -> dict[str, Any]:
    """``{"python", "platform", "packages"}`` of this interpreter, with a ``digest``."""
    packages = installed_packages()
    env: dict[str, Any] = {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(terse=True),
        "executable": sys.executable,
        "packages": packages,
    }
    env["digest"] = environment_digest(env)
    return env


def installed_packages() -> dict[str, str]:
    """Name → version of every distribution on ``sys.path``, read from folder names.

    ``name-version.dist-info`` (and ``.egg-info``) names say it all; reading each
    METADATA file instead costs a third of a second in a large environment.
    """
    packages: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            if not dot or suffix not in ("dist-info", "egg-info") or "-" not in stem:
                continue
            package, _, version = stem.partition("-")
            packages.setdefault(package.lower().replace("_", "-"), version.split("-")[0])
    return dict(sorted(packages.items()))


def environment_digest(env: dict[str, Any]) -> str:
    """BLAKE3 of the environment's canonical JSON (without the digest itself)."""
    body = {k: v for k, v in env.items() if k != "digest"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return str(blake3.blake3(canonical).hexdigest())


@lru_cache(maxsize=1)
def host_name() -> str:
    return socket.gethostname()[:255]
