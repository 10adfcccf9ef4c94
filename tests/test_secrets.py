"""Secrets never leak: every secret the examples reference is set to a marker, everything is built,
released, signed, explained and split, and the marker appears in no file written and no output.

Secrets are read from ``OEMKIT_SECRET_<NAME>`` (the contract in oemkit/model.py); the bare name
is set too, in case a step ever reads that. Bundles are scanned member by member after
decompression, and so is every other file the runs leave in the workspace (ledger, cache, reports).
"""

from __future__ import annotations

import gzip
import io
import re
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Result

_REF = re.compile(rb"secret:\s*([A-Z][A-Z0-9_]+)")


def _secret_names(ws: Path) -> set[str]:
    return {m.decode() for p in (ws / "profiles").rglob("*.yaml") for m in _REF.findall(p.read_bytes())}


def _payloads(name: str, data: bytes, depth: int = 0) -> Iterator[tuple[str, bytes]]:
    """The bytes of a file and, recursively, of every archive member or decompressed stream in it."""
    yield name, data
    if depth > 3:
        return
    if data[:2] == b"\x1f\x8b":
        yield from _payloads(name + "!gunzip", gzip.decompress(data), depth + 1)
    elif data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                yield from _payloads(f"{name}!{info.filename}", zf.read(info), depth + 1)
    elif len(data) > 262 and data[257:262] == b"ustar":
        with tarfile.open(fileobj=io.BytesIO(data)) as tf:
            for member in tf.getmembers():
                fh = tf.extractfile(member)
                if fh is not None:
                    yield from _payloads(f"{name}!{member.name}", fh.read(), depth + 1)


def _leaks(root: Path, markers: dict[str, bytes]) -> list[str]:
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        for name, data in _payloads(str(path.relative_to(root)), path.read_bytes()):
            found += [f"{secret} in {name}" for secret, marker in markers.items() if marker in data]
    return found


@pytest.fixture
def markers(ws: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    names = _secret_names(ws)
    assert len(names) >= 2, "the examples reference secrets; this test needs them"
    out = {}
    for name in sorted(names):
        value = f"LEAKED-{name}-7f3a9c"
        monkeypatch.setenv(f"OEMKIT_SECRET_{name}", value)
        monkeypatch.setenv(name, value)
        out[name] = value.encode()
    return out


def test_no_secret_in_any_bundle_ledger_report_or_output(
    ws: Path, cli: Callable[..., Result], markers: dict[str, bytes], tmp_path: Path
) -> None:
    outputs: list[Result] = []
    (tmp_path / "keys").mkdir()
    key = tmp_path / "keys" / "release"
    outputs.append(cli("keygen", "-o", str(key), cwd=ws))
    assert outputs[-1].code == 0, outputs[-1].err
    outputs.append(cli("check", "--format", "json", cwd=ws))
    outputs.append(cli("check", "--format", "sarif", cwd=ws))
    outputs.append(cli("build", "--all", "--format", "json", "--sign-key", f"{key}.key", cwd=ws))
    assert outputs[-1].code == 0, outputs[-1].out + outputs[-1].err
    outputs.append(cli("build", "--all", "--jobs", "2", "--no-cache", "-o", "dist2", cwd=ws))
    outputs.append(cli("release", "--all", "--format", "json", "--sign-key", f"{key}.key", cwd=ws))
    assert outputs[-1].code == 0, outputs[-1].out + outputs[-1].err
    for profile in ("voltway-home-22-gb", "ampera-wallbox-22-de"):
        outputs.append(cli("explain", profile, cwd=ws))
        outputs.append(cli("explain", profile, "ocpp.basic_auth_password", "--format", "json", cwd=ws))
        outputs.append(cli("split", profile, "-o", str(ws / "split" / profile), cwd=ws))
    bundles = list(ws.rglob("*.tar.gz"))
    assert bundles, "the builds wrote bundles"
    for res in outputs:
        for secret, marker in markers.items():
            assert marker.decode() not in res.out + res.err, f"{secret} printed"
    assert _leaks(ws, markers) == []


def test_no_secret_in_error_messages(ws: Path, cli: Callable[..., Result], markers: dict[str, bytes]) -> None:
    """A profile that fails (a bad value next to the secret reference) reports without the secret."""
    partner = ws / "profiles/partners/voltway/partner.yaml"
    text = partner.read_text(encoding="utf-8")
    partner.write_text(text.replace("security_profile: 2", "security_profile: 7"), encoding="utf-8")
    results = [cli("build", "--all", "--format", "json", cwd=ws), cli("check", cwd=ws),
               cli("explain", "voltway-home-22-gb", cwd=ws), cli("split", "voltway-home-22-gb", cwd=ws)]
    assert results[0].code == 1
    for res in results:
        for marker in markers.values():
            assert marker.decode() not in res.out + res.err
    assert _leaks(ws, markers) == []


def test_scanner_finds_a_planted_marker(tmp_path: Path) -> None:
    """The scan itself works: a marker hidden in a gzipped tar member is found."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        data = b"password=PLANTED"
        info = tarfile.TarInfo("software/config.json")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    (tmp_path / "b.tar.gz").write_bytes(buf.getvalue())
    assert "X in b.tar.gz!gunzip!software/config.json" in _leaks(tmp_path, {"X": b"PLANTED"})
