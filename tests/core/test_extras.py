"""A library the base install leaves out is one line naming the extra that installs it."""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

import shipyard
from shipyard.cli.errors import report
from shipyard.core.errors import ShipyardError
from shipyard.core.extras import EXTRAS, MissingExtra, missing_extra_for, require

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _without(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Hide installed packages from new imports and look-ups, as in a base install."""
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_a_missing_extra_is_a_shipyard_error_and_an_import_error() -> None:
    error = MissingExtra("tables", "pyarrow", feature="data profiles")
    assert isinstance(error, ShipyardError)
    assert isinstance(error, ImportError)
    assert error.name == "pyarrow"
    assert error.one_line() == (
        "data profiles: pyarrow is not installed (pip install 'shipyard[tables]')"
    )
    assert str(error) == error.one_line()  # an SDK traceback's last line names the extra
    assert error.fields() == {"extra": "tables", "module": "pyarrow"}


def test_require_names_the_first_missing_module_of_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _without(monkeypatch, "scipy")
    with pytest.raises(MissingExtra) as info:
        require("monitor", "drift")
    assert (info.value.extra, info.value.module) == ("monitor", "scipy")
    require("monitor", "drift", "numpy")  # only the modules asked for are checked


def test_every_extra_of_pyproject_is_in_the_table() -> None:
    extras = set(tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"])
    assert extras - {"all", "dev"} <= set(EXTRAS)


def test_the_base_dependencies_leave_the_heavy_libraries_out() -> None:
    base = " ".join(tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"])
    for heavy in ("numpy", "pandas", "pyarrow", "scipy", "scikit-learn", "onnx", "fastapi"):
        assert heavy not in base


def test_a_module_not_found_of_a_known_library_names_its_extra() -> None:
    error = missing_extra_for(ModuleNotFoundError("No module named 'sklearn'", name="sklearn"))
    assert error is not None
    assert error.one_line() == "sklearn is not installed (pip install 'shipyard[models]')"
    scipy = missing_extra_for(ModuleNotFoundError("No module named 'scipy'", name="scipy"))
    assert scipy is not None
    assert scipy.extra == "monitor"  # the smallest extra that installs it
    assert missing_extra_for(ModuleNotFoundError("x", name="nosuchthing")) is None
    assert missing_extra_for(ValueError("sklearn")) is None


def test_the_cli_prints_one_line_for_an_unguarded_missing_library(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = report(
        ModuleNotFoundError("No module named 'pyarrow.csv'", name="pyarrow.csv"), debug=False
    )
    assert code == 1
    err = _one_line(capsys.readouterr().err)
    assert err == "error: pyarrow is not installed (pip install 'shipyard[tables]')"


def test_drift_without_the_monitor_extra_is_one_line_and_exit_1(
    workspace: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "a.csv").write_text("x\n1\n2\n")
    _without(monkeypatch, "numpy", "scipy")
    result = cli("monitor", "drift", "a.csv", "a.csv")
    assert result.exit_code == 1
    assert _one_line(result.stderr) == (
        "error: drift: numpy is not installed (pip install 'shipyard[monitor]')"
    )


def test_data_add_without_the_tables_extra_records_the_file_without_a_profile(
    workspace: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "t.csv").write_text("a,b\n1,2\n")
    _without(monkeypatch, "pyarrow", "numpy")
    result = cli("data", "add", "t.csv")
    assert result.exit_code == 0, result.output
    assert "added t.csv as v1" in result.output
    assert "no profiles: pyarrow is not installed (pip install 'shipyard[tables]')" in _one_line(
        result.output
    )


def test_search_runs_without_pandas_raises_an_import_error_naming_the_extra(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without(monkeypatch, "pandas")
    with pytest.raises(ImportError, match=r"pip install 'shipyard\[tables\]'"):
        shipyard.search_runs()
