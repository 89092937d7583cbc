"""The pytest plugin as a user meets it: installed via its entry point, run in a throw-away project."""

import json
from pathlib import Path

import pytest

from migrate.snapshot import AmplitudeSnapshotExtension, SnapshotInputError, check_json, records_by_event

pytest_plugins = ["pytester"]

DATA = Path(__file__).parent / "amplitude"

USER_TEST = '''
def test_amplitude_records(amplitude_records, amplitude_snapshot):
    records = amplitude_records("amplitude/events.jsonl", settings="amplitude/classic.json", presets=True)
    assert records == amplitude_snapshot
'''


@pytest.fixture
def project(pytester):
    """A user's repository: a folder of events, the classic settings, and one snapshot test."""
    folder = pytester.mkdir("amplitude")
    (folder / "events.jsonl").write_text((DATA / "events.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    settings = json.loads((DATA / "classic-settings.json").read_text(encoding="utf-8"))
    (folder / "classic.json").write_text(json.dumps(settings), encoding="utf-8")
    pytester.makepyfile(test_user=USER_TEST)
    return pytester


def snapshot_file(pytester) -> Path:
    return pytester.path / "__snapshots__" / "test_user" / "test_amplitude_records.json"


def test_plugin_is_registered_through_its_entry_point(pytester):
    pytester.makepyfile(
        test_plugin="""
def test_registered(pytestconfig):
    plugin = pytestconfig.pluginmanager.get_plugin("amplitude_migrate")
    assert plugin is not None and plugin.__name__ == "migrate.snapshot"
"""
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_update_then_pass_then_fail_on_change_then_refresh(project):
    # first run with --snapshot-update writes the snapshot
    result = project.runpytest("--snapshot-update")
    result.assert_outcomes(passed=1)
    stored = json.loads(snapshot_file(project).read_text(encoding="utf-8"))
    assert list(stored) == [json.loads(line)["messageId"] for line in (DATA / "events.jsonl").open(encoding="utf-8")]
    named = stored["snap-page-named"]
    assert named["call"] == "page Marketing Pricing"
    assert named["classic"] and all(r["kind"] == "event" for r in named["classic"])
    assert "actions" in named
    assert stored["snap-identify"]["classic"][0]["kind"] == "identify"
    # keys inside records are sorted, so diffs stay stable
    first = named["classic"][0]
    assert list(first) == sorted(first)

    # unchanged inputs: passes without touching the file
    before = snapshot_file(project).read_bytes()
    project.runpytest().assert_outcomes(passed=1)
    assert snapshot_file(project).read_bytes() == before

    # a settings change that alters what Classic records makes the test fail with a diff
    settings = json.loads((project.path / "amplitude" / "classic.json").read_text(encoding="utf-8"))
    settings["trackNamedPages"] = False
    settings["trackCategorizedPages"] = False
    (project.path / "amplitude" / "classic.json").write_text(json.dumps(settings), encoding="utf-8")
    result = project.runpytest("-vv")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*1 snapshot failed*"])
    assert '"event_type": "Viewed Marketing Pricing Page"' in result.stdout.str()

    # --snapshot-update accepts the new behaviour
    project.runpytest("--snapshot-update").assert_outcomes(passed=1)
    assert json.loads(snapshot_file(project).read_text(encoding="utf-8"))["snap-page-named"]["classic"] == []
    project.runpytest().assert_outcomes(passed=1)


def test_bad_event_line_names_file_and_line(project):
    events = project.path / "amplitude" / "events.jsonl"
    lines = events.read_text(encoding="utf-8").splitlines()
    lines.insert(2, '{"type": "track", "event": ')
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = project.runpytest("--snapshot-update")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*SnapshotInputError*events.jsonl:3*"])


def test_events_folder_and_subscriptions_file(tmp_path):
    folder = tmp_path / "events"
    (folder / "web").mkdir(parents=True)
    lines = (DATA / "events.jsonl").read_text(encoding="utf-8").splitlines()
    (folder / "web" / "a.jsonl").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    (folder / "b.json").write_text("[" + ",".join(lines[3:5]) + "]", encoding="utf-8")
    (folder / "notes.txt").write_text("not events", encoding="utf-8")
    subs = [{"name": "Track Calls", "partnerAction": "logEventV2", "subscribe": 'type = "track"', "enabled": True,
             "mapping": {"event_type": {"@path": "$.event"}, "user_id": {"@path": "$.userId"}}}]
    (tmp_path / "subs.json").write_text(json.dumps(subs), encoding="utf-8")
    records = records_by_event("events", subscriptions="subs.json", base=tmp_path)
    # b.json sorts before web/a.jsonl
    assert list(records) == ["snap-order", "snap-identify", "snap-page-named", "snap-page-unnamed", "snap-track"]
    assert all(set(entry) <= {"call", "actions", "actions_errors", "actions_skipped"} for entry in records.values())
    assert records["snap-identify"]["actions"] == []  # no subscription matches identify


def test_input_errors_are_clear(tmp_path):
    with pytest.raises(SnapshotInputError, match="give classic settings, subscriptions, or presets=True"):
        records_by_event(DATA / "events.jsonl")
    with pytest.raises(SnapshotInputError, match="does not exist"):
        records_by_event(tmp_path / "missing.jsonl", presets=True)
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(SnapshotInputError, match=r"bad.json:1: not valid JSON"):
        records_by_event(DATA / "events.jsonl", settings=tmp_path / "bad.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SnapshotInputError, match="no event files"):
        records_by_event(tmp_path / "empty", presets=True)


def test_extension_refuses_what_json_would_alter():
    check_json({"a": [1, 2.5, None, True, "x", {"b": {}}]})
    with pytest.raises(TypeError, match=r"records\['a'\]\[1\]: set is not JSON data"):
        check_json({"a": [1, {3}]})
    with pytest.raises(TypeError, match="key 1 is not a string"):
        check_json({1: "x"})
    with pytest.raises(TypeError, match="nan has no JSON form"):
        check_json([float("nan")])
    text = AmplitudeSnapshotExtension().serialize({"z": [{"b": 1, "a": "é"}], "a": []})
    assert text == '{\n  "a": [],\n  "z": [\n    {\n      "a": "é",\n      "b": 1\n    }\n  ]\n}\n'


def test_syrupy_filters_drop_volatile_fields(project):
    project.makepyfile(
        test_user='''
from syrupy.filters import props


def test_amplitude_records(amplitude_records, amplitude_snapshot):
    records = amplitude_records("amplitude/events.jsonl", settings="amplitude/classic.json")
    assert records == amplitude_snapshot(exclude=props("time", "device_id"))
'''
    )
    project.runpytest("--snapshot-update").assert_outcomes(passed=1)
    text = snapshot_file(project).read_text(encoding="utf-8")
    assert '"time"' not in text and '"device_id"' not in text
    assert '"user_id": "usr_0001029"' in text
