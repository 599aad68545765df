"""The base install (``pip install shipyard``) is small and does the everyday work.

A fresh venv gets Shipyard without extras, as a user's ``pip install`` would
(from this checkout, its dependencies from the package index), and then:
``--help``, ``init``, a run logged from Python and listed, ``data add``; and a
command that needs an extra fails in one line naming it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MB = 150


def disk_mb(folder: Path) -> float:
    """Disk usage of a folder in MiB, as ``du -sm`` counts it (blocks, hard links once)."""
    seen: set[tuple[int, int]] = set()
    blocks = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            st = os.lstat(os.path.join(dirpath, name))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                blocks += st.st_blocks
    return blocks * 512 / 2**20


@pytest.fixture(scope="module")
def base_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("base-install") / "venv"
    base_python = Path(sysconfig.get_config_var("BINDIR")) / "python3"  # not this venv's
    python = base_python if base_python.exists() else Path(sys.executable)
    subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(ROOT)],
        check=True,
        timeout=1500,
    )
    return venv


def _run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHIPYARD_", "PYTHON"))}
    env["HOME"] = str(cwd)
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_base_install_is_under_the_limit_and_leaves_the_extras_out(base_venv: Path) -> None:
    python = str(base_venv / "bin" / "python")
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    out = subprocess.run([python, "-c", purelib], capture_output=True, text=True, check=True)
    site = Path(out.stdout.strip())
    assert disk_mb(site) < LIMIT_MB
    for heavy in ("numpy", "pandas", "pyarrow", "scipy", "sklearn", "onnxruntime", "fastapi"):
        assert not (site / heavy).exists(), heavy


def test_the_base_install_tracks_runs_and_versions_data(base_venv: Path, tmp_path: Path) -> None:
    shipyard = str(base_venv / "bin" / "shipyard")
    python = str(base_venv / "bin" / "python")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)

    help_ = _run(base_venv, tmp_path, shipyard, "--help")
    assert help_.returncode == 0, help_.stderr
    assert "Usage" in help_.stdout
    assert _run(base_venv, tmp_path, shipyard, "init").returncode == 0

    code = "import shipyard\nwith shipyard.start_run() as run:\n    run.log_metric('loss', 0.25)"
    logged = _run(base_venv, tmp_path, python, "-c", code)
    assert logged.returncode == 0, logged.stderr
    listed = _run(base_venv, tmp_path, shipyard, "runs", "ls")
    assert listed.returncode == 0, listed.stderr
    assert "metrics.loss" in listed.stdout
    assert "0.25" in listed.stdout

    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    added = _run(base_venv, tmp_path, shipyard, "data", "add", "t.csv")
    assert added.returncode == 0, added.stderr
    assert "added t.csv as v1" in added.stdout
    assert "pip install 'shipyard[tables]'" in added.stdout  # why it has no profile


def test_a_command_needing_an_extra_fails_in_one_line(base_venv: Path, tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n")
    shipyard = str(base_venv / "bin" / "shipyard")
    drift = _run(base_venv, tmp_path, shipyard, "monitor", "drift", "a.csv", "a.csv")
    assert drift.returncode == 1
    assert drift.stdout == ""
    lines = drift.stderr.strip().splitlines()
    assert len(lines) == 1, drift.stderr
    assert lines[0].startswith("error: drift:")
    assert lines[0].endswith("(pip install 'shipyard[monitor]')")
