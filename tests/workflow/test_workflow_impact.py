"""Impact classes pinned on small hand-made records, per-source routing, and a mixed-source compare."""

import json
from pathlib import Path

import pytest

from migrate.differ import diff_event
from migrate.findings import VariantFindings
from migrate.impact import BREAKDOWN, CHART, NONE, ImpactContext, TopPairs, outcome
from migrate.runner import Router

DATA = Path(__file__).parent / "data"


def rec(**fields):
    return {"kind": "event", "event_type": "Signed Up", "user_id": "user-1234", "device_id": "device-1234",
            "time": 1718175688000, **fields}


def impacts(classic, actions, ctx=None):
    return {d.field: d.impact for d in diff_event(classic, actions, ctx).differences}


@pytest.mark.parametrize("field,a,b", [
    ("event_type", "Signed Up", "Signed In"),
    ("user_id", "user-1234", "user-9999"),
    ("device_id", "device-1234", "device-9999"),
    ("time", 1718175688000, 1718175689000),
    ("session_id", 1718175600000, 1718175600001),
    ("revenue", 10, 12),
    ("price", 10, 12),
    ("quantity", 1, 2),
    ("event_properties", {"plan": "pro"}, {"plan": "free"}),
    ("user_properties", {"$set": {"plan": "pro"}}, {"$setOnce": {"plan": "pro"}}),
    ("groups", {"company": "a"}, {"company": "b"}),
])
def test_changes_numbers_in_charts(field, a, b):
    assert impacts([rec(**{field: a})], [rec(**{field: b})]) == {field: CHART}


@pytest.mark.parametrize("field,a,b", [
    ("platform", "Web", "Android"), ("os_name", "Chrome", "Mac OS"), ("os_version", "125", "14"),
    ("device_model", "Mac OS", "Macintosh"), ("device_manufacturer", None, "Apple"), ("carrier", "Vodafone", None),
    ("country", "Japan", "Germany"), ("city", None, "Berlin"), ("language", "English", "German"),
    ("library", "segment", "analytics.js"), ("version_name", "1.0", "1.1"), ("app_version", "1.0", "1.1"),
    ("revenueType", None, "Purchase"), ("productId", "sku-1", "sku-2"),
])
def test_changes_a_breakdown_dimension(field, a, b):
    c = rec(**({field: a} if a is not None else {}))
    x = rec(**({field: b} if b is not None else {}))
    assert impacts([c], [x]) == {field: BREAKDOWN}


def test_no_effect_insert_id_and_unstored_fields():
    assert impacts([rec()], [rec(insert_id="abc", device_type="Desktop")]) == {"insert_id": NONE, "device_type": NONE}
    # the Identify and Group Identify APIs have no library
    ident = {"kind": "identify", "user_id": "user-1234", "user_properties": {"$set": {"a": 1}}}
    assert impacts([ident], [{**ident, "library": "segment"}]) == {"library": NONE}
    group = {"kind": "group_identify", "group_type": "company", "group_value": "a"}
    assert impacts([group], [{**group, "library": "segment"}]) == {"library": NONE}
    # ... but an event keeps its library
    assert impacts([rec()], [rec(library="segment")]) == {"library": BREAKDOWN}


def test_ip_rule():
    device = ImpactContext(mode="web", event_ip="192.0.2.1")
    # a device-mode SDK uploads from the device: Amplitude looks up the same address Actions sends as ip
    assert impacts([rec()], [rec(ip="192.0.2.1")], device) == {"ip": NONE}
    assert impacts([rec()], [rec(ip="192.0.2.99")], device) == {"ip": BREAKDOWN}
    # in cloud mode a record without ip is looked up from Segment's server address
    assert impacts([rec()], [rec(ip="192.0.2.1")], ImpactContext("cloud", "192.0.2.1")) == {"ip": BREAKDOWN}
    # explicit location on both sides replaces the lookup: the ip does not matter
    assert impacts([rec(country="Japan")], [rec(country="Japan", ip="192.0.2.1")]) == {"ip": NONE}


def test_outcomes_rank_a_lost_event_below_a_changed_one():
    lost = diff_event([rec()], [])
    changed = diff_event([rec(revenue=10)], [rec()])
    extra = diff_event([rec()], [rec(), rec(event_type="Signed Up")])
    breakdown = diff_event([rec(os_name="Chrome")], [rec(os_name="Mac OS")])
    assert [outcome(d.differences) for d in (lost, extra, changed, breakdown)] == \
        ["lost", "extra", "changed", "breakdown"]
    assert outcome(diff_event([rec()], [rec(insert_id="x")]).differences) == "no_effect"
    assert outcome(diff_event([rec()], [rec()]).differences) == "identical"
    # a fix that makes the lost event arrive with a difference: still a chart change, no longer lost
    agg = VariantFindings("t")
    for d in (lost, changed):
        agg.add({"type": "track", "event": "E"}, d, [], [])
    assert agg.outcomes["lost"] == 1 and agg.outcomes["changed"] == 1 and agg.chart_events == 2


def test_device_mode_sdk_ids_need_a_change_outside_the_mappings():
    ctx = ImpactContext(mode="ios")
    d = diff_event([rec(device_id="<sdk-device-id>", session_id=5)], [rec(device_id="ABC-1234")], ctx)
    assert {x.field: x.outside for x in d.differences} == {"device_id": "sdk_device_id", "session_id": "sdk_session"}
    agg = VariantFindings("t")
    agg.add({"type": "track", "event": "E"}, d, [], [])
    agg.add({"type": "track", "event": "E"}, diff_event([rec(revenue=1)], [rec()], ctx), [], [])
    out = agg.to_dict()["outside_mappings"]
    assert out["events"] == 1 and {c["name"] for c in out["changes"]} == {"sdk_device_id", "sdk_session"}
    # the same difference in cloud mode is a mapping matter
    assert all(x.outside is None for x in diff_event([rec(session_id=5)], [rec()]).differences)


def test_top_pairs_is_bounded_and_exact_when_small():
    t = TopPairs(capacity=3)
    for a, b, n in [("Chrome", "Mac OS", 5), ("Safari", "iOS", 3), ("x", "y", 1)]:
        for _ in range(n):
            t.add(a, b)
    assert t.top(2) == [["Chrome", "Mac OS", 5], ["Safari", "iOS", 3]] and t.exact
    for i in range(100):
        t.add(f"v{i}", "w")
    assert len(t.counts) == 3 and not t.exact
    assert t.top(1)[0][2] >= 5  # the space-saving count never underestimates a kept pair


def test_router_auto_overrides_and_warnings():
    def ev(name):
        return {"type": "track", "context": {"library": {"name": name}}}

    r = Router("auto", {"analytics-ios": "cloud"})
    assert [r.route(ev(n))[1] for n in ("analytics-python", "analytics.js", "analytics-next", "analytics-swift",
                                        "analytics-ios", "analytics-kotlin", "HTTP API", "analytics.NET",
                                        "segment-flutter")] == \
        ["cloud", "web", "web", "ios", "cloud", "android", "cloud", "cloud", "cloud"]
    [warning] = r.warnings()
    assert "segment-flutter" in warning and "--source-mode" in warning
    forced = Router("ios")
    for n in ("analytics-python", "analytics-python", "analytics-ios"):
        forced.route(ev(n))
    [warning] = forced.warnings()
    assert warning.startswith("2 events from library 'analytics-python'") and "ios mode" in warning
    assert Router("cloud").route(ev("analytics.js")) == ("analytics.js", "cloud")


def test_mixed_sources_run_each_through_its_own_mode():
    from migrate.compare import compare

    settings = json.loads((DATA / "classic-settings-full.json").read_text())
    model = compare(settings, [str(DATA / "mixed-sources.jsonl")], mode="auto")
    rows = {(s["library"], s["mode"]): s["events"] for s in model["sources"]}
    assert rows == {("analytics.js", "web"): 2, ("analytics-ios", "ios"): 2, ("analytics-android", "android"): 2,
                    ("analytics-python", "cloud"): 2}
    assert set(model["modes"]) == {"web", "ios", "android", "cloud"}
    for mode, entry in model["modes"].items():
        assert entry["subscriptions"]["translated"], mode
    for s in model["sources"]:
        assert set(s["parity"]) == set(s["parity_exact"]) == {"presets", "translated", "recommended"}
    # device-mode sources: the SDK's device id cannot come through any mapping, and the report says so
    assert any(c["name"] == "sdk_device_id" for c in model["outside_mappings"]["changes"])
    cloud = compare(settings, [str(DATA / "mixed-sources.jsonl")], mode="cloud", recommend=False)
    assert {s["mode"] for s in cloud["sources"]} == {"cloud"}
    assert "recommended" not in cloud["variants"] and cloud["parity"]["recommended"] is None
    assert cloud["subscriptions"]["recommended"] is None


def test_sdk_library_object_is_the_string_amplitude_stores():
    sdk = rec(library={"name": "amplitude-js", "version": "5.2.2"})
    assert impacts([sdk], [rec(library="amplitude-js/5.2.2")]) == {}
    assert impacts([sdk], [rec(library="analytics.js")]) == {"library": BREAKDOWN}


def test_no_recommend_writes_and_shows_no_recommended_figures(tmp_path):
    from click.testing import CliRunner

    from migrate.cli import main

    report = tmp_path / "report"
    result = CliRunner().invoke(main, ["compare", "--settings", str(DATA / "classic-settings-full.json"),
                                       "--no-recommend", "--report", str(report), str(DATA / "mixed-sources.jsonl")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in report.iterdir()) == ["report.html", "report.json", "report.md"]
    for name in ("report.html", "report.md"):
        text = (report / name).read_text(encoding="utf-8")
        assert "Translated + recommended changes" not in text and "recommended (chart" not in text, name
    assert "Translated + recommended changes" not in result.output
    assert "With the subscriptions translated from your classic settings" in result.output
    data = json.loads((report / "report.json").read_text(encoding="utf-8"))
    assert data["parity"]["recommended"] is None and "recommended" not in data["variants"]


def test_option_names_agree_and_source_mode_is_checked(tmp_path):
    from click.testing import CliRunner

    from migrate.cli import main

    base = ["compare", "--settings", str(DATA / "classic-settings-full.json"), "--no-recommend"]
    events = str(DATA / "mixed-sources.jsonl")
    runner = CliRunner()
    for flag in ("--option", "--classic-option"):  # --classic-option: the former name, kept as an alias
        result = runner.invoke(main, [*base, flag, "page_naming=code2017", events])
        assert result.exit_code == 0, result.output
    result = runner.invoke(main, [*base, "--source-mode", "analytics.js=mars", events])
    assert result.exit_code == 2 and "analytics.js=mars" in result.output
    result = runner.invoke(main, [*base, "--source-mode", "analytics.js=cloud", "--mode", "auto", events])
    assert result.exit_code == 0
    assert any(line.startswith("analytics.js") and " cloud " in line for line in result.output.splitlines())
    result = runner.invoke(main, [*base, "--mode", "ios", events])
    assert "2 events from library 'analytics-python' were compared in ios mode" in result.output
    assert "--classic-option" not in runner.invoke(main, ["compare", "--help"]).output


def test_breakdown_pairs_name_the_ip_lookup_only_where_amplitude_does_it():
    agg = VariantFindings("t")
    for c, a in [(rec(country="Japan"), rec()), (rec(country="Japan"), rec(city="Paris")),
                 (rec(location_lat=1.5), rec())]:
        agg.add({"type": "track", "event": "E"}, diff_event([c], [a]), [c], [a])
    b = agg.breakdowns_dict()
    # no location field at all on the Actions side: Amplitude looks the country up from the IP address
    assert b["country"]["pairs"] == [["Japan", "(from IP lookup)", 1], ["Japan", None, 1]]
    assert b["location_lat"]["pairs"] == [[1.5, None, 1]]


def test_breakdown_pairs_do_not_list_device_identifiers():
    agg = VariantFindings("t")
    for i in range(3):
        c, a = rec(), rec(idfa=f"ebe10efe-6969-473f-97d7-ea87b50f064{i}")
        agg.add({"type": "track", "event": "E"}, diff_event([c], [a]), [c], [a])
    assert agg.breakdowns_dict()["idfa"] == {"events": 3, "pairs": [[None, "(an id)", 3]], "pairs_exact": True}
