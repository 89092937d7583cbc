"""The README's main command on the bundled example data, end to end through the CLI."""

import json
from pathlib import Path

from click.testing import CliRunner

from migrate.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
HOSTILE_NAMES = ("<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>")
LIVE_API_KEY = "0123456789abcdef0123456789ab7d35"
LIVE_SECRET_KEY = "fedcba9876543210fedcba9876541c1f"


def run_compare(tmp_path, settings_path, events_path):
    report = tmp_path / "report"
    result = CliRunner().invoke(
        main, ["compare", "--settings", str(settings_path), "--report", str(report), str(events_path)]
    )
    return result, report


def test_example_data_has_every_call_type():
    events = [json.loads(line) for line in (EXAMPLES / "events.jsonl").open(encoding="utf-8")]
    assert 300 <= len(events) <= 800
    assert {e["type"] for e in events} == {"track", "page", "screen", "identify", "group", "alias"}
    orders = [e for e in events if e.get("event") == "Order Completed"]
    assert orders and all(e["properties"]["products"] for e in orders)
    assert len({e["messageId"] for e in events}) == len(events)
    names = {e.get("event") or e.get("name") for e in events}
    assert set(HOSTILE_NAMES) <= names
    settings = json.loads((EXAMPLES / "classic-settings.json").read_text(encoding="utf-8"))
    assert len(settings["data"]["destination"]["settings"]) == 37


def test_example_report_is_written(example_report):
    result, report = example_report
    # the example mixes web, iOS, Android and server sources: auto mode gives each mode its own set
    assert sorted(p.name for p in report.iterdir()) == [
        "recommended-subscriptions-android.json", "recommended-subscriptions-cloud.json",
        "recommended-subscriptions-ios.json", "recommended-subscriptions-web.json",
        "recommended-subscriptions.json", "recommended-subscriptions.tf", "report.html", "report.json", "report.md"]
    data = json.loads((report / "report.json").read_text(encoding="utf-8"))
    assert set(data["parity"]) == set(data["parity_exact"]) == {"presets", "translated", "recommended"}
    assert all(0 <= v <= 1 for v in data["parity"].values())
    assert "parity_core" not in data and data["breakdowns"]["os_name"]["pairs"]
    assert {(s["library"], s["mode"]) for s in data["sources"]} == {
        ("analytics.js", "web"), ("analytics-ios", "ios"), ("analytics-android", "android"),
        ("analytics-python", "cloud")}
    # the first line of the terminal summary is the verdict
    assert result.stdout.startswith("With the recommended subscriptions, ")  # stdout: the summary alone
    assert data["inputs"]["events"] == sum(1 for _ in (EXAMPLES / "events.jsonl").open(encoding="utf-8"))
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Translated from your classic settings" in result.output


def test_no_output_contains_live_keys(tmp_path):
    doc = json.loads((EXAMPLES / "classic-settings.json").read_text(encoding="utf-8"))
    doc["data"]["destination"]["settings"].update(apiKey=LIVE_API_KEY, secretKey=LIVE_SECRET_KEY)
    settings = tmp_path / "classic.json"
    settings.write_text(json.dumps(doc), encoding="utf-8")
    # a slice of the examples keeps this fast; every call type is still in it
    lines = (EXAMPLES / "events.jsonl").read_text(encoding="utf-8").splitlines()[:120]
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result, report = run_compare(tmp_path, settings, events)
    assert result.exit_code == 0, result.output
    outputs = {"terminal": result.output, **{p.name: p.read_text(encoding="utf-8") for p in report.iterdir()}}
    for name, text in outputs.items():
        assert LIVE_API_KEY not in text and LIVE_SECRET_KEY not in text, name
