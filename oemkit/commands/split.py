"""``oemkit split PROFILE [-o DIR]`` and ``oemkit split --all (--summary | -o DIR)``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oemkit.commands import workspace_of
from oemkit.errors import FindingsError, UsageError

if TYPE_CHECKING:
    from oemkit.workspace import Workspace

__all__ = ["configure", "run", "write_split"]

FIRMWARE_FILE = Path("firmware") / "params.json"
SOFTWARE_FILE = Path("software") / "config.json"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("profile", nargs="?", metavar="PROFILE", help="profile file or bundle id")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="output folder (default: dist/split/<bundle id>; with --all: dist/split)")
    p.add_argument("--all", action="store_true", help="every buildable profile of the workspace")
    p.add_argument("--summary", action="store_true",
                   help="with --all: distinct firmware parameter sets and the variants sharing each; writes nothing")
    p.add_argument("--format", choices=("text", "json"), default="text")


def _dump(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def _write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so a reader never sees half a document."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_split(ws: Workspace, path: Path, out_dir: Path | None, *, per_id: bool = False) -> dict[str, str]:
    """Check one profile and write its two documents into ``out_dir`` (``out_dir/<bundle id>`` with ``per_id``);
    returns the bundle id, the paths written and the firmware hash."""
    from oemkit.check import check_profile
    from oemkit.portfolio import firmware_sha256
    from oemkit.split import split

    result = check_profile(ws, path)
    errors = [f for f in result.findings if f.severity == "error"]
    if errors:
        raise FindingsError(errors)
    if result.profile is None:
        raise UsageError(f"{ws.rel(path)}: not a buildable profile (it sets no 'variant:'); split a partner "
                         "variant file such as profiles/partners/voltway/home-22-gb.yaml.")
    bundle_id = f"{result.profile.partner.id}-{result.profile.variant}"
    target = out_dir if out_dir is not None else Path("dist") / "split"
    if per_id or out_dir is None:
        target = target / bundle_id
    firmware, software = split(result.profile)
    _write_atomic(target / FIRMWARE_FILE, _dump(firmware))
    _write_atomic(target / SOFTWARE_FILE, _dump(software))
    return {"id": bundle_id, "firmware": str(target / FIRMWARE_FILE), "software": str(target / SOFTWARE_FILE),
            "firmware_sha256": firmware_sha256(firmware)}


def run(args: argparse.Namespace) -> int:
    ws = workspace_of(args)
    if args.summary and not args.all:
        raise UsageError("--summary needs --all: it summarises the whole portfolio (oemkit split --all --summary).")
    if args.all == bool(args.profile):
        raise UsageError("pass one PROFILE (a file or bundle id) or --all, not both and not neither.")
    if args.summary:
        from oemkit.portfolio import summarize

        summary = summarize(ws)
        if args.format == "json":
            sys.stdout.write(json.dumps(summary.to_json(), indent=2, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(summary.text())
        return 1 if summary.failed else 0
    if args.all:
        base = Path(args.output) if args.output else Path("dist") / "split"
        written, failed = [], 0
        for path in ws.buildable():  # one at a time; a bad profile does not stop the others
            try:
                written.append(write_split(ws, path, base, per_id=True))
            except FindingsError as exc:
                failed += 1
                sys.stderr.write(f"{exc}\n")
        if failed:
            sys.stderr.write(f"oemkit split: {failed} profile(s) not split: fix the findings above.\n")
    else:
        failed = 0
        written = [write_split(ws, ws.select([args.profile])[0], Path(args.output) if args.output else None)]
    if args.format == "json":
        sys.stdout.write(json.dumps({"written": written}, indent=2) + "\n")
    else:
        for item in written:
            sys.stdout.write(f"{item['id']}: {item['firmware']}, {item['software']}\n")
    return 1 if failed else 0
