from __future__ import annotations

import pytest

from shipyard.core.redact import redact_uri


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("postgresql://ann:s3cret@db:5432/ml", "postgresql://ann:***@db:5432/ml"),
        ("postgresql://ann@db/ml", "postgresql://ann@db/ml"),
        ("sqlite:////abs/path/x.db", "sqlite:////abs/path/x.db"),
        ("sqlite:///rel.db", "sqlite:///rel.db"),
        (
            "postgresql://db/ml?password=s3cret&sslmode=require",
            "postgresql://db/ml?password=%2A%2A%2A&sslmode=require",
        ),
        ("s3://bucket/prefix", "s3://bucket/prefix"),
    ],
)
def test_passwords_never_survive(uri: str, shown: str) -> None:
    assert redact_uri(uri) == shown
    assert "s3cret" not in redact_uri(uri)
