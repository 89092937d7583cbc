"""The replay pipeline: read → route → classic → actions → canonical records → diff → aggregate.

Every command that replays events runs on this module: `compare` (all its passes), `actions run`,
`classic run` and the snapshot plugin (`migrate.snapshot.records_by_event`).

How a run is cut up and put back together:

* **Chunks** (`plan`). The input is cut into chunks whose boundaries depend only on the input: per file,
  every `CHUNK_LINES` lines. A plain JSON Lines file becomes byte ranges (found by scanning for newlines);
  a gzip file, standard input or a pipe is read by the main process and each chunk carries its lines as
  bytes; a JSON array, a batch document or pretty-printed objects cannot be cut by lines and make one chunk
  each. A chunk knows its file's name and the number of its first line, so skip messages and `--strict`
  errors name the same file and line as a single pass does.
* **Jobs**. A command is a picklable job: `job.map(chunk)` replays one chunk and returns a *partial*
  (the chunk's aggregates, bounded by the chunk size); `partial.merge(later)` folds the next chunk's
  partial in. Settings, subscriptions and options travel inside the job; the engines, emulators and
  translations built from them are kept per process (`_JOBS`), so a worker builds them once per job,
  never per event.
* **Execution** (`execute`). Partials come back in chunk order, with a bounded number of chunks in flight
  (memory stays flat), from this process (`executor=None`) or from any `concurrent.futures.Executor`:
  a `ProcessPoolExecutor` for `--workers N` (`workers_executor`), or a Dask client's executor.
  One process and N processes compute the same partials and fold them in the same order, so the results
  (report.json included) are identical whatever the number of workers.
* **Repeated messageIds** (`Duplicates`). A worker cannot know which ids the chunks before its own held,
  so partials carry their events' messageIds and the main process runs the one bounded window
  (`events.DEDUPE_WINDOW`) over them in chunk order: the counts and examples are those of a single pass.
  `--dedupe` needs the answer before replaying: a first, parse-only pass over the chunks finds the
  duplicates (`find_duplicates`), and every replay pass gets, per chunk, the positions of the events to
  drop (`Chunk.drop`).
"""

from __future__ import annotations

import io
import os
import uuid
from collections import OrderedDict, deque
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable, Iterable, Iterator

from migrate.errors import BadInput
from migrate.events import (_READ_ERRORS, GZIP_MAGIC, MAX_DUPLICATE_EXAMPLES, MAX_LINE_BYTES, ReadStats, Skip,
                            _file_size, _open, _RecentIds, detect_format, iter_line_range, iter_stream, read_error)
from migrate.inputs import display_name, expand_inputs, is_url

__all__ = ["CHUNK_LINES", "Chunk", "plan", "read_chunk", "Job", "Partial", "execute", "fold", "Duplicates",
           "find_duplicates", "default_workers", "workers_executor", "input_size", "run_lines", "verify_event",
           "CompareSetup", "ModeSetup", "FirstPass", "VerifyPass", "FinalPass", "ActionsRun", "ClassicRun",
           "SnapshotRecords"]

# Lines per chunk. Small enough that a chunk's partial (for `actions run`, its output lines) stays a few
# megabytes, large enough that shipping the job and the partial costs little next to the replay itself.
CHUNK_LINES = 1_000


@lru_cache(maxsize=1)
def _long_line(limit: int) -> bytes:
    """A stand-in for a line longer than `limit` bytes read by the main process: the reader skips it as too long.
    Made on the first overlong line (4 MB that nearly every run never needs), then kept."""
    return b" " * (limit + 1) + b"\n"


_SCAN_BLOCK = 1 << 20


@dataclass(frozen=True)
class Chunk:
    """A run of input lines any process can read on its own (picklable)."""

    index: int  # position in the whole input, 0-based: partials are folded in this order
    name: str  # the file's name in messages ("<stdin>" for standard input)
    path: str | None = None  # a file to read (None when `data` holds the lines)
    start: int = 0  # byte range [start, end) of a plain JSON Lines file
    end: int | None = None
    first_line: int = 1  # the number of the chunk's first line in its file
    data: bytes | None = None  # the lines themselves (gzip, standard input, pipes)
    whole: bool = False  # the whole file through the reader (JSON array, batch, pretty-printed objects)
    position: int | None = None  # input bytes consumed once this chunk is done (progress)
    drop: frozenset = frozenset()  # positions (among the chunk's events) of events `--dedupe` drops


# ------------------------------------------------------------------------------------------------ planning


def input_size(paths: list[str]) -> int | None:
    """Bytes of all inputs when every one is a regular file (progress), else None."""
    sizes = [None if p == "-" else _file_size(p) for p in paths]
    return None if None in sizes else sum(sizes)


def plan(paths: Iterable[str], *, names: dict[str, str] | None = None, chunk_lines: int | None = None,
         drops: dict[int, frozenset] | None = None) -> Iterator[Chunk]:
    """The chunks of the input, in order; lazy (a gzip file or standard input is read as the chunks are
    taken). `names`: the name to report for a path; `drops`: chunk index -> events to drop (`--dedupe`)."""
    lines = chunk_lines or CHUNK_LINES
    if lines < 1:
        raise ValueError("chunk_lines must be at least 1")
    index = 0
    done = 0
    for path in paths:
        path = str(path)
        name = (names or {}).get(path) or ("<stdin>" if path == "-" else display_name(path))
        size = None if path == "-" else _file_size(path)
        for chunk in _plan_file(path, name, lines, size):
            position = None if chunk.position is None else done + chunk.position
            yield replace(chunk, index=index, position=position,
                          drop=(drops or {}).get(index, frozenset()))
            index += 1
        done += size or 0


def _plan_file(path: str, name: str, lines: int, size: int | None) -> Iterator[Chunk]:
    if is_url(path):
        # A remote object (an S3 archive file) is one chunk that a worker reads itself, wherever it runs:
        # cutting it here would mean downloading it here (gzip cannot be cut without reading it).
        yield Chunk(0, name, path=path, whole=True, position=size)
        return
    if path != "-" and size is not None:
        stream, raw = _open(path)
        try:
            gzipped = raw.peek(2)[:2] == GZIP_MAGIC
            shape = detect_format(stream)
        except _READ_ERRORS as exc:
            raise read_error(name, exc, "the start of the file") from None
        finally:
            stream.close()
        if shape != "json-lines":
            yield Chunk(0, name, path=path, whole=True, position=size)
        elif gzipped:
            yield from _plan_stream(path, name, lines, known_lines=True)
        else:
            yield from _plan_ranges(path, name, lines, size)
        return
    yield from _plan_stream(path, name, lines)  # standard input, a pipe, a device


def _plan_ranges(path: str, name: str, lines: int, size: int) -> Iterator[Chunk]:
    """Byte ranges of `lines` lines each (the last one may be shorter) of a plain file.

    Newlines are found one by one (`find`, a memchr): a bounded cost per line whatever its length. Counting
    the rest of the block before every chunk, as before, scanned the block again per chunk at a slower
    byte rate (the same ranges come out)."""
    start = 0
    first_line = 1
    count = 0  # newlines since `start`
    offset = 0  # of `block` in the file
    with open(path, "rb") as fh:
        while True:
            block = fh.read(_SCAN_BLOCK)
            if not block:
                break
            find = block.find
            at = find(b"\n") + 1  # just past the newline found; 0: none left in the block
            while at:
                count += 1
                if count == lines:
                    end = offset + at
                    yield Chunk(0, name, path=path, start=start, end=end, first_line=first_line, position=end)
                    start, first_line, count = end, first_line + lines, 0
                at = find(b"\n", at) + 1
            offset += len(block)
    if start < offset or first_line == 1:  # the rest, or an empty file (still one chunk: it is reported)
        yield Chunk(0, name, path=path, start=start, end=offset, first_line=first_line, position=offset)


def _read_line(stream) -> bytes:
    line = stream.readline(MAX_LINE_BYTES + 1)
    if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
        while line and not line.endswith(b"\n"):
            line = stream.readline(MAX_LINE_BYTES)
        return _long_line(MAX_LINE_BYTES)
    return line


def _plan_stream(path: str, name: str, lines: int, known_lines: bool = False) -> Iterator[Chunk]:
    """Read by this process (gzip, standard input, pipes): each chunk carries its lines."""
    stream, raw = _open(path)
    is_file = path != "-"
    read_lines = 0
    try:
        buf: list[bytes] = []
        if not known_lines:
            # the shape from the first two lines; a document (not cut by lines) makes one chunk of it all
            for _ in range(2):
                line = _read_line(stream)
                if line:
                    buf.append(line)
            head = b"".join(buf)
            if head[:1] == b"[" or detect_format(io.BufferedReader(io.BytesIO(head))) != "json-lines":
                yield Chunk(0, name, data=head + stream.read(), whole=True, position=_tell(raw, is_file))
                return
            read_lines = len(buf)
        first_line = 1
        while True:
            if len(buf) >= lines:
                yield Chunk(0, name, data=b"".join(buf[:lines]), first_line=first_line,
                            position=_tell(raw, is_file))
                first_line += lines
                buf = buf[lines:]
                continue
            line = _read_line(stream)
            if not line:
                break
            buf.append(line)
            read_lines += 1
        if buf or first_line == 1:
            yield Chunk(0, name, data=b"".join(buf), first_line=first_line, position=_tell(raw, is_file))
    except _READ_ERRORS as exc:
        raise read_error(name, exc, f"line {read_lines}" if read_lines else "the start of the file") from None
    finally:
        if is_file:
            stream.close()


def _tell(raw, is_file: bool) -> int | None:
    if not is_file:
        return None
    try:
        return raw.tell()
    except (OSError, ValueError):
        return None


# ------------------------------------------------------------------------------------------------ reading


def read_chunk(chunk: Chunk, stats: ReadStats, *, strict: bool = False) -> Iterator[tuple[int, dict]]:
    """(position among the chunk's events, event) for every event of the chunk, dropped ones included.
    Skipped lines are counted in `stats` (strict: BadInput at the first)."""
    return enumerate(_chunk_events(chunk, stats, strict))


def _chunk_events(chunk: Chunk, stats: ReadStats, strict: bool) -> Iterator[dict]:
    """Every event of the chunk, dropped ones included: `read_chunk` without the positions."""
    name = chunk.name
    if name not in stats.files:
        stats.files.append(name)

    def skip(item: Skip) -> None:
        if strict:
            raise BadInput(item.file, item.line, item.reason)
        stats.add_skip(item)

    if chunk.whole:
        if chunk.data is not None:
            events = iter_stream(name, io.BufferedReader(io.BytesIO(chunk.data)), stats, skip)
        else:
            stream, _raw = _open(chunk.path)
            events = _closing(iter_stream(name, stream, stats, skip), stream)
    else:
        data = chunk.data
        if data is None:
            try:
                with open(chunk.path, "rb") as fh:
                    fh.seek(chunk.start)
                    data = fh.read((chunk.end or 0) - chunk.start) if chunk.end is not None else fh.read()
            except OSError as exc:
                raise read_error(name, exc, f"line {chunk.first_line - 1}" if chunk.first_line > 1
                                 else "the start of the file") from None
        events = iter_line_range(name, io.BytesIO(data), stats, skip, chunk.first_line)
    return events


def _closing(events, stream):
    try:
        yield from events
    finally:
        stream.close()


def message_id(event: dict) -> str | None:
    mid = event.get("messageId")
    return mid if isinstance(mid, str) and mid else None


# ------------------------------------------------------------------------------------------------ jobs


class Partial:
    """What one chunk contributes: read figures, routing counts, messageIds and the job's aggregates.
    Subclasses add their aggregates and extend `merge`."""

    def __init__(self):
        self.read = ReadStats()
        self.router = None  # a runner.Router holding this chunk's routing counts, when the job routes
        self.ids: list | None = None  # messageIds of the chunk's events, in order (None: not collected)
        self.name = ""
        self.index = 0
        self.position: int | None = None

    @property
    def events(self) -> int:
        return self.read.read

    def merge(self, other: "Partial") -> "Partial":
        """Fold in the partial of the chunk that follows. Returns self."""
        self.read.merge(other.read)
        if other.router is not None:
            if self.router is None:
                self.router = other.router
            else:
                self.router.merge(other.router)
        self.index, self.position = other.index, other.position
        self.ids = None  # messageIds are consumed chunk by chunk (Duplicates), never accumulated
        return self


class Job:
    """A command's replay of one chunk. Picklable: what a worker needs (settings, subscriptions, options)
    travels with it; what is built from that (engines, emulators) is cached per process under `key`."""

    partial_type = Partial
    strict = False
    collect_ids = False

    def __init__(self):
        self.key = uuid.uuid4().hex
        self._local: dict = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_local"] = {}
        return state

    def local(self, name: str, build: Callable):
        """A value built once per process (an engine, an emulator) and reused for every chunk."""
        value = self._local.get(name)
        if value is None:
            value = self._local[name] = build()
        return value

    def map(self, chunk: Chunk) -> Partial:
        partial = self.partial_type()
        partial.name, partial.index, partial.position = chunk.name, chunk.index, chunk.position
        stats = partial.read
        ids = partial.ids = [] if self.collect_ids else None
        drop = chunk.drop
        self.begin(partial)
        step = self.stepper()
        events = _chunk_events(chunk, stats, self.strict)
        if drop:  # `--dedupe`: the events at these positions are not replayed
            for ordinal, event in enumerate(events):
                if ids is not None:
                    mid = event.get("messageId")  # `message_id(event)`, inline
                    ids.append(mid if isinstance(mid, str) and mid else None)
                if ordinal in drop:
                    continue
                stats.read += 1
                step(partial, event)
        elif ids is not None:  # every event replayed, its messageId collected: the events read are the ids
            collect = ids.append
            for event in events:
                mid = event.get("messageId")  # `message_id(event)`, inline
                collect(mid if isinstance(mid, str) and mid else None)
                step(partial, event)
            stats.read += len(ids)
        else:
            read = 0
            for event in events:
                read += 1
                step(partial, event)
            stats.read += read
        self.end(partial)
        return partial

    def stepper(self) -> Callable:
        """The function `map` calls per event: `step`, or a job's closure built once per process."""
        return self.step

    def begin(self, partial: Partial) -> None:
        """Before the chunk's first event."""

    def step(self, partial: Partial, event: dict) -> None:
        """One event: replay it and add it to the partial."""

    def end(self, partial: Partial) -> None:
        """After the chunk's last event."""


class IdsJob(Job):
    """Only the messageIds (the `--dedupe` pass)."""

    collect_ids = True


# ------------------------------------------------------------------------------------------------ execution

_JOBS: "OrderedDict[str, Job]" = OrderedDict()  # per process: the jobs seen, with what they built
_MAX_JOBS = 8


def _map_chunk(job: Job, chunk: Chunk) -> Partial:
    """Run in a worker: the job as first received there (engines built once per process)."""
    cached = _JOBS.get(job.key)
    if cached is None:
        cached = _JOBS[job.key] = job
        while len(_JOBS) > _MAX_JOBS:
            _JOBS.popitem(last=False)
    else:
        _JOBS.move_to_end(job.key)
    return cached.map(chunk)


def execute(job: Job, chunks: Iterable[Chunk], executor: Executor | None = None, *,
            window: int | None = None) -> Iterator[Partial]:
    """The partials of `chunks`, in chunk order. `executor=None`: in this process, one chunk at a time;
    otherwise submitted to `executor` with at most `window` chunks in flight (default: twice the
    executor's workers). An input of a single chunk always runs in this process.

    Errors come in input order too: a chunk's error (a `--strict` skip, an unreadable file) is raised
    when its turn comes, after the partials of every chunk before it."""
    it = iter(chunks)
    if executor is None:
        for chunk in it:
            yield job.map(chunk)
        return
    head: list[Chunk] = []
    planning_error: BaseException | None = None
    try:
        for chunk in it:
            head.append(chunk)
            if len(head) == 2:
                break
    except Exception as exc:  # noqa: BLE001 - re-raised in input order below
        planning_error = exc
    if len(head) < 2 and planning_error is None:
        for chunk in head:
            yield job.map(chunk)
        return
    limit = window or max(2, 2 * (getattr(executor, "_max_workers", None) or default_workers()))
    pending: deque = deque(executor.submit(_map_chunk, job, chunk) for chunk in head)
    exhausted = planning_error is not None
    try:
        while pending or not exhausted:
            while not exhausted and len(pending) < limit:
                try:
                    chunk = next(it)
                except StopIteration:
                    exhausted = True
                    break
                except Exception as exc:  # noqa: BLE001 - the chunks before it come first
                    planning_error, exhausted = exc, True
                    break
                pending.append(executor.submit(_map_chunk, job, chunk))
            if pending:
                yield pending.popleft().result()
        if planning_error is not None:
            raise planning_error
    finally:
        for future in pending:
            future.cancel()


def fold(partials: Iterable[Partial], on_partial: Callable[[Partial], None] | None = None) -> Partial | None:
    """Merge partials left to right; `on_partial` sees each one first (progress, output, duplicates)."""
    total = None
    for partial in partials:
        if on_partial is not None:
            on_partial(partial)
        total = partial if total is None else total.merge(partial)
    return total


class Duplicates:
    """Repeated messageIds over the whole input, fed chunk by chunk in order (one bounded window)."""

    def __init__(self, stats: ReadStats):
        self.stats = stats
        self.recent = _RecentIds()

    def feed(self, ids: list, name: str) -> frozenset:
        """Count the repeats among one chunk's ids; returns their positions in the chunk."""
        if self.recent.add_new(ids):  # nearly every chunk: no id seen before, none twice
            return frozenset()
        found = []
        stats = self.stats
        repeat = self.recent.repeat
        for position, mid in enumerate(ids):
            if mid is not None and repeat(mid):
                stats.duplicates += 1
                if len(stats.duplicate_examples) < MAX_DUPLICATE_EXAMPLES:
                    stats.duplicate_examples.append({"messageId": mid[:200], "file": name})
                found.append(position)
        return frozenset(found)


def find_duplicates(paths: list[str], stats: ReadStats, executor: Executor | None = None, *,
                    names: dict | None = None, chunk_lines: int | None = None) -> dict[int, frozenset]:
    """The `--dedupe` pass: chunk index -> positions of the events repeating an earlier messageId. The
    duplicate figures go into `stats`."""
    dupes = Duplicates(stats)
    drops: dict[int, frozenset] = {}
    for partial in execute(IdsJob(), plan(paths, names=names, chunk_lines=chunk_lines), executor):
        found = dupes.feed(partial.ids, partial.name)
        if found:
            drops[partial.index] = found
    return drops


# ------------------------------------------------------------------------------------------------ workers


def default_workers() -> int:
    """The cores this process may use."""
    count = getattr(os, "process_cpu_count", None)
    if count is not None:
        return count() or 1
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class _LazyPool(Executor):
    """A ProcessPoolExecutor started on the first submit: a run of one chunk starts no process (nor imports
    multiprocessing)."""

    def __init__(self, workers: int):
        self._max_workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, fn, /, *args, **kwargs):
        if self._pool is None:
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(max_workers=self._max_workers)
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
            self._pool = None


@contextmanager
def workers_executor(workers: int | None):
    """The executor for `--workers N`: None (this process) for 1, else a process pool of N workers
    (started only when the input has more than one chunk). None: the machine's cores."""
    n = default_workers() if workers is None else workers
    if n < 1:
        raise ValueError("--workers must be at least 1")
    if n == 1:
        yield None
        return
    pool = _LazyPool(n)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()


# ------------------------------------------------------------------------------------------------ the event step
#
# One event: route → classic → every Actions variant → canonical records (`runner.Runner`) → diff
# (`differ.diff_event`) with the event's impact context → the aggregates of the pass.


def outcome(run, variant: str, ctx=None):
    """The diff of one variant against classic for one event, errors included."""
    differ = (_MODULES or _compare_modules())[0]
    vrun = run.variants[variant]
    result = differ.diff_event(run.classic_records, vrun.records, ctx, classic_comparable=run.classic_comparable())
    for message in vrun.errors:
        result.differences.append(differ.Difference("error", f"actions: {message}", counts=False))
    if run.classic_error:
        result.differences.append(differ.Difference("error", f"classic: {run.classic_error}", counts=True))
    return result


# (migrate.differ, migrate.findings, migrate.detect): what the compare passes use for every event, imported
# when the first one runs (the other commands never need them) and then looked up once per use, not imported
# again per event. Their names are read from the modules at each use, so a patched one is seen.
_MODULES: tuple | None = None


def _compare_modules() -> tuple:
    global _MODULES
    from migrate import detect, differ, findings

    _MODULES = (differ, findings, detect)
    return _MODULES


def impact_context(event: dict, mode: str):
    """The event's `ImpactContext`: its mode and the address Segment received it from. Kept per (mode, address)
    for the events that follow (bounded): an event's diffs are worked out under one context."""
    ctx = event.get("context")
    ip = ctx.get("ip") if isinstance(ctx, dict) else None
    ip = ip if isinstance(ip, str) and ip else None
    key = (mode, ip)
    found = _CONTEXTS.get(key)
    if found is None:
        from migrate.impact import ImpactContext

        if len(_CONTEXTS) >= _MAX_CONTEXTS:
            _CONTEXTS.clear()
        found = _CONTEXTS[key] = ImpactContext(mode=mode, event_ip=ip)
    return found


_CONTEXTS: dict = {}
_MAX_CONTEXTS = 4096


def _has(subs, key, value=None) -> bool:
    for s in subs:
        v = (s.get("mapping") or {}).get(key)
        if v and (value is None or v == value):
            return True
    return False


class ModeSetup:
    """Everything one connection mode needs: the emulator, the translation and the subscriptions."""

    def __init__(self, mode: str, settings, classic_settings_doc, options: dict, user_subs):
        import classic

        from migrate.translate import translate

        self.mode = mode
        self.emulator = classic.Emulator(settings, mode=mode, options=options)
        # a device-mode upload as its records, not a request whose JSON body is parsed straight back
        from migrate.canonical import sdk_record

        self.emulator.upload_records = sdk_record
        naming = self.emulator.options.get("page_naming", "viewed")
        self.translation = translate(classic_settings_doc, mode=mode, page_naming=naming)
        self.primary_subs = user_subs if user_subs is not None else self.translation.subscriptions
        self.recommended_subs = self.primary_subs
        self.events = 0

    def engine(self, subs, *, lazy: bool = False):
        import actions

        return actions.Engine(settings=self.translation.settings, subscriptions=subs, lazy=lazy)

    def lazy_engine(self, subs):
        """An engine compiling each mapping when it first runs (the verification pass: many subscriptions,
        of which a reused or never-matching one never runs)."""
        return self.engine(subs, lazy=True)


class CompareSetup:
    """What every pass of `compare` needs (picklable): classic settings, options, subscriptions, routing.
    The per-mode emulators and translations are built once per process (`mode`)."""

    def __init__(self, settings, classic_settings_doc, options: dict, user_subs, presets, route_mode: str,
                 source_modes: dict | None, export: tuple | None = None):
        self.settings = settings
        self.classic_settings_doc = classic_settings_doc
        self.options = options
        self.user_subs = user_subs
        self.presets = presets
        self.route_mode = route_mode
        self.source_modes = dict(source_modes or {})
        self.export = export  # (event paths, export path): the classic side from the team's export
        self.export_counts = None
        # a directory for what the first pass keeps for the later ones (`migrate.kept`), or None
        self.keep_dir: str | None = None
        self._modes: dict[str, ModeSetup] = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_modes"] = {}
        return state

    def router(self):
        from migrate.runner import Router

        return Router(self.route_mode, self.source_modes)

    def mode(self, m: str) -> ModeSetup:
        ms = self._modes.get(m)
        if ms is None:
            ms = self._modes[m] = ModeSetup(m, self.settings, self.classic_settings_doc, self.options,
                                            self.user_subs)
            if self.export is not None:
                # the classic side: the team's Amplitude export where it covers an event, else the emulator
                from migrate.calibration import ExportBackedClassic, covered_records, merge_export_counts

                paths, export_path = self.export
                select = self.router()  # its own: routing counts warnings
                covered, counts = covered_records(self.settings, paths, export_path, mode=m,
                                                  options=ms.emulator.options,
                                                  select=lambda event: select.route(event)[1] == m)
                self.export_counts = merge_export_counts(self.export_counts, counts)
                ms.emulator = ExportBackedClassic(ms.emulator, covered)
        return ms

    def side_counts(self) -> tuple[int, int]:
        return (sum(getattr(ms.emulator, "from_export", 0) for ms in self._modes.values()),
                sum(getattr(ms.emulator, "emulated", 0) for ms in self._modes.values()))


def _merge_by_mode(mine: dict, theirs: dict) -> None:
    for m, findings in theirs.items():
        if m in mine:
            mine[m].merge(findings)
        else:
            mine[m] = findings


class _CompareJob(Job):
    """A pass of `compare`: per event, classic and the pass's variants of the event's mode. With
    `setup.keep_dir`, the first pass keeps per chunk what the later passes can take instead of running it
    again (`migrate.kept`; `keeps`), and the later passes take it (`takes`)."""

    keeps = False
    takes = False

    def __init__(self, setup: CompareSetup, *, strict: bool = False):
        super().__init__()
        self.setup = setup
        self.strict = strict

    def engines(self, ms: ModeSetup) -> dict:
        raise NotImplementedError

    def runner(self, m: str):
        runner = self._local.get(m)
        if runner is None:
            from migrate.canonical import records_from_requests
            from migrate.runner import Runner

            ms = self.setup.mode(m)
            runner = self._local[m] = Runner(ms.emulator, self.engines(ms), records_from_requests)
        return runner

    def begin(self, partial: Partial) -> None:
        partial.router = self.setup.router()
        partial.kept = None
        directory = self.setup.keep_dir
        if directory is not None and (self.keeps or self.takes):
            from migrate.kept import KeptReader, KeptWriter

            path = os.path.join(directory, f"chunk-{partial.index}")
            partial.kept = KeptWriter(path) if self.keeps else KeptReader(path)

    def end(self, partial: Partial) -> None:
        kept = partial.kept
        partial.kept = None  # not part of the partial sent back
        if kept is not None:
            kept.close()

    def step(self, partial: Partial, event: dict) -> None:
        library, m = partial.router.route(event)
        runner = self.runner(m)
        kept = partial.kept
        if kept is None:
            run = runner.run(event)
        elif self.keeps:
            run = runner.run(event)
            kept.add(event, (run.classic_records, run.classic_reached, run.classic_error, runner.kept_pieces))
        else:
            run = runner.run(event, kept.take(event))
        self.feed(partial, event, library, m, run)

    def feed(self, partial, event, library, m, run) -> None:
        raise NotImplementedError


class FirstPassPartial(Partial):
    def __init__(self):
        super().__init__()
        self.variants: dict = {}  # "presets", "translated" -> VariantFindings
        self.per_mode: dict = {}  # mode -> translated VariantFindings (the evidence for its rules)
        self.sources = None
        self.detections = None
        self.modes: dict[str, int] = {}  # mode -> events
        self.side = [0, 0]  # classic side: events from the export, events emulated

    def merge(self, other: "FirstPassPartial") -> "FirstPassPartial":
        super().merge(other)
        for name, findings in other.variants.items():
            self.variants[name].merge(findings)
        _merge_by_mode(self.per_mode, other.per_mode)
        self.sources.merge(other.sources)
        if self.detections is None:
            self.detections = other.detections
        elif other.detections is not None:
            self.detections.merge(other.detections)
        for m, n in other.modes.items():
            self.modes[m] = self.modes.get(m, 0) + n
        self.side = [self.side[0] + other.side[0], self.side[1] + other.side[1]]
        return self


class FirstPass(_CompareJob):
    """Pass 1: classic vs the untouched presets and vs the translated (or the user's) subscriptions;
    detections; the figures of the input (skips, duplicates, modes, routing)."""

    partial_type = FirstPassPartial
    collect_ids = True
    keeps = True

    def __init__(self, setup: CompareSetup, labels: dict, *, strict: bool = False):
        super().__init__(setup, strict=strict)
        self.labels = labels  # "presets", "translated" -> label

    def engines(self, ms: ModeSetup) -> dict:
        return {"presets": ms.engine(self.setup.presets), "translated": ms.engine(ms.primary_subs)}

    def runner(self, m: str):
        """Presets and the translated (or the user's) set. When the two share subscriptions (equal as JSON),
        as two steps of one `StepRunner`: a shared subscription runs once per event, and one of the second set
        whose changed mapping keys resolve as the preset's did reuses the preset's output. Otherwise (the
        translated set shares none: every preset it keeps has other keys, whose values differ on nearly
        every event) one engine per set, whose type dispatch costs less than the per-subscription
        bookkeeping that would save nothing. Either way an event whose second-set records and errors are
        the presets' keeps the presets' diff (`feed`), and the engines are eager: a mapping that does not
        compile fails the pass before its first event, as before."""
        runner = self._local.get(m)
        if runner is None:
            from migrate.canonical import records_from_requests
            from migrate.runner import Runner, StepRunner, shared_subscriptions

            ms = self.setup.mode(m)
            variants = {"presets": self.setup.presets, "translated": ms.primary_subs}
            if shared_subscriptions(variants):
                runner = StepRunner(ms.emulator, variants, ms.engine, records_from_requests, keep="translated")
            else:
                runner = Runner(ms.emulator, self.engines(ms), records_from_requests, repeats=True,
                                keep="translated")
            self._local[m] = runner
        return runner

    def begin(self, partial: FirstPassPartial) -> None:
        from migrate.findings import SourceTable, VariantFindings

        super().begin(partial)
        partial.variants = {name: VariantFindings(label) for name, label in self.labels.items()}
        partial.sources = SourceTable()
        self._side0 = self.setup.side_counts()

    def end(self, partial: FirstPassPartial) -> None:
        super().end(partial)
        side = self.setup.side_counts()
        partial.side = [side[0] - self._side0[0], side[1] - self._side0[1]]

    def feed(self, partial: FirstPassPartial, event, library, m, run) -> None:
        _, findings, detect = _MODULES or _compare_modules()
        digest = findings.digest
        ctx = impact_context(event, m)
        partial.modes[m] = partial.modes.get(m, 0) + 1
        classic_records = run.classic_records
        previous = None  # (diff, digest) of the variant before
        for name, agg in partial.variants.items():
            records = run.variants[name].records
            if previous is not None and name in run.repeats:
                # the same records and errors as the variant before: the same diff, counted the same
                result, digested = previous
            else:
                result = outcome(run, name, ctx)
                digested = digest(result) if result.differences else None  # one digest for both findings
            previous = (result, digested)
            agg.add(event, result, classic_records, records, digested)
            partial.sources.add(library, m, name, result, first=name == "presets", digested=digested)
            if name == "translated":
                per_mode = partial.per_mode.get(m)
                if per_mode is None:
                    per_mode = partial.per_mode[m] = findings.VariantFindings(self.labels["translated"])
                per_mode.add(event, result, classic_records, records, digested)
        if partial.detections is None:
            subs = self.setup.mode(m).primary_subs
            partial.detections = detect.Detections(min_id_length_set=_has(subs, "min_id_length"),
                                            batch_endpoint_set=_has(subs, "use_batch_endpoint", True))
        partial.detections.observe(event, run, "translated")


class VerifyPartial(Partial):
    def __init__(self):
        super().__init__()
        self.steps: dict = {}  # mode -> step name -> StepFigures (cumulative steps)
        # mode -> step name -> subscription -> [events, changed, mappable chart before, after, exact before,
        # after, events it newly fires for]
        self.per_sub: dict = {}
        self.overall = None  # VariantFindings of each mode's last step (or its base set), all modes
        self.by_mode: dict = {}  # the same per mode
        self.sources = None
        # mode -> (position in the last step, subscription version) pairs seen to send something else than
        # the last step's subscription there (`runner.same_outputs`)
        self.differed: dict = {}

    def merge(self, other: "VerifyPartial") -> "VerifyPartial":
        super().merge(other)
        for m, pairs in other.differed.items():
            self.differed[m] = self.differed.get(m, set()) | pairs
        for m, aggs in other.steps.items():
            for name, findings in aggs.items():
                self.steps[m][name].merge(findings)
        for m, by_step in other.per_sub.items():
            for name, rows in by_step.items():
                mine = self.per_sub[m][name]
                for sub, row in rows.items():
                    slot = mine.setdefault(sub, [0] * len(row))
                    for i, n in enumerate(row):
                        slot[i] += n
        self.overall.merge(other.overall)
        _merge_by_mode(self.by_mode, other.by_mode)
        self.sources.merge(other.sources)
        return self


class VerifyPass(_CompareJob):
    """Pass 2: per mode, the recommendation steps applied cumulatively on top of its translated set, all in
    one pass, with the starting set as "base". A step re-runs only the subscriptions it changed, on the events
    their triggers match (`migrate.runner.StepRunner`), and keeps only the figures it is judged by
    (`StepFigures`). `steps`: mode -> [(title, subscriptions), ...]."""

    partial_type = VerifyPartial
    takes = True

    def __init__(self, setup: CompareSetup, steps: dict, label: str):
        super().__init__(setup)
        self.steps = steps
        self.label = label
        self.names = {m: [f"step{i}" for i in range(len(found))] for m, found in steps.items()}

    def variants(self, ms: ModeSetup) -> dict:
        variants = {"base": ms.primary_subs}
        if ms.mode in self.steps:
            variants.update({n: subs for n, (_, subs) in zip(self.names[ms.mode], self.steps[ms.mode])})
        return variants

    def runner(self, m: str):
        runner = self._local.get(m)
        if runner is None:
            from migrate.canonical import records_from_requests
            from migrate.runner import StepRunner

            ms = self.setup.mode(m)
            names = self.names.get(m)
            runner = self._local[m] = StepRunner(ms.emulator, self.variants(ms), ms.lazy_engine,
                                                 records_from_requests, track=names[-1] if names else None)
        return runner

    def end(self, partial: VerifyPartial) -> None:
        super().end(partial)
        # which versions of the last step's subscriptions sent something else on this chunk's events
        for m, runner in self._local.items():
            pairs = runner.take_differed() if hasattr(runner, "take_differed") else None
            if pairs is not None:
                partial.differed[m] = pairs

    def begin(self, partial: VerifyPartial) -> None:
        from migrate.findings import SourceTable, StepFigures, VariantFindings

        super().begin(partial)
        partial.steps = {m: {n: StepFigures(title) for n, (title, _) in zip(self.names[m], found)}
                         for m, found in self.steps.items()}
        partial.per_sub = {m: {n: {} for n in self.names[m]} for m in self.steps}
        partial.overall = VariantFindings(self.label)
        partial.sources = SourceTable()

    def feed(self, partial: VerifyPartial, event, library, m, run) -> None:
        verify_event(partial, event, library, m, run, self.names.get(m, ()), self.label)


def verify_event(partial: VerifyPartial, event, library, m, run, step_names, label) -> None:
    """The verification step for one event: every step's findings, each step against the one before it per
    subscription, and the last step's (or, for a mode without recommendations, its base set's) as the mode's
    recommended figures.

    The variants are the base set then the steps, in order (`VerifyPass.variants`). One walk over them: a step
    that left this event's records and errors as they were (`run.repeats`) keeps the diff before it with what
    was counted of it, so each distinct diff is diffed and summarised once (`findings.step_summary`, kept with
    the diff for `StepFigures.add`, which also holds the per-subscription row figures). Only the diff the
    mode's findings count (the last step's) is digested, first, and its summary read from the digest; the
    others' summaries skip what only findings need."""
    findings = (_MODULES or _compare_modules())[1]
    ctx = impact_context(event, m)
    variants = run.variants
    repeats = run.repeats
    final = "base"  # the variant whose diff the last step keeps
    for name in reversed(step_names):
        if name not in repeats:
            final = name
            break
    result = outcome(run, "base", ctx)
    if final == "base" and result.differences:
        findings.digest(result)
    if step_names:
        summary_of = findings.step_summary
        classic_records = run.classic_records
        steps, rows_by_step = partial.steps.get(m), partial.per_sub.get(m)
        before = variants["base"]
        summary = summary_of(result)
        mappable_before, unmatched_before = summary[7], not summary[1]
        fired_before = {f["subscription"] for f in before.fired}
        for name in step_names:
            now = variants[name]
            if name in repeats:
                # the same records and errors as the variant before: its diff, counted the same
                changed = False
                mappable, unmatched = mappable_before, unmatched_before
            else:
                result = outcome(run, name, ctx)
                if name == final and result.differences:
                    findings.digest(result)
                summary = summary_of(result)
                mappable, unmatched = summary[7], not summary[1]
                changed = before.records != now.records or before.errors != now.errors
            steps[name].add(event, result, classic_records, now.records)  # counts the summary kept with the diff
            fired = {f["subscription"] for f in now.fired}
            rows = rows_by_step[name]
            for sub in fired_before | fired:
                row = rows.get(sub)
                if row is None:
                    row = rows[sub] = [0] * 7
                row[0] += 1
                row[6] += sub not in fired_before  # events it fires for only from this step on
                row[1] += changed
                row[2] += mappable_before
                row[3] += mappable
                row[4] += unmatched_before
                row[5] += unmatched
            before, fired_before = now, fired
            mappable_before, unmatched_before = mappable, unmatched
    last = variants[step_names[-1] if step_names else "base"]
    digested = findings.digest(result) if result.differences else None  # one digest for both findings
    partial.overall.add(event, result, run.classic_records, last.records, digested)
    by_mode = partial.by_mode.get(m)
    if by_mode is None:
        by_mode = partial.by_mode[m] = findings.VariantFindings(label)
    by_mode.add(event, result, run.classic_records, last.records, digested)
    partial.sources.add(library, m, "recommended", result, first=False, digested=digested)


class FinalPartial(Partial):
    def __init__(self):
        super().__init__()
        self.final = None
        self.by_mode: dict = {}
        self.sources = None

    def merge(self, other: "FinalPartial") -> "FinalPartial":
        super().merge(other)
        self.final.merge(other.final)
        _merge_by_mode(self.by_mode, other.by_mode)
        self.sources.merge(other.sources)
        return self


class FinalPass(_CompareJob):
    """Pass 3 (only when a recommendation was dropped): the final recommended set of every mode alone.
    `recommended`: mode -> subscriptions."""

    partial_type = FinalPartial
    takes = True

    def __init__(self, setup: CompareSetup, recommended: dict, label: str):
        super().__init__(setup)
        self.recommended = recommended
        self.label = label

    def engines(self, ms: ModeSetup) -> dict:
        return {"recommended": ms.engine(self.recommended.get(ms.mode, ms.primary_subs))}

    def begin(self, partial: FinalPartial) -> None:
        from migrate.findings import SourceTable, VariantFindings

        super().begin(partial)
        partial.final = VariantFindings(self.label)
        partial.sources = SourceTable()

    def feed(self, partial: FinalPartial, event, library, m, run) -> None:
        findings = (_MODULES or _compare_modules())[1]
        result = outcome(run, "recommended", impact_context(event, m))
        records = run.variants["recommended"].records
        digested = findings.digest(result) if result.differences else None  # one digest for both findings
        partial.final.add(event, result, run.classic_records, records, digested)
        by_mode = partial.by_mode.get(m)
        if by_mode is None:
            by_mode = partial.by_mode[m] = findings.VariantFindings(self.label)
        by_mode.add(event, result, run.classic_records, records, digested)
        partial.sources.add(library, m, "recommended", result, first=False, digested=digested)


# ------------------------------------------------------------------------------------------------ actions run


class LinesPartial(Partial):
    """A chunk's output lines as UTF-8 bytes (written by the main process in chunk order, never accumulated)
    and counts. The lines stay the bytes orjson wrote (`json_line_bytes`) from the engine to the output file:
    never decoded to text and encoded again."""

    counters: tuple = ()

    def __init__(self):
        super().__init__()
        self.data = b""
        self.lines: list[bytes] = []
        for name in self.counters:
            setattr(self, name, 0)

    def merge(self, other: "LinesPartial") -> "LinesPartial":
        super().merge(other)
        self.data = b""
        for name in self.counters:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


class ActionsRunPartial(LinesPartial):
    counters = ("fired", "errors", "requests", "records", "failed")


class ActionsRun(Job):
    """`actions run`: every event through the engine, one JSON line each."""

    partial_type = ActionsRunPartial
    collect_ids = True

    def __init__(self, settings: dict, subscriptions: list, *, redact: bool = False, pii=None,
                 strict: bool = False):
        super().__init__()
        self.settings = settings
        self.subscriptions = subscriptions
        self.redact = redact
        self.pii = pii
        self.strict = strict

    def _engine(self):
        import actions

        return actions.Engine(settings=self.settings, subscriptions=self.subscriptions)

    def step(self, partial: ActionsRunPartial, event: dict) -> None:
        self.local("step", self._stepper)(partial, event)

    def stepper(self) -> Callable:
        return self.local("step", self._stepper)

    def _stepper(self):
        """The per-event work as one closure, built once per process: the engine, the normaliser, the
        masking and the line writer bound to locals (the same steps, in the same order, as written out
        in `step` before; the output is byte for byte the same)."""
        from migrate.canonical import records_from_request
        from migrate.config import json_line_bytes
        from migrate.masking import redact_request
        from migrate.run import engine_failure

        send = self._engine().send
        pii, redact = self.pii, self.redact

        def step(partial: ActionsRunPartial, event: dict) -> None:
            try:
                fired = send(event)
                records = []
                n_requests = 0
                for item in fired:
                    for request in item["requests"]:
                        n_requests += 1
                        records += records_from_request(request)  # a list: `+=` extends it
            except Exception as exc:  # one odd event must not stop a long run: written as data and counted
                partial.failed += 1
                line = {"messageId": event.get("messageId"), "fired": [], "records": [],
                        "error": engine_failure(exc)}
                partial.lines.append(json_line_bytes(pii.scrub(line) if pii is not None else line))
                return
            partial.fired += len(fired)
            for item in fired:
                if item.get("error"):
                    partial.errors += 1
                if redact:  # the engine's items are new on every call: masked in place
                    item["requests"] = list(map(redact_request, item["requests"]))
            partial.requests += n_requests
            partial.records += len(records)
            line = {"messageId": event.get("messageId"), "fired": fired, "records": records}
            partial.lines.append(json_line_bytes(pii.scrub(line) if pii is not None else line))

        return step

    def end(self, partial: LinesPartial) -> None:
        lines = partial.lines
        if lines:
            lines.append(b"")  # the last line's newline
        partial.data = b"\n".join(lines)
        partial.lines = []


# ------------------------------------------------------------------------------------------------ classic run

MAX_EVENT_SKIP_NOTES = 20  # events the emulator skipped, reported one by one (the rest are counted)


class ClassicRunPartial(LinesPartial):
    counters = ("skipped_events", "requests", "records", "failed")

    def __init__(self):
        super().__init__()
        self.not_sent: dict[str, int] = {}  # note -> events that sent nothing
        self.event_skips: list[tuple] = []  # (messageId, reason) of the first events the emulator skipped

    def merge(self, other: "ClassicRunPartial") -> "ClassicRunPartial":
        super().merge(other)
        for note, n in other.not_sent.items():
            self.not_sent[note] = self.not_sent.get(note, 0) + n
        self.event_skips = []
        return self


class ClassicRun(Job):
    """`classic run`: every event through the classic emulator, one JSON line each."""

    partial_type = ClassicRunPartial
    collect_ids = True

    def __init__(self, emulator, *, redact: bool = False, pii=None, strict: bool = False):
        super().__init__()
        self.emulator = emulator  # picklable; each process uses the copy it first received
        self.redact = redact
        self.pii = pii
        self.strict = strict

    def step(self, partial: ClassicRunPartial, event: dict) -> None:
        self.local("step", self._stepper)(partial, event)

    def stepper(self) -> Callable:
        return self.local("step", self._stepper)

    def _stepper(self):
        """The per-event work as one closure, built once per process: the emulator, the normaliser, the
        masking and the line writer bound to locals (imported once, not on every event)."""
        from migrate.canonical import records_from_requests
        from migrate.config import json_line_bytes
        from migrate.masking import redact_request
        from migrate.run import engine_failure

        send = self.emulator.send
        pii, redact = self.pii, self.redact

        def step(partial: ClassicRunPartial, event: dict) -> None:
            mid = event.get("messageId") if isinstance(event, dict) else None
            try:
                result = send(event)
                requests = result["requests"]
                records = result["records"]
                if records is None:
                    records = records_from_requests(requests)
            except Exception as exc:  # one odd event must not stop a long run: written as data and counted
                partial.failed += 1
                failed = {"messageId": mid, "requests": [], "records": [], "error": engine_failure(exc)}
                partial.lines.append(json_line_bytes(pii.scrub(failed) if pii is not None else failed))
                return
            line = {"messageId": mid, "requests": [redact_request(r) for r in requests] if redact else requests,
                    "records": records}
            if result.get("skipped"):
                partial.skipped_events += 1
                line["skipped"] = result["skipped"]
                if len(partial.event_skips) < MAX_EVENT_SKIP_NOTES:
                    partial.event_skips.append((mid, result["skipped"]))
            elif not records and result.get("note"):
                line["note"] = result["note"]
                partial.not_sent[result["note"]] = partial.not_sent.get(result["note"], 0) + 1
            partial.requests += len(requests)
            partial.records += len(records)
            partial.lines.append(json_line_bytes(pii.scrub(line) if pii is not None else line))

        return step

    end = ActionsRun.end


def run_lines(job: Job, paths: list[str], out, stats: ReadStats, executor: Executor | None = None, *,
              on_skip=None, progress=None, on_partial=None, chunk_lines: int | None = None):
    """`actions run` / `classic run`: the job over the input, each chunk's lines written in input order;
    read figures (skips, duplicates) into `stats`. Returns the folded partial (the counts)."""
    paths = expand_inputs(str(p) for p in paths)  # patterns and URL folders, listed once
    stats.size_total = input_size(paths)
    stats._size_done = 0
    duplicates = Duplicates(stats)

    write = out.write
    if hasattr(out, "encoding"):  # a text stream (binary ones have no encoding): the lines as text
        write = lambda data: out.write(data.decode("utf-8"))  # noqa: E731

    def seen(partial):
        write(partial.data)
        stats.absorb(partial.read, on_skip)
        duplicates.feed(partial.ids, partial.name)
        stats.at(partial.position)
        if on_partial is not None:
            on_partial(partial)
        if progress is not None:
            progress.advance(partial.events)

    total = fold(execute(job, plan(paths, chunk_lines=chunk_lines), executor), seen)
    if total is None:
        total = job.partial_type()
    return total


# ------------------------------------------------------------------------------------------------ snapshots


class SnapshotPartial(Partial):
    def __init__(self):
        super().__init__()
        self.entries: list[tuple] = []  # (messageId or None, entry) per event, in order


class SnapshotRecords(Job):
    """The snapshot plugin: per event, the canonical records of classic and/or Actions."""

    partial_type = SnapshotPartial
    strict = True

    def __init__(self, emulator=None, engine=None, pii=None):
        super().__init__()
        self.emulator = emulator
        self.engine = engine
        self.pii = pii

    def step(self, partial: SnapshotPartial, event: dict) -> None:
        from collections import OrderedDict as _OD

        from migrate.canonical import records_from_requests
        from migrate.runner import Runner

        runner = self.local("runner", lambda: Runner(self.emulator, {}, records_from_requests))
        entry = _OD(call=_call(event))
        if self.emulator is not None:
            records, reached, error = runner.classic(event)
            entry["classic"] = records
            if error:
                entry["classic_error"] = error
            if not reached:
                entry["classic_skipped"] = "integrations object disables Amplitude"
        if self.engine is not None:
            run = runner.actions(self.engine, event)
            entry["actions"] = run.records
            if run.errors:
                entry["actions_errors"] = run.errors
            if not run.reached:
                entry["actions_skipped"] = "integrations object disables Actions Amplitude"
        if self.pii is not None:
            entry = _OD(self.pii.scrub(entry))
        partial.entries.append((message_id(event), entry))


def _call(event: dict) -> str:
    kind = event.get("type")
    if kind == "track":
        return f"track {event.get('event')}"
    if kind in ("page", "screen"):
        name = " ".join(str(x) for x in (event.get("category"), event.get("name")) if x)
        return f"{kind} {name}".rstrip()
    return str(kind)
