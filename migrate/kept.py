"""What the first pass of `compare` keeps for the passes after it: per event, Classic's output and the output of
each subscription of the mode's translated (or the user's) set (`migrate.runner.Seed`). The verification pass
and the final pass replay the same events; with what is kept they run neither Classic nor that set again, only
the subscriptions a recommendation changed (the verification pass) or the recommended set (the final pass).

One file per chunk, written by the process that replays the chunk in the first pass and read by the process
that replays it in a later pass, in a directory `compare` creates and removes. The file holds frames of up to
`FRAME` events, each a zlib-compressed run of pickles (compression level 1: a kept event costs about a fifth
of its pickle on disk), so memory stays at one frame whatever the chunk's size. A file appears under its final
name only once complete (`os.replace`); a chunk whose file is missing or unreadable, or whose events do not
line up with it (each entry carries its event's messageId), is replayed in full, as without a kept pass: a
Dask worker on another machine, a full disk or a removed file cost time, never a figure.

The files hold what the events hold (ids, properties): they live in the system's temporary directory (`TMPDIR`),
readable by their owner only, and are removed when `compare` ends.
"""

from __future__ import annotations

import io
import os
import pickle
import zlib

__all__ = ["KeptWriter", "KeptReader", "FRAME"]

FRAME = 256  # events per compressed frame
# a chunk is kept only while its disk has this much free space left (the run's other files come first)
MIN_FREE_BYTES = 1 << 30
_HEADER = 8  # bytes: the frame's event count and its compressed size, 4 each (little-endian)


def _message_id(event: dict):
    mid = event.get("messageId")
    return mid if isinstance(mid, str) else None


class KeptWriter:
    """Writes one chunk's kept events to `path` (`add` per event, in order; `close` at the chunk's end). Any
    failure (no such directory, a full disk, a value pickle refuses) drops the chunk's file, silently: the later
    passes then replay that chunk in full. Nothing is written when the disk has less than `MIN_FREE_BYTES` free
    as the chunk starts."""

    def __init__(self, path: str):
        self.path = path
        self._part = f"{path}.{os.getpid()}.part"
        self._file = None
        self._frame: list[bytes] = []
        self.failed = False
        try:
            stats = os.statvfs(os.path.dirname(path) or ".")
            self.failed = stats.f_bavail * stats.f_frsize < MIN_FREE_BYTES
        except (OSError, AttributeError):  # no such directory (another machine), or no statvfs here
            self.failed = not os.path.isdir(os.path.dirname(path) or ".")

    def add(self, event: dict, seed: tuple) -> None:
        if self.failed:
            return
        try:
            # pickled now: what the later passes get is what the first pass computed, whatever the rest of the
            # event's replay does to those objects afterwards
            self._frame.append(pickle.dumps((_message_id(event), seed), pickle.HIGHEST_PROTOCOL))
        except Exception:  # noqa: BLE001 - an unpicklable value: this chunk is replayed in full later
            self._fail()
            return
        if len(self._frame) >= FRAME:
            self._flush()

    def _flush(self) -> None:
        if not self._frame:
            return
        try:
            data = zlib.compress(b"".join(self._frame), 1)
            if self._file is None:
                self._file = open(os.open(self._part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
            self._file.write(len(self._frame).to_bytes(4, "little") + len(data).to_bytes(4, "little"))
            self._file.write(data)
        except (OSError, ValueError, OverflowError):
            self._fail()
        self._frame = []

    def _fail(self) -> None:
        self.failed = True
        self._frame = []
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None
        try:
            os.unlink(self._part)
        except OSError:
            pass

    def close(self) -> None:
        if self.failed:
            return
        self._flush()
        if self.failed:
            return
        try:
            if self._file is None:  # a chunk without events: an empty file says so
                self._file = open(os.open(self._part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
            self._file.close()
            self._file = None
            os.replace(self._part, self.path)
        except OSError:
            self._fail()


class KeptReader:
    """Reads back, event by event, what `KeptWriter` kept for a chunk. `take(event)`: the seed kept for
    `event`, or None when there is none (no file, a damaged one, events that do not line up); from the first
    None on, every later call returns None too (the rest of the chunk is replayed in full)."""

    def __init__(self, path: str):
        try:
            self._file = open(path, "rb")
        except OSError:
            self._file = None
        self._items: list = []
        self._next = 0

    @property
    def active(self) -> bool:
        return self._file is not None

    def take(self, event: dict):
        if self._file is None:
            return None
        if self._next >= len(self._items) and not self._read_frame():
            self.close()
            return None
        mid, seed = self._items[self._next]
        self._next += 1
        if mid != _message_id(event):
            self.close()
            return None
        return seed

    def _read_frame(self) -> bool:
        try:
            header = self._file.read(_HEADER)
            if len(header) < _HEADER:
                return False
            count, size = int.from_bytes(header[:4], "little"), int.from_bytes(header[4:], "little")
            data = self._file.read(size)
            if len(data) < size:
                return False
            stream = io.BytesIO(zlib.decompress(data))
            items = [pickle.load(stream) for _ in range(count)]  # one unpickler each, as each was pickled
        except Exception:  # noqa: BLE001 - a damaged file: the rest of the chunk is replayed in full
            return False
        self._items, self._next = items, 0
        return True

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._items = []

