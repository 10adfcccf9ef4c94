"""Text -> literal of one target syntax, so that any Unicode text comes out as the same text and never as code.

One function per target: C string literals (:func:`c_string`), comments in C, CSS and Kconfig files
(:func:`comment_text`), Kconfig ``.config`` strings (:func:`kconfig_string`), JSON (:func:`json_text`,
safe to inline in an HTML ``<script>``), CSS strings (:func:`css_string`) and HTML text or attribute
values (:func:`html_text`). Text a target cannot hold (a line break in a Kconfig string, NUL in CSS)
raises :class:`UnrepresentableText` instead of being changed silently. The renderer
(:mod:`oemkit.render`) exposes these as Jinja filters; nothing here knows about profiles.
"""

from __future__ import annotations

import json
import re
from typing import Any

import markupsafe
import orjson

__all__ = [
    "UnrepresentableText",
    "c_string",
    "comment_text",
    "css_color",
    "css_string",
    "html_text",
    "json_text",
    "kconfig_string",
]


class UnrepresentableText(ValueError):
    """The text holds characters the target syntax cannot carry; ``target`` names it, ``char`` the first one."""

    def __init__(self, target: str, text: str, char: str) -> None:
        self.target = target
        self.text = text
        self.char = char
        self.path = ""  # set by a caller that knows which profile value it was
        super().__init__(f"{target} cannot hold the character U+{ord(char):04X} in {text!r}")


# Printable ASCII that stands for itself inside a C string literal. '?' is excluded because -std=c11
# turns trigraphs such as ??= and ??/ into other characters; '"' and '\\' get their own escapes.
_C_PLAIN = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\", "?"}


def c_string(text: str) -> str:
    """A C11 string literal whose bytes are the UTF-8 encoding of ``text`` (ASCII-only source).

    Non-ASCII and control bytes become 3-digit octal escapes: unlike ``\\x`` they never swallow a
    following hex digit. ``?`` becomes ``\\?`` so no trigraph can form.
    """
    out = ['"']
    for ch in text:
        if ch in _C_PLAIN:
            out.append(ch)
        elif ch in '"\\?':
            out.append("\\" + ch)
        else:
            out.extend(f"\\{b:03o}" for b in ch.encode("utf-8"))
    out.append('"')
    return "".join(out)


_COMMENT_SAFE = re.compile(r"[^A-Za-z0-9 ._:/+,=@#()\[\]-]")


def comment_text(text: str) -> str:
    """Text for a one-line comment in C, CSS or Kconfig: anything that could end or bend it is %-escaped.

    Keeps file paths and ``file:line`` readable; ``*/``, ``?`` (trigraphs), ``\\`` (line splices),
    line breaks and non-ASCII become ``%XX`` (UTF-8 bytes).
    """
    return _COMMENT_SAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), text)


_KCONFIG_CONTROL = re.compile("[\x00-\x1f\x7f]")


def kconfig_string(text: str) -> str:
    """A quoted string value for a Kconfig ``.config`` fragment (as kconfiglib and the C tools read it).

    Only ``"`` and ``\\`` need escaping there; a ``.config`` value is one line, so control
    characters (line breaks, tabs, NUL, DEL) cannot be carried and raise :class:`UnrepresentableText`.
    """
    bad = _KCONFIG_CONTROL.search(text)  # one C-level scan instead of a Python loop over every character
    if bad is not None:
        raise UnrepresentableText("a Kconfig string", text, bad.group())
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Characters a JSON document may hold literally but an HTML page inlining it must not see.
_JSON_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027", "\u2028": "\\u2028",
              "\u2029": "\\u2029"}
_JSON_HTML_RE = re.compile("[<>&'\u2028\u2029]")


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """Deterministic JSON (UTF-8 text, keys in insertion order), safe to inline in HTML ``<script>``.

    ``<``, ``>``, ``&``, ``'``, U+2028 and U+2029 are written as ``\\uXXXX``; these characters occur
    only inside JSON strings, so the escapes change no structure and decode to the same text.
    """
    text = _orjson_text(value) if indent == 2 and _orjson_safe(value, 0) else None
    if text is None:
        text = json.dumps(value, ensure_ascii=False, indent=indent, allow_nan=False,
                          separators=(",", ": ") if indent is not None else (", ", ": "))
    # Substring scans are much faster than the regex over text that needs no escape (nearly all).
    if "<" in text or ">" in text or "&" in text or "'" in text or "\u2028" in text or "\u2029" in text:
        return _JSON_HTML_RE.sub(_json_html_escape, text)
    return text


def _orjson_text(value: Any) -> str | None:
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8")
    except TypeError:  # e.g. a lone surrogate, which orjson refuses: the standard encoder decides
        return None


def _json_html_escape(match: re.Match[str]) -> str:
    return _JSON_HTML[match.group()]


# The standard library's indenting encoder is pure Python; orjson writes the same bytes for plain
# data (checked for every code point and for floats outside exponent form). Anything else (floats
# that repr in exponent form, NaN, integers beyond 64 bits, non-string keys, subclasses, other
# types, very deep nesting) keeps the standard encoder, with its exact output and errors.
_ORJSON_MAX_DEPTH = 100
_INT64_MIN = -(2**63)
_UINT64_END = 2**64


def _orjson_safe(value: Any, depth: int) -> bool:
    """True when ``orjson`` gives exactly ``json.dumps(value, ensure_ascii=False, indent=2)``."""
    kind = type(value)
    if kind is dict:
        if depth >= _ORJSON_MAX_DEPTH:
            return False
        for key, item in value.items():
            if type(key) is not str:
                return False
            sub = type(item)
            if sub is str or sub is bool or item is None:  # the common leaves, without a call
                continue
            if not _orjson_safe(item, depth + 1):
                return False
        return True
    if kind is list or kind is tuple:
        if depth >= _ORJSON_MAX_DEPTH:
            return False
        for item in value:
            sub = type(item)
            if sub is str or sub is bool or item is None:
                continue
            if not _orjson_safe(item, depth + 1):
                return False
        return True
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(_INT64_MIN <= value < _UINT64_END)
    if kind is float:  # repr switches to exponent form (1e-05, 1e+16) outside this range; orjson spells it 1e-5
        return bool(value == 0.0 or 1e-4 <= abs(value) < 1e16)
    return False


_CSS_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;_-+=@#!%()~^|?$/")


def css_string(text: str) -> str:
    """A double-quoted CSS string (ASCII-only) holding ``text``.

    Everything but letters, digits and harmless punctuation becomes a hex escape followed by one
    space (which the CSS tokenizer consumes as the escape's end), so neither ``"``, ``\\``, ``*/``,
    ``</style>`` nor a line break can leave the string. U+0000 cannot be written in CSS (it reads
    as U+FFFD) and raises :class:`UnrepresentableText`.
    """
    out = ['"']
    for ch in text:
        if ch in _CSS_PLAIN:
            out.append(ch)
        elif ch == "\0":
            raise UnrepresentableText("a CSS string", text, ch)
        else:
            out.append(f"\\{ord(ch):x} ")
    out.append('"')
    return "".join(out)


_COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")


def css_color(value: str) -> str:
    """A ``#RRGGBB`` colour, checked (anything else would be CSS code, not a colour)."""
    if not _COLOR_RE.match(value):
        raise ValueError(f"not a #RRGGBB colour: {value!r}")
    return value


def html_text(text: str) -> str:
    """Text for HTML element content or a quoted attribute value (``& < > " '`` escaped)."""
    return str(markupsafe.escape(text))
