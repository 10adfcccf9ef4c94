"""``oemkit verify``: every kind of tampering is named, exit 1, and nothing is ever extracted."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

BUNDLE = "dist/voltway/voltway-home-22-gb-1.0.0.tar.gz"


@pytest.fixture
def bundle(ws: Path, cli: Callable[..., Result]) -> Path:
    assert cli("build", "voltway-home-22-gb", cwd=ws).code == 0
    return ws / BUNDLE


def _members(path: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(path, "r:gz") as tar:
        return [(m, tar.extractfile(m).read()) for m in tar]  # type: ignore[union-attr]


def _repack(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    path.write_bytes(gzip.compress(raw.getvalue(), mtime=0))


def _edit(path: Path, change: Callable[[list[tuple[tarfile.TarInfo, bytes]]], None]) -> None:
    members = _members(path)
    change(members)
    _repack(path, members)


def _special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, b""


def _regular(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def test_a_fresh_bundle_verifies(bundle: Path, cli: Callable[..., Result]) -> None:
    r = cli("verify", str(bundle))
    assert r.code == 0, r.out
    assert "voltway-home-22-gb 1.0.0" in r.out


def _set(members: list[tuple[tarfile.TarInfo, bytes]], name: str, data: bytes) -> None:
    i = next(i for i, (m, _) in enumerate(members) if m.name == name)
    members[i] = (members[i][0], data)


def _drop(members: list[tuple[tarfile.TarInfo, bytes]], name: str) -> None:
    members[:] = [(m, d) for m, d in members if m.name != name]


def _rename(members: list[tuple[tarfile.TarInfo, bytes]], old: str, new: str) -> None:
    for m, _ in members:
        if m.name == old:
            m.name = new


CASES: dict[str, tuple[Callable[[list[tuple[tarfile.TarInfo, bytes]]], None], str]] = {
    "changed": (lambda ms: _set(ms, "software/config.json", b'{"evil": true}\n'),
                "software/config.json: content changed"),
    "added": (lambda ms: ms.append(_regular("software/extra.json", b"{}\n")),
              "software/extra.json: in the archive but not listed"),
    "removed": (lambda ms: _drop(ms, "firmware/params.json"),
                "firmware/params.json: listed in manifest.json but missing"),
    "renamed": (lambda ms: _rename(ms, "RELEASE_NOTES.md", "NOTES.md"), "NOTES.md: renamed from RELEASE_NOTES.md"),
    "absolute": (lambda ms: ms.append(_regular("/etc/evil", b"x")), "/etc/evil: absolute path"),
    "dotdot": (lambda ms: ms.append(_regular("../evil", b"x")), "../evil: path with '..'"),
    "symlink": (lambda ms: ms.append(_special("software/link", tarfile.SYMTYPE, "/etc/passwd")),
                "software/link: link member"),
    "hardlink": (lambda ms: ms.append(_special("software/hard", tarfile.LNKTYPE, "manifest.json")),
                 "software/hard: link member"),
    "device": (lambda ms: ms.append(_special("dev/null", tarfile.CHRTYPE)), "dev/null: device or FIFO member"),
    "fifo": (lambda ms: ms.append(_special("fifo", tarfile.FIFOTYPE)), "fifo: device or FIFO member"),
    "sums": (lambda ms: _set(ms, "SHA256SUMS", b"0" * 64 + b"  manifest.json\n"), "SHA256SUMS"),
    "manifest": (lambda ms: _set(ms, "manifest.json", b'{"files": []}\n'), "in the archive but not listed"),
    "format": (lambda ms: _set(ms, "manifest.json", b'{"format": 2, "id": "x", "version": "1", "files": []}\n'),
               "manifest.json: format 2 is not 1"),
    "not-json": (lambda ms: _set(ms, "manifest.json", b"{"), "manifest.json: not a valid manifest"),
    "duplicate": (lambda ms: ms.append(_regular("RELEASE_NOTES.md", b"again")),
                  "RELEASE_NOTES.md: appears more than once"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_tampering_is_named(case: str, bundle: Path, cli: Callable[..., Result], tmp_path: Path) -> None:
    change, expected = CASES[case]
    _edit(bundle, change)
    before = set(tmp_path.rglob("*"))
    r = cli("verify", str(bundle), cwd=tmp_path)
    assert r.code == 1, r.out
    assert "FAILED" in r.out
    assert expected in r.out
    assert set(tmp_path.rglob("*")) == before, "verify must not write anything"
    assert not Path("/etc/evil").exists()


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_archive(keep: float, bundle: Path, cli: Callable[..., Result]) -> None:
    data = bundle.read_bytes()
    bundle.write_bytes(data[: int(len(data) * keep)])
    r = cli("verify", str(bundle))
    assert r.code == 1
    assert "truncated or corrupt" in r.out


def test_not_gzip_at_all(bundle: Path, cli: Callable[..., Result]) -> None:
    bundle.write_bytes(b"hello, not a bundle")
    r = cli("verify", str(bundle))
    assert r.code == 1 and "truncated or corrupt" in r.out


def test_missing_bundle_is_a_usage_error(ws: Path, cli: Callable[..., Result]) -> None:
    r = cli("verify", "nope.tar.gz", cwd=ws)
    assert r.code == 2 and "nope.tar.gz" in r.err


def test_all_problems_are_reported_and_json(bundle: Path, cli: Callable[..., Result]) -> None:
    _edit(bundle, lambda ms: (_drop(ms, "firmware/params.json"), ms.append(_regular("x.txt", b"x"))))
    r = cli("verify", "--format", "json", str(bundle))
    assert r.code == 1
    doc = r.json()["bundles"][0]
    assert doc["ok"] is False
    text = "\n".join(doc["problems"])
    assert "firmware/params.json" in text and "x.txt" in text


def test_several_bundles_one_bad(ws: Path, cli: Callable[..., Result]) -> None:
    assert cli("build", "voltway", cwd=ws).code == 0
    good, bad = sorted((ws / "dist" / "voltway").glob("*.tar.gz"))
    bad.write_bytes(bad.read_bytes()[:100])
    r = cli("verify", str(good), str(bad))
    assert r.code == 1
    assert f"ok       {good}" in r.out or f"ok      {good}" in r.out
    assert f"FAILED  {bad}" in r.out
    assert os.path.exists(good)


def test_members_hidden_after_the_end_of_the_archive(bundle: Path, cli: Callable[..., Result]) -> None:
    raw = gzip.decompress(bundle.read_bytes())
    extra = io.BytesIO()
    with tarfile.open(fileobj=extra, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info, data = _regular("software/hidden.json", b"{}\n")
        tar.addfile(info, io.BytesIO(data))
    bundle.write_bytes(gzip.compress(raw + extra.getvalue(), mtime=0))
    r = cli("verify", str(bundle))
    assert r.code == 1 and "data after the end of the tar archive" in r.out


def test_a_second_gzip_member_is_read_too(bundle: Path, cli: Callable[..., Result]) -> None:
    bundle.write_bytes(bundle.read_bytes() + gzip.compress(b"x" * 1024, mtime=0))
    r = cli("verify", str(bundle))
    assert r.code == 1 and "data after the end" in r.out


def test_against_the_release_ledger(ws: Path, cli: Callable[..., Result]) -> None:
    assert cli("build", "voltway-home-22-gb", cwd=ws).code == 0
    r = cli("verify", "--ledger", BUNDLE, cwd=ws)
    assert r.code == 1 and "is not in the release ledger" in r.out  # a development build
    assert cli("release", "voltway-home-22-gb", cwd=ws).code == 0
    assert cli("verify", "--ledger", BUNDLE, cwd=ws).code == 0
    entry = ws / "releases/voltway-home-22-gb/1.0.0.json"
    entry.write_text(entry.read_text().replace('"manifest_sha256": "', '"manifest_sha256": "0'))
    r = cli("verify", "--ledger", BUNDLE, cwd=ws)
    assert r.code == 1 and "differs from the released voltway-home-22-gb 1.0.0" in r.out
