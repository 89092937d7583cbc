"""Progress of long runs: log lines with total, rate and time left, a bar on a terminal, nothing when quiet."""

from __future__ import annotations

import gzip
import io
import json

import pytest
from click.testing import CliRunner

import migrate.progress as progress_module
from migrate.events import ReadStats, read_events
from migrate.progress import PassProgress, Progress


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progress_module.time, "monotonic", fake)
    return fake


def run(progress: Progress, clock: FakeClock, events: int, seconds_per_event: float) -> None:
    for _ in range(events):
        clock.now += seconds_per_event
        progress.advance()


def test_log_lines_every_interval_with_total_rate_and_time_left(clock):
    out = io.StringIO()
    with Progress("pass 2/2", total=10_000, stream=out, terminal=False, interval=5.0) as progress:
        run(progress, clock, 10_000, 0.002)  # 500 events/s: 20 s in all
    lines = out.getvalue().splitlines()
    assert 3 <= len(lines) <= 5  # every 5 s, then the last line
    assert lines[0].startswith("pass 2/2: 2,")
    assert "(of 10,000, 2" in lines[0] and "500 events/s" in lines[0] and "0:00:15 left" in lines[0]
    assert lines[-1] == "pass 2/2: 10,000 events, 500 events/s, done in 0:00:20"


def test_short_runs_and_quiet_runs_print_nothing(clock):
    out = io.StringIO()
    with Progress("actions run", stream=out, terminal=False) as progress:
        run(progress, clock, 1000, 0.001)  # one second: no line is due
    assert out.getvalue() == ""
    with Progress("actions run", stream=out, terminal=True, enabled=False) as progress:
        run(progress, clock, 10_000, 0.01)
    assert out.getvalue() == ""


def test_without_a_total_the_input_size_gives_the_share_done(clock, tmp_path):
    path = tmp_path / "events.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        for i in range(20_000):
            fh.write(json.dumps({"type": "track", "event": f"E{i}", "messageId": f"m-{i}-{i * 7919 % 10007}"}) + "\n")
    stats = ReadStats()
    out = io.StringIO()
    shares = []
    with Progress("actions run", stats=stats, stream=out, terminal=False, interval=1.0) as progress:
        for _ in read_events([str(path)], stats=stats):
            clock.now += 0.001
            progress.advance()
            shares.append(stats.position())
    assert stats.size_total == path.stat().st_size
    assert shares == sorted(shares) and 0 < shares[len(shares) // 2] < stats.size_total
    assert stats.position() == stats.size_total  # the file is done
    assert "% of the input)" in out.getvalue() and "left" in out.getvalue()


def test_terminal_bar_shows_share_rate_and_time_left(clock):
    out = io.StringIO()
    with Progress("pass 2/2", total=2000, stream=out, terminal=True) as progress:
        run(progress, clock, 2000, 0.001)
    text = out.getvalue().replace("\r", "\n")
    assert "pass 2/2: 100%|" in text and "2000/2000" in text and "events/s" in text


def test_compare_callback_knows_the_total_of_later_passes(clock):
    out = io.StringIO()
    callback = PassProgress(stream=out, terminal=False, interval=1.0)
    for label in ("pass 1/2: replay", "pass 2/2: verifying"):
        for n in range(1, 3001):
            clock.now += 0.001
            callback(label, n)
        callback(label, -3000)
    lines = out.getvalue().splitlines()
    first = [line for line in lines if line.startswith("pass 1/2")]
    second = [line for line in lines if line.startswith("pass 2/2")]
    assert first and "of " not in first[0]  # the first pass does not know how many events there are
    assert second and "(of 3,000," in second[0]
    assert second[-1].startswith("pass 2/2: verifying: 3,000 events") and "done in" in second[-1]


def test_actions_run_quiet_has_no_progress(tmp_path):
    from migrate.cli import main

    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps({"type": "track", "event": "E", "userId": f"user-{i}",
                                          "messageId": f"m{i}"}) + "\n" for i in range(300)))  # fmt: skip
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"apiKey": "fake-key-1234", "secretKey": "fake-secret-1234"}))
    for args in (["--quiet"], []):
        result = CliRunner().invoke(main, ["actions", "run", "--settings", str(settings), *args, str(events)])
        assert result.exit_code == 0, result.output
        assert "events/s" not in result.stderr  # quiet; and a short run in a log prints no line either
        assert result.stderr.startswith("300 events read")
