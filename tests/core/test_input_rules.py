"""A gate that cannot be fooled: wrong-shaped input, broken files, duplicates, settings typos, the
threshold rule and the figure it gates, and trigger lint. One test (or more) per way a new user was
fooled before."""

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrate import events as events_module
from migrate.cli import main
from migrate.errors import BadInput
from migrate.events import MAX_DEPTH, ReadStats, check_input, read_events
from migrate.gate import deployed_variant, duplicates_note, gate, parse_threshold

DATA = Path(__file__).parent.parent / "workflow" / "data"
SETTINGS_FILE = DATA / "classic-settings-full.json"
SETTINGS = json.loads(SETTINGS_FILE.read_text())
API_KEY = SETTINGS["apiKey"]


def _events() -> list[dict]:
    out = []
    for line in (DATA / "events.jsonl").read_text().splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict) and obj.get("type"):
            out.append(obj)
    return out


EVENTS = _events()


def run(args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], **kw)


def jsonl(path: Path, objs) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objs))
    return path


def read(path, **kw):
    stats = ReadStats()
    return list(read_events([str(path)], stats=stats, **kw)), stats


# -- 1. only Segment events count ---------------------------------------------------------------------------

def test_wrapped_events_are_skipped_with_the_key_and_how_to_unwrap(tmp_path):
    path = jsonl(tmp_path / "wrapped.jsonl", [{"event": e, "received": "x"} for e in EVENTS])
    events, stats = read(path)
    assert events == [] and stats.skipped_count == len(EVENTS)
    skip = stats.skipped[0]
    assert (skip.file, skip.line) == (str(path), 1)
    assert "not a Segment event: no type; the event is under the key 'event'" in skip.reason
    assert "jq -c '.event'" in skip.reason


def test_wrapped_events_do_not_pass_a_gate(tmp_path):
    path = jsonl(tmp_path / "wrapped.jsonl", [{"event": e} for e in EVENTS])
    result = run(["compare", "--settings", SETTINGS_FILE, "--fail-under", "0.9", "--report", tmp_path / "r", path])
    assert result.exit_code == 2, result.output
    assert f"{path}: no Segment events: all {len(EVENTS)} lines were skipped" in result.stderr
    assert "under the key 'event'" in result.stderr
    assert result.stdout == "" and "%" not in result.stderr  # no figure at all
    assert not (tmp_path / "r").exists()


def test_settings_file_given_as_events_is_an_input_error(tmp_path):
    result = run(["compare", "--settings", SETTINGS_FILE, "--fail-under", "95", SETTINGS_FILE])
    assert result.exit_code == 2, result.output
    assert "not a Segment event: no type (this looks like a settings file, not events)" in result.stderr
    assert API_KEY not in result.output


@pytest.mark.parametrize("obj, reason", [
    ({"userId": "u1", "event": "Signed Up"}, "not a Segment event: no type"),
    ({"type": "TRACK", "event": "A"}, "not a Segment event: type 'TRACK' (Segment's types are lowercase"),
    ({"type": "purchase"}, "not a Segment event: unknown type 'purchase'"),
    ({"type": None}, "not a Segment event: unknown type None"),
    ({"type": ["track"]}, "not a Segment event: unknown type ['track']"),
    ([1], "array item 1: not a JSON object (got number)"),
    ("text", "not a JSON object (got string)"),
])
def test_every_non_event_line_is_a_skip_with_its_reason(tmp_path, obj, reason):
    path = jsonl(tmp_path / "e.jsonl", [EVENTS[0], obj])
    events, stats = read(path)
    assert events == [EVENTS[0]]
    assert stats.skipped[0].line == 2 and stats.skipped[0].reason.startswith(reason)


def test_segment_batch_and_array_forms_count(tmp_path):
    lines = tmp_path / "forms.jsonl"
    lines.write_text(json.dumps({"batch": EVENTS[:2]}) + "\n" + json.dumps(EVENTS[2:4]) + "\n")
    events, stats = read(lines)
    assert events == EVENTS[:4] and stats.skipped_count == 0
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps({"batch": EVENTS[:2] + [{"no": "type"}]}, indent=2))
    events, stats = read(batch)
    assert events == EVENTS[:2]
    assert stats.skipped[0].reason == "batch item 3: not a Segment event: no type"


def test_more_than_a_small_share_skipped_stops_compare_before_any_figure(tmp_path):
    objs = EVENTS * 3 + [{"event": "x"}] * 2
    total = len(objs)
    path = jsonl(tmp_path / "e.jsonl", objs)
    result = run(["compare", "--settings", SETTINGS_FILE, "--no-recommend", path])
    assert result.exit_code == 2, result.output
    assert f"2 of {total} lines ({2 / total:.1%}) are not Segment events (2 x not a Segment event: no type)" \
        in result.stderr and "--max-skipped" in result.stderr
    assert result.stdout == ""
    result = run(["compare", "--settings", SETTINGS_FILE, "--no-recommend", "--max-skipped", "10%", path])
    assert result.exit_code == 0, result.output


def test_one_bad_line_is_tolerated(tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in EVENTS) + '{"type":"track","ev')  # cut last line
    stats = ReadStats()
    list(read_events([str(path)], stats=stats))
    check_input(stats)  # does not raise
    with pytest.raises(BadInput, match="no Segment events: the input is empty"):
        check_input(ReadStats())


# -- 2. broken files ----------------------------------------------------------------------------------------

def test_truncated_gzip_names_the_file_and_the_last_good_line(tmp_path):
    body = "".join(json.dumps({**e, "messageId": f"{e['messageId']}-{i}"}) + "\n" for i in range(400) for e in EVENTS)
    data = gzip.compress(body.encode())
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(BadInput) as info:
        read(path)
    text = str(info.value)
    assert text.startswith(f"{path}: cannot be read past line ")
    assert int(text.split("past line ")[1].split(" ")[0]) > 100
    assert "truncated or corrupt gzip data" in text and "nothing from this file is used" in text

    result = run(["compare", "--settings", SETTINGS_FILE, "--report", tmp_path / "r", "--fail-under", "90", path])
    assert result.exit_code == 2, result.output  # not 1, the "parity too low" code
    assert "Aborted" not in result.output and str(path) in result.stderr and "last good" in result.stderr
    assert result.stdout == "" and not (tmp_path / "r").exists()


def test_corrupt_gzip_is_an_input_error(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage-that-is-not-deflate" * 4)
    for command in (["compare", "--settings", SETTINGS_FILE], ["classic", "run", "--settings", SETTINGS_FILE]):
        result = run([*command, path])
        assert result.exit_code == 2, result.output
        assert str(path) in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("shape", ["array", "batch"])
def test_document_cut_short_names_the_last_good_item_not_none(tmp_path, shape):
    doc = json.dumps(EVENTS if shape == "array" else {"batch": EVENTS}, indent=2)
    path = tmp_path / f"{shape}.json"
    path.write_text(doc[: len(doc) - 40])
    result = run(["compare", "--settings", SETTINGS_FILE, path])
    assert result.exit_code == 2, result.output
    name = "JSON array" if shape == "array" else "batch"
    assert f"{path}: the {name} is cut short or invalid after item {len(EVENTS) - 1}" in result.stderr
    assert "None" not in result.stderr and result.stdout == ""


def test_unreadable_file_is_an_input_error(tmp_path):
    result = run(["compare", "--settings", SETTINGS_FILE, tmp_path])  # a directory
    assert result.exit_code == 2 and f"{tmp_path}: cannot open" in result.stderr


def test_run_output_file_is_not_left_half_written(tmp_path):
    good = jsonl(tmp_path / "good.jsonl", EVENTS)
    cut = tmp_path / "cut.json"
    cut.write_text(json.dumps(EVENTS)[:-30])
    out = tmp_path / "out.jsonl"
    result = run(["actions", "run", "--settings", SETTINGS_FILE, "-o", out, good, cut])
    assert result.exit_code == 2 and str(cut) in result.stderr
    assert not out.exists() and not Path(f"{out}.partial").exists()
    result = run(["actions", "run", "--settings", SETTINGS_FILE, "-o", out, good])
    assert result.exit_code == 0 and len(out.read_text().splitlines()) == len(EVENTS)


def _deep_line(levels: int) -> str:
    return '{"type":"track","event":"Deep","userId":"u1","properties":' + '{"d":' * levels + "1" + "}" * (levels + 1)


@pytest.mark.parametrize("command", [
    ["compare", "--max-skipped", "70%"], ["classic", "run"], ["classic", "run", "--mode", "web"], ["actions", "run"],
])
def test_pathological_nesting_is_a_skip_with_a_reason_in_every_command(tmp_path, command):
    path = tmp_path / "deep.jsonl"
    path.write_text(json.dumps(EVENTS[0]) + "\n" + _deep_line(2000) + "\n" + _deep_line(MAX_DEPTH + 5) + "\n")
    result = run([*command, "--settings", SETTINGS_FILE, path])
    assert result.exit_code == 0, result.output
    assert result.exception is None and "Traceback" not in result.output
    assert f"{path}:2: nested deeper than {MAX_DEPTH} levels" in result.stderr or "2 x nested too deeply" in result.stderr


def test_pathological_nesting_in_an_array_is_a_skip(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" + json.dumps(EVENTS[0]) + "," + _deep_line(3000) + "]")
    events, stats = read(path)
    assert events == [EVENTS[0]] and stats.skipped[0].reason == f"item 2: nested deeper than {MAX_DEPTH} levels; " \
                                                               "not a usable Segment event"


def test_overlong_line_is_skipped_without_being_held(tmp_path, monkeypatch):
    monkeypatch.setattr(events_module, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps(EVENTS[0]) + "\n" + json.dumps({"type": "track", "x": "y" * 5000}) + "\n"
                    + json.dumps(EVENTS[1]) + "\n")
    events, stats = read(path)
    assert events == [EVENTS[0], EVENTS[1]]
    assert stats.skipped[0].line == 2 and stats.skipped[0].reason.startswith("line longer than")


# -- 3. duplicates ------------------------------------------------------------------------------------------

def test_same_events_twice_are_reported_and_dedupe_drops_them(tmp_path):
    a = jsonl(tmp_path / "a.jsonl", EVENTS)
    b = jsonl(tmp_path / "b.jsonl", EVENTS)
    stats = ReadStats()
    assert len(list(read_events([str(a), str(b)], stats=stats))) == 2 * len(EVENTS)
    assert stats.duplicates == len(EVENTS)
    assert stats.duplicate_examples[0] == {"messageId": EVENTS[0]["messageId"], "file": str(b)}
    stats = ReadStats()
    assert list(read_events([str(a), str(b)], stats=stats, dedupe=True)) == EVENTS
    assert stats.duplicates == len(EVENTS) and stats.read == len(EVENTS)

    result = run(["compare", "--settings", SETTINGS_FILE, "--no-recommend", "--report", tmp_path / "r", a, b])
    assert result.exit_code == 0, result.output
    assert f"duplicates: {len(EVENTS)} events repeat an earlier messageId; they were compared twice" in result.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    dup = report["inputs"]["duplicates"]
    assert dup["count"] == len(EVENTS) and dup["dropped"] is False and "insert_id" in dup["note"]
    assert report["inputs"]["events"] == 2 * len(EVENTS)
    assert "Repeated messageIds" in (tmp_path / "r" / "report.html").read_text()

    result = run(["compare", "--settings", SETTINGS_FILE, "--no-recommend", "--dedupe", "--report", tmp_path / "d",
                  a, b])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "d" / "report.json").read_text())
    assert report["inputs"]["events"] == len(EVENTS) and report["inputs"]["duplicates"]["dropped"] is True


def test_duplicates_note_says_what_amplitude_does():
    with_id = [{"mapping": {"insert_id": {"@path": "$.messageId"}}}]
    assert "Amplitude ignores a repeat" in duplicates_note(3, False, with_id)
    assert "map insert_id from $.messageId" in duplicates_note(3, False, [{"mapping": {}}])
    assert duplicates_note(0, False, with_id) == ""


# -- 4. settings --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    ({"endpoint": "mars"}, "setting 'endpoint' must be one of 'us', 'north_america', 'na', 'eu', 'europe'"),
    ({"trackNamedPages": "yes"}, "setting 'trackNamedPages' must be true or false"),
    ({"sendToBatchEndpoint": 1}, "setting 'sendToBatchEndpoint' must be true or false"),
    ({"apiKey": 1234567890}, "setting 'apiKey' must be a string, got int (value hidden)"),
])
@pytest.mark.parametrize("command", ["classic run", "compare", "translate"])
def test_bad_classic_settings_exit_2_naming_the_key_and_allowed_values(tmp_path, change, message, command):
    settings = tmp_path / "classic.json"
    settings.write_text(json.dumps({**SETTINGS, **change}))
    events = jsonl(tmp_path / "e.jsonl", EVENTS)
    args = {"classic run": ["classic", "run", "--settings", settings, events],
            "compare": ["compare", "--settings", settings, events],
            "translate": ["translate", settings]}[command]
    result = run(args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and str(settings) in result.stderr
    assert API_KEY not in result.output


# -- 5. the gate --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("0.95", 0.95), ("95%", 0.95), ("95", 0.95), (" 95 % ", 0.95), ("1", 1.0), ("100", 1.0), ("0", 0.0),
    ("0.5%", 0.005), ("50", 0.5), ("1.5", 0.015),
])
def test_threshold_rule(text, value):
    assert parse_threshold(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["abc", "-1", "101", "150%", "nan", ""])
def test_threshold_rejects_what_it_cannot_read(text):
    with pytest.raises(ValueError, match="0.95"):
        parse_threshold(text)


MODEL = {
    "inputs": {"subscriptions_file": None},
    "parity": {"presets": 0.2, "translated": 0.9, "recommended": 0.97},
    "parity_exact": {"presets": 0.1, "translated": 0.5, "recommended": 0.8},
    "variants": {"translated": {"label": "Translated"}, "recommended": {"label": "Translated + recommended"}},
}


def test_gate_reads_the_deployed_configuration_and_the_named_figure():
    variant = deployed_variant(MODEL)
    assert variant == "recommended"
    chart = gate(MODEL, variant, 0.95)
    assert chart.passed and chart.value == 0.97 and chart.figure == "chart"
    exact = gate(MODEL, variant, 0.95, exact=True)
    assert not exact.passed and exact.value == 0.8
    assert exact.line() == ("gate FAILED: exact parity of 'Translated + recommended' is 80.0% < "
                            "--fail-under-exact 95.0%")
    user = {**MODEL, "inputs": {"subscriptions_file": "subs.json"}}
    assert deployed_variant(user) == "translated"
    assert not gate(user, deployed_variant(user), 0.95).passed
    # a model with one figure only: exact falls back to it; no events never passes
    single = {k: v for k, v in MODEL.items() if k != "parity_exact"}
    assert gate(single, "recommended", 0.95, exact=True).value == 0.97
    assert not gate({**MODEL, "parity": {"recommended": None}}, "recommended", 0).passed


def test_fail_under_as_a_fraction_gates_and_says_which_figure(tmp_path):
    events = jsonl(tmp_path / "e.jsonl", EVENTS)
    result = run(["compare", "--settings", SETTINGS_FILE, "--fail-under", "0.9", events])
    assert result.exit_code in (0, 1), result.output
    line = next(l for l in result.stderr.splitlines() if l.startswith("gate "))
    assert "chart parity of 'Translated + recommended changes'" in line and "--fail-under 90.0%" in line
    result = run(["compare", "--settings", SETTINGS_FILE, "--report", tmp_path / "r", events])
    report_parity = json.loads((tmp_path / "r" / "report.json").read_text())["parity"]["recommended"]
    expected = 1 if report_parity < 0.9 else 0
    for text in ("0.9", "90%", "90"):
        result = run(["compare", "--settings", SETTINGS_FILE, "--fail-under", text, events])
        assert result.exit_code == expected, (text, result.output)


def test_fail_under_exact_and_user_subscriptions(tmp_path):
    events = jsonl(tmp_path / "e.jsonl", EVENTS)
    subs = tmp_path / "subs.json"
    result = run(["translate", SETTINGS_FILE, "-o", subs])
    assert result.exit_code == 0, result.output
    result = run(["compare", "--settings", SETTINGS_FILE, "--subscriptions", subs, "--fail-under-exact", "100%",
                  "--report", tmp_path / "r", events])
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    exact = report.get("parity_exact", report["parity"])["translated"]
    assert result.exit_code == (0 if exact >= 1 else 1), result.output
    assert "exact parity of 'Your subscriptions'" in result.stderr


# -- 6. trigger lint ----------------------------------------------------------------------------------------

def test_suspicious_triggers_are_warned_about_in_compare_and_actions_run(tmp_path):
    events = jsonl(tmp_path / "e.jsonl", EVENTS)
    subs = tmp_path / "subs.json"
    subs.write_text(json.dumps([
        {"name": "Empty type", "partnerAction": "logEventV2", "subscribe": "type = ", "mapping": {}},
        {"name": "Fine", "partnerAction": "logEventV2", "subscribe": 'type = "track"', "mapping": {}},
    ]))
    for command in (["compare", "--no-recommend", "--max-skipped", "100%"], ["actions", "run"]):
        result = run([*command, "--settings", SETTINGS_FILE, "--subscriptions", subs, events])
        assert result.exit_code == 0, result.output
        warnings = [l for l in result.stderr.splitlines() if "trigger" in l and l.startswith("warning:")]
        assert len(warnings) == 1
        assert "subscription 'Empty type'" in warnings[0] and "literal 'eos'" in warnings[0]


@pytest.mark.parametrize("which", ["settings", "subscriptions"])
@pytest.mark.parametrize("command", ["compare", "classic run", "actions run", "translate"])
def test_pathological_settings_and_subscriptions_files_are_input_errors(tmp_path, which, command):
    deep = '{"a":' * 3000 + "1" + "}" * 3000
    events = jsonl(tmp_path / "e.jsonl", EVENTS)
    settings, subs = SETTINGS_FILE, None
    if which == "settings":
        settings = tmp_path / "settings.json"
        settings.write_text('{"apiKey": "abcdefgh12345678", "mapQueryParams": ' + deep + "}")
    else:
        if command in ("classic run", "translate"):
            pytest.skip("this command reads no subscriptions")
        subs = tmp_path / "subs.json"
        subs.write_text('[{"name": "x", "partnerAction": "logEventV2", "subscribe": "type = \\"track\\"", '
                        '"mapping": {"event_properties": ' + '{"a":' * 100 + "1" + "}" * 100 + "}}]")
    args = {"compare": ["compare", "--settings", settings], "classic run": ["classic", "run", "--settings", settings],
            "actions run": ["actions", "run", "--settings", settings], "translate": ["translate", settings]}[command]
    if subs is not None:
        args += ["--subscriptions", subs]
    if command != "translate":
        args.append(events)
    result = run(args)
    assert result.exit_code == 2, result.output
    assert "nested deeper than 64 levels" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("command", [["actions", "run"], ["classic", "run"]])
def test_run_commands_count_repeated_message_ids(tmp_path, command):
    a = jsonl(tmp_path / "a.jsonl", EVENTS)
    result = run([*command, "--settings", SETTINGS_FILE, a, a])
    assert result.exit_code == 0, result.output
    assert f"{len(EVENTS)} events repeat an earlier messageId" in result.stderr
    assert len(result.stdout.splitlines()) == 2 * len(EVENTS)  # the run commands report, they do not drop


def test_fail_under_0_9_fails_a_low_parity(tmp_path):
    # subscriptions that send almost nothing: parity far below 90%, and 0.9 means 90% (it once meant 0.9%)
    events = jsonl(tmp_path / "e.jsonl", EVENTS)
    subs = tmp_path / "subs.json"
    subs.write_text(json.dumps([{"name": "Aliases only", "partnerAction": "logEventV2", "subscribe": 'type = "alias"',
                                 "mapping": {}}]))
    result = run(["compare", "--settings", SETTINGS_FILE, "--subscriptions", subs, "--no-recommend",
                  "--fail-under", "0.9", "--report", tmp_path / "r", events])
    parity = json.loads((tmp_path / "r" / "report.json").read_text())["parity"]["translated"]
    assert parity < 0.5
    assert result.exit_code == 1, result.output
    assert f"gate FAILED: chart parity of 'Your subscriptions' is {parity * 100:.1f}% < --fail-under 90.0%" \
        in result.stderr
