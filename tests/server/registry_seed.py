"""Registry fixtures for the route matrix and the route tests: models made directly."""

from __future__ import annotations

import base64
import hashlib
import uuid
from functools import cache
from pathlib import Path
from tempfile import TemporaryDirectory

from shipyard.core.model_manifest import MANIFEST_FILE, FileEntry
from shipyard.core.principal import LOCAL_OWNER
from shipyard.registry.aliases import AliasService
from shipyard.registry.entities import VersionDraft
from shipyard.registry.service import RegistryService
from shipyard.store.db import Database


def seed_model(db: Database, project: str, aliases: tuple[int, ...] = ()) -> str:
    """A new model with versions 1 and 2 (metadata only) and @production moved to ``aliases``."""
    name = f"m{uuid.uuid4().hex[:10]}"
    registry = RegistryService(db)
    for n in (1, 2):
        digest = hashlib.sha256(f"{name}-{n}".encode()).hexdigest()
        manifest = FileEntry(MANIFEST_FILE, digest, 10)
        registry.register_version(
            LOCAL_OWNER, project, name, VersionDraft("sklearn", (manifest,), digest)
        )
    for version in aliases:
        AliasService(db).set_alias(LOCAL_OWNER, project, name, "production", version)
    return name


@cache
def model_files() -> dict[str, str]:
    """A real, small model directory as the register route takes it (path → base64)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from shipyard.models import save_model

    X = np.random.default_rng(0).normal(size=(40, 3))
    with TemporaryDirectory() as tmp:
        folder = Path(tmp) / "model"
        save_model(LogisticRegression().fit(X, X[:, 0] > 0), folder, input_example=X[:3])
        return {
            p.relative_to(folder).as_posix(): base64.b64encode(p.read_bytes()).decode()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }
