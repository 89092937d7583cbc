"""`calibrate`: join an Amplitude export to the Segment events, measure the emulator per field, pick the
variant of each contested behaviour the export supports."""

import json
from datetime import datetime, timedelta

import pytest

from migrate.calibration import (calibrate_export, compare_field, export_time_ms, row_record,
                                 score_event)
from migrate.errors import BadInput


@pytest.fixture(scope="module")
def loaded_export(make_export):
    # Classic as the hand-made export shows it: "Loaded ..." page names, OS names, no locale country
    return make_export({"page_naming": "loaded", "user_agent": "os", "country": "ip"})


@pytest.fixture(scope="module")
def result(settings, events_path, loaded_export):
    return calibrate_export(settings, [events_path], loaded_export)


def test_picks_the_variants_the_export_shows(result):
    assert result.options["page_naming"] == "loaded"
    assert result.options["user_agent"] == "os"
    assert result.options["country"] == "ip"
    # the rest are the ones the export was made with (the defaults)
    assert result.options["order_completed"] == "expand" and result.options["revenue_price"] == "docs"
    assert result.options["group_call"] == "docs"


def test_reports_the_os_name_rule_and_the_evidence(result):
    choice = {c.option: c for c in result.choices}
    assert "os_name" in choice["user_agent"].evidence and "browser: os_name 0/" in choice["user_agent"].evidence
    assert choice["user_agent"].scores["os"] > choice["user_agent"].scores["browser"]
    assert "viewed: event_type 0/" in choice["page_naming"].evidence
    os_name = result.fields["os_name"].to_dict()
    assert os_name["agree"] == 1.0 and os_name["compared"] > 100
    # a behaviour no stored field can tell apart keeps its value and says so
    assert "every variant predicts the same stored values" in choice["language"].evidence


def test_join_counts_missing_events_and_foreign_rows(result):
    # the builder drops every 41st event (never reached Amplitude) and adds 3 rows from another source
    assert result.joined > 400 and 5 <= result.unjoined <= 15
    assert result.rows_unjoined >= 3
    doc = result.to_dict()
    assert set(doc) >= {"options", "fields", "joined", "unjoined"}
    assert all(0 <= f["agree"] <= 1 for f in doc["fields"].values() if f["agree"] is not None)


def test_default_behaviour_export_keeps_the_defaults(settings, events_path, make_export):
    path = make_export({}, name="defaults.zip")
    result = calibrate_export(settings, [events_path], path)
    assert result.options["page_naming"] == "viewed"
    assert result.options["user_agent"] == "browser"
    assert result.options["country"] == "locale"
    assert result.fields["country"].to_dict()["agree"] == 1.0


def test_disagreements_come_with_examples(settings, events_path, make_export):
    # an export where Amplitude shows "macOS", a name neither rule predicts
    def tamper(rows):
        for row in rows:
            if row.get("os_name") == "Mac OS":
                row["os_name"] = "macOS"
        return rows

    result = calibrate_export(settings, [events_path], make_export(name="tampered.zip", rows_hook=tamper))
    os_name = result.fields["os_name"].to_dict()
    assert os_name["agree"] < 1
    example = os_name["examples"][0]
    assert example["stored"] == "macOS" and example["predicted"] in ("Mac OS", "Chrome", "Safari")
    assert example["messageId"]


def test_an_export_of_another_period_joins_nothing_and_says_what_to_do(settings, events_path, make_export):
    def shift(rows):
        for row in rows:
            for key in ("event_time", "client_event_time"):
                if row.get(key):
                    moved = datetime.strptime(row[key], "%Y-%m-%d %H:%M:%S.%f") + timedelta(days=30)
                    row[key] = moved.strftime("%Y-%m-%d %H:%M:%S.%f")
        return rows

    path = make_export(name="shifted.zip", rows_hook=shift)
    with pytest.raises(BadInput) as err:
        calibrate_export(settings, [events_path], path)
    message = str(err.value)
    assert path in message and "joins any of the" in message
    assert "amplitude-migrate amplitude export --start 20240612T" in message


def test_insert_id_joins_before_time(tmp_path, settings):
    event = {"type": "track", "event": "Signed Up", "userId": "user-00001", "messageId": "msg-1",
             "timestamp": "2024-06-12T07:00:00.000Z", "context": {"library": {"name": "analytics-python"}}}
    rows = [{"event_type": "Signed Up", "user_id": "user-00001", "$insert_id": "msg-1",
             "event_time": "2024-06-12 09:00:00.000000"}]  # far off in time: only the insert id joins it
    export = tmp_path / "rows.jsonl"
    export.write_text("".join(json.dumps(r) + "\n" for r in rows))
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(event) + "\n")
    result = calibrate_export(settings, [str(events)], str(export))
    assert result.joined == 1 and result.rows_unjoined == 0


def test_repeated_events_pair_with_the_nearest_row(tmp_path, settings):
    events, rows = [], []
    for i, second in enumerate((0, 1, 2)):
        events.append({"type": "track", "event": "Clicked", "userId": "user-00001", "messageId": f"m{i}",
                       "timestamp": f"2024-06-12T07:00:0{second}.000Z", "properties": {"n": i},
                       "context": {"library": {"name": "analytics-python"}}})
        rows.append({"event_type": "Clicked", "user_id": "user-00001", "event_properties": {"n": i},
                     "event_time": f"2024-06-12 07:00:0{second}.000000", "library": "segment"})
    (tmp_path / "e.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    (tmp_path / "x.jsonl").write_text("".join(json.dumps(r) + "\n" for r in reversed(rows)))
    result = calibrate_export(settings, [str(tmp_path / "e.jsonl")], str(tmp_path / "x.jsonl"))
    assert result.joined == 3
    assert result.fields["event_properties"].to_dict()["agree"] == 1.0


def test_outside_the_tolerance_nothing_joins(tmp_path, settings):
    event = {"type": "track", "event": "Clicked", "userId": "user-00001", "timestamp": "2024-06-12T07:00:00.000Z"}
    row = {"event_type": "Clicked", "user_id": "user-00001", "event_time": "2024-06-12 07:00:05.000000"}
    (tmp_path / "e.jsonl").write_text(json.dumps(event) + "\n")
    (tmp_path / "x.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(BadInput):
        calibrate_export(settings, [str(tmp_path / "e.jsonl")], str(tmp_path / "x.jsonl"), tolerance=2)
    result = calibrate_export(settings, [str(tmp_path / "e.jsonl")], str(tmp_path / "x.jsonl"), tolerance=10)
    assert result.joined == 1


def test_export_rows_become_records_with_http_api_names():
    row = {"event_type": "Order Completed", "user_id": 12345, "version_name": "2.1", "device_carrier": "T",
           "ip_address": "192.0.2.1", "session_id": -1, "client_event_time": "2024-06-12 07:00:00.250000",
           "event_time": "2024-06-12 07:01:30.000000",
           "event_properties": {"$revenue": 10.5, "$price": 10.5, "$quantity": 1, "order_id": "o1"}}
    rec = row_record(row)
    assert rec["app_version"] == "2.1" and rec["carrier"] == "T" and rec["ip"] == "192.0.2.1"
    assert rec["revenue"] == 10.5 and rec["event_properties"] == {"order_id": "o1"}
    assert "session_id" not in rec and rec["user_id"] == "12345"
    assert rec["time"] == export_time_ms(row) == 1718175600250  # client_event_time wins


def test_field_comparison_rules():
    assert compare_field("language", "en-US", "English") == "agree"
    assert compare_field("country", None, "France") == "derived"  # Amplitude looked the ip up
    assert compare_field("os_name", None, "Mac OS") == "disagree"
    assert compare_field("groups", {"company": "c1"}, {"company": ["c1"]}) == "agree"
    assert compare_field("user_properties", {"$set": {"plan": "pro"}}, {"plan": "pro", "older": 1}) == "agree"
    assert compare_field("user_properties", {"$set": {"plan": "pro"}}, {"plan": "free"}) == "disagree"
    assert compare_field("price", 1, 1.0) == "agree"
    assert compare_field("os_version", None, None) is None


def test_score_counts_unpredicted_rows_against_a_variant():
    rows = [{"event_type": "Loaded Home Page", "user_id": "u1"}]
    good = score_event([{"kind": "event", "event_type": "Loaded Home Page", "user_id": "u1"}], rows)
    bad = score_event([{"kind": "event", "event_type": "Viewed Home Page", "user_id": "u1"}], rows)
    assert good > 0 > bad


def test_export_backed_classic_side_keeps_what_the_call_changed():
    from migrate.calibration import ExportBackedClassic, _as_classic, event_key

    stored = row_record({"event_type": "Clicked", "user_id": "user-00001", "country": "France", "ip_address": "1.2.3.4",
                         "user_properties": {"plan": "pro", "older": "x"}, "event_time": "2024-06-12 07:00:00"})
    predicted = {"kind": "event", "event_type": "Clicked", "user_properties": {"$set": {"plan": "free"}},
                 "ip": "1.2.3.4"}
    record = _as_classic(stored, predicted)
    # the stored value of the key the call set, not the user's whole state
    assert record["user_properties"] == {"$set": {"plan": "pro"}}
    # Classic sent no country: Amplitude looked it up, and will for Actions too
    assert "country" not in record and record["ip"] == "1.2.3.4"

    class Emulator:
        mode = "cloud"

        def send(self, event):
            return {"requests": [], "records": [{"kind": "event", "event_type": "emulated"}]}

    event = {"type": "track", "event": "Clicked", "messageId": "m1"}
    side = ExportBackedClassic(Emulator(), {event_key(event): [record]})
    assert side.send(event)["records"][0]["event_type"] == "Clicked"
    assert side.send({"type": "track", "event": "Other"})["records"][0]["event_type"] == "emulated"
    assert (side.from_export, side.emulated, side.mode) == (1, 1, "cloud")


def test_the_shipped_example_export_calibrates_as_documented(settings, events_path):
    from pathlib import Path

    shipped = Path(events_path).with_name("amplitude-export.zip")
    result = calibrate_export(settings, [events_path], str(shipped))
    assert {k: result.options[k] for k in ("page_naming", "user_agent", "country")} == \
        {"page_naming": "loaded", "user_agent": "os", "country": "ip"}
    assert result.fields["os_name"].to_dict()["agree"] == 1.0 and result.rows_unjoined == 3


def test_above_the_sample_size_counts_stay_exact_and_fields_are_measured_on_a_sample(
        monkeypatch, settings, events_path, loaded_export, result):
    import migrate.calibration as calibration

    monkeypatch.setattr(calibration, "SAMPLE_JOINED", 150)
    sampled = calibration.calibrate_export(settings, [events_path], loaded_export)
    assert sampled.joined == result.joined and sampled.unjoined == result.unjoined
    assert sampled.to_dict()["measured_on"] == 150
    assert sum(t.compared for t in sampled.fields.values()) < sum(t.compared for t in result.fields.values())
    assert sampled.options["page_naming"] == "loaded" and sampled.options["user_agent"] == "os"
    assert "a random sample of 150 joined events" in sampled.lines()[1]
