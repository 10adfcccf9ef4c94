"""``oemkit rules [--explain ID] [--format text|json]``."""

from __future__ import annotations

import argparse
import json
import sys

from oemkit.errors import UsageError

__all__ = ["configure", "run"]


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--explain", metavar="ID", help="show one rule's rationale, source and examples")
    p.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    import difflib

    from oemkit.rules import all_rules, get_rule

    rules = all_rules()
    if args.explain:
        r = get_rule(args.explain)
        if r is None:
            close = difflib.get_close_matches(args.explain.upper(), [x.id for x in rules], n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise UsageError(f"no rule '{args.explain}'.{hint} Run 'oemkit rules' for the list.")
        if args.format == "json":
            doc = {k: getattr(r, k) for k in ("id", "severity", "family", "title", "hint", "source", "rationale",
                                               "failing", "passing")}
            sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
            return 0
        sys.stdout.write(f"{r.id} ({r.severity}, {r.family}): {r.title}\n\n{r.rationale}\n\nFix: {r.hint}\n"
                         f"Source: {r.source}\n\nFails:\n{_indent(r.failing)}\n\nPasses:\n{_indent(r.passing)}\n")
        return 0
    if args.format == "json":
        sys.stdout.write(json.dumps([{"id": r.id, "severity": r.severity, "family": r.family, "title": r.title,
                                      "source": r.source} for r in rules], indent=2) + "\n")
        return 0
    width = max((len(r.id) for r in rules), default=0)
    for r in rules:
        sys.stdout.write(f"{r.id:<{width}}  {r.severity:<7}  {r.title}\n")
    return 0


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
