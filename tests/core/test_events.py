"""The event reader: formats, gzip by magic bytes, stdin, skips with file:line, strict mode, streaming."""

import gzip
import io
import json
import sys

import pytest

from migrate.errors import BadInput
from migrate.events import ReadStats, read_events

JSONL = (
    '{"type":"track","event":"A","properties":{"x":1.0,"y":2.5}}\n'
    "\n"
    "not json\n"
    "[1]\n"
    '{"batch":[{"type":"page"},3]}\n'
)


def read(path, **kw):
    stats = ReadStats()
    return list(read_events([str(path)], stats=stats, **kw)), stats


def test_json_lines_skips_are_counted_with_line_and_reason(tmp_path):
    f = tmp_path / "e.jsonl"
    f.write_text(JSONL)
    events, stats = read(f)
    assert events == [{"type": "track", "event": "A", "properties": {"x": 1, "y": 2.5}}, {"type": "page"}]
    assert isinstance(events[0]["properties"]["x"], int)  # JSON.parse has no 1.0
    assert stats.read == 2 and stats.skipped_count == 3
    assert [(s.line, s.reason) for s in stats.skipped] == [
        (3, "invalid JSON: Expecting value at column 1"), (4, "array item 1: not a JSON object (got number)"),
        (5, "batch item 2: not a JSON object (got number)"),
    ]
    assert stats.skipped_by_reason == {"invalid JSON": 1, "not a JSON object": 2}
    assert str(stats.skipped[0]).startswith(f"{f}:3: invalid JSON")


def test_gzip_is_detected_by_magic_bytes_not_name(tmp_path):
    f = tmp_path / "events.json"  # no .gz suffix
    f.write_bytes(gzip.compress(JSONL.encode()))
    events, stats = read(f)
    assert len(events) == 2 and stats.skipped_count == 3 and stats.formats[str(f)] == "json-lines"


def test_json_array_and_pretty_batch_and_pretty_objects(tmp_path):
    arr = tmp_path / "a.json"
    arr.write_text('[{"type":"track","n":1.0},\n 5, {"type":"identify"}]')
    events, stats = read(arr)
    assert events == [{"type": "track", "n": 1}, {"type": "identify"}]
    assert stats.skipped_count == 1 and "item 2" in stats.skipped[0].reason

    batch = tmp_path / "b.json"
    batch.write_text(json.dumps({"batch": [{"type": "track"}, {"type": "alias"}], "sentAt": "x"}, indent=2))
    events, stats = read(batch)
    assert events == [{"type": "track"}, {"type": "alias"}] and stats.formats[str(batch)] == "batch"

    pretty = tmp_path / "p.json"
    pretty.write_text(json.dumps({"type": "track"}, indent=2) + "\n" + json.dumps({"type": "page"}, indent=2))
    events, _ = read(pretty)
    assert events == [{"type": "track"}, {"type": "page"}]


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(gzip.compress(JSONL.encode()))))
    stats = ReadStats()
    assert len(list(read_events(["-"], stats=stats))) == 2 and stats.skipped_count == 3


def test_strict_raises_with_file_and_line(tmp_path):
    f = tmp_path / "e.jsonl"
    f.write_text(JSONL)
    with pytest.raises(BadInput) as info:
        read(f, strict=True)
    assert info.value.line == 3 and str(info.value).startswith(f"{f}:3: invalid JSON")


def test_missing_file_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="cannot open"):
        read(tmp_path / "nope.jsonl")


def test_reader_is_lazy(tmp_path):
    # The reader yields the first event before reading the rest: a generator over a large file.
    f = tmp_path / "big.jsonl"
    with f.open("w") as fh:
        for i in range(20000):
            fh.write(json.dumps({"type": "track", "event": f"E{i}"}) + "\n")
    it = read_events([str(f)])
    assert next(it) == {"type": "track", "event": "E0"}
    assert sum(1 for _ in it) == 19999
