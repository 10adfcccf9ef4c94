"""The floor: the bare build pipeline, with nothing a real build adds (no checks, no ledger, no provenance).

For each buildable profile, one at a time (streamed): read -> libyaml load (``CSafeLoader``; ``extends``
followed, parsed layers kept in a small LRU) -> merge (mappings by key, id-lists by id) -> pydantic
``Profile.model_validate`` -> split (two ``model_dump(include=...)``) -> render every template a bundle
holds with oemkit's own code: the artifact templates (``oemkit.render``), the release notes and the
report page (with no provenance, no check results and no previous release) -> sha256 + ``SHA256SUMS``
-> tar.gz in memory (gzip level 6 as oemkit's bundles, fixed mtime/owner) -> write.

``oemkit build --jobs 1`` is measured against this per profile: whatever it costs above the floor is
the price of provenance, checks, caching and atomic writes.

Usage: ``python bench/floor.py WORKSPACE -o OUT``.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run from a clone without installing
    sys.path.insert(0, str(REPO))

from oemkit.fields import merge_strategies  # noqa: E402
from oemkit.model import Profile  # noqa: E402
from oemkit.split import split  # noqa: E402
from oemkit.workspace import find_workspace  # noqa: E402

__all__ = ["build_all", "build_one", "main"]

MTIME = 1_700_000_000
GZIP_LEVEL = 6


@functools.lru_cache(maxsize=256)
def _layer(path: str) -> dict[str, Any]:
    with open(path, "rb") as fh:
        data = yaml.load(fh.read(), Loader=yaml.CSafeLoader)
    assert isinstance(data, dict), path
    return data


def _merge(base: Any, over: Any, spath: str, strategies: Mapping[str, str]) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(out.get(key), value, f"{spath}.{key}" if spath else key, strategies)
        return out
    if isinstance(base, list) and isinstance(over, list) and strategies.get(spath) == "id":
        items = {item["id"]: item for item in base}
        for item in over:
            if item.get("remove") is True:
                items.pop(item["id"], None)
            else:
                items[item["id"]] = _merge(items.get(item["id"]), item, f"{spath}.*", strategies)
        return list(items.values())
    return over


def _resolve(path: str, strategies: Mapping[str, str]) -> dict[str, Any]:
    own = _layer(path)
    result: Any = None
    for parent in own.get("extends") or ():
        layer = _resolve(os.path.normpath(os.path.join(os.path.dirname(path), parent)), strategies)
        layer.pop("extends", None)
        result = _merge(result, layer, "", strategies)
    merged = _merge(result, own, "", strategies)
    assert isinstance(merged, dict)
    return merged


def _tar(members: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(members):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(members[name]), MTIME, 0o644
            tar.addfile(info, io.BytesIO(members[name]))
    out = io.BytesIO()
    # The compression level of oemkit's bundles (oemkit.bundle): the floor packs the same way.
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=GZIP_LEVEL, mtime=MTIME) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def build_one(path: Path, templates: Path, out: Path, root: Path) -> Path:
    """The bare pipeline for one profile; returns the bundle path."""
    from oemkit.loader import Resolved
    from oemkit.notes import StreamInfo, render_notes
    from oemkit.render import artifact_templates, bundle_id, ocpp_version
    from oemkit.render.entries import firmware_entries
    from oemkit.render.env import environment
    from oemkit.report_html import render_report

    data = _resolve(str(path), merge_strategies())
    profile = Profile.model_validate(data)
    firmware, software = split(profile)  # two model_dump(include=...) calls
    # The same templates, environment and context as oemkit's renderer, minus provenance (no origins).
    env = environment(templates)
    ident = bundle_id(profile)
    context = {"bundle_id": ident, "source": str(path), "profile": profile.model_dump(mode="json"),
               "firmware": firmware, "software": software, "entries": firmware_entries(firmware, {}),
               "ocpp_version": ocpp_version(profile)}
    members = {name: env.get_template(tpl).render(context).encode() for name, tpl in
               artifact_templates(profile).items()}
    members["profile.resolved.json"] = json.dumps(data, indent=2, sort_keys=True).encode()
    # The bundle's other two templates: release notes of a first release, and the report page.
    streams = [StreamInfo(name, "1.0.0", hashlib.sha256(members[doc]).hexdigest(), "factory", None, None)
               for name, doc in (("firmware", "firmware/params.json"), ("software", "software/config.json"))]
    notes = render_notes(bundle_id=ident, version="1.0.0", previous_version=None, streams=streams, changes=[],
                         reflash_required=False, recertification_required=False)
    members["RELEASE_NOTES.md"] = notes
    members["report.html"] = render_report(
        profile=profile, resolved=Resolved(path=str(path), tree=None), firmware=firmware, software=software,
        checks=[], release_notes=notes.decode("utf-8"), bundle_id=ident, version="1.0.0",
        workspace_root=root)
    sums = "".join(f"{hashlib.sha256(body).hexdigest()}  {name}\n" for name, body in sorted(members.items()))
    members["SHA256SUMS"] = sums.encode()
    target = out / profile.partner.id / f"{ident}.tar.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(_tar(members))
    return target


def build_all(workspace: Path, out: Path) -> Iterator[Path]:
    """Build every buildable profile of the workspace, one at a time."""
    ws = find_workspace(explicit=workspace)
    templates = ws.templates_dir()
    for path in ws.buildable():
        yield build_one(path, templates, out, ws.root)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description="The bare build pipeline (benchmark floor).")
    p.add_argument("workspace", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True)
    args = p.parse_args(argv)
    count = sum(1 for _ in build_all(args.workspace, args.output))
    print(f"floor: {count} bundles in {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
