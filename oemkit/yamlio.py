"""Read one YAML file into an annotated tree: YAML 1.2 core schema, a position for every value.

libyaml (through PyYAML's ``CParser``) builds the node graph with marks; a small resolver gives
YAML 1.2 core-schema semantics (``NO``, ``on``, ``yes`` stay strings; ``02:00`` is a string), and
:func:`_build` turns nodes into :mod:`oemkit.tree` nodes while enforcing the documented bounds
(file size, aliases, depth, nodes), rejecting duplicate keys, tags, merge keys and non-string keys.
Merging and ``extends`` live in :mod:`oemkit.merge` and :mod:`oemkit.loader`.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
from yaml._yaml import CParser
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from oemkit.errors import Finding
from oemkit.tree import Leaf, MapNode, Origin, SeqNode, TNode

__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "LoadFailure",
    "parse_bytes",
]

#: Bounds, documented in docs/limits.md: anything beyond is refused with a finding. A real profile
#: is 1-10 KB with a few hundred values; the bounds keep the worst input under two seconds.
MAX_FILE_BYTES = 256 * 1024
MAX_ALIASES = 100
MAX_DEPTH = 64
MAX_NODES = 20_000

_CORE = "tag:yaml.org,2002:"


class LoadFailure(Exception):
    """A file cannot be read as a profile layer; carries the finding."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        super().__init__(finding.text())


class _CoreResolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema (not PyYAML's 1.1 rules: no yes/no/on/off, no sexagesimals, no timestamps)."""


_CoreResolver.yaml_implicit_resolvers = {}
#: Core-schema pattern per tag, also used to check scalars with an explicit tag (``!!int abc``).
_CORE_PATTERNS: dict[str, re.Pattern[str]] = {}
for _tag, _regexp, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    _CORE_PATTERNS[_CORE + _tag] = re.compile(_regexp)
    _CoreResolver.add_implicit_resolver(_CORE + _tag, _CORE_PATTERNS[_CORE + _tag], list(_first))


_STR = _CORE + "str"
#: What :meth:`yaml.resolver.BaseResolver.resolve` answers for each kind of node when no implicit
#: resolver matches (this resolver has no path resolvers).
_DEFAULT_TAGS: dict[type[Node], str] = {ScalarNode: _STR, SequenceNode: _CORE + "seq", MappingNode: _CORE + "map"}


class _Composer(CParser, _CoreResolver):
    """libyaml parser + composer with the core-schema resolver; composes nodes only."""

    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        _CoreResolver.__init__(self)

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        """:meth:`BaseResolver.resolve` for this resolver (no wildcard or path resolvers), without the
        work those need: libyaml calls it for every node without an explicit tag."""
        if kind is ScalarNode and implicit[0]:
            for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                if regexp.match(value):
                    return str(tag)
        return _DEFAULT_TAGS[kind]


def _finding(rule: str, file: str, line: int, column: int, message: str, hint: str, path: str = "") -> LoadFailure:
    return LoadFailure(
        Finding(rule=rule, severity="error", file=file, line=line, column=column, path=path,
                message=message, hint=hint, source="YAML 1.2.2 spec; oemkit profile format")
    )


def _decode(data: bytes, file: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) > 1 and (data[0] == 0 or data[1] == 0)):
        raise _finding("YAML-ENCODING", file, 1, 1, "the file is UTF-16 or UTF-32, not UTF-8.",
                       "save the file as UTF-8 (in most editors: 'Save with encoding' > UTF-8).")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 BOM is allowed by YAML and carries no meaning
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _finding("YAML-ENCODING", file, line, col,
                       f"byte 0x{data[exc.start]:02x} is not valid UTF-8 (the file was probably saved as "
                       "Latin-1 or Windows-1252).", "save the file as UTF-8 and check the characters on "
                       "that line.") from None
    odd = _ODD_CHARS.search(text)
    if odd is not None:
        char = odd.group()
        line, col = _text_position(text, odd.start())
        if char == "\x00":
            raise _finding("YAML-ENCODING", file, line, col, "the file contains a NUL byte.",
                           "remove the NUL byte; profiles are plain UTF-8 text.")
        # YAML 1.1 (libyaml) reads these as line breaks, YAML 1.2 and editors do not: lines and values
        # would silently differ between tools, so the file is refused rather than guessed at.
        raise _finding("YAML-ENCODING", file, line, col,
                       f"the file contains the invisible line separator U+{ord(char):04X}, which YAML tools "
                       "disagree on (usually pasted from a word processor or PDF).",
                       "delete it or replace it with a normal line break; in a quoted string write "
                       f"\\u{ord(char):04X} if it is really meant.")
    return text


#: NUL, and the characters YAML 1.1 treats as line breaks but YAML 1.2 does not (NEL, LS, PS).
_ODD_CHARS = re.compile("[\x00\x85\u2028\u2029]")
_BREAK = re.compile(r"\r\n|\r|\n")


def _text_position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character offset, counting line breaks as libyaml does."""
    breaks = list(_BREAK.finditer(text, 0, index))
    start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, index - start + 1


#: Files longer than this get the event pre-pass too, so node count is bounded before composing.
_PREPASS_CHARS = 64 * 1024


def _depth_bound(text: str) -> int:
    """A cheap upper bound of the nesting depth: every level needs an indicator or a new line."""
    return sum(text.count(c) for c in "[{-:?\n")


def _check_depth_by_events(text: str, file: str) -> None:
    """Exact depth (and node count) check on the event stream, run only when the cheap bound is high.

    libyaml's composer recurses in C; very deep nesting would crash the interpreter, so it must
    never see it. Counting nodes here also keeps the composer from building a huge graph first.
    """
    depth = nodes = 0
    try:
        for event in yaml.parse(text, Loader=_Composer):  # type: ignore[arg-type]
            if isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
                nodes += 1
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                nodes += 1
                depth += 1
                if depth > MAX_DEPTH + 1:  # the top-level mapping is depth 0 for the builder, 1 here
                    mark = event.start_mark
                    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
                    raise _finding("YAML-LIMIT", file, line, col,
                                   f"nesting is deeper than {MAX_DEPTH} levels.",
                                   "flatten the structure; no profile key nests that deep.")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            if nodes > MAX_NODES:  # stop here rather than let the composer build all of them
                mark = event.start_mark
                line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
                raise _finding("YAML-LIMIT", file, line, col, f"more than {MAX_NODES} values in one file.",
                               "split the file; no profile needs that many values.")
    except yaml.YAMLError:
        return  # the composer reports syntax errors with their position


_HINTS = (
    ("found duplicate anchor", "give each anchor (&name) a unique name."),
    ("found undefined alias", "define the anchor (&name) before using the alias (*name)."),
    ("mapping values are not allowed here", "quote the value (\"...\") if it contains ': ', or fix the indentation."),
    ("expected <block end>", "check the indentation of this line against the lines above."),
)


def _syntax_failure(exc: yaml.YAMLError, file: str, source: str) -> LoadFailure:
    if isinstance(exc, yaml.reader.ReaderError):  # libyaml gives a byte offset, not a mark
        index = len(source.encode("utf-8")[: exc.position].decode("utf-8", "ignore"))
        line, col = _text_position(source, index)
        return _finding("YAML-SYNTAX", file, line, col, f"the character U+{exc.character:04X} is not allowed "
                        "in YAML (a control character).", "delete it; it is usually invisible, pasted from "
                        "another program.")
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    if "end of stream" in str(getattr(exc, "problem", "")) and context_mark is not None:
        mark = context_mark  # "unexpected end of stream": the unclosed quote or bracket is what to fix
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if "maximum nesting depth" in str(getattr(exc, "problem", "")):  # newer libyaml stops at 1,000 levels itself
        return _finding("YAML-LIMIT", file, line, col, f"nesting is deeper than {MAX_DEPTH} levels.",
                        "flatten the structure; no profile key nests that deep.")
    if mark is not None and source[mark.index : mark.index + 1] == "\t":
        return _finding("YAML-TAB", file, line, col, "a tab character is used where YAML needs spaces.",
                        "indent with spaces only (set your editor to insert spaces for Tab).")
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    msg = f"YAML syntax error: {problem}" + (f" ({context})" if context else "") + "."
    text = str(exc)
    hint = next((h for needle, h in _HINTS if needle in text), "fix the YAML syntax at this position.")
    return _finding("YAML-SYNTAX", file, line, col, msg, hint)


class _Builder:
    """Turns a composed node graph into a tree, enforcing bounds; one instance per file."""

    __slots__ = ("aliases", "file", "nodes", "seen")

    def __init__(self, file: str) -> None:
        self.file = file
        self.aliases = 0
        self.nodes = 0
        self.seen: set[int] = set()

    def origin(self, node: Node) -> Origin:
        mark = node.start_mark
        # tuple.__new__: the NamedTuple's own __new__ is a Python function, and this runs for every node
        return tuple.__new__(Origin, (self.file, mark.line + 1, mark.column + 1))

    def fail(self, rule: str, node: Node, message: str, hint: str, path: str = "") -> LoadFailure:
        o = self.origin(node)
        return _finding(rule, self.file, o.line, o.column, message, hint, path)

    def build(self, node: Node, path: str, depth: int) -> TNode:
        if id(node) in self.seen:
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise self.fail("YAML-LIMIT", node, f"more than {MAX_ALIASES} alias expansions.",
                                "write the values out or use 'extends'; large alias expansions are refused "
                                "to protect the build (billion-laughs attack).", path)
        self.seen.add(id(node))
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail("YAML-LIMIT", node, f"more than {MAX_NODES} values in one file.",
                            "split the file; no profile needs that many values.", path)
        if depth > MAX_DEPTH:
            raise self.fail("YAML-LIMIT", node, f"nesting is deeper than {MAX_DEPTH} levels.",
                            "flatten the structure; no profile key nests that deep.", path)
        tag = node.tag
        if isinstance(node, ScalarNode):
            return Leaf(node.value if tag == _STR else self.scalar(node, path), self.origin(node))
        if isinstance(node, SequenceNode):
            if tag != _CORE + "seq":
                raise self._tag_error(node, path)
            seq = SeqNode([self.build(item, f"{path}.{i}" if path else str(i), depth + 1)
                           for i, item in enumerate(node.value)], self.origin(node))
            return seq
        if isinstance(node, MappingNode):
            if tag != _CORE + "map":
                raise self._tag_error(node, path)
            items: dict[str, TNode] = {}
            key_origins: dict[str, Origin] = {}
            for knode, vnode in node.value:
                if not isinstance(knode, ScalarNode):
                    raise self.fail("YAML-KEY", knode, "a key must be a plain name, not a list or mapping.",
                                    "use a string key.", path)
                key = knode.value if knode.tag == _STR else self.scalar(knode, path)
                if knode.value == "<<" and not knode.style:
                    raise self.fail("YAML-MERGE-KEY", knode, "merge keys ('<<') are YAML 1.1 and not supported.",
                                    "use 'extends' to inherit from another file, or write the keys out.", path)
                if not isinstance(key, str):
                    raise self.fail("YAML-KEY", knode, f"key {knode.value!r} is read as a {type(key).__name__}, "
                                    "not a string.", f"quote it (\"{knode.value}\") if it is meant as a name.",
                                    path)
                sub = f"{path}.{key}" if path else key
                if key in items:
                    first = key_origins[key]
                    raise self.fail("YAML-DUPLICATE-KEY", knode,
                                    f"key '{key}' appears twice (first at line {first.line}).",
                                    "keep one of them; YAML 1.2 forbids duplicate keys and the second would "
                                    "silently win.", sub)
                key_origins[key] = self.origin(knode)
                items[key] = self.build(vnode, sub, depth + 1)
            return MapNode(items, self.origin(node), key_origins)
        raise self.fail("YAML-SYNTAX", node, "unsupported YAML node.", "use mappings, lists and scalars.", path)

    def _tag_error(self, node: Node, path: str) -> LoadFailure:
        return self.fail("YAML-TAG", node, f"tag {node.tag!r} is not allowed in a profile.",
                         "remove the tag; profiles use plain YAML values only.", path)

    def scalar(self, node: ScalarNode, path: str) -> Any:
        tag, value = node.tag, node.value
        if tag == _STR:
            return value
        pattern = _CORE_PATTERNS.get(tag)
        if pattern is not None and pattern.match(value) is None:  # only an explicit tag gets here
            raise self.fail("YAML-TAG", node, f"{value!r} is not a valid {tag.replace(_CORE, '!!')} value.",
                            "remove the tag and write the value plainly (true/false, 16, 0.45, null).", path)
        if tag == _CORE + "null":
            return None
        if tag == _CORE + "bool":
            return value.lower() == "true"
        if tag == _CORE + "int":
            if len(value) > 40:
                raise self.fail("YAML-LIMIT", node, "integer with more than 40 digits.",
                                "use a realistic number.", path)
            if value.startswith("0o"):
                return int(value[2:], 8)
            if value.startswith("0x"):
                return int(value[2:], 16)
            return int(value)
        if tag == _CORE + "float":
            low = value.lower()
            if low.endswith(".inf"):
                return -math.inf if low.startswith("-") else math.inf
            if low == ".nan":
                return math.nan
            return float(value)
        raise self._tag_error(node, path)


def parse_bytes(data: bytes, file: str) -> TNode:
    """Parse one YAML document into a tree; raise :class:`LoadFailure` with a finding."""
    if len(data) > MAX_FILE_BYTES:
        raise _finding("YAML-LIMIT", file, 1, 1,
                       f"the file is {len(data):,} bytes; profiles are limited to {MAX_FILE_BYTES:,} bytes.",
                       "split it into layers with 'extends' or remove pasted data.")
    text = _decode(data, file)
    # The bound counts characters, so it cannot pass 4000 in a shorter text (most profiles): not counted there.
    if len(text) > _PREPASS_CHARS or (len(text) > 4000 and _depth_bound(text) > 4000):
        _check_depth_by_events(text, file)
    try:
        composer = _Composer(text)
        try:
            node = composer.get_single_node()
        finally:
            composer.dispose()
    except yaml.YAMLError as exc:
        raise _syntax_failure(exc, file, text) from None
    if node is None:
        raise _finding("YAML-EMPTY", file, 1, 1, "the file is empty.",
                       "add at least 'schema_version: 1', or delete the file.")
    tree = _Builder(file).build(node, "", 0)
    if isinstance(tree, Leaf) and tree.value is None:  # '---' alone, or an explicit empty document
        raise _finding("YAML-EMPTY", file, 1, 1, "the file holds no values.",
                       "add at least 'schema_version: 1', or delete the file.")
    if not isinstance(tree, MapNode):
        o = tree.origin
        kind = "a list" if isinstance(tree, SeqNode) else "a single value"
        raise _finding("YAML-TOP-LEVEL", file, o.line, o.column, f"the top level is {kind}, not a mapping.",
                       "start the file with keys such as 'schema_version: 1' and 'extends: [...]'.")
    return tree
