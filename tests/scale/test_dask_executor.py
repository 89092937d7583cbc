"""The Dask executor on its own: a local cluster, a running scheduler, and the errors before any work starts."""

from __future__ import annotations

import sys
import time

import pytest

from migrate.dask_backend import LOCAL_CLUSTER_CONFIG, DaskUnavailable, check_address, dask_executor, describe
from migrate.events import read_events
from migrate.inputs import MissingExtra, expand_inputs

pytestmark = pytest.mark.dask


def _count(url: str) -> tuple[str, int, list[str]]:
    # runs in a worker process: it reads the object itself, with the credentials of its own environment
    events = list(read_events([url]))
    return url, len(events), [e["messageId"] for e in events[:2]]


def test_local_cluster_workers_read_archive_chunks_themselves(archive):
    prefix, lines = archive
    files = expand_inputs([f"{prefix}*/*.gz"])
    with dask_executor(None, n_workers=2) as executor:
        assert describe(executor) == "Dask: 2 workers (2 threads) on a local cluster"
        futures = [executor.submit(_count, url) for url in files]
        results = [f.result() for f in futures]
        pids = set(executor.client.run(lambda: __import__("os").getpid()).values())
    assert [r[0] for r in results] == files
    assert sum(r[1] for r in results) == len(lines)
    assert len(pids) == 2 and __import__("os").getpid() not in pids  # separate processes


def _settings():
    import dask
    import distributed  # noqa: F401 - its defaults join dask's configuration when imported

    return {key: dask.config.get(key) for key in LOCAL_CLUSTER_CONFIG}


def test_a_local_cluster_runs_without_interactive_housekeeping():
    """The local cluster's processes run with LOCAL_CLUSTER_CONFIG (no stack profiler, slow ticks); this
    process's configuration is as it was afterwards."""
    before = _settings()
    assert before != LOCAL_CLUSTER_CONFIG  # Dask's defaults: the test would show nothing otherwise
    with dask_executor(None, n_workers=1) as executor:
        seen = executor.client.run(_settings)
        assert list(seen.values()) == [LOCAL_CLUSTER_CONFIG]
    assert _settings() == before


def test_a_running_scheduler_is_joined_and_left_running(scheduler):
    with dask_executor(scheduler) as executor:
        assert describe(executor) == f"Dask: 2 workers (2 threads) on {scheduler}"
        assert list(executor.map(pow, [2, 3], [10, 2])) == [1024, 9]
    with dask_executor(scheduler) as executor:  # the cluster outlives our client
        assert executor.submit(abs, -7).result() == 7


def test_an_unreachable_scheduler_is_a_clear_error_naming_it():
    start = time.monotonic()
    with pytest.raises(DaskUnavailable, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9 within 1 s"):
        with dask_executor("tcp://127.0.0.1:9", timeout=1):
            pass
    assert time.monotonic() - start < 30


def test_without_the_extra_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingExtra, match=r"--dask needs the dask extra: pip install 'amplitude-migrate\[dask\]'"):
        with dask_executor(None):
            pass


@pytest.mark.parametrize("value", ["tcp://10.0.0.5:8786", "10.0.0.5:8786", "tls://sched.internal:8786",
                                   "[::1]:8786", "sched:8786/"])
def test_scheduler_addresses(value):
    assert check_address(value) == value


@pytest.mark.parametrize("value", ["events.jsonl", "s3://bucket/x.gz", "tcp://host", "local", "host:port"])
def test_not_scheduler_addresses(value):
    with pytest.raises(ValueError, match="is not a scheduler address"):
        check_address(value)


def test_workers_without_this_version_are_named_before_any_work(scheduler, monkeypatch):
    from migrate import dask_backend

    # this process claims another version than the one the workers have installed
    monkeypatch.setattr(dask_backend, "_my_version", lambda: "9.9.9")
    with pytest.raises(DaskUnavailable, match=r"need amplitude-migrate 9\.9\.9 installed: tcp://127\.0\.0\.1:\d+ \("):
        with dask_executor(scheduler):
            pass
