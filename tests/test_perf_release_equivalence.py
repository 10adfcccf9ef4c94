"""The fast paths of the render and release steps give exactly the bytes of the plain implementations.

Each shortcut (orjson for ``to_json``, the ustar writer, the C comment stripper, the member hash
cache, the shared profile dump, the entry cache) is compared with the straightforward code it
replaced, on hostile and random inputs (hypothesis, fixed seed).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import io
import json
import re
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oemkit.bundle import Hashes, make_manifest, make_sums, pack, sha256_hex, stream_sha256
from oemkit.escape import UnrepresentableText, json_text, kconfig_string
from oemkit.render.identity import _C_TRAILING, _KCONFIG_ORIGIN, without_provenance

_JSON_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027", "\u2028": "\\u2028",
              "\u2029": "\\u2029"}


def _json_reference(value: Any, indent: int | None = 2) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=indent, allow_nan=False,
                      separators=(",", ": ") if indent is not None else (", ", ": "))
    return re.sub("[<>&'\u2028\u2029]", lambda m: _JSON_HTML[m.group()], text)


def _outcome(f: Any, *args: Any) -> tuple[Any, ...]:
    try:
        return ("ok", f(*args))
    except Exception as exc:  # the same error, too
        return ("error", type(exc).__name__, str(exc))


_SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
            | st.floats(allow_nan=True, allow_infinity=True) | st.text()
            | st.text(st.characters(min_codepoint=0xD7F0, max_codepoint=0xE010), max_size=3))
_KEYS = st.text(max_size=4) | st.integers(-3, 3) | st.booleans() | st.none() | st.floats(width=16)
_DOCS = st.recursive(_SCALARS, lambda c: st.lists(c, max_size=4) | st.tuples(c, c)
                     | st.dictionaries(_KEYS, c, max_size=4), max_leaves=25)


@settings(max_examples=800, deadline=None, derandomize=True)
@given(_DOCS)
def test_json_text_is_the_standard_encoder(doc: Any) -> None:
    assert _outcome(json_text, doc) == _outcome(_json_reference, doc)
    assert _outcome(lambda d: json_text(d, indent=None), doc) == _outcome(_json_reference, doc, None)


class _Colour(enum.Enum):
    RED = 1


class _Name(enum.StrEnum):
    A = "a"


@dataclasses.dataclass
class _Point:
    x: int = 1


class _Dict(dict[str, Any]):
    pass


@pytest.mark.parametrize("value", [
    _Colour.RED, _Name.A, [_Name.A], _Point(), datetime.datetime(2024, 1, 1), uuid.UUID(int=1), _Dict(a=1),
    b"bytes", {1: 2}, {"a": float("nan")}, [float("inf")], 1e-5, -1e-7, 1e16, 2.5e300, -0.0, 2**64, -(2**63) - 1,
    2**64 - 1, "\ud800", {"k": "\u2028<&'>"}, [[[[]]]], {"": {}}, (1, "x"),
])
def test_json_text_edge_values(value: Any) -> None:
    assert _outcome(json_text, value) == _outcome(_json_reference, value)


def test_json_text_deep_and_circular_values() -> None:
    deep: list[Any] = []
    cur = deep
    for _ in range(300):
        nxt: list[Any] = []
        cur.append(nxt)
        cur = nxt
    assert _outcome(json_text, deep) == _outcome(_json_reference, deep)
    loop: list[Any] = []
    loop.append(loop)
    assert _outcome(json_text, loop) == _outcome(_json_reference, loop)


def _kconfig_reference(text: str) -> str:
    for ch in text:
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            raise UnrepresentableText("a Kconfig string", text, ch)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.text(st.sampled_from(['a', '"', "\\", "\n", "\t", "\x00", "\x7f", "\x1f", " ", "é", "\x80"])))
def test_kconfig_string_is_the_character_loop(text: str) -> None:
    def run(f: Any) -> tuple[Any, ...]:
        try:
            return ("ok", f(text))
        except UnrepresentableText as exc:
            return ("error", exc.target, exc.text, exc.char)
    assert run(kconfig_string) == run(_kconfig_reference)


_C_PIECES = st.sampled_from([b" ", b"\t", b"\n", b"/", b"*", b'"', b"a", b"\r", b"/* ", b" */", b"/* x */", b"#"])


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(st.lists(_C_PIECES, max_size=30).map(b"".join))
def test_c_provenance_stripping_is_the_regex(data: bytes) -> None:
    assert without_provenance("firmware/oem_config.h", data) == _C_TRAILING.sub(rb"\1", data)


_KCONFIG_PIECES = st.sampled_from([b"\n", b"# ", b"#", b" ", b"CONFIG_", b"A_1", b" is not set", b"x", b"\r",
                                   b"# CONFIG_X is not set", b"CONFIG_X=y"])


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(st.lists(_KCONFIG_PIECES, max_size=25).map(b"".join))
def test_kconfig_provenance_stripping_is_the_regex(data: bytes) -> None:
    assert without_provenance("firmware/oem.conf", data) == _KCONFIG_ORIGIN.sub(b"", data)


def test_pack_holds_numbers_ustar_cannot() -> None:
    members = {"a.txt": b"hello"}
    late = pack(members, mtime=8**11)  # needs a pax header
    with tarfile.open(fileobj=io.BytesIO(late), mode="r:gz") as tar:
        info = tar.getmember("a.txt")
        assert info.mtime == 8**11 and tar.extractfile(info).read() == b"hello"  # type: ignore[union-attr]
    assert pack(members, mtime=5) != late


def test_hashes_are_reused_only_for_the_same_bytes() -> None:
    hashes = Hashes()
    one, two = b"one", b"two"
    assert hashes("f", one) == sha256_hex(one)
    assert hashes("f", two) == sha256_hex(two)  # same name, other bytes: hashed again
    files = {"firmware/oem_config.h": b"#define A 1 /* a.yaml:1 */\n", "firmware/params.json": b"{}\n",
             "software/config.json": b"{}\n", "x.md": b"x"}
    manifest = make_manifest({"id": "x"}, files, hashes)
    assert manifest == make_manifest({"id": "x"}, files)
    assert make_sums(files, manifest, hashes) == make_sums(files, manifest)
    for stream in ("firmware", "software"):
        assert stream_sha256(files, stream, hashes) == stream_sha256(files, stream)


def test_profile_dump_is_shared_only_with_the_same_profile(tmp_path: Path) -> None:
    from oemkit.check import check_profile
    from oemkit.render import profile_data
    from oemkit.workspace import Workspace
    from tests.conftest import copy_workspace

    ws = Workspace(copy_workspace(tmp_path / "ws"))
    path = ws.root / "profiles/partners/voltway/home-22-gb.yaml"
    first = check_profile(ws, path).profile
    second = check_profile(ws, ws.root / "profiles/partners/voltway/home-7-gb.yaml").profile
    assert first is not None and second is not None
    assert profile_data(first) == first.model_dump(mode="json")
    assert profile_data(first) is profile_data(first)
    assert profile_data(second) == second.model_dump(mode="json")
    assert profile_data(first) == first.model_dump(mode="json")


def test_firmware_entries_keep_float_spelling_and_bool_int_apart() -> None:
    from oemkit.render.entries import firmware_entries

    doc: dict[str, Any] = {"charging": {"x": -0.0}}
    again: dict[str, Any] = {"charging": {"x": 0.0}}
    assert firmware_entries(doc, {})[0].c_literal == "-0.0"
    assert firmware_entries(again, {})[0].c_literal == "0.0"
    flag = firmware_entries({"a": True}, {})[0]
    one = firmware_entries({"a": 1}, {})[0]
    assert (flag.kind, one.kind) == ("bool", "int")
    with pytest.raises(UnrepresentableText) as info:
        firmware_entries({"a": {"b": "line\nbreak"}}, {})
    assert info.value.path == "a.b"


def test_memoised_filters_answer_like_the_escapers() -> None:
    from oemkit.render.env import filters

    kconfig = filters()["kconfig_string"]
    for text in ("a.b", 'quote " and \\', "a.b"):
        assert kconfig(text) == kconfig_string(text)
    for _ in range(2):  # an error is raised every time, never remembered as a result
        with pytest.raises(UnrepresentableText):
            kconfig("line\nbreak")
    with pytest.raises(TypeError):
        kconfig(5)
    help_line = filters()["kconfig_help"]
    assert help_line("two\n  lines */ here") == help_line("two\n  lines */ here") == "two lines %2A/ here"


def test_atomic_writes_create_a_missing_folder_and_keep_the_old_errors(tmp_path: Path) -> None:
    from oemkit import atomic

    target = tmp_path / "new" / "deeper" / "file.bin"
    atomic.write_bytes(target, b"one")
    atomic.write_bytes(str(target), b"two", durable=False)
    assert target.read_bytes() == b"two" and target.stat().st_mode & 0o777 == 0o644
    assert atomic.create_exclusive(tmp_path / "ledger" / "1.0.0.json", b"{}") is True
    assert atomic.create_exclusive(tmp_path / "ledger" / "1.0.0.json", b"{}") is False
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"x")
    with pytest.raises(OSError) as written:
        atomic.write_bytes(blocker / "sub" / "f", b"x")
    with pytest.raises(OSError) as made:
        (blocker / "sub").mkdir(parents=True, exist_ok=True)
    assert type(written.value) is type(made.value)
    with pytest.raises(OSError), atomic.locked(blocker / "sub"):
        pass
    with atomic.locked(tmp_path / "locked" / "here"):
        assert (tmp_path / "locked" / "here").is_dir()
    assert sorted(p.name for p in tmp_path.rglob(f"*{atomic.TMP_SUFFIX}")) == []


def test_flat_template_globals_are_jinjas_globals() -> None:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    from oemkit.render.env import FlatGlobalsEnvironment, FlatGlobalsSandboxedEnvironment

    source = ("{{ range(3)|list }} {{ dict(a=1) }} {{ own }} {{ shadow }} {% set ns = namespace(n=2) %}{{ ns.n }} "
              "{{ cycler('x').next() }} {{ joiner('+')() }}|{{ lipsum(1, html=False)[:0] }}")
    for plain_kind, flat_kind in ((jinja2.Environment, FlatGlobalsEnvironment),
                                  (SandboxedEnvironment, FlatGlobalsSandboxedEnvironment)):
        plain, flat = plain_kind(), flat_kind()
        for env in (plain, flat):
            env.globals["shadow"] = "environment"
        pages = [env.from_string(source, globals={"own": "template", "shadow": "template wins"}).render()
                 for env in (plain, flat)]
        assert pages[0] == pages[1]
        assert "template wins" in pages[1] and "[0, 1, 2]" in pages[1]
    # The sandbox's own range (bounded) is still the one its templates get.
    with pytest.raises(OverflowError):
        FlatGlobalsSandboxedEnvironment().from_string("{{ range(10**9) }}").render()


def test_firmware_entries_from_the_cache_are_the_entries_built_afresh() -> None:
    from oemkit.render import entries
    from oemkit.tree import Leaf, Origin, SeqNode

    doc: dict[str, Any] = {"charging": {"max_current_a": 16, "phases": 3}, "display": {"languages": ["de", "en"]}}
    prov_a: dict[str, Any] = {
        "charging.max_current_a": Leaf(16, Origin("p/a.yaml", 4, 18)),
        "display.languages": SeqNode([Leaf("de", Origin("p/a.yaml", 9, 14))], Origin("p/a.yaml", 9, 13)),
    }
    # The same lines at other columns, and another line: equal text, then other text.
    prov_b = {**prov_a, "charging.max_current_a": Leaf(16, Origin("p/a.yaml", 4, 30))}
    prov_c = {**prov_a, "charging.max_current_a": Leaf(16, Origin("p/a.yaml", 5, 18))}
    for prov in (prov_a, prov_b, prov_c, prov_a):
        warm = entries.firmware_entries(doc, prov)
        entries._cache.clear()
        assert entries.firmware_entries(doc, prov) == warm
        by_path = {e.path: e.origin for e in warm}
        assert by_path["display.languages.1"] == by_path["display.languages.count"] == "p/a.yaml:9"
        assert by_path["charging.phases"] == "model default"
    assert {e.path: e.origin for e in entries.firmware_entries(doc, prov_c)}["charging.max_current_a"] == "p/a.yaml:5"
