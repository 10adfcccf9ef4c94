"""Jinja2 environments: one per templates folder per process, sandboxed for a partner workspace's templates.

Compiling templates is the expensive part of rendering (see the research notes on performance), so
each folder gets one cached :class:`jinja2.Environment` whose compiled templates are reused for every
profile. The toolkit's own templates run in a plain environment; a workspace's own ``templates/``
(which a partner may write) runs in :class:`jinja2.sandbox.SandboxedEnvironment` with a loader that
refuses paths and symlinks leaving the folder, and falls back to the toolkit's templates for any file
it does not override. Both use ``StrictUndefined`` and keep trailing newlines.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from oemkit import escape
from oemkit.workspace import data_dir

__all__ = ["FlatGlobalsEnvironment", "FlatGlobalsSandboxedEnvironment", "environment", "filters", "is_trusted",
           "secret_ref"]


class FlatGlobalsEnvironment(jinja2.Environment):
    """:class:`jinja2.Environment` whose templates keep their globals in one plain dict.

    Jinja gives each template a ``ChainMap`` over the environment's globals, and every render copies
    it and takes its keys, both in Python: about 5 µs a render, as much as a small template costs,
    paid ten times per bundle. A dict built when the template loads gives the same names and values,
    as our environments never change their globals after creating them (Jinja's documentation asks
    the same of every user: "avoid modifying any globals after a template is loaded").
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}  # the template's own globals win, as in the ChainMap


class FlatGlobalsSandboxedEnvironment(FlatGlobalsEnvironment, SandboxedEnvironment):
    """:class:`jinja2.sandbox.SandboxedEnvironment` with the globals of :class:`FlatGlobalsEnvironment`
    (its safe ``range`` included: the sandbox puts it in the environment's globals when created)."""


class _RootedLoader(jinja2.FileSystemLoader):
    """A file-system loader that refuses templates whose real path leaves its root (symlinks included)."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        root = os.path.realpath(self.searchpath[0])
        if os.path.commonpath([root, os.path.realpath(filename)]) != root:
            # Not TemplateNotFound: the fallback loader would then silently use the built-in template.
            raise SecurityError(f"{template} leaves the templates folder {root} (a symlink or '..' path)")
        return source, filename, uptodate


def secret_ref(value: Any) -> str:
    """``{"secret": NAME}`` -> ``${secret:NAME}``: the reference the provisioning step replaces."""
    name = value.get("secret") if isinstance(value, dict) else None
    if not isinstance(name, str) or not name.replace("_", "").isalnum() or not name.isupper():
        raise ValueError(f"not a secret reference: {value!r}")
    return "${secret:" + name + "}"


def _ocpp_bool(value: Any) -> str:
    if not isinstance(value, bool):
        raise ValueError(f"not a boolean: {value!r}")
    return "true" if value else "false"


def _kconfig_help(text: str) -> str:
    """One line of Kconfig help text (a line break would end the help block)."""
    if type(text) is str:  # the same few hundred field descriptions for every profile
        return _help_line(text)
    return _help_line(str(text))


@functools.lru_cache(maxsize=4096)
def _help_line(text: str) -> str:
    return escape.comment_text(" ".join(text.split())).replace("%20", " ")


def _memoised(function: Callable[[str], str]) -> Callable[[Any], str]:
    """``function`` with its results for plain strings remembered (errors are not: they raise every time).

    The Kconfig tree quotes every field path: the same strings for every profile of a portfolio.
    Other argument types go straight to ``function``.
    """
    done: dict[str, str] = {}

    def call(text: Any) -> str:
        if type(text) is not str:
            return function(text)
        hit = done.get(text)
        if hit is None:
            if len(done) >= 8192:
                done.clear()
            hit = done[text] = function(text)
        return hit

    return call


_kconfig_string = _memoised(escape.kconfig_string)


def filters() -> dict[str, Callable[..., Any]]:
    """The escaping filters every template gets (see :mod:`oemkit.escape`)."""
    return {
        "c_string": escape.c_string,
        "comment": escape.comment_text,
        "kconfig_string": _kconfig_string,
        "kconfig_help": _kconfig_help,
        "css_string": escape.css_string,
        "css_color": escape.css_color,
        "html": escape.html_text,
        "to_json": escape.json_text,
        "secret_ref": secret_ref,
        "ocpp_bool": _ocpp_bool,
    }


def is_trusted(templates_dir: Path) -> bool:
    """True for the toolkit's own templates; a workspace's templates are sandboxed."""
    return os.path.realpath(templates_dir) == os.path.realpath(data_dir("templates"))


@functools.lru_cache(maxsize=32)
def _environment(root: str, trusted: bool) -> jinja2.Environment:
    options: dict[str, Any] = {"undefined": jinja2.StrictUndefined, "keep_trailing_newline": True,
                               "autoescape": False}
    env: jinja2.Environment
    if trusted:
        # The toolkit's own files do not change while it runs: no modification-time check (a stat
        # per template) on every render. A workspace's templates are still reloaded when edited.
        env = FlatGlobalsEnvironment(loader=jinja2.FileSystemLoader(root), auto_reload=False, **options)
    else:
        loader = jinja2.ChoiceLoader([_RootedLoader(root), jinja2.FileSystemLoader(str(data_dir("templates")))])
        env = FlatGlobalsSandboxedEnvironment(loader=loader, **options)
    env.filters.update(filters())
    return env


@functools.lru_cache(maxsize=1)
def _toolkit_root() -> str:
    return os.path.realpath(data_dir("templates"))


@functools.lru_cache(maxsize=1)
def _toolkit_dir() -> str:
    return os.fspath(data_dir("templates"))


def environment(templates_dir: Path) -> jinja2.Environment:
    """The cached environment for a templates folder (sandboxed unless it is the toolkit's own)."""
    if os.fspath(templates_dir) == _toolkit_dir():  # the toolkit's folder as it names it: resolved once
        return _environment(_toolkit_root(), True)
    root = os.path.realpath(templates_dir)  # once per call: the same test as is_trusted, without resolving twice
    return _environment(root, root == _toolkit_root())
