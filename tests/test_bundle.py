"""Bundle format and reproducibility: same inputs -> same bytes, in any folder, at any time."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from oemkit.bundle import (
    DEFAULT_SOURCE_DATE_EPOCH,
    canonical_json,
    make_manifest,
    make_sums,
    pack,
    stream_sha256,
)
from tests.conftest import REPO, Result, copy_workspace

BUNDLE = "dist/voltway/voltway-home-22-gb-1.0.0.tar.gz"


def _build(ws: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    full_env.update({"PYTHONPATH": str(REPO), **(env or {})})
    return subprocess.run([sys.executable, "-m", "oemkit", "build", "--all", "--format", "json", *extra], cwd=ws,
                          env=full_env, capture_output=True, text=True, check=False)


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def test_two_builds_in_different_folders_at_different_times_are_byte_identical(tmp_path: Path) -> None:
    a = copy_workspace(tmp_path / "first")
    b = copy_workspace(tmp_path / "elsewhere" / "second")
    # Different file times and time zone for the second build: nothing of that may leak into the bundle.
    for path in (b / "profiles").rglob("*"):
        os.utime(path, (2_000_000_000, 2_000_000_000))
    ra = _build(a, env={"PYTHONHASHSEED": "1"})
    rb = _build(b, env={"TZ": "Asia/Tokyo", "LC_ALL": "C", "PYTHONHASHSEED": "12345"})
    assert ra.returncode == 0, ra.stderr
    assert rb.returncode == 0, rb.stderr
    bundles_a = sorted(p.relative_to(a) for p in (a / "dist").rglob("*.tar.gz"))
    bundles_b = sorted(p.relative_to(b) for p in (b / "dist").rglob("*.tar.gz"))
    assert bundles_a == bundles_b and len(bundles_a) == 6
    for rel in bundles_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_archive_headers_are_normalised(ws: Path, cli: Callable[..., Result]) -> None:
    assert cli("build", "voltway-home-22-gb", cwd=ws).code == 0
    raw = (ws / BUNDLE).read_bytes()
    assert raw[:3] == b"\x1f\x8b\x08"
    assert raw[3] == 0, "no FNAME/FEXTRA/FCOMMENT flags: the gzip header holds no file name"
    assert raw[4:8] == b"\0\0\0\0", "gzip header mtime must be 0"
    with tarfile.open(ws / BUNDLE, "r:gz") as tar:
        infos = tar.getmembers()
    names = [i.name for i in infos]
    assert names == sorted(names)
    assert {"manifest.json", "SHA256SUMS", "RELEASE_NOTES.md", "profile.resolved.json", "tests/report.xml",
            "firmware/params.json", "software/config.json"} <= set(names)
    for i in infos:
        assert i.isreg()
        assert (i.uid, i.gid, i.uname, i.gname, i.mode) == (0, 0, "", "", 0o644)
        assert i.mtime == DEFAULT_SOURCE_DATE_EPOCH
        assert not i.pax_headers


def test_source_date_epoch_sets_member_times_and_manifest(ws: Path, cli: Callable[..., Result],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1750000000")
    assert cli("build", "voltway-home-22-gb", cwd=ws).code == 0
    with tarfile.open(ws / BUNDLE, "r:gz") as tar:
        assert {m.mtime for m in tar.getmembers()} == {1750000000}
    assert json.loads(_members(ws / BUNDLE)["manifest.json"])["source_date_epoch"] == 1750000000


def test_bad_source_date_epoch_is_a_usage_error(ws: Path, cli: Callable[..., Result],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    r = cli("build", "voltway-home-22-gb", cwd=ws)
    assert r.code == 2
    assert "SOURCE_DATE_EPOCH" in r.err


def test_manifest_lists_every_payload_file_and_streams(ws: Path, cli: Callable[..., Result]) -> None:
    assert cli("build", "voltway-home-22-gb", cwd=ws).code == 0
    members = _members(ws / BUNDLE)
    manifest = json.loads(members["manifest.json"])
    assert manifest["format"] == 1
    assert manifest["id"] == "voltway-home-22-gb" and manifest["version"] == "1.0.0"
    assert manifest["toolkit"]["name"] == "oemkit"
    assert manifest["streams"]["firmware"]["owner"] == "factory"
    assert manifest["streams"]["software"]["owner"] == "voltway"
    assert manifest["compatibility"]["requires"] == {"firmware": ">=1.0.0"}
    assert manifest["compatibility"]["hardware_revisions"] == ["C"]
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(members) - {"manifest.json", "SHA256SUMS", "manifest.sig"}
    for name, f in listed.items():
        assert f["sha256"] == hashlib.sha256(members[name]).hexdigest()
        assert f["size"] == len(members[name])
    for stream in ("firmware", "software"):
        assert manifest["streams"][stream]["sha256"] == stream_sha256(members, stream)
    resolved = json.loads(members["profile.resolved.json"])
    assert resolved["profile"]["partner"]["id"] == "voltway"
    assert resolved["provenance"]["tariff.currency"]["file"] == "profiles/partners/voltway/partner.yaml"


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs coreutils sha256sum")
def test_sha256sums_checks_with_coreutils(ws: Path, cli: Callable[..., Result], tmp_path: Path) -> None:
    assert cli("build", "voltway-home-22-gb", cwd=ws).code == 0
    out = tmp_path / "unpacked"
    for name, data in _members(ws / BUNDLE).items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    r = subprocess.run(["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=out, capture_output=True, text=True,
                       check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "manifest.json: OK" in r.stdout


def test_pack_is_deterministic_and_order_independent() -> None:
    files = {"software/b.json": b"{}\n", "firmware/a.h": b"#define A 1\n"}
    manifest = make_manifest({"id": "x", "version": "1.0.0"}, files)
    members = {**files, "manifest.json": manifest, "SHA256SUMS": make_sums(files, manifest)}
    one = pack(members, mtime=5)
    two = pack(dict(reversed(list(members.items()))), mtime=5)
    assert one == two
    assert pack(members, mtime=6) != one
    with tarfile.open(fileobj=io.BytesIO(one), mode="r:gz") as tar:
        assert [m.name for m in tar] == sorted(members)


@pytest.mark.parametrize("name", ["/etc/passwd", "../x", "a/../../x", "a b", ""])
def test_pack_refuses_unsafe_names(name: str) -> None:
    with pytest.raises(ValueError, match="unsafe"):
        pack({name: b"x"}, mtime=0)


def test_canonical_json_is_sorted_and_ends_with_newline() -> None:
    assert canonical_json({"b": 1, "a": "é"}) == '{\n  "a": "é",\n  "b": 1\n}\n'.encode()
