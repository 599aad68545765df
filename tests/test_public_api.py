"""The public surface of ``shipyard`` is explicit, sorted and complete."""

from __future__ import annotations

import shipyard


def test_all_is_sorted_and_every_name_exists() -> None:
    assert shipyard.__all__ == sorted(shipyard.__all__)
    for name in shipyard.__all__:
        assert hasattr(shipyard, name), name


def test_every_public_attribute_is_exported_on_purpose() -> None:
    public = {
        name
        for name, value in vars(shipyard).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("shipyard")
    }
    assert public <= set(shipyard.__all__)


def test_sdk_subpackages_load_on_first_use() -> None:
    assert shipyard.validate.infer is not None
    assert shipyard.monitoring.drift is not None
    assert shipyard.profiling.profile_file is not None
    assert shipyard.serving.create_serving_app is not None
    assert shipyard.data.read_table is not None
