"""Stream Segment events from files: JSON Lines, a JSON array or a `{"batch": [...]}` document, gzip or not.

Nothing is loaded whole: lines are parsed one at a time, and arrays are walked item by item, so memory
stays flat however many events a file holds. Bad lines are skipped and counted (or raised in strict mode),
never dropped silently.

Only Segment events count: a JSON object whose `type` is one of Segment's six types (Segment's batch and
array forms are walked item by item). Anything else -- an export wrapper such as `{"event": {...}}`, a
settings file, a line nested deeper than MAX_DEPTH levels or longer than MAX_LINE_BYTES -- is a skipped
line with its reason. A file that cannot be read to its end (truncated or corrupt gzip, a JSON array or
batch cut short, an I/O error) raises BadInput naming the file and the last good line: a partial read is
never a result.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import stat
import sys
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import orjson

from migrate.errors import BadInput
from migrate.inputs import display_name, expand_inputs, is_url, open_url, url_size

__all__ = ["read_events", "ReadStats", "iter_stream", "iter_line_range", "detect_format", "read_error", "Skip", "parse_json_line", "open_input", "check_input", "SEGMENT_TYPES",
           "MAX_DEPTH", "MAX_LINE_BYTES", "DEFAULT_MAX_SKIPPED", "DEDUPE_WINDOW"]

GZIP_MAGIC = b"\x1f\x8b"
MAX_SKIP_EXAMPLES = 100
MAX_DUPLICATE_EXAMPLES = 10
SEGMENT_TYPES = frozenset({"track", "page", "screen", "identify", "group", "alias"})
# Deeper events are skipped: real Segment events nest a few levels; 128 keeps every engine far from
# Python's recursion limit (Amplitude itself keeps objects to 40 levels).
MAX_DEPTH = 128
# Longer lines are skipped without being held in memory (Segment accepts at most 32 KB per event).
MAX_LINE_BYTES = 4 << 20
# compare stops (exit 2) when more than this share of the lines is skipped.
DEFAULT_MAX_SKIPPED = 0.01
# Repeated messageIds are looked for among the last DEDUPE_WINDOW distinct ids (bounded memory).
DEDUPE_WINDOW = 500_000
_READ_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error, OSError)


@dataclass(frozen=True)
class Skip:
    file: str
    line: int | None
    reason: str
    kind: str = ""  # a short, stable label of the reason (for counts by reason)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}" if self.line else f"{self.file}: {self.reason}"


@dataclass
class ReadStats:
    """What the reader saw: events yielded, lines skipped (count plus the first examples)."""

    read: int = 0
    skipped_count: int = 0
    skipped: list[Skip] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0  # events whose messageId was already seen (dropped when dedupe=True)
    duplicate_examples: list[dict] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    size_total: int | None = None  # bytes of all input files, when every input is a regular file
    _size_done: int = field(default=0, repr=False)
    _current: object = field(default=None, repr=False)

    def position(self) -> int | None:
        """Bytes of the input files consumed so far (compressed bytes for gzip), None when unknown."""
        if self.size_total is None:
            return None
        current = self._current
        try:
            offset = current.tell() if current is not None else 0
        except (OSError, ValueError):  # closed between files
            offset = 0
        return min(self.size_total, self._size_done + offset)

    def add_skip(self, skip: Skip) -> None:
        self.skipped_count += 1
        kind = skip.kind or skip.reason.split(":")[0]
        self.skipped_by_reason[kind] = self.skipped_by_reason.get(kind, 0) + 1
        if len(self.skipped) < MAX_SKIP_EXAMPLES:
            self.skipped.append(skip)

    def merge(self, other: "ReadStats") -> "ReadStats":
        """Fold the figures of the input that follows (a later chunk) into these: the same figures as
        reading both in one go (examples: the first ones, in input order)."""
        self.read += other.read
        self.skipped_count += other.skipped_count
        room = MAX_SKIP_EXAMPLES - len(self.skipped)
        if room > 0:
            self.skipped.extend(other.skipped[:room])
        for kind, n in other.skipped_by_reason.items():
            self.skipped_by_reason[kind] = self.skipped_by_reason.get(kind, 0) + n
        for name, form in other.formats.items():
            self.formats.setdefault(name, form)
        for name in other.files:
            if name not in self.files:
                self.files.append(name)
        self.duplicates += other.duplicates
        room = MAX_DUPLICATE_EXAMPLES - len(self.duplicate_examples)
        if room > 0:
            self.duplicate_examples.extend(other.duplicate_examples[:room])
        return self

    def absorb(self, other: "ReadStats", on_skip: Callable[[Skip], None] | None = None) -> "ReadStats":
        """`merge`, calling `on_skip` with each skipped line it carries as an example, counted in turn (so a
        reporter that prints the first few sees the same counts as during a single pass)."""
        rest = ReadStats(read=other.read, skipped_count=other.skipped_count - len(other.skipped),
                         formats=other.formats, skipped_by_reason=dict(other.skipped_by_reason),
                         duplicates=other.duplicates, duplicate_examples=other.duplicate_examples,
                         files=other.files)
        for skip in other.skipped:
            self.add_skip(skip)
            kind = skip.kind or skip.reason.split(":")[0]
            rest.skipped_by_reason[kind] -= 1
            if not rest.skipped_by_reason[kind]:
                del rest.skipped_by_reason[kind]
            if on_skip is not None:
                on_skip(skip)
        return self.merge(rest)

    def at(self, position: int | None) -> None:
        """Progress of a replay folded chunk by chunk: `position` input bytes are done."""
        if position is not None:
            self._size_done = position
            self._current = None

    @property
    def skipped_share(self) -> float:
        total = self.read + self.skipped_count
        return self.skipped_count / total if total else 0.0


def _js_float(text: str):
    # JSON.parse has one number type: 1.0 is the integer 1 there, so keep it an int here too.
    value = float(text)
    if value.is_integer():
        return int(value)
    return value


def _fix_numbers(value):
    # ijson yields floats for non-integers; apply the same JS rule as _js_float.
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {k: _fix_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fix_numbers(v) for v in value]
    return value


_decoder = json.JSONDecoder(parse_float=_js_float)
_SAFE_FLOAT = float(2**53)


class _Slow(Exception):
    """A value the fast parser reads differently from the reference parser: use the reference parser."""


def _fix_object(obj: dict) -> int:
    """orjson gives floats for 1.0 and 1e3: JSON.parse's one number type makes them the integers 1 and 1000.
    Returns the number of objects and arrays in `obj`, itself included (a bound on its depth).

    One pass over the values finds the nested containers and whether any float here is integral (few
    are: most events have none); only then a second pass over the items rewrites them. The result is the
    one rewriting in the first pass gives: the same floats become the same integers, and a float out of
    the safe range raises _Slow either way (the whole text then goes to the reference parser). One call per
    nesting level: a line nested too deeply for the stack stops at the depth it always did."""
    containers = 1
    integral = False
    for value in obj.values():
        kind = type(value)
        if kind is str:  # most values: one test, not three
            continue
        if kind is dict:
            containers += _fix_object(value)
        elif kind is float:
            if value.is_integer():
                integral = True
        elif kind is list:
            containers += _fix_array(value)
    if integral:
        for key, value in obj.items():  # rewriting a value keeps the dict's size: iterating on is safe
            if type(value) is float and value.is_integer():
                if -_SAFE_FLOAT <= value <= _SAFE_FLOAT:
                    obj[key] = int(value)
                else:
                    raise _Slow  # 1e21 or a huge integer literal: the reference parser keeps every digit
    return containers


def _fix_array(items: list) -> int:
    containers = 1
    integral = False
    for value in items:
        kind = type(value)
        if kind is str:
            continue
        if kind is dict:
            containers += _fix_object(value)
        elif kind is float:
            if value.is_integer():
                integral = True
        elif kind is list:
            containers += _fix_array(value)
    if integral:
        for index, value in enumerate(items):
            if type(value) is float and value.is_integer():
                if -_SAFE_FLOAT <= value <= _SAFE_FLOAT:
                    items[index] = int(value)
                else:
                    raise _Slow
    return containers


def _parse_reference(text: str | bytes):
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return _decoder.decode(text)


def _parse_fast(text: str | bytes):
    """orjson, then the number rule; anything it parses differently goes through the reference parser.

    orjson rejects what the reference parser reads in its own way (lone surrogate escapes, NaN and
    Infinity, nesting deeper than 1024) and reads integers beyond 64 bits as floats: those lines,
    and every line it rejects, are parsed again by `_parse_reference`, which also words the errors.
    """
    return _parse_counted(text)[0]


def _parse_counted(text: str | bytes):
    """(`_parse_fast(text)`, the number of objects and arrays in it, or None when the reference parser read
    it). The count comes with the number walk, at no extra pass: the reader uses it as the depth bound."""
    try:
        value = orjson.loads(text)
        kind = type(value)
        if kind is dict:
            return value, _fix_object(value)
        if kind is list:
            return value, _fix_array(value)
        if kind is float:
            raise _Slow
        return value, 0
    except (orjson.JSONDecodeError, _Slow):
        return _parse_reference(text), None


def _parse_line(raw: bytes):
    """`_parse_counted(raw.strip())` for a line orjson reads as it is, with its newline; None for any other line
    (blank, a byte order mark, invalid JSON, a number only the reference parser reads exactly), which the
    caller then strips and parses in full, so its skip reason and error column are those of the stripped text.

    Exact: when orjson reads `raw`, everything around the value is JSON whitespace (space, tab, CR, LF),
    which `strip` removes and nothing else, so the stripped text is the value's own text and orjson reads
    it the same. The walk runs one call below the reader, as in `_parse_counted`: a line nested too deeply
    for the stack stops at the same depth."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    kind = type(value)
    try:
        if kind is dict:
            return value, _fix_object(value)
        if kind is list:
            return value, _fix_array(value)
    except _Slow:
        return None
    if kind is float:
        return None
    return value, 0


def parse_json_line(text: str | bytes):
    """Parse one JSON text with JavaScript number semantics (1.0 is the integer 1)."""
    return _parse_fast(text)


class _Prefixed(io.RawIOBase):
    """A readable stream that replays already-consumed bytes before the rest of the source."""

    def __init__(self, prefix: bytes, rest):
        self._prefix, self._rest = prefix, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        if self._prefix:
            n = min(len(buf), len(self._prefix))
            buf[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._rest.read(len(buf))
        buf[: len(data)] = data
        return len(data)


def open_input(path: str):
    """A buffered binary stream for path ('-' is stdin; a URL is read through fsspec, see migrate.inputs),
    transparently gunzipped (by magic bytes)."""
    return _open(path)[0]


def _open(path: str):
    """(stream, raw file): the raw file's position tells how much of the input was consumed."""
    if path == "-":
        raw = sys.stdin.buffer
    elif is_url(path):
        raw = open_url(path)
    else:
        try:
            raw = open(path, "rb")
        except OSError as exc:
            raise BadInput(path, None, f"cannot open: {exc.strerror or exc}") from None
    stream = raw if hasattr(raw, "peek") else io.BufferedReader(raw)
    raw_stream = stream
    if stream.peek(2)[:2] == GZIP_MAGIC:
        stream = gzip.GzipFile(fileobj=stream, mode="rb")  # buffered itself (peek, readline)
    return stream, raw_stream


def _first_significant(stream) -> bytes:
    """Peek past whitespace and a UTF-8 BOM to the first meaningful byte ('' at end of input)."""
    head = stream.peek(4096)
    stripped = head.lstrip(b"\xef\xbb\xbf").lstrip()
    while not stripped and head:
        # a long run of blank space: consume it (it carries no data) and look again
        stream.read(len(head))
        head = stream.peek(4096)
        stripped = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return stripped[:1]


def _is_batch(obj) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("batch"), list) and "type" not in obj


class _Cursor:
    """Where the reader is in a file: the last line read whole, or the last array item parsed."""

    __slots__ = ("line", "item", "what")

    def __init__(self):
        self.line = 0
        self.item = 0
        self.what = "line"

    def last_good(self) -> str:
        if self.what == "line":
            return f"line {self.line}" if self.line else "the start of the file"
        return f"item {self.item}" if self.item else "the start of the document"


def _iter_document(name: str, stream, prefix_path: str, stats: ReadStats, skip, cursor: _Cursor,
                   multiple=False, label="item") -> Iterator[dict]:
    # One JSON document (array, or a batch object possibly pretty-printed): walk its items lazily.
    cursor.what = "item"
    import ijson  # JSON arrays and batch documents only: JSON Lines never need it

    shape = {"item": "JSON array", "batch.item": "batch", "": "JSON document"}[prefix_path]
    try:
        for index, item in enumerate(ijson.items(stream, prefix_path, use_float=True, multiple_values=multiple), start=1):
            cursor.item = index
            event, problem = _classify(item)
            if problem is not None:
                skip(Skip(name, None, f"{label} {index}: {problem[1]}", problem[0]))
                continue
            yield _fix_numbers(event)
    except ijson.IncompleteJSONError as exc:
        raise BadInput(name, None, f"the {shape} is cut short or invalid after {cursor.last_good()} (the last good "
                                   f"one): {_short(exc)}; nothing from this file is used") from None
    except ijson.JSONError as exc:
        raise BadInput(name, None, f"invalid {shape} after {cursor.last_good()} (the last good one): {_short(exc)}; "
                                   "nothing from this file is used") from None
    except UnicodeDecodeError as exc:
        raise BadInput(name, None, f"not UTF-8 text after {cursor.last_good()}: {exc.reason}") from None


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _preview(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _depth_over(obj, limit: int) -> bool:
    """Is obj nested deeper than limit levels? Iterative, so it never recurses itself."""
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if type(value) is dict:
            stack.extend((v, depth + 1) for v in value.values() if type(v) in (dict, list))
        elif type(value) is list:
            stack.extend((v, depth + 1) for v in value if type(v) in (dict, list))
    return False


def _is_type(value) -> bool:
    return type(value) is str and value in SEGMENT_TYPES


def _wrapper_key(obj: dict) -> str | None:
    for key, value in obj.items():
        if isinstance(value, dict) and _is_type(value.get("type")):
            return key
    return None


def _classify(obj) -> tuple[dict | None, tuple[str, str] | None]:
    """(event, None) for a Segment event, else (None, (kind, reason))."""
    if not isinstance(obj, dict):
        return None, ("not a JSON object", f"not a JSON object (got {_json_type(obj)})")
    if _depth_over(obj, MAX_DEPTH):
        return None, ("nested too deeply", f"nested deeper than {MAX_DEPTH} levels; not a usable Segment event")
    kind = obj.get("type")
    if isinstance(kind, str) and kind in SEGMENT_TYPES:
        return obj, None
    if "type" not in obj:
        key = _wrapper_key(obj)
        if key is not None:
            return None, ("not a Segment event: wrapped",
                          f"not a Segment event: no type; the event is under the key {key!r}: unwrap it first "
                          f"(for example: jq -c '.{key}' FILE > events.jsonl)")
        hint = ""
        if "apiKey" in obj or "settings" in obj:
            hint = " (this looks like a settings file, not events)"
        return None, ("not a Segment event: no type", f"not a Segment event: no type{hint}")
    if isinstance(kind, str) and kind.lower() in SEGMENT_TYPES:
        return None, ("not a Segment event: unknown type",
                      f"not a Segment event: type {_preview(kind)} (Segment's types are lowercase: "
                      f"{', '.join(sorted(SEGMENT_TYPES))})")
    return None, ("not a Segment event: unknown type",
                  f"not a Segment event: unknown type {_preview(kind)} (Segment's types: "
                  f"{', '.join(sorted(SEGMENT_TYPES))})")


def _json_type(value) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def _lines(stream, first_line: bytes | None) -> Iterator[bytes | None]:
    """The stream's lines; None stands for a line longer than MAX_LINE_BYTES (read past, never held)."""
    if first_line is not None:
        if len(first_line) > MAX_LINE_BYTES:
            while first_line and not first_line.endswith(b"\n"):
                first_line = stream.readline(MAX_LINE_BYTES)
            yield None
        else:
            yield first_line
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(MAX_LINE_BYTES)
            yield None
            continue
        yield raw


def _iter_lines(name: str, stream, first_line: bytes | None, skip, cursor: _Cursor,
                start_line: int = 1) -> Iterator[dict]:
    # start_line: the number of the stream's first line in its file (a chunk of a larger file)
    lineno = start_line - 1
    for raw in _lines(stream, first_line):
        lineno += 1
        cursor.line = lineno - 1
        if raw is None:
            skip(Skip(name, lineno, f"line longer than {MAX_LINE_BYTES >> 20} MiB (Segment accepts 32 KB per event)",
                      "line too long"))
            continue
        try:
            parsed = _parse_line(raw)  # nearly every line: orjson reads it as it is
        except RecursionError:  # too deep for the number walk, as below
            skip(Skip(name, lineno, f"nested deeper than {MAX_DEPTH} levels; not a usable Segment event",
                      "nested too deeply"))
            continue
        if parsed is not None:
            obj, containers = parsed
            text = None
        else:
            text = raw.strip()
            if not text or (lineno == 1 and text == b"\xef\xbb\xbf"):
                continue
            if lineno == 1:
                text = text.lstrip(b"\xef\xbb\xbf")
            try:
                obj, containers = _parse_counted(text)  # `parse_json_line`, with the objects and arrays counted
            except UnicodeDecodeError as exc:
                skip(Skip(name, lineno, f"not UTF-8 text ({exc.reason})", "not UTF-8 text"))
                continue
            except json.JSONDecodeError as exc:
                skip(Skip(name, lineno, f"invalid JSON: {exc.msg} at column {exc.colno}", "invalid JSON"))
                continue
            except RecursionError:
                skip(Skip(name, lineno, f"nested deeper than {MAX_DEPTH} levels; not a usable Segment event",
                          "nested too deeply"))
                continue
            except ValueError as exc:
                skip(Skip(name, lineno, f"invalid JSON: {exc}", "invalid JSON"))
                continue
        # the common case: a plain event that cannot be nested too deeply. Its depth is at most the number of
        # its objects and arrays (counted by the parser's number walk), or of the brackets in the line.
        if type(obj) is dict and (containers <= MAX_DEPTH if containers is not None else
                                  text.count(b"{") + text.count(b"[") <= MAX_DEPTH):
            kind = obj.get("type")
            if type(kind) is str and kind in SEGMENT_TYPES:  # `_is_type`, inline
                yield obj
                continue
        if _is_batch(obj) or isinstance(obj, list):
            items, label = (obj["batch"], "batch item") if isinstance(obj, dict) else (obj, "array item")
            for index, item in enumerate(items, start=1):
                event, problem = _classify(item)
                if problem is None:
                    yield event
                else:
                    skip(Skip(name, lineno, f"{label} {index}: {problem[1]}", problem[0]))
            continue
        event, problem = _classify(obj)
        if problem is None:
            yield event
        else:
            skip(Skip(name, lineno, problem[1], problem[0]))
    cursor.line = lineno


def read_error(name: str, exc: BaseException, last_good: str) -> BadInput:
    """The error for a file that cannot be read to its end."""
    if isinstance(exc, (EOFError, gzip.BadGzipFile, zlib.error)):
        what = "truncated or corrupt gzip data"
    else:
        what = f"read error ({exc.strerror or exc})" if isinstance(exc, OSError) else str(exc)
    return BadInput(name, None, f"cannot be read past {last_good} (the last good one): {what}: "
                                f"{_short(exc)}; nothing from this file is used")


def iter_stream(name: str, stream, stats: ReadStats, skip) -> Iterator[dict]:
    """The events of one opened input (any format), with read errors raised as BadInput."""
    cursor = _Cursor()
    try:
        yield from _iter_stream(name, stream, stats, skip, cursor)
    except _READ_ERRORS as exc:
        raise read_error(name, exc, cursor.last_good()) from None


def iter_line_range(name: str, stream, stats: ReadStats, skip, start_line: int) -> Iterator[dict]:
    """The events of a run of JSON lines cut from a file whose line `start_line` is the stream's first."""
    stats.formats.setdefault(name, "json-lines")
    cursor = _Cursor()
    cursor.line = start_line - 1
    try:
        yield from _iter_lines(name, stream, None, skip, cursor, start_line=start_line)
    except _READ_ERRORS as exc:
        raise read_error(name, exc, cursor.last_good()) from None


def _iter_file(path: str, stats: ReadStats, skip, name: str | None = None) -> Iterator[dict]:
    name = name or ("<stdin>" if path == "-" else display_name(path))
    stream, raw = _open(path)
    stats._current = raw if path != "-" else None
    cursor = _Cursor()
    try:
        yield from _iter_stream(name, stream, stats, skip, cursor)
    except _READ_ERRORS as exc:
        raise read_error(name, exc, cursor.last_good()) from None
    finally:
        if path != "-":
            stream.close()
            stats._size_done += _file_size(path) or 0
        stats._current = None


def _file_size(path: str) -> int | None:
    if is_url(path):
        return url_size(path)
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _next_line_parses(stream) -> bool:
    # JSON Lines whose first line is broken: the next line is a whole JSON value on its own.
    nxt = stream.peek(65536).split(b"\n", 1)[0].strip()
    try:
        return isinstance(parse_json_line(nxt), (dict, list))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False


def detect_format(stream) -> str:
    """The shape of one input as `_iter_stream` reads it: "json-lines" (which can be cut into line
    ranges), "json-array", "empty" or "document" (a batch or pretty-printed objects). Consumes the stream."""
    first = _first_significant(stream)
    if first == b"[":
        return "json-array"
    if not first:
        return "empty"
    first_line = stream.readline(MAX_LINE_BYTES + 1)
    if first == b"{" and len(first_line) <= MAX_LINE_BYTES:
        try:
            parse_json_line(first_line.strip().lstrip(b"\xef\xbb\xbf"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            return "json-lines" if _next_line_parses(stream) else "document"
    return "json-lines"


def _iter_stream(name: str, stream, stats: ReadStats, skip, cursor: _Cursor) -> Iterator[dict]:
    first = _first_significant(stream)
    if first == b"[":
        stats.formats[name] = "json-array"
        yield from _iter_document(name, stream, "item", stats, skip, cursor)
        return
    if not first:
        stats.formats[name] = "empty"
        return
    # JSON Lines, unless the first line is not a complete document (a pretty-printed batch/object).
    first_line = stream.readline(MAX_LINE_BYTES + 1)
    if first == b"{" and len(first_line) <= MAX_LINE_BYTES:
        try:
            parse_json_line(first_line.strip().lstrip(b"\xef\xbb\xbf"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            if _next_line_parses(stream):
                stats.formats[name] = "json-lines"
                yield from _iter_lines(name, stream, first_line, skip, cursor)
                return
            head = first_line.lstrip(b"\xef\xbb\xbf").lstrip()
            is_batch = _looks_like_batch(head + stream.peek(65536))
            replay = io.BufferedReader(_Prefixed(head, stream))
            if is_batch:
                stats.formats[name] = "batch"
                yield from _iter_document(name, replay, "batch.item", stats, skip, cursor, label="batch item")
            else:
                # pretty-printed object(s), one after another
                stats.formats[name] = "json-documents"
                yield from _iter_document(name, replay, "", stats, skip, cursor, multiple=True,
                                          label="document")
            return
    stats.formats[name] = "json-lines"
    yield from _iter_lines(name, stream, first_line, skip, cursor)


def _looks_like_batch(head: bytes) -> bool:
    # A multi-line top-level object whose first key is "batch" (Segment's batch shape).
    import ijson

    try:
        for prefix, event, value in ijson.parse(io.BytesIO(head)):
            if event == "map_key" and prefix == "":
                return value == "batch"
    except ijson.JSONError:
        pass
    return False


class _RecentIds:
    """The last `window` distinct messageIds (as 64-bit hashes, stable within a run), first in first out:
    bounded memory."""

    def __init__(self, window: int = DEDUPE_WINDOW):
        self.window = window
        self.seen: set[int] = set()
        self.order: deque[int] = deque()

    def repeat(self, message_id: str) -> bool:
        key = hash(message_id)
        if key in self.seen:
            return True
        self.seen.add(key)
        self.order.append(key)
        if len(self.order) > self.window:
            self.seen.discard(self.order.popleft())
        return False

    def add_new(self, ids: list) -> bool:
        """Take a run of ids (None: no id) at once when none of them repeats (none seen before, none twice
        in the run): True, and the state is the one `repeat` per id leaves, every answer False. Otherwise
        False, with nothing changed: ask `repeat` id by id.

        Exact: each new id is added and the oldest dropped while more than `window` are kept, as `repeat`
        does one id at a time (the same ids leave, in the same order); an id no earlier one equals and not
        seen before is no repeat whatever left the window meanwhile."""
        keys = [hash(message_id) for message_id in ids if message_id is not None]
        seen = self.seen
        if len(set(keys)) != len(keys) or not seen.isdisjoint(keys):
            return False
        seen.update(keys)
        order = self.order
        order.extend(keys)
        while len(order) > self.window:
            seen.discard(order.popleft())
        return True


def read_events(
    paths: Iterable[str],
    *,
    strict: bool = False,
    stats: ReadStats | None = None,
    on_skip: Callable[[Skip], None] | None = None,
    dedupe: bool = False,
    names: dict[str, str] | None = None,
) -> Iterator[dict]:
    """Yield every event of every path in order. Skips are counted in `stats` (strict: raise BadInput).

    Events repeating an earlier event's messageId are counted in `stats.duplicates` (with examples);
    `dedupe=True` drops them, keeping the first, as Segment's own deduplication does. `names` gives the
    name to report for a path (standard input spooled to a temporary file is still "<stdin>").
    """
    stats = stats if stats is not None else ReadStats()
    recent = _RecentIds()
    paths = expand_inputs(paths)
    sizes = [None if p == "-" else _file_size(p) for p in paths]
    stats.size_total = None if None in sizes else sum(sizes)
    stats._size_done = 0

    def skip(item: Skip) -> None:
        if strict:
            raise BadInput(item.file, item.line, item.reason)
        stats.add_skip(item)
        if on_skip is not None:
            on_skip(item)

    for path in paths:
        name = (names or {}).get(path) or ("<stdin>" if path == "-" else display_name(path))
        if name not in stats.files:
            stats.files.append(name)
        for event in _iter_file(path, stats, skip, name):
            message_id = event.get("messageId")
            if isinstance(message_id, str) and message_id and recent.repeat(message_id):
                stats.duplicates += 1
                if len(stats.duplicate_examples) < MAX_DUPLICATE_EXAMPLES:
                    stats.duplicate_examples.append({"messageId": message_id[:200], "file": name})
                if dedupe:
                    continue
            stats.read += 1
            yield event


def check_input(stats: ReadStats, max_skipped: float = DEFAULT_MAX_SKIPPED) -> None:
    """Raise BadInput when the input is not (mostly) Segment events: none read, or too many lines skipped.

    A parity over zero events, or over the small part of a file that happened to parse, is not evidence.
    More than `max_skipped` of the lines (and more than one line) skipped is an error.
    """
    files = ", ".join(stats.files) or "the input"
    first = f" (first: {stats.skipped[0]})" if stats.skipped else ""
    reasons = "; ".join(f"{n} x {kind}" for kind, n in sorted(stats.skipped_by_reason.items(), key=lambda kv: -kv[1]))
    if stats.read == 0:
        if not stats.skipped_count:
            raise BadInput(files, None, "no Segment events: the input is empty; nothing was compared")
        raise BadInput(files, None, f"no Segment events: all {stats.skipped_count} lines were skipped ({reasons})"
                                    f"{first}; nothing was compared")
    total = stats.read + stats.skipped_count
    # one bad line is always tolerated (a live export's last line is often cut short)
    if stats.skipped_count > max(1, int(max_skipped * total)):
        raise BadInput(files, None, f"{stats.skipped_count} of {stats.read + stats.skipped_count} lines "
                                    f"({stats.skipped_share:.1%}) are not Segment events ({reasons}){first}; more "
                                    f"than {max_skipped:.1%} skipped, so nothing was compared (fix the input, or "
                                    "raise --max-skipped)")
