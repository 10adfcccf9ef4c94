"""A non-editable install works: templates/ and schemas/ are packed into the wheel and found there."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, copy_workspace


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out),
                    str(REPO)], check=True, capture_output=True)
    (whl,) = out.glob("oemkit-*.whl")
    return whl


def test_wheel_carries_templates_and_schemas(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for schema in (REPO / "schemas").glob("*.json"):
        assert f"oemkit/_data/schemas/{schema.name}" in names
    for template in (REPO / "templates").rglob("*"):
        if template.is_file() and "__pycache__" not in template.parts:
            rel = template.relative_to(REPO / "templates").as_posix()
            assert f"oemkit/_data/templates/{rel}" in names


def test_installed_wheel_runs_outside_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True,
                   capture_output=True)
    ws = copy_workspace(tmp_path / "ws")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = subprocess.run([str(py), "-c", "import oemkit.workspace as w; print(w.data_dir('schemas'))"],
                           cwd=ws, capture_output=True, text=True, env=env, check=True)
    assert "_data" in probe.stdout and str(REPO) not in probe.stdout
    res = subprocess.run([str(venv / "bin" / "oemkit"), "check"], cwd=ws, capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
