"""The fast paths of the input reader, each against the plain rule it replaces: the byte ranges of a plain
file, a line parsed as it is (with its newline), the number walk, the dedupe window fed a chunk at a time
and the chunk loop of a job."""

from __future__ import annotations

import io
import json
import os
import re
import tempfile

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

import migrate.events as events
from migrate import replay
from migrate.events import ReadStats, _RecentIds, iter_line_range

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from([1e21, 2.0**53, 2.0**53 + 2, -0.0, 1.0, 3e3]), st.text(max_size=6))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=4), inner, max_size=4), max_leaves=20)


def typed(value):
    """The value with its types visible: 1 and 1.0 differ, key order counts."""
    if isinstance(value, dict):
        return ("object", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [typed(v) for v in value])
    return (type(value).__name__, repr(value))

# ------------------------------------------------------------------------------------------------ byte ranges


def _plain_ranges(data: bytes, lines: int) -> list[tuple]:
    """Every `lines` lines (a line ends with its newline; the last one may have none) make one range."""
    pieces = re.findall(rb"[^\n]*\n|[^\n]+$", data)
    ranges, start = [], 0
    for first in range(0, len(pieces), lines):
        end = start + sum(len(p) for p in pieces[first:first + lines])
        ranges.append((start, end, first + 1, end))
        start = end
    return ranges or [(0, 0, 1, 0)]  # an empty file is one (empty) chunk


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([b"", b"a", b"{}", b"xyz" * 5, b"\r", b" "]), max_size=30),
       st.booleans(), st.integers(1, 5), st.integers(1, 9))
def test_byte_ranges_are_the_plain_grouping_of_lines(bodies, last_newline, lines, block):
    data = b"\n".join(bodies) + (b"\n" if last_newline and bodies else b"")
    fd, path = tempfile.mkstemp(suffix=".jsonl")
    saved = replay._SCAN_BLOCK
    try:
        os.write(fd, data)
        os.close(fd)
        replay._SCAN_BLOCK = block  # newlines found across many block boundaries
        chunks = list(replay._plan_ranges(path, "f", lines, len(data)))
    finally:
        replay._SCAN_BLOCK = saved
        os.remove(path)
    assert [(c.start, c.end, c.first_line, c.position) for c in chunks] == _plain_ranges(data, lines)


# ------------------------------------------------------------------------------------------------ lines as they are

_TEXTS = st.one_of(
    VALUES.map(lambda v: json.dumps({"type": "track", "properties": v}).encode("utf-8")),
    VALUES.map(lambda v: json.dumps(v).encode("utf-8")),
    st.sampled_from([b'{"type":"track","n":1e400}', b"12345678901234567890123", b"1.0", b"2.5", b'"x"', b"null",
                     b'{"a": }', b'{"a":"\xff"}', b"", b'[1.0,{"b":2.0,"c":[3.0,1e21]}]', b'{"s":"\\ud800"}',
                     b'{"type":"page"} {"type":"page"}', b"[" * 140 + b"]" * 140, b"\xef\xbb\xbf",
                     b'{"batch":[{"type":"track"},1.0]}', b"NaN"]),
)
_AROUND = st.sampled_from([b"", b" ", b"\t", b"\r", b"\x0c", b"\x0b", b"\xef\xbb\xbf", b" \xef\xbb\xbf"])
_ENDS = st.sampled_from([b"", b"\n", b"\r\n", b" \n", b"\x0c\n", b"\t\r\n"])
_RAW_LINES = st.builds(lambda a, text, b: a + text + b, _AROUND, _TEXTS, _ENDS)


def _outcome(fn, *args):
    try:
        return ("value", typed(fn(*args)))
    except Exception as exc:  # noqa: BLE001 - the same failure is part of the same answer
        return ("error", type(exc), str(exc))


@settings(max_examples=600, deadline=None)
@given(_RAW_LINES)
def test_a_line_read_as_it_is_parses_as_its_stripped_text(raw):
    parsed = events._parse_line(raw)
    if parsed is not None:  # else the reader strips the line and takes the full path
        assert ("value", typed(parsed)) == _outcome(events._parse_counted, raw.strip())


def _read(data: bytes, start_line: int):
    stats, skips = ReadStats(), []
    cursor = events._Cursor()
    found = [typed(e) for e in events._iter_lines("f.jsonl", io.BytesIO(data), None, skips.append, cursor,
                                                  start_line=start_line)]
    return found, [(s.line, s.reason, s.kind) for s in skips], cursor.line


@settings(max_examples=400, deadline=None)
@given(st.lists(_RAW_LINES, min_size=1, max_size=6), st.sampled_from([1, 2, 1001]))
def test_lines_read_as_they_are_give_the_events_and_skips_of_the_full_path(raws, start_line):
    data = b"".join(raw if raw.endswith(b"\n") else raw + b"\n" for raw in raws)
    fast = _read(data, start_line)
    saved = events._parse_line
    try:
        events._parse_line = lambda raw: None  # the plain rule: every line stripped and parsed in full
        plain = _read(data, start_line)
    finally:
        events._parse_line = saved
    assert fast == plain


# ------------------------------------------------------------------------------------------------ the number walk


def _walk_plain(value) -> int:
    """The rule in one pass: every integral float in the safe range becomes an int as it is met, one beyond
    it stops the walk; the count is of every object and array."""
    items = value.items() if type(value) is dict else enumerate(value)
    containers = 1
    for key, item in list(items):
        if type(item) is float and item.is_integer():
            if -(2.0**53) <= item <= 2.0**53:
                value[key] = int(item)
            else:
                raise events._Slow
        elif type(item) in (dict, list):
            containers += _walk_plain(item)
    return containers


_NUMBERS = st.sampled_from([1.0, -0.0, 2.5, 1e21, -(2.0**53), 2.0**53, 2.0**53 + 2, 1e-7, 7, True, None, "1.0"])
_WALKED = st.recursive(_NUMBERS, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3), max_leaves=25)


@settings(max_examples=600, deadline=None)
@given(st.one_of(_WALKED, VALUES).filter(lambda v: type(v) in (dict, list)))
def test_the_number_walk_is_the_one_pass_rule(value):
    text = json.dumps(value).encode("utf-8")  # integers beyond 64 bits: orjson reads them as floats
    fast, plain = orjson.loads(text), orjson.loads(text)
    walk = events._fix_object if type(fast) is dict else events._fix_array
    fast_outcome = _outcome(lambda: (walk(fast), fast))
    plain_outcome = _outcome(lambda: (_walk_plain(plain), plain))
    if plain_outcome[0] == "error":  # _Slow: the line goes to the reference parser, whatever was rewritten
        assert fast_outcome[:2] == plain_outcome[:2]
    else:
        assert fast_outcome == plain_outcome


# ------------------------------------------------------------------------------------------------ the dedupe window

_IDS = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h", ""])), max_size=6)


@settings(max_examples=600, deadline=None)
@given(st.lists(_IDS, max_size=8), st.integers(1, 6))
def test_a_chunk_of_ids_at_once_is_the_window_id_by_id(chunks, window):
    fast_stats, plain_stats = ReadStats(), ReadStats()
    dupes = replay.Duplicates(fast_stats)
    dupes.recent = _RecentIds(window)
    plain = _RecentIds(window)
    for ids in chunks:
        found = dupes.feed(ids, "f")
        expected = []
        for position, mid in enumerate(ids):  # the plain rule: `repeat` per id
            if mid is not None and plain.repeat(mid):
                plain_stats.duplicates += 1
                if len(plain_stats.duplicate_examples) < events.MAX_DUPLICATE_EXAMPLES:
                    plain_stats.duplicate_examples.append({"messageId": mid[:200], "file": "f"})
                expected.append(position)
        assert found == frozenset(expected)
        assert dupes.recent.seen == plain.seen and list(dupes.recent.order) == list(plain.order)
    assert (fast_stats.duplicates, fast_stats.duplicate_examples) == (plain_stats.duplicates,
                                                                       plain_stats.duplicate_examples)


# ------------------------------------------------------------------------------------------------ the chunk loop


class _Recording(replay.Job):
    def step(self, partial, event):
        partial.seen = getattr(partial, "seen", []) + [event.get("event")]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["m1", "m2", "", 5])), max_size=8),
       st.booleans(), st.frozensets(st.integers(0, 8), max_size=3))
def test_the_chunk_loop_steps_and_counts_what_the_positions_say(mids, collect, drop):
    lines = [json.dumps({"type": "track", "event": f"e{i}", **({} if m is None else {"messageId": m})})
             for i, m in enumerate(mids)]
    data = ("\n".join(lines + ["not json"]) + "\n").encode()
    job = _Recording()
    job.collect_ids = collect
    partial = job.map(replay.Chunk(0, "f", data=data, drop=drop))
    # the plain rule: every (position, event) of `read_chunk`, dropped ones collected but not stepped
    stats = ReadStats()
    pairs = list(replay.read_chunk(replay.Chunk(0, "f", data=data), stats))
    assert getattr(partial, "seen", []) == [e["event"] for i, e in pairs if i not in drop]
    assert partial.read.read == sum(1 for i, _ in pairs if i not in drop)
    assert partial.ids == ([replay.message_id(e) for _, e in pairs] if collect else None)
    assert partial.read.skipped_count == stats.skipped_count == 1
