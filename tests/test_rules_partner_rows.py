"""OWN-LAYER's table of partner-set leaves (filtered on the setting file first) is the partner rows of the
shared table of model leaves, in the same order, on every profile of the rule cases and the examples."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import copy_workspace

from oemkit.loader import resolve
from oemkit.rules._common import model_leaves
from oemkit.rules.ownership import _partner_rows
from oemkit.workspace import Workspace

CASES = Path(__file__).resolve().parent / "rules"


def test_partner_rows_are_the_partner_model_leaves(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    folder = root / "profiles" / "partners" / "case"
    folder.mkdir(parents=True)
    for case in sorted(CASES.glob("*/*/profile.yaml")):  # without their overlays: most still resolve
        shutil.copyfile(case, folder / f"{case.parent.parent.name}-{case.parent.name}.yaml")
    ws = Workspace(root)
    checked = partner_set = 0
    for path in sorted((root / "profiles").rglob("*.yaml")):
        resolved = resolve(ws, path)
        if not resolved.ok:
            continue
        want = tuple((p, meta.layer, meta.impact) for p, _, meta, partner in model_leaves(resolved) if partner)
        assert _partner_rows(resolved) == want, path
        checked += 1
        partner_set += bool(want)
    assert checked > 100 and partner_set > 50
