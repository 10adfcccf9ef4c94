"""Golden files: every example profile's rendered artifacts, compared byte for byte.

Refresh after an intended change of a template, the model or an example profile with
``python3 tests/golden/refresh.py`` (or ``OEMKIT_UPDATE_GOLDEN=1 python3 -m pytest tests/test_render_golden.py``),
then review the diff under ``tests/golden/`` before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from oemkit.check import check_profile
from oemkit.render import bundle_id, render_all
from oemkit.split import split
from oemkit.workspace import Workspace

GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = sorted(p.relative_to(Path(__file__).resolve().parent.parent).as_posix()
                  for p in (Path(__file__).resolve().parent.parent / "profiles" / "partners").rglob("*.yaml")
                  if b"\nvariant:" in p.read_bytes())
UPDATE = os.environ.get("OEMKIT_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("profile", EXAMPLES)
def test_rendered_artifacts_match_golden_files(ws: Path, profile: str) -> None:
    workspace = Workspace(ws)
    result = check_profile(workspace, ws / profile)
    assert result.profile is not None, [f.text() for f in result.findings]
    firmware, software = split(result.profile)
    files = render_all(result.profile, result.resolved, firmware, software,
                       templates_dir=workspace.templates_dir())
    folder = GOLDEN / bundle_id(result.profile)
    if UPDATE:
        for old in sorted(folder.rglob("*"), reverse=True) if folder.exists() else []:
            old.unlink() if old.is_file() else old.rmdir()
        for path, data in files.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_bytes(data)
    stored = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()
    assert stored == set(files), "artifacts added or removed; refresh with python3 tests/golden/refresh.py"
    for path, data in sorted(files.items()):
        assert (folder / path).read_bytes() == data, (
            f"{folder.name}/{path} differs from its golden file; if intended, refresh with "
            "python3 tests/golden/refresh.py and review the diff")
