"""Ed25519 keys and signatures over ``manifest.json`` (the ``cryptography`` package).

Keys are PEM files: ``PREFIX.key`` (PKCS#8, unencrypted, mode 0600) and ``PREFIX.pub``
(SubjectPublicKeyInfo). ``manifest.sig`` holds the raw 64-byte Ed25519 signature over the exact
bytes of ``manifest.json``; Ed25519 is deterministic, so a signed bundle is reproducible too.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from oemkit.atomic import create_exclusive
from oemkit.errors import UsageError

__all__ = ["fingerprint", "generate", "load_private", "load_public", "sign", "verify_signature"]


def generate(prefix: Path, *, force: bool = False) -> tuple[Path, Path]:
    """Write a new key pair ``PREFIX.key`` / ``PREFIX.pub``; refuses to overwrite unless ``force``."""
    key_path, pub_path = Path(f"{prefix}.key"), Path(f"{prefix}.pub")
    if not force:
        for p in (key_path, pub_path):
            if p.exists():
                raise UsageError(f"{p}: already exists; a signing key is never overwritten. Choose another -o "
                                 "PREFIX, or pass --force if you really mean to replace it.")
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    if force:
        for p in (key_path, pub_path):
            p.unlink(missing_ok=True)
    create_exclusive(key_path, private, mode=0o600)
    create_exclusive(pub_path, public, mode=0o644)
    return key_path, pub_path


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the {what}: {exc.strerror}. Check the path (oemkit keygen -o "
                         "PREFIX writes PREFIX.key and PREFIX.pub).") from None


def load_private(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file; anything else is a usage error."""
    data = _read(path, "signing key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path}: not an unencrypted Ed25519 private key in PEM format. Pass the PREFIX.key "
                         "written by oemkit keygen.")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file; anything else is a usage error."""
    data = _read(path, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{path}: not an Ed25519 public key in PEM format. Pass the PREFIX.pub written by "
                         "oemkit keygen.")
    return key


def fingerprint(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """sha256 of the raw public key (hex): names the key in caches and reports."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    """The raw 64-byte signature of ``data``."""
    return key.sign(data)


def verify_signature(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` is ``key``'s signature over ``data``."""
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
