"""The replay pipeline (migrate/replay.py): chunk planning, mergeable aggregates, and results that are the
same for any number of workers: report.json bit for bit, `actions run` / `classic run` output byte for
byte, skip messages, `--strict` and `--dedupe` across chunk boundaries.

Chunks are made tiny here (a few lines) so that small inputs cross many chunk boundaries."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrate import replay
from migrate.cli import main
from migrate.compare import compare
from migrate.events import ReadStats, read_events
from migrate.findings import VariantFindings
from migrate.generate import generate_events
from migrate.impact import TopPairs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SETTINGS = json.loads((EXAMPLES / "classic-settings.json").read_text())
ACTIONS_SETTINGS = {"apiKey": "replay-test-api-key", "secretKey": "replay-test-secret", "endpoint": "north_america"}


@pytest.fixture(scope="module")
def pool():
    with replay.workers_executor(2) as executor:
        yield executor


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("replay") / "generated.jsonl"
    with path.open("w") as fh:
        for event in generate_events(1000, seed=10):
            fh.write(json.dumps(event) + "\n")
    return path


def _report(path: Path, executor, chunk_lines: int, monkeypatch, **kwargs) -> str:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    model = compare(SETTINGS, [str(path)], settings_file="classic-settings.json", executor=executor,
                    chunk_lines=chunk_lines, **kwargs)
    return json.dumps(model, sort_keys=True)


# ------------------------------------------------------------------------------------------------ planning


def test_chunks_depend_only_on_the_input_and_cover_every_line(tmp_path):
    path = tmp_path / "e.jsonl"
    lines = [json.dumps({"type": "track", "event": f"e{i}", "messageId": f"m{i}"}) for i in range(23)]
    path.write_text("\n".join(lines))  # no newline at the end: the last line still counts
    chunks = list(replay.plan([str(path)], chunk_lines=5))
    assert [c.first_line for c in chunks] == [1, 6, 11, 16, 21]
    assert [c.index for c in chunks] == list(range(5))
    data = path.read_bytes()
    assert b"".join(data[c.start:c.end] for c in chunks) == data
    assert chunks[-1].position == len(data)
    # every event once, in order, whichever way the file is cut
    seen = [e["event"] for c in chunks for _, e in replay.read_chunk(c, ReadStats())]
    assert seen == [f"e{i}" for i in range(23)]


def test_gzip_and_standard_input_are_cut_by_lines_too(tmp_path, monkeypatch):
    lines = [json.dumps({"type": "track", "event": f"e{i}"}) for i in range(12)]
    gz = tmp_path / "e.jsonl.gz"
    gz.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    chunks = list(replay.plan([str(gz)], chunk_lines=5))
    assert [(c.first_line, c.data.count(b"\n")) for c in chunks] == [(1, 5), (6, 5), (11, 2)]
    assert all(c.path is None for c in chunks)  # read here, shipped as bytes
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(("\n".join(lines) + "\n").encode())))
    chunks = list(replay.plan(["-"], chunk_lines=5))
    assert [c.first_line for c in chunks] == [1, 6, 11] and chunks[0].name == "<stdin>"


def test_documents_that_are_not_lines_make_one_chunk(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps([{"type": "track", "event": f"e{i}"} for i in range(30)], indent=1))
    chunks = list(replay.plan([str(path)], chunk_lines=5))
    assert len(chunks) == 1 and chunks[0].whole
    stats = ReadStats()
    assert len(list(replay.read_chunk(chunks[0], stats))) == 30 and stats.formats[str(path)] == "json-array"


# ------------------------------------------------------------------------------------------------ merging


def test_findings_of_chunks_merge_to_the_findings_of_one_pass():
    from migrate.differ import diff_event

    rng = random.Random(3)
    events = []
    for i in range(300):
        event = {"type": "track", "event": rng.choice(["A", "B", "C"]), "messageId": f"m{i}"}
        classic = [{"event_type": event["event"], "user_id": "u", "platform": rng.choice(["Web", "iOS"])}]
        actions = [{"event_type": event["event"], "user_id": rng.choice(["u", "v"]), "platform": "Web"}]
        events.append((event, classic, actions, diff_event(classic, actions)))
    whole = VariantFindings("x")
    for event, c, a, d in events:
        whole.add(event, d, c, a)
    parts = []
    for start in range(0, 300, 37):
        part = VariantFindings("x")
        for event, c, a, d in events[start:start + 37]:
            part.add(event, d, c, a)
        parts.append(part)
    merged = parts[0]
    for part in parts[1:]:
        merged.merge(part)
    assert merged.to_dict() == whole.to_dict()
    assert merged.paths == whole.paths


def test_top_pairs_merge_exactly_within_capacity_and_deterministically_beyond():
    a, b, whole = TopPairs(4), TopPairs(4), TopPairs(4)
    for pair in [("x", 1), ("y", 2), ("x", 1)]:
        a.add(*pair)
        whole.add(*pair)
    for pair in [("x", 1), ("z", 3)]:
        b.add(*pair)
        whole.add(*pair)
    assert a.merge(b).top(5) == whole.top(5) and a.exact and a.total == 5
    big = [TopPairs(3) for _ in range(2)]
    for i, summary in enumerate(big):
        for value in range(6):
            for _ in range(value + i):
                summary.add(value, "v")
    merged = big[0].merge(big[1])
    assert len(merged.counts) == 3 and not merged.exact and merged.top(1)[0][0] == 5


# ------------------------------------------------------------------------------------------------ compare


@pytest.mark.parametrize("mode", ["auto", "cloud"])
def test_compare_report_is_identical_for_one_and_two_workers(mode, pool, monkeypatch):
    events = EXAMPLES / "events.jsonl"
    one = _report(events, None, 60, monkeypatch, mode=mode)
    two = _report(events, pool, 60, monkeypatch, mode=mode)
    assert one == two
    model = json.loads(one)
    assert model["inputs"]["events"] > 400 and model["recommendations"]  # recommendations were verified
    if mode == "auto":  # within every bound (examples, names, pairs), chunks give what one pass gives
        assert _report(events, None, 100_000, monkeypatch, mode=mode) == one


def test_compare_on_a_generated_set_is_identical_for_one_and_two_workers(generated, pool, monkeypatch):
    one = _report(generated, None, 400, monkeypatch)
    assert one == _report(generated, pool, 400, monkeypatch)
    assert json.loads(one)["inputs"]["events"] == 1000


def test_dedupe_across_chunk_boundaries(tmp_path, pool, monkeypatch):
    lines = [json.loads(line) for line in (EXAMPLES / "events.jsonl").read_text().splitlines()[:40]]
    repeated = lines + [lines[3], lines[30]] + lines[:2]  # repeats far apart, in other chunks
    path = tmp_path / "dupes.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in repeated))
    single = json.loads(_report(path, None, 100_000, monkeypatch, dedupe=True, recommend=False))
    for executor in (None, pool):
        chunked = json.loads(_report(path, executor, 7, monkeypatch, dedupe=True, recommend=False))
        assert chunked == single
    assert single["inputs"]["duplicates"]["count"] == 4 and single["inputs"]["events"] == 40
    counted = json.loads(_report(path, pool, 7, monkeypatch, recommend=False))  # counted, not dropped
    assert counted["inputs"]["duplicates"]["count"] == 4 and counted["inputs"]["events"] == 44
    assert counted["inputs"]["duplicates"]["examples"][0]["file"] == str(path)


# ------------------------------------------------------------------------------------------------ run commands


def _run(args, chunk_lines, monkeypatch, **kw):
    monkeypatch.setattr(replay, "CHUNK_LINES", chunk_lines)
    return CliRunner().invoke(main, [str(a) for a in args], **kw)


@pytest.fixture(scope="module")
def awkward(tmp_path_factory) -> Path:
    """Generated events with bad lines and a repeated messageId around the chunk boundaries (every 50)."""
    lines = [json.dumps(e) for e in generate_events(300, seed=4)]
    lines[49] = "{not json"  # line 50: the last of chunk 1
    lines[50] = '{"no": "type"}'  # line 51: the first of chunk 2
    lines[199] = lines[10]  # a repeat, chunks apart
    path = tmp_path_factory.mktemp("awkward") / "awkward.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("command", [
    ["actions", "run", "--settings", "{actions}"],
    ["classic", "run", "--settings", str(EXAMPLES / "classic-settings.json"), "--mode", "web"],
])
def test_run_output_is_identical_for_any_number_of_workers(command, awkward, tmp_path, monkeypatch):
    settings = tmp_path / "actions.json"
    settings.write_text(json.dumps(ACTIONS_SETTINGS))
    command = [str(settings) if part == "{actions}" else part for part in command]
    outputs = {}
    for workers, chunk_lines in (("1", 100_000), ("1", 50), ("2", 50), ("2", 7)):
        out = tmp_path / f"out-{workers}-{chunk_lines}.jsonl"
        result = _run([*command, "--workers", workers, "-q", "-o", out, awkward], chunk_lines, monkeypatch)
        assert result.exit_code == 0, result.output
        outputs[(workers, chunk_lines)] = (out.read_bytes(), result.stderr)
    assert len(set(outputs.values())) == 1
    data, stderr = outputs[("2", 7)]
    assert len(data.splitlines()) == 298  # every event, in input order
    assert [json.loads(line)["messageId"] for line in data.splitlines()][:3] == \
        [json.loads(line)["messageId"] for line in awkward.read_text().splitlines()[:3]]
    assert f"skipped {awkward}:50: invalid JSON" in stderr and f"skipped {awkward}:51: not a Segment event" in stderr
    assert "2 lines skipped" in stderr and "1 events repeat an earlier messageId" in stderr


def test_strict_stops_at_the_first_bad_line_with_file_and_line(awkward, tmp_path, monkeypatch):
    settings = tmp_path / "actions.json"
    settings.write_text(json.dumps(ACTIONS_SETTINGS))
    for workers in ("1", "2"):
        out = tmp_path / f"strict-{workers}.jsonl"
        result = _run(["actions", "run", "--settings", settings, "--workers", workers, "--strict", "-q", "-o", out,
                       awkward], 7, monkeypatch)
        assert result.exit_code == 2
        assert f"{awkward}:50: invalid JSON" in result.stderr
        assert not out.exists()  # nothing half written


def test_gzip_line_numbers_in_skip_messages(tmp_path, monkeypatch):
    lines = [json.dumps(e) for e in generate_events(30, seed=2)]
    lines[16] = "[1"
    gz = tmp_path / "e.jsonl.gz"
    gz.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    settings = tmp_path / "actions.json"
    settings.write_text(json.dumps(ACTIONS_SETTINGS))
    result = _run(["actions", "run", "--settings", settings, "--workers", "2", "-q", gz], 5, monkeypatch)
    assert result.exit_code == 0, result.output
    assert f"skipped {gz}:17: invalid JSON" in result.stderr and "29 events read, 1 lines skipped" in result.stderr


def test_snapshot_records_match_the_reader(tmp_path):
    from migrate.snapshot import records_by_event

    records = records_by_event(EXAMPLES / "events.jsonl", settings=EXAMPLES / "classic-settings.json", presets=True)
    events = list(read_events([str(EXAMPLES / "events.jsonl")]))
    assert len(records) == len(events)
    assert next(iter(records.values()))["call"].split()[0] == events[0]["type"]


def test_compare_command_writes_the_same_report_json_for_any_workers(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    events = tmp_path / "events.jsonl"
    events.write_text("".join((EXAMPLES / "events.jsonl").read_text().splitlines(keepends=True)[:150]))
    reports = []
    for workers in ("1", "2"):
        out = tmp_path / f"r{workers}"
        result = _run(["compare", "--settings", EXAMPLES / "classic-settings.json", "--no-recommend", "--quiet",
                       "--pii-salt", "a team secret", "--workers", workers, "--report", out, events], 40, monkeypatch)
        assert result.exit_code == 0, result.output
        reports.append((out / "report.json").read_bytes())
    assert reports[0] == reports[1]
    assert json.loads(reports[0])["generated_at"] == "2023-11-14T22:13:20+00:00"


def test_overlong_line_read_by_this_process_is_skipped_as_too_long(tmp_path):
    # gzip input is read line by line here (`_plan_stream`): a line beyond MAX_LINE_BYTES becomes the stand-in
    # the reader skips as too long, made when first needed, the same for every such line
    from migrate.events import MAX_LINE_BYTES

    first, last = {"type": "track", "event": "A", "messageId": "m1"}, {"type": "track", "event": "B", "messageId": "m3"}
    long_line = json.dumps({"type": "track", "event": "x" * (MAX_LINE_BYTES + 10), "messageId": "m2"})
    path = tmp_path / "long.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join([json.dumps(first), long_line, json.dumps(last), long_line, json.dumps(last)]) + "\n")
    stats = ReadStats()
    events = [e for chunk in replay.plan([str(path)], chunk_lines=2) for _, e in replay.read_chunk(chunk, stats)]
    assert events == [first, last, last]
    assert [(s.line, s.reason.startswith("line longer than")) for s in stats.skipped] == [(2, True), (4, True)]
