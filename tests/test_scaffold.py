"""``oemkit new partner``: the cookiecutter template renders into a workspace, passes check, refuses bad answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oemkit.scaffold import KEYS, TEMPLATE, template_dir
from oemkit.workspace import Workspace

HOSTILE = "Zap \"⚡😀\" <b>x</b> 's: #1 & co\\"


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_template_is_a_cookiecutter_template_asking_the_documented_keys() -> None:
    repo = template_dir(Workspace(Path(__file__).resolve().parent.parent))
    assert repo.name == TEMPLATE
    questions = json.loads((repo / "cookiecutter.json").read_text(encoding="utf-8"))
    assert {"partner_id", "name", "customization", "family", "country", "variant"} <= set(questions)
    assert set(KEYS) == {k for k in questions if not k.startswith("_")}
    assert (repo / "{{cookiecutter.partner_id}}" / "partner.yaml").is_file()


def test_no_input_defaults_pass_check(ws: Path, cli: Callable[..., Any]) -> None:
    res = cli("new", "partner", "--no-input", cwd=ws)
    assert res.code == 0, res.err
    folder = ws / "profiles/partners/acme"
    assert sorted(_tree(folder)) == ["README.md", "ac-wallbox-22-gb.yaml", "assets/logo.svg", "partner.yaml"]
    for name in ("partner.yaml", "ac-wallbox-22-gb.yaml"):
        first = (folder / name).read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../../schemas/profile-layer.schema.json"
    # The partner README tells the partner what to do next.
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "oemkit check profiles/partners/acme" in readme and "Acme Charging Ltd" in readme
    checked = cli("check", "--format", "json", "profiles/partners/acme", cwd=ws)
    assert checked.code == 0, checked.out
    assert checked.json()["errors"] == 0 and checked.json()["profiles"] == 2
    # ...and the whole workspace still checks, with the new variant among the buildable profiles.
    full = cli("check", "--format", "json", cwd=ws)
    assert full.code == 0 and full.json()["profiles"] == 7


@pytest.mark.parametrize(("country", "family", "customization", "currency"), [
    ("de", "ac-wallbox-22", "software,firmware", "EUR"),
    ("GB", "dc-fast-180", "firmware+software", "GBP"),
    ("gb", "ac-wallbox-7", "software", "GBP"),
    ("de", "dc-fast-180", "software", "EUR"),
])
def test_answers_shape_the_files(ws: Path, cli: Callable[..., Any], country: str, family: str,
                                 customization: str, currency: str) -> None:
    res = cli("new", "partner", "--no-input", "--set", "partner_id=nova", "--set", f"country={country}",
              "--set", f"family={family}", "--set", f"customization={customization}", cwd=ws)
    assert res.code == 0, res.err
    variant = f"{family}-{country.lower()}"
    explained = cli("explain", f"profiles/partners/nova/{variant}.yaml", "tariff.currency", cwd=ws)
    assert explained.code == 0 and currency in explained.out
    partner = (ws / "profiles/partners/nova/partner.yaml").read_text(encoding="utf-8")
    assert ("boot_text:" in partner) == ("firmware" in customization)
    assert cli("check", "profiles/partners/nova", cwd=ws).code == 0


def test_hostile_names_stay_data(ws: Path, cli: Callable[..., Any]) -> None:
    res = cli("new", "partner", "--no-input", "--set", "partner_id=zap", "--set", f"name={HOSTILE}",
              "--set", "brand_name=Zap: <script>alert(1)</script> # not a comment", cwd=ws)
    assert res.code == 0, res.err
    from oemkit.loader import resolve

    data = resolve(Workspace(ws), ws / "profiles/partners/zap/ac-wallbox-22-gb.yaml").data
    assert data["partner"]["name"] == HOSTILE
    assert data["branding"]["brand_name"] == "Zap: <script>alert(1)</script> # not a comment"
    assert cli("check", "profiles/partners/zap", cwd=ws).code == 0


@pytest.mark.parametrize(("sets", "complaint"), [
    (["country=xx"], "country='xx': no region pack"),
    (["family=ac-wallbox-99"], "family='ac-wallbox-99': no product file"),
    (["family=../regions/gb"], "no product file"),
    (["partner_id=voltway"], "profiles/partners/voltway/ already exists"),
    (["partner_id=Bad_Id"], "partner_id='Bad_Id': must be a slug"),
    (["partner_id=../../escape"], "must be a slug"),
    (["variant=Home 22"], "variant='Home 22': must be a slug"),
    (["variant=partner"], "reserved"),
    (["customization=hardware"], "customization='hardware'"),
    (["primary_color=red"], "primary_color='red'"),
    (["support_email=nobody"], "support_email='nobody'"),
    (["csms_url=http://x.example"], "csms_url="),
    (["name={{ cycler.__init__.__globals__ }}"], "template syntax"),
    (["name=two\nlines"], "control characters"),
    (["colour=red"], "unknown answer(s) colour"),
    (["country"], "expected KEY=VALUE"),
])
def test_bad_answers_are_refused_and_nothing_is_written(ws: Path, cli: Callable[..., Any], sets: list[str],
                                                        complaint: str) -> None:
    before = _tree(ws)
    argv = [arg for item in sets for arg in ("--set", item)]
    res = cli("new", "partner", "--no-input", *argv, cwd=ws)
    assert res.code == 2
    assert complaint in res.err
    assert "Traceback" not in res.err and res.err.count("\n") == 1  # one paragraph
    assert _tree(ws) == before


def test_every_problem_is_reported_at_once(ws: Path, cli: Callable[..., Any]) -> None:
    res = cli("new", "partner", "--no-input", "--set", "country=xx", "--set", "partner_id=ampera",
              "--set", "family=nope", cwd=ws)
    assert res.code == 2
    assert all(word in res.err for word in ("country='xx'", "partner_id='ampera'", "family='nope'"))


def test_prompts_need_a_terminal(ws: Path, cli: Callable[..., Any]) -> None:
    res = cli("new", "partner", cwd=ws)  # pytest's stdin is not a terminal
    assert res.code == 2 and "--no-input" in res.err


def test_generated_files_that_fail_check_are_removed(ws: Path, cli: Callable[..., Any]) -> None:
    # A workspace whose region pack is broken: the answers are fine, the result is not.
    (ws / "profiles/regions/gb.yaml").write_text("schema_version: 1\nregion: {country: GB}\n", encoding="utf-8")
    res = cli("new", "partner", "--no-input", cwd=ws)
    assert res.code == 1
    assert not (ws / "profiles/partners/acme").exists()
    assert not [p for p in (ws / "profiles/partners").iterdir() if p.name.startswith(".")]


def test_workspace_template_wins(ws: Path, cli: Callable[..., Any]) -> None:
    import shutil

    own = ws / "templates" / TEMPLATE
    shutil.copytree(template_dir(Workspace(ws)), own)
    readme = own / "{{cookiecutter.partner_id}}" / "README.md"
    readme.write_text("# Our own partner README for {{ cookiecutter.name }}\n", encoding="utf-8")
    assert cli("new", "partner", "--no-input", cwd=ws).code == 0
    assert (ws / "profiles/partners/acme/README.md").read_text(encoding="utf-8").startswith("# Our own")


def test_scaffolded_partner_builds(ws: Path, cli: Callable[..., Any], tmp_path: Path) -> None:
    assert cli("new", "partner", "--no-input", "--set", "partner_id=nova", cwd=ws).code == 0
    res = cli("build", "nova", "-o", str(tmp_path / "dist"), "--format", "json", cwd=ws)
    assert res.code == 0, res.out + res.err
    bundles = res.json()["bundles"]
    assert [b["id"] for b in bundles] == ["nova-ac-wallbox-22-gb"]
    assert Path(bundles[0]["path"]).name.startswith("nova-ac-wallbox-22-gb-")


def _interactive(monkeypatch: pytest.MonkeyPatch, typed: dict[str, str]) -> list[str]:
    """Answer cookiecutter's prompts from ``typed`` (the default otherwise); returns the keys asked."""
    import sys

    import cookiecutter.prompt as prompt

    asked: list[str] = []

    def read_variable(key: str, default: Any, *_: Any) -> Any:
        asked.append(key)
        return typed.get(key, default)

    def read_choice(key: str, options: list[Any], *_: Any) -> Any:
        asked.append(key)
        return typed.get(key, options[0])

    monkeypatch.setattr(prompt, "read_user_variable", read_variable)
    monkeypatch.setattr(prompt, "read_user_choice", read_choice)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    return asked


def test_prompted_answers_are_used_and_choices_come_from_the_workspace(
        ws: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _interactive(monkeypatch, {"partner_id": "kite", "country": "de", "name": "Kite Energie GmbH"})
    res = cli("new", "partner", "--set", "family=ac-wallbox-7", cwd=ws)
    assert res.code == 0, res.err
    assert {"partner_id", "name", "customization", "family", "country", "variant"} <= set(asked)
    assert (ws / "profiles/partners/kite/ac-wallbox-7-de.yaml").is_file()  # --set and prompts combined


def test_a_prompted_clash_is_refused_and_nothing_is_written(
        ws: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    _interactive(monkeypatch, {"partner_id": "hyperion"})
    before = _tree(ws)
    res = cli("new", "partner", cwd=ws)
    assert res.code == 2 and "partner_id='hyperion'" in res.err
    assert _tree(ws) == before
