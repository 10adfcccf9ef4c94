"""``oemkit new partner [--no-input] [--set KEY=VALUE ...]``: scaffold a partner from the cookiecutter template."""

from __future__ import annotations

import argparse
import sys

from oemkit.commands import workspace_of
from oemkit.errors import UsageError

__all__ = ["configure", "parse_sets", "run"]


def configure(p: argparse.ArgumentParser) -> None:
    from oemkit.scaffold import KEYS

    p.add_argument("what", choices=("partner",), help="what to create (only 'partner' for now)")
    p.add_argument("--no-input", action="store_true",
                   help="do not prompt: use the template defaults and the --set answers")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help=f"answer one question (repeatable); keys: {', '.join(KEYS)}")


def parse_sets(items: list[str]) -> dict[str, str]:
    """``["country=gb", ...]`` -> ``{"country": "gb"}``; a malformed item is a usage error."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {item!r}: expected KEY=VALUE, e.g. --set country=gb.")
        if key.strip() in out:
            raise UsageError(f"--set {key.strip()}: given twice; pass each key once.")
        out[key.strip()] = value
    return out


def run(args: argparse.Namespace) -> int:
    from oemkit.scaffold import new_partner

    ws = workspace_of(args)
    sets = parse_sets(args.sets)
    if not args.no_input and not sys.stdin.isatty():
        raise UsageError("no terminal to ask the questions on; pass --no-input (with --set KEY=VALUE answers) "
                         "to scaffold from a script.")
    done = new_partner(ws, sets, no_input=args.no_input)
    print(f"created partner {done.partner_id} in {ws.rel(done.folder)}/:")
    for path in done.files:
        print(f"  {ws.rel(path)}")
    print(f"It passes `oemkit check`. Next: edit {ws.rel(done.folder / 'partner.yaml')}, replace the logo, then "
          f"`oemkit build {ws.rel(done.variant_file)}`.")
    return 0
