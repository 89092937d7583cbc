"""Run the replay's chunk jobs on Dask (`pip install 'amplitude-migrate[dask]'`).

`dask_executor(address)` yields a `concurrent.futures.Executor` backed by a `distributed.Client`: the
replay submits one task per chunk to it and folds the partial results in chunk order in this process, so
the figures are those of a single process. With no address it starts a local cluster of worker processes
on 127.0.0.1 (one per core, one thread each: the work is pure Python, so threads would share one core);
with an address it joins a running `distributed` scheduler. Scheduling, retries of lost workers and data
transfer are Dask's: this module only starts, checks and stops.

Workers on other machines need this package (the same version) and read the inputs themselves: give them
URLs they can reach (`s3://...`), with credentials in their own environment.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import is_dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from typing import Iterable, Iterator

from migrate.errors import BadInput, DaskUnavailable, MissingExtra
from migrate.inputs import EXTRA_HINT, display_name, is_url

__all__ = ["dask_executor", "DaskUnavailable", "check_address", "describe", "local_workers", "for_workers",
           "CONNECT_TIMEOUT", "LOCAL_CLUSTER_CONFIG"]

# A local cluster runs a batch of long, CPU-bound, pure-Python tasks with no dashboard: Dask's housekeeping for
# interactive use costs CPU in every process for nothing here. Idle, a 2-worker cluster spent about 13% of a
# core on it (the event-loop tick every 20 ms, the statistical profiler sampling the task thread's stack every
# 10 ms, the system monitor every 500 ms, the memory monitor every 100 ms); with these, about 2% (docs/dask.md).
# A remote scheduler and its workers keep their own configuration.
LOCAL_CLUSTER_CONFIG = {
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "500ms",
}
CONNECT_TIMEOUT = 20.0  # seconds to reach a scheduler
WORKERS_TIMEOUT = 60.0  # seconds to wait for a scheduler's first worker
_ADDRESS = re.compile(r"^(?:(tcp|tls|ws|wss|ucx|inproc)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+):(\d{1,5})/?$")


def check_address(value: str) -> str:
    """A scheduler address as `distributed` takes it (`tcp://HOST:PORT`, `HOST:PORT`, `tls://...`), else ValueError."""
    if not _ADDRESS.match(value.strip()):
        raise ValueError(f"{value!r} is not a scheduler address (such as tcp://10.0.0.5:8786)")
    return value.strip()


def local_workers() -> int:
    """Worker processes of a local cluster: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without affinity
        return max(1, os.cpu_count() or 1)


def _distributed():
    try:
        import distributed
    except ImportError:
        raise MissingExtra(f"--dask needs the dask extra: {EXTRA_HINT}") from None
    return distributed


@contextmanager
def dask_executor(address: str | None = None, *, n_workers: int | None = None,
                  timeout: float | None = None) -> Iterator[Executor]:
    """An Executor running on Dask: a local cluster when `address` is None, the scheduler at `address` otherwise.

    The executor's `client` attribute is the `distributed.Client` (for `describe`). Everything started here
    is closed on exit, also when the job fails.
    """
    distributed = _distributed()
    if address is None:
        import dask

        # set for the cluster's life: the scheduler and nannies run in this process, the workers get a copy
        with dask.config.set(LOCAL_CLUSTER_CONFIG):
            with _executor(distributed, None, n_workers, timeout) as executor:
                yield executor
        return
    with _executor(distributed, address, n_workers, timeout) as executor:
        yield executor


@contextmanager
def _executor(distributed, address: str | None, n_workers: int | None, timeout: float | None):
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    cluster = None
    if address is None:
        with warnings.catch_warnings():
            # its status page moves to a free port when 8787 is taken: not worth a warning here
            warnings.filterwarnings("ignore", message="Port .* is already in use")
            cluster = distributed.LocalCluster(
                n_workers=n_workers or local_workers(), threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, silence_logs=logging.CRITICAL,  # errors come back as the CLI's sentence
            )
        try:
            client = distributed.Client(cluster, set_as_default=False)
        except BaseException:
            cluster.close()
            raise
    else:
        shown = display_name(address)
        try:
            client = distributed.Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise DaskUnavailable(f"cannot reach the Dask scheduler at {shown} within {timeout:g} s "
                                  f"({type(exc).__name__}): is `dask scheduler` running there, and is its "
                                  "port open to this machine?") from None
    try:
        if address is not None:
            _check_workers(client, display_name(address))
        yield DaskExecutor(client, remote=address is not None)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class DaskExecutor(Executor):
    """`client.get_executor()` with the chunks it is given made readable by the workers (`for_workers`).

    `_max_workers` (the cluster's threads) is how many chunks the replay keeps in flight, twice over."""

    def __init__(self, client, *, remote: bool):
        self.client, self.remote = client, remote
        self._inner = client.get_executor()
        threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
        self._max_workers = max(1, threads)
        self._shared: dict[str, bool] = {}

    def submit(self, fn, /, *args, **kwargs):
        return self._inner.submit(fn, *(self._readable(a) for a in args), **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait)

    def _readable(self, arg):
        if not (is_dataclass(arg) and hasattr(arg, "path") and hasattr(arg, "data")):
            return arg  # not a chunk
        return next(for_workers(self, [arg], self._shared))


def _check_workers(client, shown: str) -> None:
    """A scheduler with no worker, or workers without this package, would leave the run waiting or failing
    on every chunk: say so before starting."""
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
    except (TimeoutError, OSError):
        raise DaskUnavailable(f"the Dask scheduler at {shown} has no worker (waited {WORKERS_TIMEOUT:g} s): start "
                              f"workers with `dask worker {shown}`") from None
    mine = _my_version()
    if mine is None:  # pragma: no cover - running from a source tree
        return
    theirs = client.run(version, "amplitude-migrate", on_error="return")
    wrong = sorted(f"{worker} ({'not installed' if isinstance(found, Exception) else found})"
                   for worker, found in theirs.items() if found != mine)
    if wrong:
        raise DaskUnavailable(f"the Dask workers at {shown} need amplitude-migrate {mine} installed: "
                              f"{', '.join(wrong[:5])}{' ...' if len(wrong) > 5 else ''}")


def _my_version() -> str | None:
    try:
        return version("amplitude-migrate")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return None


def describe(executor) -> str:
    """One line for the progress output: where the work runs."""
    client = getattr(executor, "client", None)
    if client is None:
        return "Dask"
    workers = client.scheduler_info().get("workers", {})
    threads = sum(w.get("nthreads", 0) for w in workers.values())
    where = "a local cluster" if client.cluster is not None else display_name(client.scheduler.address)
    count = len(workers)
    return f"Dask: {count} worker{'s' if count != 1 else ''} ({threads} thread{'s' if threads != 1 else ''}) on {where}"


def _same_file(path: str, size: int, mtime_ns: int) -> bool:
    """On a worker: is `path` the very file the command sees (a shared filesystem)?"""
    try:
        info = os.stat(path)
    except OSError:
        return False
    return info.st_size == size and info.st_mtime_ns == mtime_ns


def for_workers(executor, chunks: Iterable, shared: dict[str, bool] | None = None) -> Iterator:
    """The chunks as the executor's workers can read them.

    Workers of a local cluster read local files by absolute path. Workers of a remote cluster read URLs
    themselves, and a local file by path only when every worker sees the same file (same size and
    modification time: a shared filesystem); otherwise this process reads the chunk's bytes and ships them.
    """
    remote = getattr(executor, "remote", False)
    client = getattr(executor, "client", None)
    shared = {} if shared is None else shared
    for chunk in chunks:
        path = getattr(chunk, "path", None)
        if path is None or path == "-" or is_url(path):
            yield chunk
            continue
        full = os.path.abspath(path)
        if remote:
            if full not in shared:
                try:
                    info = os.stat(full)
                    answers = client.run(_same_file, full, info.st_size, info.st_mtime_ns, on_error="return")
                    shared[full] = bool(answers) and all(a is True for a in answers.values())
                except OSError:
                    shared[full] = False
            if not shared[full]:
                yield replace(chunk, path=None, data=_read_range(chunk, full))
                continue
        yield replace(chunk, path=full)


def _read_range(chunk, path: str) -> bytes:
    """The bytes a chunk stands for: its byte range of a plain file, or the whole input inflated."""
    from migrate.events import open_input

    try:
        if getattr(chunk, "whole", False):
            with open_input(path) as stream:
                return stream.read()
        start, end = chunk.start or 0, chunk.end
        with open(path, "rb") as fh:
            fh.seek(start)
            return fh.read() if end is None else fh.read(end - start)
    except OSError as exc:
        raise BadInput(chunk.name, None, f"cannot be read: {exc.strerror or exc}") from None
