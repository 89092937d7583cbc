"""Progress of long runs on stderr: a bar on a terminal, a plain line every few seconds elsewhere.

    with Progress("actions run", stats=stats, enabled=not quiet) as progress:
        for event in read_events(paths, stats=stats):
            ...
            progress.advance()

- On a terminal: a tqdm bar with the event count, the rate and, when the size of the work is known,
  the share done and the time left. The size is known either as a number of events (`total`, e.g. a
  second pass over the same input) or as the bytes of the input files (`stats`, from `ReadStats`:
  compressed bytes for gzip, so the share is an estimate).
- Elsewhere (CI logs, files): one line every `interval` seconds, and a last line when the run ends.
- Disabled (`--quiet`): nothing at all.

`advance` is called once per event, so it only counts; the clock is read every few hundred events.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress", "PassProgress"]

CHECK_EVERY = 256  # events between two looks at the clock
TERMINAL_REFRESH = 0.2  # seconds between two redraws of the bar
LOG_INTERVAL = 5.0  # seconds between two lines in a log


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


class Progress:
    """Progress of one pass over the events. `total`: events expected; `stats`: a ReadStats whose input
    size stands in for the total when the number of events is unknown."""

    def __init__(self, label: str, *, total: int | None = None, stats=None, enabled: bool = True,
                 stream: TextIO | None = None, interval: float = LOG_INTERVAL, terminal: bool | None = None):
        self.label = label
        self.total = total if total else None
        self.stats = stats
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.interval = interval
        self.terminal = self._isatty() if terminal is None else terminal
        self.count = 0
        self.start = time.monotonic()
        self._next_check = CHECK_EVERY
        self._last = self.start
        self._bar = None
        self._closed = False

    def _isatty(self) -> bool:
        try:
            return self.stream.isatty()
        except (AttributeError, ValueError):
            return False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def advance(self, n: int = 1) -> None:
        self.count += n
        if self.count >= self._next_check:
            self._next_check = self.count + CHECK_EVERY
            if self.enabled:
                self._tick(time.monotonic())

    def set_total(self, total: int | None) -> None:
        self.total = total if total else None

    # --- what is known about the size of the work

    def _fraction(self) -> float | None:
        if self.total:
            return min(1.0, self.count / self.total)
        if self.stats is not None and self.stats.size_total:
            position = self.stats.position()
            if position is not None:
                return min(1.0, position / self.stats.size_total)
        return None

    def _rate(self, now: float) -> float:
        elapsed = now - self.start
        return self.count / elapsed if elapsed > 0 else 0.0

    def line(self, now: float | None = None, final: bool = False) -> str:
        """The plain-text form: `label: 12,000 events (of 50,000, 24%), 4,100 events/s, 0:00:09 left`."""
        now = time.monotonic() if now is None else now
        rate = self._rate(now)
        text = f"{self.label}: {self.count:,} events"
        fraction = None if final else self._fraction()
        if self.total and not final:
            text += f" (of {self.total:,}, {fraction:.0%})"
        elif fraction is not None:
            text += f" ({fraction:.0%} of the input)"
        text += f", {rate:,.0f} events/s"
        if final:
            text += f", done in {_duration(now - self.start)}"
        elif fraction is not None and fraction > 0:
            text += f", {_duration((now - self.start) * (1 - fraction) / fraction)} left"
        return text

    # --- output

    def _tick(self, now: float) -> None:
        if self.terminal:
            if now - self._last >= TERMINAL_REFRESH:
                self._last = now
                self._draw(now)
        elif now - self._last >= self.interval:
            self._last = now
            print(self.line(now), file=self.stream, flush=True)

    def _counter_text(self, now: float) -> str:
        return f"{self.label}: {self.count:,} events, {self._rate(now):,.0f} events/s"

    def _draw(self, now: float) -> None:
        from tqdm import tqdm

        bar = self._bar
        if bar is None:
            if self.total:
                bar = tqdm(total=self.total, desc=self.label, unit=" events", file=self.stream, dynamic_ncols=True,
                           mininterval=0, smoothing=0, delay=1e-9)
            else:  # the bar follows the input bytes; the text gives events and events/s
                size = self.stats.size_total if self.stats is not None else None
                fmt = "{desc} {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]" if size else "{desc} [{elapsed}]"
                bar = tqdm(total=size or None, desc=self._counter_text(now), file=self.stream, dynamic_ncols=True,
                           mininterval=0, bar_format=fmt, smoothing=0, delay=1e-9)
            bar.start_t = bar._time() - (now - self.start)  # the run began before the first redraw (tqdm's clock)
            self._bar = bar
        if self.total:
            bar.update(self.count - bar.n)
            return
        if bar.total:
            bar.update((self.stats.position() or 0) - bar.n)
        bar.set_description_str(self._counter_text(now), refresh=False)
        bar.refresh()

    def close(self) -> None:
        """End the pass: the bar is completed, a log gets its last line (when the run lasted long enough
        to have shown progress at all)."""
        if self._closed:
            return
        self._closed = True
        if not self.enabled:
            return
        now = time.monotonic()
        if self._bar is not None:
            bar = self._bar
            if self.total:
                bar.update(self.count - bar.n)
            else:
                if bar.total:
                    bar.update(bar.total - bar.n)
                bar.set_description_str(self._counter_text(now), refresh=False)
            bar.close()
        elif not self.terminal and now - self.start >= self.interval:
            print(self.line(now, final=True), file=self.stream, flush=True)


class PassProgress:
    """The `progress(label, n)` callback of `compare`: one `Progress` per pass, n events so far, a negative
    n when the pass is over. A later pass over the same input knows its total from the pass before."""

    def __init__(self, *, enabled: bool = True, stream: TextIO | None = None, interval: float = LOG_INTERVAL,
                 terminal: bool | None = None):
        self.enabled = enabled
        self.options = {"stream": stream, "interval": interval, "terminal": terminal}
        self.current: Progress | None = None
        self.known_total: int | None = None

    def __call__(self, label: str, n: int) -> None:
        if not self.enabled:
            return
        if self.current is None or self.current.label != label:
            if self.current is not None:
                self.current.close()
            self.current = Progress(label, total=self.known_total, **self.options)
        if n < 0:
            self.current.advance(-n - self.current.count)
            self.current.close()
            self.known_total = -n
            self.current = None
            return
        self.current.advance(n - self.current.count)
