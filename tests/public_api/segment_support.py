"""Helpers shared by the Public API tests (a module name no other test folder uses)."""

import json
import pathlib
import threading

DATA = pathlib.Path(__file__).parent / "data"
TOKEN = "sgp_test_TOKEN_0123456789abcdef"


def load(name):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


class FakeClock:
    """A monotonic clock that only moves when someone sleeps: pacing and back-off cost no real time."""

    def __init__(self, start: float = 1000.0):
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds
