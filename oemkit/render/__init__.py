"""Profile -> rendered artifacts, in memory: ``{bundle-relative path: bytes}``.

:func:`render_all` is the one entry point the bundle pipeline calls. Every artifact has one template
(``templates/<artifact path>.j2``, see :data:`ARTIFACTS`); the values reach templates as data and as
literals escaped once by :mod:`oemkit.escape` (:mod:`oemkit.render.entries` for the firmware side), so
no profile text is ever read as template, C, Kconfig, CSS or JSON code. Environments come from
:mod:`oemkit.render.env` (cached per folder, sandboxed for a workspace's own templates). Only the
bundle step writes files; the checks (:mod:`oemkit.checks`) read these bytes.
"""

from __future__ import annotations

import traceback
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from oemkit.errors import Finding, FindingsError, UserError
from oemkit.escape import UnrepresentableText
from oemkit.render.entries import Entry, firmware_entries
from oemkit.render.env import environment
from oemkit.render.identity import stream_identity, without_provenance

if TYPE_CHECKING:
    from oemkit.loader import Resolved
    from oemkit.model import Profile

__all__ = ["ARTIFACTS", "TemplateError", "artifact_templates", "bundle_id", "entries_of", "ocpp_version",
           "profile_data", "render_all", "stream_identity", "without_provenance"]

#: Bundle-relative path of each artifact; its template is ``templates/<path>.j2``. ``{ocpp}`` is the
#: OCPP version of the profile ("1.6" or "2.0.1"), so only the matching provisioning file is made.
ARTIFACTS: tuple[str, ...] = (
    "firmware/params.json",
    "firmware/oem_config.h",
    "firmware/oem.conf",
    "firmware/Kconfig",
    "software/config.json",
    "software/ocpp/provisioning-{ocpp}.json",
    "software/portal-theme.css",
    "software/rollout.json",
)


class TemplateError(UserError):
    """A template failed to render (syntax, undefined value, sandbox violation, text a syntax cannot hold)."""

    exit_code = 1


def bundle_id(profile: Profile) -> str:
    """``<partner.id>-<variant>``, the bundle id of the spec."""
    return f"{profile.partner.id}-{profile.variant}"


def ocpp_version(profile: Profile) -> str:
    """OCPP version as the protocol (and the ``ocpp`` package's schema folders) name it: 1.6 or 2.0.1."""
    return "1.6" if profile.ocpp.version == "1.6J" else profile.ocpp.version


def artifact_templates(profile: Profile) -> dict[str, str]:
    """Bundle path -> template name for this profile."""
    paths = [p.format(ocpp=ocpp_version(profile)) for p in ARTIFACTS]
    return {path: f"{path}.j2" for path in paths}


def _template_location(exc: BaseException, templates_dir: Path) -> str:
    """``file:line`` of the innermost template frame of a failure (Jinja maps frames to template lines)."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2"):
            where = f"{frame.filename}:{frame.lineno}"
    return where or str(templates_dir)


def _unrepresentable(exc: UnrepresentableText, resolved: Resolved, path: str) -> FindingsError:
    node = resolved.prov.get(path)
    origin = node.origin if node is not None else None
    return FindingsError([Finding(
        rule="RENDER-UNREPRESENTABLE", severity="error", file=origin.file if origin else resolved.path,
        line=origin.line if origin else 0, column=origin.column if origin else 0, path=path,
        message=f"the value holds U+{ord(exc.char):04X}, which {exc.target} cannot carry, so the artifact "
                "could not show the same text.",
        hint="remove the control character (line breaks, tabs) from this one-line text.",
        source="Kconfig .config format: one line per value")])


# The last profile's JSON dump: the renderer and the release step of one profile both need it, and
# the model is frozen, so the second caller reuses it. A weak reference: identity, never a stale hit.
_last_dump: tuple[weakref.ref[Profile], dict[str, Any]] | None = None


def profile_data(profile: Profile) -> dict[str, Any]:
    """``profile.model_dump(mode="json")``, computed once for the profile being built. Read-only."""
    global _last_dump
    last = _last_dump
    if last is not None and last[0]() is profile:
        return last[1]
    data: dict[str, Any] = profile.model_dump(mode="json")
    _last_dump = (weakref.ref(profile), data)
    return data


def entries_of(firmware: dict[str, Any], resolved: Resolved) -> list[Entry]:
    """The firmware parameters as header/Kconfig entries, with the ``file:line`` that set each.

    Raises :class:`FindingsError` for a value that a target syntax cannot carry (e.g. a line break
    in a Kconfig string), naming the file and line that set it.
    """
    try:
        return firmware_entries(firmware, resolved.prov)
    except UnrepresentableText as exc:
        raise _unrepresentable(exc, resolved, exc.path) from None


def render_all(profile: Profile, resolved: Resolved, firmware: dict[str, Any], software: dict[str, Any], *,
               templates_dir: Path, entries: list[Entry] | None = None) -> dict[str, bytes]:
    """Render every artifact of one profile; returns bundle-relative path -> UTF-8 bytes.

    ``entries`` is :func:`entries_of` when the caller already has it (the build hands the same list to
    the checks). Raises :class:`TemplateError` for a broken or forbidden template and
    :class:`FindingsError` for a value that a target syntax cannot carry.
    """
    if entries is None:
        entries = entries_of(firmware, resolved)
    env = environment(templates_dir)
    context = {
        "bundle_id": bundle_id(profile),
        "source": resolved.path,
        "profile": profile_data(profile),
        "firmware": firmware,
        "software": software,
        "entries": entries,
        "ocpp_version": ocpp_version(profile),
    }
    out: dict[str, bytes] = {}
    for path, name in artifact_templates(profile).items():
        try:
            text = env.get_template(name).render(context)
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"{templates_dir}: template '{exc.name}' for {path} is missing or leaves the "
                                "templates folder. Add it (copy it from oemkit's templates/) or remove the "
                                "workspace's templates/ folder to use the built-in ones.") from None
        except (jinja2.TemplateError, ValueError, TypeError) as exc:
            where = _template_location(exc, templates_dir)
            raise TemplateError(f"{where}: rendering {path} for {bundle_id(profile)} failed: "
                                f"{type(exc).__name__}: {exc}. Fix the template (values reach it as data; "
                                "use the escaping filters c_string, kconfig_string, css_string, to_json, "
                                "html) and run again.") from None
        out[path] = text.encode("utf-8")
    return out



