"""RELEASE_NOTES.md: banners, the firmware stream identity, changes grouped by layer and impact."""

from __future__ import annotations

from oemkit.notes import StreamInfo, render_notes

FW = "f" * 64


def _notes(changes: list[dict[str, object]], *, fw_prev: str | None = FW, reflash: bool = False,
           recert: bool = False, previous: str | None = "1.0.0") -> str:
    streams = [StreamInfo("firmware", "1.0.0", FW if fw_prev == FW else "e" * 64, "factory", "1.0.0", fw_prev),
               StreamInfo("software", "1.1.0", "s" * 64, "voltway", "1.0.0", "t" * 64)]
    return render_notes(bundle_id="voltway-home-22-gb", version="1.1.0", previous_version=previous,
                        streams=streams, changes=changes, reflash_required=reflash,
                        recertification_required=recert).decode()


def test_software_only_release_names_the_unchanged_firmware() -> None:
    text = _notes([{"path": "tariff.energy_price_per_kwh", "old": "0.45", "new": "0.49", "layer": "software",
                    "impact": "hot", "kind": "changed"}])
    assert text.startswith("# voltway-home-22-gb 1.1.0\n")
    assert "No reflash needed" in text and FW in text
    assert "| firmware | 1.0.0 | `" + FW + "` | factory | unchanged |" in text
    assert "| software | 1.1.0 |" in text and "changed from 1.0.0" in text
    assert "### Software\n\n#### hot: applied live\n\n- `tariff.energy_price_per_kwh`: `\"0.45\"` -> `\"0.49\"`" in text


def test_banners_and_grouping_by_impact() -> None:
    changes = [
        {"path": "charging.max_current_a", "old": 32, "new": 16, "layer": "firmware", "impact": "recertify"},
        {"path": "branding.led.idle", "old": "#000000", "new": "#FFFFFF", "layer": "firmware", "impact": "reflash"},
        {"path": "portal.reports.1", "old": None, "new": {"id": "x"}, "layer": "software", "impact": "hot",
         "kind": "added"},
        {"path": "portal.alerts.0", "old": {"id": "y"}, "new": None, "layer": "software", "impact": "hot",
         "kind": "removed"},
        {"path": "mystery.key", "old": 1, "new": 2, "layer": "unknown", "impact": "hot"},
    ]
    text = _notes(changes, fw_prev="0" * 64, reflash=True, recert=True)
    assert text.index("RECERTIFICATION REQUIRED") < text.index("REFLASH REQUIRED") < text.index("## Streams")
    fw = text.index("### Firmware")
    assert fw < text.index("#### recertify") < text.index("`charging.max_current_a`: `32` -> `16`")
    assert text.index("#### recertify") < text.index("#### reflash") < text.index("### Software")
    assert "- `portal.reports.1`: added: `{\"id\": \"x\"}`" in text
    assert "- `portal.alerts.0`: removed (was `{\"id\": \"y\"}`)" in text
    assert "### Unknown" in text and "`mystery.key`" in text
    assert "No reflash needed" not in text


def test_first_release() -> None:
    streams = [StreamInfo("firmware", "1.0.0", FW, "factory", None, None),
               StreamInfo("software", "1.0.0", "s" * 64, "voltway", None, None)]
    text = render_notes(bundle_id="x-y", version="1.0.0", previous_version=None, streams=streams, changes=[],
                        reflash_required=False, recertification_required=False).decode()
    assert "First release of this variant." in text and "first release |" in text
    assert "REFLASH" not in text and "No reflash needed" not in text


def test_long_values_are_shortened() -> None:
    text = _notes([{"path": "portal.title", "old": "a" * 300, "new": "b", "layer": "software", "impact": "hot"}])
    line = next(line for line in text.splitlines() if "portal.title" in line)
    assert len(line) < 200 and "..." in line
