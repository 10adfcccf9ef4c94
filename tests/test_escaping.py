"""Hostile text comes out as the same text in every target syntax, and never as code.

Each escaper is checked by a real reader of its syntax: gcc (C), kconfiglib (Kconfig), json (JSON,
and html.parser for inlining it in a page), tinycss2 (CSS), html.parser (HTML).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import kconfiglib
import pytest
import tinycss2

from oemkit.escape import (
    UnrepresentableText,
    c_string,
    comment_text,
    css_color,
    css_string,
    html_text,
    json_text,
    kconfig_string,
)

HOSTILE = [
    'quote " apostrophe \' backslash \\ end\\',
    "*/ comment end /* and // too",
    "??= ??/ ??' ??( ??) ??! ??< ??> ??- trigraphs",
    "{{ 7*7 }} {% if 1 %}x{% endif %} {# c #}",
    "${x} ${secret:X} $(shell,rm -rf /) $$",
    "<script>alert('x')</script> </style> &amp; &lt;",
    "Ünïcödé ✓ 中文 🚗 مرحبا",
    "\u2028 \u2029 \ufeff \u00a0",
    "%s %n %x %%",
    "0x41\\x41\\101 \\0",
    "",
]
WITH_CONTROL = ["line\nbreak", "tab\there", "cr\rlf", "bell\x07", "del\x7f"]


def _run_c(tmp_path: Path, literals: list[str]) -> list[bytes]:
    """Compile a program printing each literal's bytes (without its NUL), run it, split the output."""
    gcc = shutil.which("gcc")
    assert gcc, "gcc is required (scripts/install-system-deps.sh)"
    lines = ["#include <stdio.h>", "int main(void)", "{"]
    for lit in literals:
        lines.append(f"    fwrite({lit}, 1, sizeof({lit}) - 1, stdout); fputc(0xff, stdout);")
    lines += ["    return 0;", "}", ""]
    src = tmp_path / "t.c"
    src.write_text("\n".join(lines), encoding="ascii")
    exe = tmp_path / "t"
    subprocess.run([gcc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-o", str(exe), str(src)],
                   check=True, capture_output=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True).stdout
    return out.split(b"\xff")[:-1]


def test_c_string_bytes_are_the_utf8_text(tmp_path: Path) -> None:
    texts = HOSTILE + WITH_CONTROL + ["\x00 nul inside"]
    literals = [c_string(t) for t in texts]
    assert all(lit.isascii() and "??" not in lit and "\n" not in lit for lit in literals)
    assert _run_c(tmp_path, literals) == [t.encode("utf-8") for t in texts]


def test_comment_text_cannot_end_or_bend_a_comment() -> None:
    for text in [*HOSTILE, *WITH_CONTROL]:
        out = comment_text(text)
        assert out.isascii()
        for bad in ("*/", "/*", "?", "\\", "\n", "\r", "*"):
            assert bad not in out
    assert comment_text("profiles/partners/ampera/partner.yaml:10") == "profiles/partners/ampera/partner.yaml:10"


def _kconfig_roundtrip(tmp_path: Path, texts: list[str]) -> list[str]:
    tree = "".join(f'config S{i}\n\tstring "s{i}"\n' for i in range(len(texts)))
    (tmp_path / "Kconfig").write_text(tree, encoding="utf-8")
    conf = "".join(f"CONFIG_S{i}={kconfig_string(t)}\n" for i, t in enumerate(texts))
    (tmp_path / "x.conf").write_text(conf, encoding="utf-8")
    kconf = kconfiglib.Kconfig(str(tmp_path / "Kconfig"), warn_to_stderr=False)
    kconf.warn_assign_undef = True
    kconf.load_config(str(tmp_path / "x.conf"))
    assert kconf.warnings == []
    return [kconf.syms[f"S{i}"].str_value for i in range(len(texts))]


def test_kconfig_string_round_trips_through_kconfiglib(tmp_path: Path) -> None:
    assert _kconfig_roundtrip(tmp_path, HOSTILE) == HOSTILE


@pytest.mark.parametrize("text", WITH_CONTROL)
def test_kconfig_string_refuses_control_characters(text: str) -> None:
    with pytest.raises(UnrepresentableText) as info:
        kconfig_string(text)
    assert info.value.target == "a Kconfig string"


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.data.append(data)


@pytest.mark.parametrize("text", HOSTILE + WITH_CONTROL)
def test_json_text_round_trips_and_is_safe_inside_a_script_element(text: str) -> None:
    doc = {"brand": text, "list": [text]}
    out = json_text(doc)
    assert json.loads(out) == doc
    for bad in ("<", ">", "&", "'", "\u2028", "\u2029"):
        assert bad not in out
    parser = _Collect()
    parser.feed(f"<script>var c = {out};</script>")
    parser.close()
    assert parser.tags == ["script"]
    assert "".join(parser.data) == f"var c = {out};"


def _css_value(text: str) -> str:
    rules = tinycss2.parse_stylesheet(f":root {{ --x: {css_string(text)}; }}")
    (rule,) = [r for r in rules if r.type == "qualified-rule"]
    (decl,) = [d for d in tinycss2.parse_declaration_list(rule.content, skip_whitespace=True)
               if d.type == "declaration"]
    (token,) = [t for t in decl.value if t.type != "whitespace"]
    assert token.type == "string"
    return str(token.value)


@pytest.mark.parametrize("text", HOSTILE + WITH_CONTROL)
def test_css_string_round_trips_through_a_css_tokenizer(text: str) -> None:
    out = css_string(text)
    assert out.isascii()
    for bad in ("<", ">", "*/", "\n", "\\\n"):
        assert bad not in out
    assert _css_value(text) == text


def test_css_refuses_nul_and_non_colours() -> None:
    with pytest.raises(UnrepresentableText):
        css_string("a\x00b")
    assert css_color("#0a7C66") == "#0a7C66"
    for bad in ("red; } body { x: y", "#12345", "#1234567", "url(x)"):
        with pytest.raises(ValueError):
            css_color(bad)


@pytest.mark.parametrize("text", HOSTILE)
def test_html_text_round_trips_as_text_and_attribute(text: str) -> None:
    esc = html_text(text)
    parser = _Collect()
    parser.feed(f'<p title="{esc}">{esc}</p>')
    parser.close()
    assert parser.tags == ["p"]
    assert parser.attrs == [("title", text)]
    assert "".join(parser.data) == text
