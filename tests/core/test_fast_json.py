"""orjson on the hot paths gives exactly what the standard library path gives: values in, bytes out."""

from __future__ import annotations

import json
import math

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.config import json_line_bytes, json_text
from migrate.events import _parse_reference, parse_json_line

FLOATS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e-5, 1e-7, 6.5e-05, 1e16, 1.5e16, 1e21, 2.0**53, 2.0**53 + 2, -0.0, 0.1, 123456789.125]),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), FLOATS,
                    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8),
                    st.sampled_from(["x:1e-5,", ",1.0]", "\u2028", "\x7f", "\x00", "😀", "a\"b\\c"]))  # fmt: skip
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                                        max_size=4), max_leaves=20)


def typed(value):
    """The value with its types visible: 1 and 1.0 differ, key order counts."""
    if isinstance(value, dict):
        return ("object", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("array", [typed(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    return (type(value).__name__, repr(value))


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_output_lines_are_the_bytes_json_dumps_writes(value):
    assert json_line_bytes({"line": value}) == json_text({"line": value}).encode("utf-8")


@settings(max_examples=400, deadline=None)
@given(VALUES, st.sampled_from([None, 2, 0]))
def test_reading_gives_the_values_and_types_of_the_reference_parser(value, indent):
    text = json.dumps({"event": value}, ensure_ascii=indent == 0, indent=indent or None)
    assert typed(parse_json_line(text.encode("utf-8"))) == typed(_parse_reference(text.encode("utf-8")))


@pytest.mark.parametrize("text, expected", [
    (b'{"a":1.0,"b":[2.50,1e3],"c":{"d":-0.0}}', {"a": 1, "b": [2.5, 1000], "c": {"d": 0}}),
    (b'{"big":123456789012345678901234567890}', {"big": 123456789012345678901234567890}),  # every digit kept
    (b'{"e":1e21}', {"e": 10**21}),
    (b'{"s":"\\ud800x"}', {"s": "\ud800x"}),  # a lone surrogate escape: orjson refuses it, the reference keeps it
    (b'{"n":NaN}', None),
])  # fmt: skip
def test_awkward_lines(text, expected):
    value = parse_json_line(text)
    assert typed(value) == typed(_parse_reference(text))
    if expected is not None:
        assert typed(value) == typed(expected)


def test_invalid_lines_raise_the_reference_parsers_error():
    with pytest.raises(json.JSONDecodeError, match="Expecting"):
        parse_json_line(b'{"a": }')
    with pytest.raises(UnicodeDecodeError):
        parse_json_line(b'{"a": "\xff"}')


def test_non_finite_numbers_are_written_as_null_like_json_stringify():
    line = {"a": float("nan"), "b": [float("inf"), 1.5], "c": "\ud800"}
    assert json_line_bytes(line) == json_text(line).encode("utf-8") == b'{"a":null,"b":[null,1.5],"c":"\\ud800"}'


def test_subscription_text_puts_short_objects_on_one_line():
    from migrate.config import json_text

    subs = [{"name": "Track Calls", "mapping": {
        "user_id": {"@path": "$.userId"},
        "device_id": {"@if": {"exists": {"@path": "$.context.device.id"}, "then": {"@path": "$.context.device.id"},
                              "else": {"@path": "$.anonymousId"}}},
        "odd": ["\ud800", float("nan"), "ü"]}}]
    text = json_text(subs, indent=2, width=60)
    lines = text.splitlines()
    assert '      "user_id": {"@path": "$.userId"},' in lines
    assert all(len(line) <= 60 for line in lines if line.strip().startswith('"') and line.rstrip().endswith("},"))
    assert '"\\ud800"' in text and "null" in text and "ü" in text  # as json_text writes them without width
    back = json.loads(text)
    assert back[0]["mapping"]["device_id"] == subs[0]["mapping"]["device_id"]
    assert json_text(subs, indent=2, width=10 ** 6).count("\n") == 0


# ---- `_float_forms` (which lines go to `json_text`) is the plain marker rule

from migrate.config import _float_forms  # noqa: E402


def _float_forms_plain(data: bytes) -> bool:
    """The rule as first written: every `e-`, `e+` or `.0000` that follows a digit and ends a number token
    (a run of digits, dots and minus signs right after `:`, `,` or `[`)."""
    for marker in (b"e-", b"e+", b".0000"):
        index = data.find(marker)
        while index != -1:
            start = index
            while start > 0 and data[start - 1] in b"0123456789.-":
                start -= 1
            if index and data[index - 1] in b"0123456789" and 0 < start < index and data[start - 1] in b":,[":
                return True
            index = data.find(marker, index + 1)
    return False


_BYTES = st.lists(st.sampled_from([b"e-", b"e+", b".0000", b"1", b"0", b"-", b".", b"+", b":", b",", b"[", b'"',
                                   b"a", b"e", b"{"]), max_size=25).map(b"".join)


@settings(max_examples=1000, deadline=None)
@given(_BYTES)
def test_float_forms_is_the_plain_marker_rule(data):
    assert _float_forms(data) == _float_forms_plain(data)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_output_bytes_are_the_utf8_of_the_output_text(value):
    line = {"line": value}
    assert json_line_bytes(line) == json_text(line).encode("utf-8")
    try:
        data = orjson.dumps(line)
    except TypeError:  # beyond what orjson writes (json_text writes it)
        return
    assert _float_forms(data) == _float_forms_plain(data)


# ---- the reader's depth bound: objects and arrays counted by the number walk, or the brackets of the line

import io  # noqa: E402

import migrate.events as _events  # noqa: E402
from migrate.events import MAX_DEPTH, ReadStats, iter_line_range  # noqa: E402


def _nested(depth, leaf):
    value = leaf
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


_EVENTS = st.one_of(
    st.builds(lambda props, extra: {"type": "track", "event": "E", "properties": props, **extra},
              VALUES, st.dictionaries(st.sampled_from(["type", "batch", "x"]),
                                      st.sampled_from(["track", "Track", "[{", "{" * 140, 1.0]), max_size=2)),
    st.builds(lambda depth, leaf: {"type": "identify", "traits": _nested(depth, leaf)},
              st.integers(MAX_DEPTH - 3, MAX_DEPTH + 3), st.sampled_from([1.0, "[[", 2.5, None])),
    st.lists(st.fixed_dictionaries({"type": st.just("page")}), max_size=2),
    st.builds(lambda n: {"type": "track", "list": [[] for _ in range(n)]}, st.integers(MAX_DEPTH - 2, MAX_DEPTH + 2)),
)


def _read(lines, monkeypatch=None):
    stats, skips = ReadStats(), []
    data = b"".join(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n" for line in lines)
    events = list(iter_line_range("f.jsonl", io.BytesIO(data), stats, skips.append, 1))
    return [typed(e) for e in events], [(s.line, s.reason) for s in skips]


@settings(max_examples=300, deadline=None)
@given(st.lists(_EVENTS, min_size=1, max_size=4))
def test_the_counted_depth_bound_reads_what_the_bracket_count_reads(lines):
    fast = _read(lines)
    plain_parse, line_parse = _events._parse_counted, _events._parse_line
    try:  # the plain rule: no count from the parser, every line's brackets counted
        _events._parse_counted = lambda text: (plain_parse(text)[0], None)
        _events._parse_line = lambda raw: None  # every line through `_parse_counted`
        plain = _read(lines)
    finally:
        _events._parse_counted, _events._parse_line = plain_parse, line_parse
    assert fast == plain


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_the_number_walk_counts_every_object_and_array(value):
    def containers(v):
        if isinstance(v, dict):
            return 1 + sum(containers(x) for x in v.values())
        if isinstance(v, list):
            return 1 + sum(containers(x) for x in v)
        return 0

    text = json.dumps({"v": value}).encode("utf-8")
    parsed, count = _events._parse_counted(text)
    assert typed(parsed) == typed(_parse_reference(text))
    assert count is None or count == containers(parsed)


# ---- json_text(..., width=): the layout with one encoder made once is the one json.dumps per node gives

def _rule_fitted(obj, indent, width, level):
    one = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    if not isinstance(obj, (dict, list)) or not obj or level + len(one) <= width:
        return one
    pad = " " * (level + indent)
    if isinstance(obj, dict):
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {_rule_fitted(v, indent, width, level + indent)}"
                 for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * level + "}"
    items = [pad + _rule_fitted(v, indent, width, level + indent) for v in obj]
    return "[\n" + ",\n".join(items) + "\n" + " " * level + "]"


def _outcome(fn, *args):
    try:
        return ("value", fn(*args))
    except Exception as exc:  # noqa: BLE001 - the same failure is part of the same answer
        return ("error", type(exc))


FITTED_KEYS = st.text(max_size=5) | st.integers(-3, 3) | st.sampled_from([True, None, 1.5, float("nan")])
FITTED_VALUES = st.recursive(
    SCALARS | st.sampled_from([float("nan"), float("inf"), "\ud800"]),
    lambda inner: st.lists(inner, max_size=4) | st.lists(inner, max_size=3).map(tuple)
    | st.dictionaries(FITTED_KEYS, inner, max_size=4), max_leaves=25)


@settings(max_examples=1500, deadline=None)
@given(FITTED_VALUES, st.integers(1, 4), st.integers(0, 80))
def test_fitted_layout_is_json_dumps_per_node(value, indent, width):
    from migrate.config import _fitted

    assert _outcome(_fitted, value, indent, width, 0) == _outcome(_rule_fitted, value, indent, width, 0)


# Every sequence of up to five of these pieces: the markers and each kind of byte the look back of the marker
# searches tells apart (a digit, `.`, `-`, `:`, `,`, `[`, a letter, `e`, `+`), at every place in a line.
_PIECES = (b"e-", b"e+", b".0000", b"1", b"0", b"-", b".", b"+", b":", b",", b"[", b'"', b"a", b"e")


def test_float_forms_is_the_plain_marker_rule_on_every_short_sequence():
    from itertools import product

    lines = [b"".join(parts) for n in range(1, 5) for parts in product(_PIECES, repeat=n)]
    lines += [b'{"k":[' + line + b"]}" for line in lines[:3000]]
    wrong = [line for line in lines if _float_forms(line) != _float_forms_plain(line)]
    assert not wrong, wrong[:5]
