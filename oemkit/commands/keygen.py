"""``oemkit keygen -o PREFIX [--force]``: write an Ed25519 key pair (PREFIX.key mode 0600, PREFIX.pub)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["configure", "run"]


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", required=True, metavar="PREFIX",
                   help="write PREFIX.key (private, mode 0600) and PREFIX.pub (public)")
    p.add_argument("--force", action="store_true", help="replace an existing key pair")


def run(args: argparse.Namespace) -> int:
    from oemkit.signing import fingerprint, generate, load_public

    prefix = Path(args.output)
    if prefix.parent and not prefix.parent.is_dir():
        from oemkit.errors import UsageError

        raise UsageError(f"{prefix.parent}: no such folder. Create it first or choose another -o PREFIX.")
    key_path, pub_path = generate(prefix, force=args.force)
    sys.stdout.write(f"wrote {key_path} (private: keep it secret, mode 0600) and {pub_path}\n"
                     f"fingerprint sha256:{fingerprint(load_public(pub_path))}\n")
    return 0
