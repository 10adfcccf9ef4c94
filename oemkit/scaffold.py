"""Scaffold a new partner from the cookiecutter template ``templates/cookiecutter-partner``.

Steps: read the template's questions, put the workspace's product files and region packs in as
choices, apply ``--set`` answers, prompt (unless ``no_input``), validate every answer against the
workspace and the profile model, render into a temporary folder, move it into
``profiles/partners/<partner_id>/`` in one rename, and check the result (removed again if the check
fails). Nothing is written under ``profiles/`` until all answers are valid. The CLI lives in
:mod:`oemkit.commands.new`.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment
from jinja2.ext import Extension

from oemkit.errors import Finding, FindingsError, UsageError
from oemkit.workspace import Workspace

__all__ = ["KEYS", "TEMPLATE", "ScaffoldRefused", "Scaffolded", "YamlExtension", "answers_problems", "new_partner",
           "template_dir"]

TEMPLATE = "cookiecutter-partner"
#: The questions a script may answer with ``--set``, in prompt order.
KEYS = ("partner_id", "name", "brand_name", "customization", "family", "country", "variant", "primary_color",
        "secondary_color", "support_url", "support_email", "support_phone", "csms_url", "energy_price_per_kwh")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_JINJA = ("{{", "}}", "{%", "%}", "{#", "#}")
_CUSTOMIZATION = {"software": "software", "software,firmware": "software, firmware"}


class YamlExtension(Extension):
    """Jinja filters the template uses to write answers safely into YAML (loaded by cookiecutter)."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["yaml_str"] = _yaml_str
        environment.filters["yaml_comment"] = _yaml_comment


def _yaml_str(value: object) -> str:
    """A double-quoted YAML scalar: quotes, backslashes and odd characters escaped by PyYAML's emitter."""
    text = yaml.safe_dump(str(value), default_style='"', allow_unicode=True, width=math.inf)
    return text.strip().removesuffix("...").strip()


def _yaml_comment(value: object) -> str:
    """Text safe inside a ``#`` comment (one line)."""
    return _CONTROL.sub(" ", str(value))


def template_dir(ws: Workspace) -> Path:
    """The partner template: the workspace's own ``templates/`` wins over the packed one."""
    from oemkit.workspace import data_dir

    own = ws.root / "templates" / TEMPLATE
    return own if (own / "cookiecutter.json").is_file() else data_dir("templates") / TEMPLATE


def _stems(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml") if p.is_file()) if folder.is_dir() else []


def _model_problems(answers: Mapping[str, str]) -> list[str]:
    """Check the answers that map onto model fields with the model itself (one source of truth)."""
    from pydantic import ValidationError

    from oemkit.model import Colors, Partner, Support

    checks: list[tuple[str, type[Any], dict[str, Any], dict[str, str]]] = [
        ("partner", Partner, {"id": answers["partner_id"], "name": answers["name"], "customization": ["software"]},
         {"id": "partner_id", "name": "name"}),
        ("colors", Colors, {"primary": answers["primary_color"], "secondary": answers["secondary_color"]},
         {"primary": "primary_color", "secondary": "secondary_color"}),
        ("support", Support, {"url": answers["support_url"], "email": answers["support_email"],
                              "phone": answers["support_phone"]},
         {"url": "support_url", "email": "support_email", "phone": "support_phone"}),
    ]
    out: list[str] = []
    for _, model, data, names in checks:
        try:
            model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                key = names.get(str(err["loc"][0]), str(err["loc"][0]))
                msg = str(err["msg"])
                out.append(f"{key}={answers[key]!r}: {msg[:1].lower()}{msg[1:]}")
    if not 1 <= len(answers["brand_name"]) <= 60:
        out.append(f"brand_name={answers['brand_name']!r}: must be 1 to 60 characters")
    if not re.fullmatch(r"wss?://[^\s/$.?#][^\s]*", answers["csms_url"]) or len(answers["csms_url"]) > 512:
        out.append(f"csms_url={answers['csms_url']!r}: must be a websocket URL such as wss://csms.example.com/ocpp")
    if not re.fullmatch(r"[0-9]{1,4}(\.[0-9]{1,4})?", answers["energy_price_per_kwh"]):
        out.append(f"energy_price_per_kwh={answers['energy_price_per_kwh']!r}: must be a decimal such as 0.30")
    return out


def answers_problems(ws: Workspace, answers: Mapping[str, str]) -> list[str]:
    """Everything wrong with a full set of answers, as short ``key=value: why`` phrases (empty: all good)."""
    out: list[str] = []
    for key in KEYS:
        value = answers[key]
        if any(tok in value for tok in _JINJA):
            out.append(f"{key}={value!r}: template syntax ({{{{ }}}}, {{% %}}) is not allowed in answers")
        elif _CONTROL.search(value):
            out.append(f"{key}={value!r}: control characters (newlines, tabs) are not allowed")
    pid = answers["partner_id"]
    if not _SLUG.match(pid):
        out.append(f"partner_id={pid!r}: must be a slug (lower-case letters, digits and '-', starting with a "
                   "letter or digit, at most 48 characters)")
    elif (ws.profiles / "partners" / pid).exists() or (ws.profiles / "partners" / pid).is_symlink():
        out.append(f"partner_id={pid!r}: profiles/partners/{pid}/ already exists; pick another id, or edit that "
                   "partner's files instead")
    variant = answers["variant"]
    if not _SLUG.match(variant):
        out.append(f"variant={variant!r}: must be a slug (lower-case letters, digits and '-', at most 48 "
                   "characters)")
    elif variant == "partner":
        out.append("variant='partner': reserved for the shared partner.yaml; pick a name such as home-22-gb")
    family = answers["family"]
    families = _stems(ws.profiles / "products")
    if family not in families:
        out.append(f"family={family!r}: no product file profiles/products/{family}.yaml; choose one of "
                   f"{', '.join(families) or '(none: add a product family file first)'}")
    country = answers["country"]
    countries = _stems(ws.profiles / "regions")
    if country not in countries:
        out.append(f"country={country!r}: no region pack profiles/regions/{country}.yaml; choose one of "
                   f"{', '.join(countries) or '(none: add a region pack first)'}, or ask the compliance team "
                   "for a new region pack")
    if answers["customization"] not in _CUSTOMIZATION:
        out.append(f"customization={answers['customization']!r}: must be 'software' or 'software,firmware'")
    seen = {p.split("=", 1)[0] for p in out}
    return out + [p for p in _model_problems(answers) if p.split("=", 1)[0] not in seen]


def _normalise(answers: Mapping[str, str]) -> dict[str, str]:
    """Trim answers; accept ``GB`` for ``gb`` and ``firmware+software`` for ``software,firmware``."""
    out = {k: str(v).strip() for k, v in answers.items()}
    if "country" in out:
        out["country"] = out["country"].lower()
    if "customization" in out:
        parts = {p for p in re.split(r"[,+\s]+", out["customization"]) if p}
        if parts and parts <= {"software", "firmware"}:
            out["customization"] = ",".join(x for x in ("software", "firmware") if x in parts)
    return out


def _region_facts(ws: Workspace, country: str) -> tuple[str, list[str]]:
    """Currency and languages from the region pack (defaults the partner can change)."""
    from oemkit.loader import resolve

    data = resolve(ws, ws.profiles / "regions" / f"{country}.yaml").data.get("region") or {}
    currency = data.get("currency") if isinstance(data.get("currency"), str) else "EUR"
    langs = [x for x in data.get("languages") or [] if isinstance(x, str)] or ["en"]
    return str(currency), langs


@dataclass(frozen=True)
class Scaffolded:
    """What ``new_partner`` wrote."""

    partner_id: str
    folder: Path
    files: list[Path]
    variant_file: Path


def _raise(problems: list[str]) -> None:
    raise UsageError("the answers are not valid, nothing was written: " + "; ".join(problems) + ". Fix them "
                     "with --set KEY=VALUE (or answer the prompts again).")


def new_partner(ws: Workspace, sets: Mapping[str, str], *, no_input: bool) -> Scaffolded:
    """Ask, validate, render and place a new partner; raises :class:`UsageError` / :class:`FindingsError`."""
    from cookiecutter.generate import apply_overwrites_to_context, generate_context, generate_files
    from cookiecutter.prompt import prompt_for_config

    unknown = sorted(set(sets) - set(KEYS))
    if unknown:
        raise UsageError(f"unknown answer(s) {', '.join(unknown)} in --set; the keys are {', '.join(KEYS)}.")
    sets = _normalise(sets)
    # Refuse what can be judged already, before any prompt or rendering (template syntax above all).
    early = [p for p in answers_problems(ws, _complete(sets)) if p.split("=", 1)[0] in sets]
    if early:
        _raise(early)
    repo = template_dir(ws)
    context = generate_context(context_file=str(repo / "cookiecutter.json"))
    questions = context["cookiecutter"]
    for key, choices in (("family", _stems(ws.profiles / "products")), ("country", _stems(ws.profiles / "regions"))):
        if choices:  # the template's default first, then the others
            default = questions[key]
            questions[key] = [c for c in choices if c == default] + [c for c in choices if c != default]
    apply_overwrites_to_context(questions, dict(sets))
    answers: dict[str, Any] = dict(prompt_for_config(context, no_input))
    given = _normalise({k: answers[k] for k in KEYS})
    problems = answers_problems(ws, given)
    if problems:
        _raise(problems)
    answers.update(given)
    answers["customization"] = _CUSTOMIZATION[given["customization"]]
    answers["_currency"], answers["_languages"] = _region_facts(ws, given["country"])
    answers["_template"] = str(repo)
    return _place(ws, repo, answers, generate_files)


def _complete(sets: Mapping[str, str]) -> dict[str, str]:
    """Answers with harmless stand-ins for the keys not given (for the early check of the given ones)."""
    return {k: str(sets.get(k, "")) for k in KEYS}


def _place(ws: Workspace, repo: Path, answers: dict[str, Any], generate_files: Any) -> Scaffolded:
    pid = str(answers["partner_id"])
    partners = ws.profiles / "partners"
    partners.mkdir(parents=True, exist_ok=True)
    final = partners / pid
    with tempfile.TemporaryDirectory(prefix=f".oemkit-new-{pid}-", dir=partners) as tmp:
        generate_files(repo_dir=str(repo), context={"cookiecutter": answers}, output_dir=tmp, accept_hooks=False)
        try:
            os.rename(Path(tmp) / pid, final)  # atomic; fails if someone created the folder meanwhile
        except OSError as exc:
            raise UsageError(f"profiles/partners/{pid}: cannot create it ({exc.strerror}); it may have been "
                             "created meanwhile. Pick another partner_id or remove the folder.") from None
    files = sorted(p for p in final.rglob("*") if p.is_file())
    variant_file = final / f"{answers['variant']}.yaml"
    _check_or_undo(ws, final, variant_file)
    return Scaffolded(pid, final, files, variant_file)


def _check_or_undo(ws: Workspace, folder: Path, variant_file: Path) -> None:
    """The generated files must pass ``oemkit check`` as they are; otherwise remove them and report why."""
    from oemkit.check import check_profile

    findings: list[Finding] = []
    for path in (folder / "partner.yaml", variant_file):
        findings.extend(f for f in check_profile(ws, path).findings if f.severity == "error")
    if findings:
        shutil.rmtree(folder)
        raise ScaffoldRefused(findings)


class ScaffoldRefused(FindingsError):
    """The rendered partner failed ``oemkit check`` and was removed again (exit 1)."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(findings)
        self.args = ("the new partner's files do not pass `oemkit check`, so they were removed again and nothing "
                     "is left behind. Usually the product family does not fit the region (connectors, earthing, "
                     "metering): choose another --set family=... or --set country=..., or ask the factory for a "
                     "product file that fits. The findings:\n" + "\n".join(f.text() for f in findings),)
