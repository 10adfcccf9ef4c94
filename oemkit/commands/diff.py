"""``oemkit diff OLD NEW`` (profiles or bundles) and ``oemkit diff --all BASE_REF`` (the portfolio vs a git ref)."""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import zlib
from pathlib import Path
from typing import Any

from oemkit.commands import workspace_of
from oemkit.errors import FindingsError, UsageError

__all__ = ["configure", "read_bundle_profile", "run"]

#: The member of a bundle that holds the resolved profile (shared/spec/bundle.md).
RESOLVED_MEMBER = "profile.resolved.json"
#: Refuse to read a larger member into memory (a resolved profile is a few kB).
MAX_MEMBER_BYTES = 16 * 1024 * 1024


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", nargs="?", metavar="OLD", help="profile file, bundle id or release bundle (.tar.gz)")
    p.add_argument("new", nargs="?", metavar="NEW", help="profile file, bundle id or release bundle (.tar.gz)")
    p.add_argument("--all", metavar="BASE_REF", dest="base_ref",
                   help="every buildable profile at git ref BASE_REF vs the work tree (for a pull request)")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")


def _is_bundle(path: Path) -> bool:
    return path.name.endswith((".tar.gz", ".tgz", ".tar")) or (path.is_file() and tarfile.is_tarfile(path))


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    """Valid data through the model (defaults filled in, the JSON types of a fresh build); else as it is."""
    from pydantic import ValidationError

    from oemkit.model import Profile

    try:
        return Profile.model_validate(data).model_dump(mode="json")
    except ValidationError:
        return data


def read_bundle_profile(path: Path) -> dict[str, Any]:
    """The resolved profile inside a release bundle, read from the archive in memory (nothing is extracted).

    ``profile.resolved.json`` may hold the profile itself or ``{"profile": <data>, ...}`` (with provenance
    beside it); both are accepted.
    """
    where = f"{path}: "
    try:
        with tarfile.open(path, "r:*") as archive:
            member = next((m for m in archive if m.name.removeprefix("./") == RESOLVED_MEMBER), None)
            if member is None:
                raise UsageError(f"{where}no {RESOLVED_MEMBER} in this archive; is it an oemkit release bundle? "
                                 "Rebuild it with oemkit build, or diff the profiles instead.")
            if not member.isfile() or member.size > MAX_MEMBER_BYTES:
                raise UsageError(f"{where}{RESOLVED_MEMBER} is not a regular file of at most "
                                 f"{MAX_MEMBER_BYTES:,} bytes; the bundle is damaged or not from oemkit.")
            handle = archive.extractfile(member)
            assert handle is not None  # a regular file member always has one
            raw = handle.read(MAX_MEMBER_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(f"{where}no such file. Pass a bundle path such as dist/voltway/"
                         "voltway-home-22-gb-1.2.0.tar.gz.") from None
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise UsageError(f"{where}not a readable tar.gz bundle ({exc}). Pass an oemkit release bundle.") from None
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{where}{RESOLVED_MEMBER} is not valid JSON ({exc}); the bundle is damaged.") from None
    if isinstance(doc, dict) and isinstance(doc.get("profile"), dict) and "schema_version" not in doc:
        doc = doc["profile"]
    if not isinstance(doc, dict):
        raise UsageError(f"{where}{RESOLVED_MEMBER} does not hold a profile object; the bundle is damaged.")
    return _normalise(doc)


def _load(arg: str, args: argparse.Namespace) -> dict[str, Any]:
    path = Path(arg)
    if _is_bundle(path):
        return read_bundle_profile(path)
    from oemkit.portfolio import load_profile

    ws = workspace_of(args)
    loaded = load_profile(ws, ws.select([arg])[0])
    if not loaded.valid or loaded.data is None:
        raise FindingsError(loaded.findings)
    return loaded.data


def _print(text: str) -> None:
    sys.stdout.write(text)


def _diff_all(args: argparse.Namespace) -> int:
    from oemkit.gitref import workspace_at
    from oemkit.portfolio import diff_portfolio, render_markdown, render_text

    ws = workspace_of(args)
    with workspace_at(ws, args.base_ref) as base:
        result = diff_portfolio(base, ws, args.base_ref)
    if args.format == "json":
        _print(json.dumps(result.to_json(), indent=2, ensure_ascii=False, default=str) + "\n")
    elif args.format == "markdown":
        _print(render_markdown(result))
    else:
        _print(render_text(result))
    return 1 if any(v.status == "failed" for v in result.variants) else 0


def run(args: argparse.Namespace) -> int:
    if args.base_ref is not None:
        if args.old or args.new:
            raise UsageError("--all BASE_REF compares the whole portfolio; pass no OLD/NEW with it.")
        return _diff_all(args)
    if not (args.old and args.new):
        raise UsageError("pass OLD and NEW (two profiles or two bundles), or --all BASE_REF.")
    from oemkit.diff import diff_data, render_markdown, render_text

    result = diff_data(_load(args.old, args), _load(args.new, args))
    if args.format == "json":
        _print(json.dumps(result.to_json(), indent=2, ensure_ascii=False, default=str) + "\n")
    elif args.format == "markdown":
        _print(render_markdown(result))
    else:
        _print(render_text(result))
    return 0
