"""``oemkit verify BUNDLE... [--pubkey KEY] [--ledger] [--format text|json]``: exit 1 when any bundle fails."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["configure", "run"]


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("bundles", nargs="+", metavar="BUNDLE", help="bundle files (.tar.gz)")
    p.add_argument("--pubkey", metavar="KEY", help="Ed25519 public key (PREFIX.pub): the signature must verify")
    p.add_argument("--ledger", action="store_true",
                   help="also require each bundle to be the release recorded in the workspace's ledger (releases/)")
    p.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    from oemkit.verify import verify_bundle

    pubkey = None
    if args.pubkey:
        from oemkit.signing import load_public

        pubkey = load_public(Path(args.pubkey))
    root = None
    if args.ledger:
        from oemkit.commands import workspace_of

        root = workspace_of(args).root
    results = [verify_bundle(Path(b), pubkey, display=b, ledger_root=root) for b in args.bundles]
    if args.format == "json":
        sys.stdout.write(json.dumps({"bundles": [r.to_json() for r in results]}, indent=2) + "\n")
    else:
        for r in results:
            if r.ok:
                sig = ("signature verified" if r.signature_verified else
                       "signed, signature not checked (pass --pubkey)" if r.signed else "unsigned")
                sys.stdout.write(f"ok      {r.path}  ({r.bundle_id} {r.version}; {sig})\n")
            else:
                sys.stdout.write(f"FAILED  {r.path}\n" + "".join(f"    {p}\n" for p in r.problems))
    return 0 if all(r.ok for r in results) else 1
