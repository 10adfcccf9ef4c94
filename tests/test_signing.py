"""``oemkit keygen``, ``build --sign-key`` and ``verify --pubkey``."""

from __future__ import annotations

import stat
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.test_verify import BUNDLE, _edit, _set


@pytest.fixture
def keys(ws: Path, cli: Callable[..., Result]) -> Path:
    r = cli("keygen", "-o", str(ws / "release"), cwd=ws)
    assert r.code == 0, r.err
    return ws / "release"


def test_keygen_writes_a_private_key_readable_only_by_its_owner(keys: Path) -> None:
    key, pub = Path(f"{keys}.key"), Path(f"{keys}.pub")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in key.read_bytes()
    assert b"PUBLIC KEY" in pub.read_bytes()


def test_keygen_never_overwrites_without_force(keys: Path, cli: Callable[..., Result]) -> None:
    before = Path(f"{keys}.key").read_bytes()
    r = cli("keygen", "-o", str(keys))
    assert r.code == 2 and "already exists" in r.err
    assert Path(f"{keys}.key").read_bytes() == before
    assert cli("keygen", "-o", str(keys), "--force").code == 0
    assert Path(f"{keys}.key").read_bytes() != before


def test_signed_bundle_verifies_and_is_reproducible(ws: Path, keys: Path, cli: Callable[..., Result]) -> None:
    assert cli("build", "voltway-home-22-gb", "--sign-key", f"{keys}.key", cwd=ws).code == 0
    with tarfile.open(ws / BUNDLE, "r:gz") as tar:
        assert "manifest.sig" in tar.getnames()
    first = (ws / BUNDLE).read_bytes()
    r = cli("verify", str(ws / BUNDLE), "--pubkey", f"{keys}.pub")
    assert r.code == 0, r.out
    assert "signature verified" in r.out
    assert cli("build", "voltway-home-22-gb", "--sign-key", f"{keys}.key", "--no-cache", cwd=ws).code == 0
    assert (ws / BUNDLE).read_bytes() == first  # Ed25519 is deterministic


def test_signing_changes_the_cache_key(ws: Path, keys: Path, cli: Callable[..., Result]) -> None:
    assert cli("build", "voltway-home-22-gb", cwd=ws).code == 0
    r = cli("build", "voltway-home-22-gb", "--sign-key", f"{keys}.key", "--format", "json", cwd=ws)
    assert r.json()["bundles"][0]["cached"] is False


def test_wrong_key_is_a_bad_signature(ws: Path, keys: Path, cli: Callable[..., Result]) -> None:
    assert cli("keygen", "-o", str(ws / "other"), cwd=ws).code == 0
    assert cli("build", "voltway-home-22-gb", "--sign-key", f"{keys}.key", cwd=ws).code == 0
    r = cli("verify", str(ws / BUNDLE), "--pubkey", str(ws / "other.pub"))
    assert r.code == 1
    assert "manifest.sig: bad signature" in r.out


def test_altered_manifest_breaks_the_signature(ws: Path, keys: Path, cli: Callable[..., Result]) -> None:
    assert cli("build", "voltway-home-22-gb", "--sign-key", f"{keys}.key", cwd=ws).code == 0

    def bump(ms: list[tuple[tarfile.TarInfo, bytes]]) -> None:
        data = next(d for m, d in ms if m.name == "manifest.json")
        _set(ms, "manifest.json", data.replace(b'"version": "1.0.0"', b'"version": "9.0.0"'))

    _edit(ws / BUNDLE, bump)
    r = cli("verify", str(ws / BUNDLE), "--pubkey", f"{keys}.pub")
    assert r.code == 1 and "manifest.sig: bad signature" in r.out


def test_unsigned_bundle_fails_when_a_key_is_required(ws: Path, keys: Path, cli: Callable[..., Result]) -> None:
    assert cli("build", "voltway-home-22-gb", cwd=ws).code == 0
    r = cli("verify", str(ws / BUNDLE), "--pubkey", f"{keys}.pub")
    assert r.code == 1 and "manifest.sig: missing" in r.out


@pytest.mark.parametrize("content", [b"", b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"])
def test_bad_key_files_are_usage_errors(ws: Path, cli: Callable[..., Result], content: bytes) -> None:
    (ws / "bad.key").write_bytes(content)
    r = cli("build", "voltway-home-22-gb", "--sign-key", str(ws / "bad.key"), cwd=ws)
    assert r.code == 2 and "Ed25519 private key" in r.err
    assert not (ws / "dist").exists()
    r = cli("verify", "x.tar.gz", "--pubkey", str(ws / "bad.key"), cwd=ws)
    assert r.code == 2 and "public key" in r.err
    r = cli("build", "voltway-home-22-gb", "--sign-key", str(ws / "missing.key"), cwd=ws)
    assert r.code == 2 and "missing.key" in r.err
