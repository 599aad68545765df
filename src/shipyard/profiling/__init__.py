"""Tabular profiles: schema, counts and mergeable sketches of every column.

The public entry points::

    from shipyard.profiling import profile_file, profile_table, Profile

    profile = profile_file("train.parquet")        # one streaming pass, bounded memory
    profile["age"].quantile(0.5)                   # per-column figures
    Profile.from_dict(profile.to_dict())           # versioned JSON document
    profile.merged(other)                          # profiles of two batches merge

``render_profile`` (in ``shipyard.profiling.render``) draws one for a terminal.
"""

from __future__ import annotations

from shipyard.profiling.column import ColumnKind, ColumnProfile
from shipyard.profiling.profile import Profile, is_profile_document
from shipyard.profiling.profiler import profile_file, profile_table
from shipyard.profiling.reader import Progress

__all__ = [
    "ColumnKind",
    "ColumnProfile",
    "Profile",
    "Progress",
    "is_profile_document",
    "profile_file",
    "profile_table",
]
