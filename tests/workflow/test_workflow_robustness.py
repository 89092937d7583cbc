"""Hostile and awkward inputs through the user-facing workflow: odd event shapes, lone surrogates, empty
input, engine failures, settings warnings, secrets in every mode; and the differ's fast path against deepdiff."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from deepdiff import DeepDiff

from migrate import differ
from migrate.cli import main
from migrate.findings import MAX_NAME_LENGTH, event_name

DATA = Path(__file__).parent / "data"
SETTINGS_FILE = DATA / "classic-settings-full.json"
EVENTS = DATA / "events.jsonl"
API_KEY = json.loads(SETTINGS_FILE.read_text())["apiKey"]
SECRET_KEY = json.loads(SETTINGS_FILE.read_text())["secretKey"]
MODES = ("cloud", "web", "ios", "android")

BASE = {"messageId": "odd", "type": "track", "event": "Order Completed", "userId": "user-12345",
        "anonymousId": "anon-12345", "timestamp": "2024-03-14T10:00:00.000Z",
        "properties": {"revenue": 10, "products": [{"product_id": "p1", "price": 5, "quantity": 2}]},
        "context": {"ip": "1.2.3.4", "library": {"name": "analytics.js", "version": "1"}}}
DEEP: dict = {}
_cursor = DEEP
for _ in range(100):  # deep, but within the reader's MAX_DEPTH (128)
    _cursor["d"] = {}
    _cursor = _cursor["d"]
# events whose type is not one of Segment's are skipped by the reader (tests/core/test_input_rules.py)
ODD_CHANGES = [
    {"properties": [1, 2]},
    {"context": None}, {"traits": "a string"}, {"integrations": False}, {"integrations": [1]},
    {"event": "x" * 5000, "properties": {"big": "y" * 50000}},
    {"event": "Ünïcødé 🚀", "properties": {"ключ": "значение", "ctrl": "\u0007\u001b[31m"}},
    {"properties": {"revenue": "12.50", "quantity": "2", "products": "not a list"}},
    {"properties": DEEP}, {"timestamp": "garbage"}, {"timestamp": 12345}, {"timestamp": {"a": 1}},
    {"userId": 123456789, "anonymousId": 1.5}, {"userId": True, "anonymousId": ["x"]},
    {"context": {"device": "s", "os": 5, "library": "x", "location": "x", "page": 5, "locale": 5, "traits": "x"}},
    {"properties": {"products": [None, 5, "x", {"price": "abc", "quantity": 1.5}]}},
    {"messageId": {"a": 1}}, {"integrations": {"Amplitude": {"session_id": "abc"}, "All": 0}},
    {"type": "identify", "traits": [1, 2]}, {"type": "group", "groupId": None, "traits": None},
    {"type": "page", "name": 5, "category": [1], "properties": None},
    {"type": "alias", "previousId": 7}, {"type": "screen", "name": None, "context": None},
    # a user-property operation that is no object beside plain traits (nothing to fold them into)
    {"type": "identify", "traits": {"$set": "x", "plan": "paid"}},
    {"context": {"traits": {"$set": ["a"], "plan": "paid"}, "library": {"name": "analytics.js", "version": "1"}}},
]


def _odd_events() -> list[dict]:
    out = []
    for i, change in enumerate(ODD_CHANGES):
        event = json.loads(json.dumps(BASE))
        event["messageId"] = f"odd-{i}"
        event.update(change)
        out.append(event)
    return out


def run(args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], **kw)


@pytest.fixture(scope="module")
def odd_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("odd") / "odd.jsonl"
    lines = [json.dumps(e, ensure_ascii=False) for e in _odd_events()]
    # valid JSON that Python keeps as lone surrogates; JavaScript's JSON.parse accepts it as well
    lines.append('{"messageId":"lone","type":"track","userId":"user-\\ud800-1","event":"Lone \\udc00 name",'
                 '"properties":{"k\\ud800":"\\ud800"},"timestamp":"2024-03-14T10:00:00Z"}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- odd event shapes never crash; engine rejections are data ---------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_compare_survives_odd_events_and_lone_surrogates(tmp_path, odd_file, mode):
    result = run(["compare", "--mode", mode, "--settings", SETTINGS_FILE, "--report", tmp_path / "r", odd_file])
    assert result.exit_code == 0, result.output
    assert result.exception is None
    report = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert report["inputs"]["events"] == len(ODD_CHANGES) + 1
    assert "\ufffd" in result.stdout  # the lone surrogate shown as a replacement character
    for name in ("report.html", "report.md", "recommended-subscriptions.json"):
        (tmp_path / "r" / name).read_text(encoding="utf-8")  # valid UTF-8
    # the runtime's validation errors are reported as a category, with the message as the example's note
    translated = {c["category"]: c for c in report["variants"]["translated"]["categories"]}
    assert translated["error"]["count"] > 0
    assert any("must be an object" in p for ex in translated["error"]["examples"] for p in ex["paths"])


def test_report_json_keeps_a_lone_surrogate_as_an_escape(tmp_path, odd_file):
    result = run(["compare", "--settings", SETTINGS_FILE, "--no-recommend", "--report", tmp_path, odd_file])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "report.json").read_text(encoding="utf-8")
    assert "\\ud800" in text or "\\udc00" in text
    report = json.loads(text)
    names = {n for c in report["variants"]["translated"]["categories"] for n in c["events_by_name"]}
    assert "Lone \udc00 name" in names  # the exact input value survives the round trip


@pytest.mark.parametrize("command", [["classic", "run", "--mode", "cloud"], ["classic", "run", "--mode", "web"],
                                     ["actions", "run"]])
def test_run_commands_write_valid_json_lines_for_odd_events(odd_file, command):
    result = run([*command, "--settings", SETTINGS_FILE, odd_file])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(ODD_CHANGES) + 1
    assert lines[-1]["messageId"] == "lone"
    assert "\\ud800" in result.stdout.splitlines()[-1]  # escaped, as JSON.stringify writes it


class _Exploding:
    """Stands in for an engine whose code fails on one event."""

    def __init__(self, real, bad_id):
        self.real, self.bad_id = real, bad_id

    def send(self, event):
        if event.get("messageId") == self.bad_id:
            raise KeyError("boom")
        return self.real.send(event)


def test_actions_run_reports_an_engine_failure_as_data(monkeypatch, odd_file):
    import actions

    real_engine = actions.Engine
    monkeypatch.setattr(actions, "Engine", lambda **kw: _Exploding(real_engine(**kw), "odd-3"))
    result = run(["actions", "run", "--settings", SETTINGS_FILE, odd_file])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(ODD_CHANGES) + 1
    failed = [line for line in lines if "error" in line]
    assert [line["messageId"] for line in failed] == ["odd-3"]
    assert failed[0]["error"] == {"name": "KeyError", "message": "'boom'"}
    assert "1 events failed in the engine" in result.stderr


def test_classic_run_reports_an_emulator_failure_as_data(monkeypatch, odd_file):
    import classic

    real_emulator = classic.Emulator
    monkeypatch.setattr(classic, "Emulator", lambda *a, **kw: _Exploding(real_emulator(*a, **kw), "odd-4"))
    result = run(["classic", "run", "--settings", SETTINGS_FILE, odd_file])
    assert result.exit_code == 0, result.output
    failed = [json.loads(line) for line in result.stdout.splitlines() if '"error"' in line]
    assert [(line["messageId"], line["error"]["name"]) for line in failed] == [("odd-4", "KeyError")]
    assert "1 events failed in the emulator" in result.stderr


def test_long_event_names_are_cut_for_the_tables():
    name = event_name({"type": "track", "event": "n" * 100_000})
    assert len(name) == MAX_NAME_LENGTH and name.endswith("…")
    assert event_name({"type": "track", "event": "Short"}) == "Short"


# -- empty input, warnings, labels --------------------------------------------------------------------------

def test_empty_input_is_an_input_error_and_writes_no_report(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = run(["compare", "--settings", SETTINGS_FILE, "--report", tmp_path / "r", empty])
    assert result.exit_code == 2, result.output
    assert "no Segment events: the input is empty" in result.stderr and str(empty) in result.stderr
    assert result.stdout == "" and not (tmp_path / "r").exists()


def test_empty_input_model_is_not_perfect_parity(tmp_path):
    # the library, told not to check the input, still never calls zero events 100%
    from migrate.compare import compare
    from reports import render_all

    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    model = compare(json.loads(SETTINGS_FILE.read_text()), [str(empty)], max_skipped=None)
    assert model["parity"] == {"presets": None, "translated": None, "recommended": None}
    render_all(model, tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert "No events were compared." in html and "100.0%" not in html


def test_fail_under_on_junk_input_is_an_input_error(tmp_path):
    junk = tmp_path / "junk.jsonl"
    junk.write_text("{not json\n[1]\n")
    result = run(["compare", "--settings", SETTINGS_FILE, "--fail-under", "90", junk])
    assert result.exit_code == 2, result.output
    assert "no Segment events: all 2 lines were skipped" in result.stderr and "Traceback" not in result.output
    assert result.stdout == ""


def test_settings_warnings_reach_the_terminal_and_the_report(tmp_path):
    settings = json.loads(SETTINGS_FILE.read_text())
    settings["trackAllPagez"] = True  # a typo: ignored by Classic, and the user must hear about it
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(settings))
    result = run(["compare", "--settings", path, "--no-recommend", "--report", tmp_path / "r", EVENTS])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr and "trackAllPagez" in result.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert any("trackAllPagez" in w for w in report["inputs"]["settings_warnings"])
    assert "trackAllPagez" in (tmp_path / "r" / "report.html").read_text()
    assert "**Warning:**" in (tmp_path / "r" / "report.md").read_text()


def test_report_inputs_name_what_was_compared(tmp_path):
    result = run(["compare", "--settings", SETTINGS_FILE, "--no-recommend", "--report", tmp_path / "a", EVENTS])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "a" / "report.html").read_text()
    assert "none given: translated from the classic settings" in html and "Actions presets</span>" not in html
    md = (tmp_path / "a" / "report.md").read_text()
    assert "Skipped lines:" in md and "line 5" in md  # the fixture's malformed line, listed

    subs = tmp_path / "subs.json"
    assert run(["translate", SETTINGS_FILE, "--format", "public-api", "-o", subs]).exit_code == 0
    result = run(["compare", "--settings", SETTINGS_FILE, "--subscriptions", subs, "--no-recommend",
                  "--report", tmp_path / "b", EVENTS])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "b" / "report.html").read_text()
    assert f"Your subscriptions (from {subs})" in html


# -- secrets in every mode, with the user's subscriptions in the Public API shape -----------------------

@pytest.mark.parametrize("mode", MODES)
def test_no_secret_in_any_compare_output(tmp_path, mode):
    subs = tmp_path / "subs.json"
    assert run(["translate", SETTINGS_FILE, "--mode", mode, "--format", "public-api", "-o", subs]).exit_code == 0
    result = run(["compare", "--mode", mode, "--settings", SETTINGS_FILE, "--subscriptions", subs,
                  "--report", tmp_path / "r", EVENTS])
    assert result.exit_code == 0, result.output
    outputs = [result.stdout, result.stderr, subs.read_text()]
    outputs += [p.read_text(encoding="utf-8") for p in (tmp_path / "r").iterdir()]
    assert len(outputs) == 8  # report.html, .md, .json, recommended-subscriptions.json and .tf
    for text in outputs:
        assert API_KEY not in text and SECRET_KEY not in text
        assert API_KEY[-12:] not in text and SECRET_KEY[-12:] not in text


# -- the differ walks records key by key: same differences as deepdiff on the whole record -------------------

def _deepdiff_reference(classic: dict, actions: dict) -> set:
    kind = classic.get("kind", "event")
    event_type = classic.get("event_type") if kind == "event" else None
    out = set()
    tree = DeepDiff(classic, actions, view="tree", threshold_to_diff_deeper=0, verbose_level=2)
    for levels in tree.values():
        for level in levels:
            parts = level.path(output_format="list")
            category, counts = differ.categorize(kind, event_type, parts)
            t1 = None if differ._absent(level.t1) else level.t1
            t2 = None if differ._absent(level.t2) else level.t2
            out.add((category, differ.format_path(parts), json.dumps(t1, sort_keys=True),
                     json.dumps(t2, sort_keys=True), counts))
    return out


def _record_pairs():
    import actions
    import classic
    from migrate.canonical import normalize_record, records_from_requests
    from migrate.generate import generate_events
    from migrate.translate import translate

    doc = json.loads(SETTINGS_FILE.read_text())
    settings, _ = classic.load_settings(doc)
    for mode in ("cloud", "web"):
        emulator = classic.Emulator(settings, mode=mode)
        engine = actions.Engine(settings=translate(doc, mode=mode).settings,
                                subscriptions=actions.preset_subscriptions())
        for event in generate_events(150, 5):
            out = emulator.send(event)
            c = out["records"] if out.get("records") is not None else records_from_requests(out["requests"])
            a = [r for item in engine.send(event) for r in records_from_requests(item["requests"])]
            for rc, ra in zip(c, a):
                yield normalize_record(rc), normalize_record(ra)
    yield ({"kind": "event", "event_type": "x", "event_properties": {"a": [1, {"b": True}], "c": {"d": 1}},
            "x": [1, 2, 3], "y": {"z": None}},
           {"kind": "event", "event_type": "x", "event_properties": {"a": [1, {"b": 1}], "c": [1]},
            "x": [1, 2], "y": {}, "n": {"deep": {"er": 1}}})


def test_differ_reports_what_deepdiff_reports():
    pairs = list(_record_pairs())
    assert len(pairs) > 100
    differing = 0
    for c, a in pairs:
        got = {(d.category, d.path, json.dumps(d.classic, sort_keys=True), json.dumps(d.actions, sort_keys=True),
                d.counts) for d in differ.diff_records(c, a)}
        assert got == _deepdiff_reference(c, a), (c, a)
        differing += bool(got)
    assert differing > 50


# -- translate: every setting at a non-default value, every mode and format; the result runs -----------------

def _non_default_settings() -> dict:
    from classic.settings import SETTINGS as CATALOG

    values = {"boolean": lambda d: not d, "number": lambda d: d + 7, "select": lambda d: "europe",
              "string": lambda d: "plan", "array": lambda d: ["logins", "tags"],
              "map": lambda d: {"utm_source": "source", "ref": "referrer"}}
    out = {key: values[kind](default) for key, (kind, default, _, _) in CATALOG.items()}
    out.update(apiKey=API_KEY, secretKey=SECRET_KEY)
    return out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fmt", ["runtime", "public-api"])
def test_translated_subscriptions_load_and_run(tmp_path, mode, fmt):
    import actions
    from migrate.canonical import records_from_requests
    from migrate.generate import generate_events

    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps(_non_default_settings()))
    subs_file = tmp_path / "subs.json"
    result = run(["translate", settings, "--mode", mode, "--format", fmt, "-o", subs_file])
    assert result.exit_code == 0, result.output
    assert API_KEY not in result.output + subs_file.read_text()
    subs = actions.load_subscriptions(json.loads(subs_file.read_text()), source=str(subs_file))
    assert subs
    engine = actions.Engine(settings={"apiKey": API_KEY, "endpoint": "europe"}, subscriptions=subs)
    fired = 0
    for event in generate_events(200, 2):
        for item in engine.send(event):
            fired += 1
            assert item["error"] is None or item["error"]["name"] != "InternalError", item["error"]
            records_from_requests(item["requests"])
    assert fired > 150


# -- seeded type confusion anywhere in an event: the engines report, never raise ------------------------------

_WEIRD = [None, True, 0, -1, 1.5, "", "x", "12", [], [1, "a"], {}, {"a": None}, "🚀", "2024-03-14"]


def _paths(obj, prefix=()):
    yield prefix
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for key, value in items:
        yield from _paths(value, (*prefix, key))


def _mutants(count: int):
    import copy
    import random

    from migrate.generate import generate_events

    rng = random.Random(20240314)
    for event in generate_events(count, 9):
        for _ in range(3):
            mutant = copy.deepcopy(event)
            for _ in range(rng.randint(1, 3)):
                path = rng.choice([p for p in _paths(mutant) if p])
                holder = mutant
                for part in path[:-1]:
                    holder = holder[part]
                holder[path[-1]] = copy.deepcopy(rng.choice(_WEIRD))
            yield mutant


def test_type_confusion_never_raises_in_the_engines():
    import actions
    import classic
    from migrate.canonical import records_from_requests
    from migrate.differ import diff_event

    settings, _ = classic.load_settings(_non_default_settings())
    emulators = [classic.Emulator(settings, mode=mode) for mode in MODES]
    engine = actions.Engine(settings={"apiKey": API_KEY}, subscriptions=actions.preset_subscriptions())
    for event in _mutants(60):
        records = []
        for emulator in emulators:
            out = emulator.send(event)
            records = out["records"] if out.get("records") is not None else records_from_requests(out["requests"])
        sent = []
        for item in engine.send(event):
            assert item["error"] is None or item["error"]["name"] != "InternalError", (event, item["error"])
            sent.extend(records_from_requests(item["requests"]))
        diff_event(records, sent)


# -- detections stay bounded and exact on unordered input ------------------------------------------------------

def test_peak_eps_is_bounded_and_exact_on_unordered_input(monkeypatch):
    import random

    from migrate import detect

    monkeypatch.setattr(detect, "MAX_EPS_BUCKETS", 500)
    rng = random.Random(7)
    stream = [(f"user-{i:05d}", rng.randrange(0, 86_400)) for i in range(6000)]  # one event each: noise
    hot = [("hot-early", 100)] * 35 + [("hot-late", 86_000)] * 40 + [("warm", 5_000)] * 30  # warm: at the limit
    for item in hot:  # spread the bursts over the whole stream, out of time order
        stream.insert(rng.randrange(len(stream) + 1), item)
    found = detect.Detections()
    largest = 0
    for user, second in stream:
        found._eps({}, [{"kind": "event", "user_id": user, "time": second * 1000}])
        largest = max(largest, len(found.eps_buckets))
    assert largest <= 500
    assert found.eps_peak == {("user_id", "hot-early"): 35, ("user_id", "hot-late"): 40}
    assert found.eps_max == 40


# -- trait names the path syntax cannot address stay plain $set (never lost, never the whole traits object) ----

def test_unaddressable_trait_names_stay_plain_set():
    import actions
    from migrate.canonical import records_from_requests
    from migrate.translate import translate

    odd = ["a.b", "", "[0]", 'x"y', "a'b"]
    result = translate({"apiKey": API_KEY, "traitsToIncrement": ["logins", "with space", *odd]})
    identify = next(s for s in result.subscriptions if s["name"] == "Identify Calls")
    traits = {"logins": 3, "with space": 4, "a.b": 1, "": 2, "[0]": 5, 'x"y': 6, "a'b": 7, "plan": "pro"}
    [fired] = actions.Engine(result.settings, [identify]).send(
        {"type": "identify", "userId": "user-1234", "messageId": "m1", "traits": traits})
    [record] = records_from_requests(fired["requests"])
    assert record["user_properties"] == {
        "$add": {"logins": 3, "with space": 4},
        "$set": {"plan": "pro", "a.b": 1, "": 2, "[0]": 5, 'x"y': 6, "a'b": 7},
    }
    entry = next(e for e in result.log if e["key"] == "traitsToIncrement")
    assert entry["status"] == "approximated"
    assert "{$add: {trait: traits.<trait>}}" in entry["reason"] and "user_properties" in entry["reason"]
    assert "'[0]'" in entry["reason"] and "'a.b'" in entry["reason"]


# -- report directory problems: one line, exit 2, and before the events are read ------------------------------

def test_unusable_report_directory_fails_before_the_run(tmp_path, monkeypatch):
    import migrate.compare

    def no_run(*args, **kwargs):
        raise AssertionError("compare ran although the report directory is unusable")

    monkeypatch.setattr(migrate.compare, "compare", no_run)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run(["compare", "--settings", SETTINGS_FILE, "--report", blocker / "report", EVENTS])
    assert result.exit_code == 2, result.output
    assert "cannot create the report directory" in result.stderr and "Traceback" not in result.output


def test_report_write_error_is_one_line(tmp_path):
    (tmp_path / "report.html").mkdir()  # something in the way
    result = run(["compare", "--settings", SETTINGS_FILE, "--no-recommend", "--report", tmp_path, EVENTS])
    assert result.exit_code == 2, result.output
    assert "report.html: cannot write the report" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)



def test_chart_parity_ignores_breakdown_and_no_effect_differences():
    from migrate.differ import Difference, EventDiff
    from migrate.findings import VariantFindings

    v = VariantFindings("t")
    for impacts in [(), ("breakdown",), ("breakdown", "none"), ("chart",), ("breakdown", "chart")]:
        v.add({"type": "track", "event": "E"}, EventDiff([Difference("x", "x", impact=i) for i in impacts]), [], [])
    assert (v.matched, v.matched_exact, v.events) == (3, 1, 5)
    assert (v.to_dict()["parity"], v.to_dict()["parity_exact"]) == (0.6, 0.2)
    assert "parity_core" not in v.to_dict()
