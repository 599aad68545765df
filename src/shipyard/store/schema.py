"""The complete metadata schema: every module that defines tables, imported once.

Alembic compares this metadata with the database. A new domain adds its
``tables`` module to the imports below (see docs/DEVELOPING.md), and
``SCHEMA_HEAD`` (in :mod:`shipyard.store.revision`) names the newest
migration; a test checks the two agree.
"""

from __future__ import annotations

from sqlalchemy import MetaData

import shipyard.auth.tables
import shipyard.data.tables
import shipyard.monitoring.tables
import shipyard.objects.tables
import shipyard.pipelines.tables
import shipyard.registry.tables
import shipyard.server.tables
import shipyard.serving.tables
import shipyard.store.tables
import shipyard.tracking.tables  # noqa: F401  (each import registers its tables)
from shipyard.store.base import Base
from shipyard.store.revision import SCHEMA_HEAD

__all__ = ["SCHEMA_HEAD", "metadata"]

metadata: MetaData = Base.metadata
