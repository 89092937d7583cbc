"""Drive the pinned real Amplitude (Actions) runtime (``runner.js``) from Python.

The runtime is installed with ``npm ci --ignore-scripts`` in this folder (see ``package.json``).
One ``node runner.js`` process is started per :class:`ReferenceRuntime` and fed JSON lines; a
writer thread feeds stdin while the caller reads stdout, so large outputs cannot deadlock the pipes.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Iterable, Iterator

REFERENCE_DIR = Path(__file__).resolve().parent
RUNNER = REFERENCE_DIR / "runner.js"
UA_PROBE = REFERENCE_DIR / "ua_probe.js"
NODE_MODULES = REFERENCE_DIR / "node_modules"

# runner.js freezes the clock here; groupIdentifyUser sends this as `time` when an event has none.
FROZEN_NOW_MS = 1710460800000  # 2024-03-15T00:00:00.000Z

INSTALL_HINT = "install it with: cd tests/reference && npm ci --ignore-scripts"
_REQUIRED_PACKAGES = ("@segment/action-destinations", "@segment/actions-core", "nock", "@amplitude/ua-parser-js")


class ReferenceRuntimeError(RuntimeError):
    """The reference process failed or answered something other than the protocol."""


def missing_reason() -> str | None:
    """Why the reference runtime cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not on PATH"
    for package in _REQUIRED_PACKAGES:
        if not (NODE_MODULES / package / "package.json").is_file():
            return f"reference runtime not installed ({package} missing in {NODE_MODULES}); {INSTALL_HINT}"
    return None


def reference_available() -> bool:
    return missing_reason() is None


def installed_version(package: str) -> str:
    """Version of a package in the reference node_modules (e.g. '@amplitude/ua-parser-js')."""
    manifest = NODE_MODULES / package / "package.json"
    return json.loads(manifest.read_text(encoding="utf-8"))["version"]


class _LineProcess:
    """A node script speaking one JSON line in, one JSON line out."""

    def __init__(self, script: Path):
        reason = missing_reason()
        if reason:
            raise ReferenceRuntimeError(reason)
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            ["node", str(script)],
            cwd=REFERENCE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            encoding="utf-8",
            bufsize=1 << 16,
        )

    def exchange(self, messages: list[dict]) -> list[dict]:
        """Send messages, return the answers in order."""
        failure: list[BaseException] = []

        def feed() -> None:
            try:
                for msg in messages:
                    self._proc.stdin.write(json.dumps(msg, ensure_ascii=False, allow_nan=False) + "\n")
                self._proc.stdin.flush()
            except BaseException as exc:  # surfaced by the reader below
                failure.append(exc)

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        answers = []
        for _ in messages:
            line = self._proc.stdout.readline()
            if not line:
                writer.join(timeout=5)
                raise ReferenceRuntimeError(f"reference process ended early: {self._stderr_tail()}")
            answers.append(json.loads(line))
        writer.join()
        if failure:
            raise ReferenceRuntimeError(f"writing to the reference process failed: {failure[0]!r}")
        return answers

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace")
        return text[-2000:] or "(no stderr)"

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                self._proc.stdin.close()
                self._proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()
        self._stderr.close()


class ReferenceRuntime:
    """The real destination, as a context manager::

        with ReferenceRuntime() as ref:
            fired_per_event = ref.run(settings, subscriptions, events)

    Each item of the result is the list of fired subscriptions for one event, in the engine's shape:
    ``{"subscription", "action", "requests": [{"method", "url", "headers", "body"}], "error"}``
    where ``body`` is the raw request body string.
    """

    def __init__(self, chunk_size: int = 250):
        self.chunk_size = chunk_size
        self._proc: _LineProcess | None = None
        self._ids = itertools.count()

    def __enter__(self) -> "ReferenceRuntime":
        self._proc = _LineProcess(RUNNER)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._proc is not None:
            self._proc.close()
            self._proc = None

    def _exchange(self, messages: list[dict]) -> list[dict]:
        if self._proc is None:
            raise ReferenceRuntimeError("ReferenceRuntime used outside its 'with' block")
        answers = self._proc.exchange(messages)
        for msg, answer in zip(messages, answers):
            if answer.get("id") != msg["id"] or "protocol_error" in answer:
                raise ReferenceRuntimeError(f"reference answered {answer!r} to message {msg['id']}")
            if "settings_error" in answer:
                raise ReferenceRuntimeError(f"settings rejected by the runtime: {answer['settings_error']}")
        return answers

    def iter_run(self, settings: dict, subscriptions: list[dict], events: Iterable[dict]) -> Iterator[dict]:
        """Stream events through; yields each answer ``{"id", "fired", "skipped"}`` in order."""
        it = iter(events)
        while True:
            chunk = list(itertools.islice(it, self.chunk_size))
            if not chunk:
                return
            messages = [
                {"id": next(self._ids), "settings": settings, "subscriptions": subscriptions, "event": event}
                for event in chunk
            ]
            yield from self._exchange(messages)

    def run(self, settings: dict, subscriptions: list[dict], events: Iterable[dict]) -> list[list[dict]]:
        """Fired subscriptions per event (subscriptions that do not match are not listed)."""
        return [answer["fired"] for answer in self.iter_run(settings, subscriptions, events)]

    def run_one(self, settings: dict, subscriptions: list[dict], event: dict) -> list[dict]:
        return self.run(settings, subscriptions, [event])[0]

    def presets(self) -> dict:
        """The destination's presets and every action's default mapping, as the runtime defines them."""
        (answer,) = self._exchange([{"id": next(self._ids), "command": "presets"}])
        return {"presets": answer["presets"], "defaults": answer["defaults"]}


def probe_user_agents(user_agents: Iterable[str | dict]) -> list[dict]:
    """What the pinned UA parser returns for each UA (see ua_probe.js for the shape)."""
    items = list(user_agents)
    proc = _LineProcess(UA_PROBE)
    try:
        # ua_probe answers without ids; order is preserved.
        return proc.exchange(items)
    finally:
        proc.close()
