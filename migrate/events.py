"""Stream Segment events from files: JSON Lines, a JSON array or a `{"batch": [...]}` document, gzip or not.

Nothing is loaded whole: lines are parsed one at a time, and arrays are walked item by item, so memory
stays flat however many events a file holds. Bad lines are skipped and counted (or raised in strict mode),
never dropped silently.
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
import os
import stat
import sys
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import ijson
import orjson

from migrate.errors import BadInput

__all__ = ["read_events", "ReadStats", "Skip", "parse_json_line", "open_input"]

GZIP_MAGIC = b"\x1f\x8b"
MAX_SKIP_EXAMPLES = 100


@dataclass(frozen=True)
class Skip:
    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}" if self.line else f"{self.file}: {self.reason}"


@dataclass
class ReadStats:
    """What the reader saw: events yielded, lines skipped (count plus the first examples)."""

    read: int = 0
    skipped_count: int = 0
    skipped: list[Skip] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)
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
        if len(self.skipped) < MAX_SKIP_EXAMPLES:
            self.skipped.append(skip)


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


def _fix_object(obj: dict) -> None:
    # orjson gives floats for 1.0 and 1e3: JSON.parse's one number type makes them the integers 1 and 1000.
    for key, value in obj.items():
        kind = type(value)
        if kind is float:
            if value.is_integer():
                if -_SAFE_FLOAT <= value <= _SAFE_FLOAT:
                    obj[key] = int(value)
                else:
                    raise _Slow  # 1e21 or a huge integer literal: the reference parser keeps every digit
        elif kind is dict:
            _fix_object(value)
        elif kind is list:
            _fix_array(value)


def _fix_array(items: list) -> None:
    for index, value in enumerate(items):
        kind = type(value)
        if kind is float:
            if value.is_integer():
                if -_SAFE_FLOAT <= value <= _SAFE_FLOAT:
                    items[index] = int(value)
                else:
                    raise _Slow
        elif kind is dict:
            _fix_object(value)
        elif kind is list:
            _fix_array(value)


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
    try:
        value = orjson.loads(text)
        kind = type(value)
        if kind is dict:
            _fix_object(value)
        elif kind is list:
            _fix_array(value)
        elif kind is float:
            raise _Slow
        return value
    except (orjson.JSONDecodeError, _Slow):
        return _parse_reference(text)


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
    """A buffered binary stream for path ('-' is stdin), transparently gunzipped (by magic bytes)."""
    return _open(path)[0]


def _open(path: str):
    """(stream, raw file): the raw file's position tells how much of the input was consumed."""
    if path == "-":
        raw = sys.stdin.buffer
    else:
        try:
            raw = open(path, "rb")
        except OSError as exc:
            raise BadInput(path, None, f"cannot open: {exc.strerror or exc}") from None
    stream = raw if hasattr(raw, "peek") else io.BufferedReader(raw)
    raw_stream = stream
    if stream.peek(2)[:2] == GZIP_MAGIC:
        stream = io.BufferedReader(gzip.GzipFile(fileobj=stream, mode="rb"), buffer_size=1 << 16)
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


def _iter_document(name: str, stream, prefix_path: str, stats: ReadStats, skip, multiple=False) -> Iterator[dict]:
    # One JSON document (array, or a batch object possibly pretty-printed): walk its items lazily.
    try:
        for index, item in enumerate(ijson.items(stream, prefix_path, use_float=True, multiple_values=multiple), start=1):
            if not isinstance(item, dict):
                skip(Skip(name, None, f"item {index} is not a JSON object (got {_json_type(item)})"))
                continue
            yield _fix_numbers(item)
    except ijson.JSONError as exc:
        skip(Skip(name, None, f"invalid JSON document: {exc}; the rest of the file was not read"))
    except UnicodeDecodeError as exc:
        skip(Skip(name, None, f"not UTF-8 text: {exc.reason}; the rest of the file was not read"))


def _json_type(value) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def _iter_lines(name: str, stream, first_line: bytes, skip) -> Iterator[dict]:
    lineno = 0
    lines = [first_line] if first_line is not None else []
    for raw in itertools.chain(lines, stream):
        lineno += 1
        text = raw.strip()
        if not text or (lineno == 1 and text == b"\xef\xbb\xbf"):
            continue
        if lineno == 1:
            text = text.lstrip(b"\xef\xbb\xbf")
        try:
            obj = parse_json_line(text)
        except UnicodeDecodeError as exc:
            skip(Skip(name, lineno, f"not UTF-8 text ({exc.reason})"))
            continue
        except json.JSONDecodeError as exc:
            skip(Skip(name, lineno, f"invalid JSON: {exc.msg} at column {exc.colno}"))
            continue
        except ValueError as exc:
            skip(Skip(name, lineno, f"invalid JSON: {exc}"))
            continue
        if _is_batch(obj):
            for index, item in enumerate(obj["batch"], start=1):
                if isinstance(item, dict):
                    yield item
                else:
                    skip(Skip(name, lineno, f"batch item {index} is not a JSON object (got {_json_type(item)})"))
        elif isinstance(obj, dict):
            yield obj
        else:
            skip(Skip(name, lineno, f"not a JSON object (got {_json_type(obj)})"))


def _iter_file(path: str, stats: ReadStats, skip) -> Iterator[dict]:
    name = "<stdin>" if path == "-" else path
    stream, raw = _open(path)
    stats._current = raw if path != "-" else None
    try:
        first = _first_significant(stream)
        if first == b"[":
            stats.formats[name] = "json-array"
            yield from _iter_document(name, stream, "item", stats, skip)
            return
        if not first:
            stats.formats[name] = "empty"
            return
        # JSON Lines, unless the first line is not a complete document (a pretty-printed batch/object).
        first_line = stream.readline()
        if first == b"{":
            try:
                parse_json_line(first_line.strip().lstrip(b"\xef\xbb\xbf"))
            except (ValueError, UnicodeDecodeError):
                head = first_line.lstrip(b"\xef\xbb\xbf").lstrip()
                is_batch = _looks_like_batch(head + stream.peek(65536))
                replay = io.BufferedReader(_Prefixed(head, stream))
                if is_batch:
                    stats.formats[name] = "batch"
                    yield from _iter_document(name, replay, "batch.item", stats, skip)
                else:
                    # pretty-printed object(s), one after another
                    stats.formats[name] = "json-documents"
                    yield from _iter_document(name, replay, "", stats, skip, multiple=True)
                return
        stats.formats[name] = "json-lines"
        yield from _iter_lines(name, stream, first_line, skip)
    finally:
        if path != "-":
            stream.close()
            stats._size_done += _file_size(path) or 0
        stats._current = None


def _file_size(path: str) -> int | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _looks_like_batch(head: bytes) -> bool:
    # A multi-line top-level object whose first key is "batch" (Segment's batch shape).
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(head)):
            if event == "map_key" and prefix == "":
                return value == "batch"
    except ijson.JSONError:
        pass
    return False


def read_events(
    paths: Iterable[str],
    *,
    strict: bool = False,
    stats: ReadStats | None = None,
    on_skip: Callable[[Skip], None] | None = None,
) -> Iterator[dict]:
    """Yield every event of every path in order. Skips are counted in `stats` (strict: raise BadInput)."""
    stats = stats if stats is not None else ReadStats()
    paths = list(paths)
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
        for event in _iter_file(path, stats, skip):
            stats.read += 1
            yield event
