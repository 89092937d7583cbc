"""Aggregation (bounded), parity, detections and Segment's integrations routing."""

from migrate.detect import Detections
from migrate.differ import diff_event
from migrate.findings import MAX_EXAMPLES, VariantFindings, event_name
from migrate.runner import EventRun, Runner, VariantRun, reaches


def ev(event_type="A", **fields):
    return {"kind": "event", "event_type": event_type, "user_id": "user-1234", "device_id": "device-1234",
            "time": 1718175688000, **fields}


def segment(i, name="A", **extra):
    return {"type": "track", "event": name, "messageId": f"m{i}", "userId": "user-1234", **extra}


def test_parity_counts_and_bounded_examples():
    agg = VariantFindings("test")
    for i in range(10):
        classic, actions = [ev(library="segment")], [ev(library="analytics.js")] if i % 2 else [ev(library="segment")]
        agg.add(segment(i, "Even" if i % 2 == 0 else "Odd"), diff_event(classic, actions), classic, actions)
    model = agg.to_dict()
    # a library difference changes a breakdown dimension, not the numbers: chart parity 100%, exact 50%
    assert (model["events"], model["matched"], model["parity"]) == (10, 10, 1.0)
    assert (model["matched_exact"], model["parity_exact"]) == (5, 0.5)
    assert model["breakdowns"] == {"library": {"events": 5, "pairs": [["segment", "analytics.js", 5]],
                                               "pairs_exact": True}}
    [cat] = model["categories"]
    assert cat["category"] == "platform_fields" and cat["count"] == 5 and cat["impact"] == "breakdown"
    assert cat["events_by_name"] == {"Odd": 5}
    assert len(cat["examples"]) == MAX_EXAMPLES
    assert cat["examples"][0]["paths"] == ["library"] and cat["examples"][0]["messageId"] == "m1"
    assert {r["event_name"]: r["parity_exact"] for r in model["by_event"]} == {"Even": 1.0, "Odd": 0.0}


def test_event_names_are_capped(monkeypatch):
    import migrate.findings as findings

    monkeypatch.setattr(findings, "MAX_EVENT_NAMES", 3)
    agg = VariantFindings("cap")
    for i in range(6):
        agg.add(segment(i, f"E{i}"), diff_event([], []), [], [])
    names = {r["event_name"]: r["events"] for r in agg.to_dict()["by_event"]}
    assert names == {"E0": 1, "E1": 1, "E2": 1, "(other)": 3}


def test_event_name_labels():
    assert event_name({"type": "page", "name": "Home"}) == "page: Home"
    assert event_name({"type": "identify"}) == "identify"
    assert event_name({"type": "track"}) == "(track without a name)"


def test_reaches_follows_segment_routing():
    assert reaches({}, "Amplitude")
    assert not reaches({"integrations": {"Amplitude": False}}, "Amplitude")
    assert reaches({"integrations": {"Amplitude": False}}, "Actions Amplitude")
    assert not reaches({"integrations": {"All": False}}, "Actions Amplitude")
    assert reaches({"integrations": {"All": False, "Actions Amplitude": {"session_id": 1}}}, "Actions Amplitude")


class _Classic:
    def send(self, event):
        return {"requests": [], "records": [ev(event["event"])]}


class _Engine:
    def __init__(self, fired):
        self.fired = fired

    def send(self, event):
        return self.fired


def test_runner_routing_and_errors():
    fired = [{"subscription": "Track Calls", "action": "logEventV2", "requests": [{"r": 1}], "error": None},
             {"subscription": "Bad", "action": "logEventV2", "requests": [],
              "error": {"name": "AggregateAjvError", "message": "missing event_type"}}]
    runner = Runner(_Classic(), {"v": _Engine(fired)}, lambda requests: [ev("A")] * len(requests))
    run = runner.run(segment(1, integrations={"Amplitude": False}))
    assert run.classic_records == [] and not run.classic_reached
    vrun = run.variants["v"]
    assert vrun.records == [ev("A")] and vrun.errors == ["Bad: missing event_type"]


def _run(classic, actions, fired=(), classic_reached=True, reached=True):
    return EventRun(classic, classic_reached, None,
                    {"v": VariantRun(records=actions, fired=list(fired), reached=reached)})


def test_detections():
    d = Detections()
    both = [{"subscription": "Track Calls", "action": "logEventV2", "event_types": ["Order Completed"]},
            {"subscription": "Purchases", "action": "logPurchase",
             "event_types": ["Order Completed", "Product Purchased"]}]
    distinct = [{"subscription": "Categorized Pages", "action": "logEventV2", "event_types": ["Viewed Docs Page"]},
                {"subscription": "Named Pages", "action": "logEventV2", "event_types": ["Viewed Docs Intro Page"]}]
    d.observe(segment(0, "page"), _run([ev(), ev()], [ev(), ev()], distinct), "v")  # two events, no duplicate
    d.observe(segment(1, "Order Completed"), _run([ev()], [ev(), ev()], both), "v")
    d.observe(segment(2, userId="42"), _run([ev()], [ev(user_id="42")]), "v")
    d.observe(segment(3, integrations={"Amplitude": False}), _run([], [ev()], classic_reached=False), "v")
    d.observe(segment(4, userId="user-5"), _run([ev(device_id="dev-aaaaa")], [ev(device_id="dev-bbbbb")]), "v")
    for i in range(31):  # 31 events in the same second for one user
        d.observe(segment(10 + i, userId="burst-user"), _run([], [ev(user_id="burst-user")]), "v")
    found = {x["kind"]: x for x in d.to_list()}
    assert found["overlapping_triggers"]["count"] == 1
    assert found["overlapping_triggers"]["examples"][0]["subscriptions"] == ["Purchases", "Track Calls"]
    assert found["short_ids"]["count"] == 1
    assert found["short_ids"]["examples"][0]["ids"] == [
        {"field": "userId", "value": "42", "reason": "shorter than 5 characters"}]
    assert found["integrations_flags"]["count"] == 1
    assert found["integrations_flags"]["examples"][0]["reaches"] == "Actions only"
    assert found["device_id_changes"]["count"] == 1
    assert found["device_id_changes"]["examples"][0]["user"] == "user-5"
    assert found["peak_eps"]["count"] == 2  # the burst user's user_id and the shared device_id
    assert {e["id"] for e in found["peak_eps"]["examples"]} == {"burst-user", "device-1234"}
    assert "use_batch_endpoint" in found["peak_eps"]["detail"]


def test_no_detections_on_clean_stream():
    d = Detections()
    d.observe(segment(1), _run([ev()], [ev()]), "v")
    assert all(x["count"] == 0 for x in d.to_list())
