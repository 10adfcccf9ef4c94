"""``oemkit explain PROFILE [KEY] [--format text|json]``."""

from __future__ import annotations

import argparse
import json
import sys

from oemkit.commands import workspace_of

__all__ = ["configure", "run"]


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("profile", metavar="PROFILE", help="profile file or bundle id")
    p.add_argument("key", nargs="?", metavar="KEY", help="dotted key, e.g. charging.max_current_a")
    p.add_argument("--format", choices=("text", "json"), default="text")


def _fmt(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def run(args: argparse.Namespace) -> int:
    from oemkit.check import CheckReport
    from oemkit.explain import explain
    from oemkit.loader import resolve
    from oemkit.report import render_text

    ws = workspace_of(args)
    path = ws.select([args.profile])[0]
    resolved = resolve(ws, path)
    if not resolved.ok:
        sys.stdout.write(render_text(CheckReport(1, resolved.findings)))
        return 1
    items = explain(resolved, args.key)
    if args.format == "json":
        doc = {"profile": resolved.path, "files": resolved.files, "values": [i.to_json() for i in items]}
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")
        return 0
    for i in items:
        sys.stdout.write(f"{i.path} = {_fmt(i.value)}\n    layer: {i.layer}, impact: {i.impact}\n"
                         f"    set at {i.file}:{i.line}:{i.column}\n")
        for o in i.overridden:
            sys.stdout.write(f"    overrode {_fmt(o['value'])} from {o['file']}:{o['line']}:{o['column']}\n")
    return 0
