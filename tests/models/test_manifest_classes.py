"""A class named in a manifest is checked before any module is imported (security issue 15).

Importing a module runs its code: a manifest naming ``this:X`` printed the Zen
of Python, and any installed module with import-time effects would run,
before the subclass check refused the class. Each module written here records
its import in a marker file, so the tests see whether its code ran.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from shipyard.core.errors import InvalidInput, UntrustedModel
from shipyard.core.model_manifest import MANIFEST_FILE
from shipyard.models import load_model, save_model
from tests.registry.helpers import ThresholdModel

_SOURCE = """\
from pathlib import Path

from shipyard.models import PythonModel

Path({marker!r}).write_text("imported")


class Evil:
    def __init__(self, **kwargs):
        Path({marker!r}).write_text("called")


class Good(PythonModel):
    def __init__(self, threshold=0.5, weights=None):
        self.threshold = threshold

    def predict(self, data):
        return data
"""


class Planted:
    """A module on the import path whose import writes ``marker``."""

    def __init__(self, folder: Path) -> None:
        self.name = f"planted_{uuid.uuid4().hex[:12]}"
        self.marker = folder / f"{self.name}.imported"
        (folder / f"{self.name}.py").write_text(_SOURCE.format(marker=str(self.marker)))

    @property
    def ran(self) -> bool:
        return self.marker.exists() or self.name in sys.modules


@pytest.fixture
def planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Planted]:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    module = Planted(folder)
    yield module
    sys.modules.pop(module.name, None)


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    model = ThresholdModel(threshold=0.5, weights=[1.0, -1.0])
    save_model(model, tmp_path / "m", input_example=np.eye(2))
    return tmp_path / "m"


def _name_class(folder: Path, class_path: str) -> None:
    """Tamper with the manifest (it is not in its own file list: the digests still match)."""
    manifest = folder / MANIFEST_FILE
    document = json.loads(manifest.read_text())
    document["flavor_params"]["class"] = class_path
    manifest.write_text(json.dumps(document))


def test_a_module_named_in_a_manifest_is_not_imported(saved: Path, planted: Planted) -> None:
    _name_class(saved, f"{planted.name}:Evil")
    with pytest.raises(UntrustedModel, match=f"refusing to import {planted.name}") as error:
        load_model(saved)
    assert not planted.ran  # its import-time code did not run
    assert "trusted=True" in (error.value.hint or "")
    assert f"import {planted.name}" in (error.value.hint or "")
    # a trusted model may import it; the class must still subclass PythonModel
    with pytest.raises(UntrustedModel, match="refusing to call it"):
        load_model(saved, trusted=True)
    assert planted.marker.read_text() == "imported"  # imported (trusted), never called


def test_the_zen_of_python_stays_quiet(
    saved: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "this", raising=False)
    _name_class(saved, "this:X")
    with pytest.raises(UntrustedModel, match="refusing to import this"):
        load_model(saved)
    assert "this" not in sys.modules
    assert "Beautiful is better than ugly" not in capsys.readouterr().out


def test_a_pytorch_manifest_imports_nothing_either(tmp_path: Path, planted: Planted) -> None:
    from shipyard.models.flavors.pytorch import PyTorchFlavor

    params = {"module_class": f"{planted.name}:Evil", "init_kwargs": {}}
    with pytest.raises(UntrustedModel, match=r"not a subclass of torch\.nn"):
        PyTorchFlavor().load(tmp_path, params, trusted=False)
    assert not planted.ran


def test_a_class_whose_module_is_imported_loads_without_trust(
    saved: Path, planted: Planted
) -> None:
    _name_class(saved, f"{planted.name}:Good")
    with pytest.raises(UntrustedModel, match="refusing to import"):
        load_model(saved)
    assert not planted.ran
    __import__(planted.name)  # the application imports its own model classes
    loaded = load_model(saved)
    assert type(loaded.raw).__name__ == "Good"
    assert type(loaded.raw).__module__ == planted.name


@pytest.mark.parametrize("class_path", ["os:", ":X", "../evil:X", "os:<locals>.X", "a-b:X"])
def test_a_malformed_class_path_is_refused_before_any_import(saved: Path, class_path: str) -> None:
    _name_class(saved, class_path)
    with pytest.raises(InvalidInput, match="invalid Python model class path"):
        load_model(saved)
