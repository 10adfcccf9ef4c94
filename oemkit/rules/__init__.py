"""The domain-rule registry: small named functions with a stable ID, severity, message, hint and source.

A rule is a function ``(ctx: RuleContext) -> Iterable[Hit]`` registered with :func:`rule`. The
registry turns hits into findings that point at the file and line that set the value (from the
provenance of the resolved profile). Rule families live in the sibling modules and are imported
by :func:`all_rules`.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from oemkit.errors import Finding, Severity
from oemkit.tree import Origin

if TYPE_CHECKING:
    from oemkit.loader import Resolved
    from oemkit.model import Profile
    from oemkit.workspace import Workspace

__all__ = ["Hit", "Rule", "RuleContext", "all_rules", "get_rule", "rule", "run_rules"]

#: Modules holding rule families; each registers its rules on import.
FAMILIES = ("hardware", "regulation", "ocpp", "crosslayer", "ownership", "hygiene")


class Hit(NamedTuple):
    """One violation: the dotted path of the offending value, the message, an optional specific hint."""

    path: str
    message: str
    hint: str = ""


@dataclass(frozen=True)
class RuleContext:
    """What a rule may look at."""

    profile: Profile
    resolved: Resolved
    workspace: Workspace


@dataclass(frozen=True)
class Rule:
    """A registered domain rule."""

    id: str
    severity: Severity
    title: str
    hint: str
    source: str
    rationale: str
    failing: str
    passing: str
    family: str
    func: Callable[[RuleContext], Iterable[Hit]]


_REGISTRY: dict[str, Rule] = {}


def rule(
    id: str,
    *,
    severity: Severity,
    title: str,
    hint: str,
    source: str,
    rationale: str,
    failing: str,
    passing: str,
) -> Callable[[Callable[[RuleContext], Iterable[Hit]]], Callable[[RuleContext], Iterable[Hit]]]:
    """Register a rule function under a stable ID."""

    def deco(func: Callable[[RuleContext], Iterable[Hit]]) -> Callable[[RuleContext], Iterable[Hit]]:
        if id in _REGISTRY:
            raise ValueError(f"duplicate rule id {id}")
        family = func.__module__.rsplit(".", 1)[-1]
        _REGISTRY[id] = Rule(id, severity, title, hint, source, rationale.strip(), failing.strip("\n"),
                             passing.strip("\n"), family, func)
        return func

    return deco


@functools.cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule, sorted by ID."""
    for name in FAMILIES:
        try:
            importlib.import_module(f"oemkit.rules.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"oemkit.rules.{name}":
                raise
    return tuple(sorted(_REGISTRY.values(), key=lambda r: r.id))


def get_rule(rule_id: str) -> Rule | None:
    """A rule by ID (case-insensitive)."""
    return {r.id: r for r in all_rules()}.get(rule_id.upper())


def _origin(resolved: Resolved, path: str) -> Origin:
    probe = path
    while True:
        node = resolved.prov.get(probe)
        if node is not None:
            return node.origin
        if not probe:
            return Origin(resolved.path, 1, 1)
        probe = probe.rsplit(".", 1)[0] if "." in probe else ""


def run_rules(ctx: RuleContext) -> Iterator[Finding]:
    """Run every rule; a rule's hits become findings at the file and line that set the value."""
    for r in all_rules():
        for hit in r.func(ctx):
            origin = _origin(ctx.resolved, hit.path)
            yield Finding(rule=r.id, severity=r.severity, file=origin.file, line=origin.line,
                          column=origin.column, path=hit.path, message=hit.message, hint=hit.hint or r.hint,
                          source=r.source)
