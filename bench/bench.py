"""Speed and memory of the commands, as ratios to a baseline measured in the same run.

    python bench/bench.py [--events N] [--compare-events C] [--stream-events M] [--seed S]
                          [--code DIR] [--skip-reference] [--skip-compare] [--skip-stream]

The baseline is the rate at which orjson merely parses the corpus's lines (one core, in this process):
a machine twice as fast doubles both, so the ratio is what to compare between runs and machines.
Every rate is per core, over CPU time (user + system; of this process for the baseline and the engine,
of the command's process for the commands), so other load on a shared machine does not count against
it; wall-clock rates of the commands are printed too.

1. Throughput: the same generated corpus (N events, default 20,000) with the destination's preset
   subscriptions through `actions.Engine.send` in this process, and through the pinned real runtime
   (tests/reference, if installed). The runtime figure includes its line protocol and the in-process
   HTTP interception, so it is an upper bound on what the runtime itself costs, not a tuned number.
2. Commands, whole process: `actions run` and `classic run` on the N events; `compare` with and without
   the recommendation passes on C events (default 5,000), against examples/classic-settings.json; and
   `compare` with recommendations in one process, with the CPU seconds of each pass (the verification pass
   as a multiple of the first), and the parts of compare's first pass each timed alone in one process (Classic;
   the presets and translated sets with their records; both as the pass runs them, which bounds any
   `compare`: the diff, findings and report come on top). Each command also runs on the first 50 events of its
   corpus: that run's CPU time is the part that does not grow with the input (start-up, engine builds,
   writing the report), and the "steady state" row is the rate of the rest, the one a run over millions of
   events approaches.
3. Memory: M generated events (default 1,000,000) written to a temporary gzip file and streamed through
   `actions run` and `classic run`, and the first K of them (--stream-compare-events, default 50,000)
   through `compare` with recommendations; reports max RSS of each (VmHWM), plus RSS samples taken while it
   runs, which should stay flat.

4. Dask: `compare --no-recommend` on D events (default 40,000: several chunks) with `--dask --workers 1`
   and `--dask --workers N` (default: the cores), one after the other; the ratio of the two wall-clock
   times, each less the start and stop of its local cluster (measured on a one-chunk input), is the
   speed-up (target >= 0.8 x N). Wall clock, since parallelism is the point: on a loaded machine it is a
   lower bound. Beside it, the CPU-time efficiency: CPU seconds of the whole run (command and cluster
   processes, less the cluster's start) with one worker over those with N; N times it bounds the speed-up
   on N free cores.
   Needs the dask extra; `--skip-dask` leaves it out.

`--code DIR` runs the commands from another source tree (e.g. an export of an earlier commit) with this
script's corpus and baseline, for before/after figures.

Prints a table and writes JSON to bench/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from migrate.events import parse_json_line  # noqa: E402
from migrate.generate import generate_events, preset_subscription_list  # noqa: E402

SETTINGS = {"apiKey": "fake-bench-api-key", "secretKey": "fake-bench-secret", "endpoint": "north_america"}


def corpus(n: int, seed: int) -> list[dict]:
    # Through the reader's JSON parsing, so numbers look as they do in a real run.
    return [parse_json_line(json.dumps(e)) for e in generate_events(n, seed)]


def bench_engine(events: list[dict]) -> dict:
    from actions import Engine, preset_subscriptions

    engine = Engine(SETTINGS, preset_subscriptions())
    fired = requests = 0
    start = time.process_time()
    for event in events:
        out = engine.send(event)
        fired += len(out)
        requests += sum(len(f["requests"]) for f in out)
    seconds = time.process_time() - start
    return {"events": len(events), "seconds": seconds, "events_per_second": len(events) / seconds,
            "fired": fired, "requests": requests}


def bench_reference(events: list[dict]) -> dict | None:
    from reference.harness import ReferenceRuntime, missing_reason

    reason = missing_reason()
    if reason:
        return {"skipped": reason}
    with ReferenceRuntime(chunk_size=500) as ref:
        ref.run(SETTINGS, preset_subscription_list(), events[:200])  # warm-up: schema compilation, JIT
        start = time.perf_counter()
        results = ref.run(SETTINGS, preset_subscription_list(), events)
        seconds = time.perf_counter() - start
    return {"events": len(events), "seconds": seconds, "events_per_second": len(events) / seconds,
            "fired": sum(len(r) for r in results),
            "requests": sum(len(f["requests"]) for r in results for f in r)}


def bench_parse(lines: list[bytes]) -> dict:
    """The baseline: orjson.loads on every line, best of three (and the standard library's parser)."""
    import orjson

    best = float("inf")
    for _ in range(3):
        start = time.process_time()  # CPU time: other load on the machine does not count
        for line in lines:
            orjson.loads(line)
        best = min(best, time.process_time() - start)
    start = time.process_time()
    for line in lines:
        json.loads(line)
    stdlib = time.process_time() - start
    return {"lines": len(lines), "seconds": best, "lines_per_second": len(lines) / best,
            "stdlib_lines_per_second": len(lines) / stdlib}


def run_command(args: list[str], code: Path, sample_memory: bool = False) -> dict:
    """`python -m migrate ARGS` from the tree `code`: wall and CPU seconds, peak RSS, RSS samples.

    Commands write their lines to standard output (`-o -`), which is discarded here: `-o /dev/null`
    would have the command write /dev/null.partial and rename it over the device."""
    cmd = [sys.executable, "-m", "migrate", *args]
    # as an installed package runs: its modules' bytecode cached (an environment that turns the cache off would
    # have every run compile the whole program again, a fixed cost no installed copy pays)
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "PYTHONPATH": str(code)}
    samples: list[tuple[float, int]] = []
    peak = [0]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            status = _proc_status_kib(proc.pid)
            if status is not None:
                samples.append((round(time.perf_counter() - start, 1), status[0]))
                peak[0] = max(peak[0], status[1])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, not other children's
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    result = {"command": " ".join(args[:2]), "seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
              "exit_code": os.waitstatus_to_exitcode(status),
              # VmHWM is the peak of the CLI program itself; wait4's ru_maxrss also counts this (large)
              # bench process's pages that the child inherited at fork, before exec, so it overstates.
              "max_rss_mib": peak[0] / 1024}
    if sample_memory:
        result["rss_samples_kib"] = samples[:: max(1, len(samples) // 20)]
        if samples:
            early = samples[min(len(samples) - 1, 2)][1]
            result["rss_growth_mib_after_warmup"] = (max(s[1] for s in samples) - early) / 1024
    if result["exit_code"] not in (0, 1):
        result["stderr_tail"] = stderr[-2000:]
    return result


def bench_commands(n: int, compare_n: int, seed: int, workdir: Path, trees: dict[str, Path], parse_rate: float,
                   skip_compare: bool) -> dict:
    """{command: {tree label: figures}}; with two trees each command runs in both, one after the other."""
    events_path = workdir / "events.jsonl"
    compare_path = workdir / "compare-events.jsonl"
    settings_path = workdir / "settings.json"
    settings_path.write_text(json.dumps(SETTINGS), encoding="utf-8")
    classic_settings = ROOT / "examples" / "classic-settings.json"
    with open(events_path, "w", encoding="utf-8") as out:
        for event in generate_events(n, seed):
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
    with open(compare_path, "w", encoding="utf-8") as out:
        for event in generate_events(compare_n, seed + 1):
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
    # the first TINY events of each corpus: a run on them costs what does not grow with the input (start-up,
    # engine builds, the report), which is subtracted for the steady-state rate that millions of events see
    tiny_paths = {}
    for path in (events_path, compare_path):
        tiny = tiny_paths[path] = workdir / f"tiny-{path.name}"
        with open(path, encoding="utf-8") as source, open(tiny, "w", encoding="utf-8") as out:
            for _, line in zip(range(TINY), source):
                out.write(line)
    runs = {
        "actions run": (n, ["actions", "run", "--settings", str(settings_path), "-o", "-",
                            str(events_path)]),
        "classic run": (n, ["classic", "run", "--settings", str(classic_settings), "-o", "-",
                            str(events_path)]),
    }
    if not skip_compare:
        runs["compare --no-recommend"] = (compare_n, ["compare", "--settings", str(classic_settings),
                                                      "--no-recommend", str(compare_path)])
        runs["compare (with recommendations)"] = (compare_n, ["compare", "--settings", str(classic_settings),
                                                              str(compare_path)])
    results: dict = {}
    for name, (count, args) in runs.items():
        for label, code in trees.items():
            quiet = ["--quiet"] if _has_quiet(code) else []
            if _has_workers(code):
                quiet += ["--workers", "1"]  # per-core figures; the workers rows measure the rest
            result = run_command(args[:-1] + quiet + args[-1:], code)
            result["events"] = count
            result["events_per_cpu_second"] = count / result["cpu_seconds"] if result["cpu_seconds"] else None
            result["events_per_second"] = count / result["seconds"]
            if result["events_per_cpu_second"]:
                result["ratio_to_parse"] = result["events_per_cpu_second"] / parse_rate
            if count > TINY:
                tiny = run_command(args[:-1] + quiet + [str(tiny_paths[Path(args[-1])])], code)
                result["fixed_cpu_seconds"] = tiny["cpu_seconds"]
                grows = result["cpu_seconds"] - tiny["cpu_seconds"]
                if grows > 0:
                    result["steady_events_per_cpu_second"] = (count - TINY) / grows
                    result["steady_ratio_to_parse"] = result["steady_events_per_cpu_second"] / parse_rate
            results.setdefault(name, {})[label] = result
    if not skip_compare:
        results["compare passes"] = bench_compare_passes(compare_path, classic_settings, trees)
        results["compare parts"] = bench_compare_parts(compare_path, classic_settings, trees)
    return results


# compare() in one process, with the CPU time of each of its passes (from its progress callback)
_PASSES = """
import json, sys, time
from migrate.compare import compare
marks = {}
last = [time.process_time()]
def progress(label, n):
    # progress comes per chunk: a pass starts where the previous one (or compare) left off
    now = time.process_time()
    marks.setdefault(label, [last[0], now])[1] = now
    last[0] = now
compare(json.load(open(sys.argv[1])), [sys.argv[2]], progress=progress)
print(json.dumps({label: end - start for label, (start, end) in marks.items()}))
"""


def bench_compare_passes(compare_path: Path, settings_path: Path, trees: dict[str, Path]) -> dict:
    """{tree label: {pass label: CPU seconds}}: where `compare` with recommendations spends its time."""
    return _in_each_tree(_PASSES, [str(settings_path), str(compare_path)], trees)


def _in_each_tree(script: str, args: list[str], trees: dict[str, Path]) -> dict:
    """{tree label: the JSON `script` prints last, run with `args` in that tree (or {"error": its stderr})}."""
    out = {}
    for label, code in trees.items():
        proc = subprocess.run([sys.executable, "-c", script, *args], cwd=code,
                              env={**os.environ, "PYTHONPATH": str(code)}, capture_output=True, text=True)
        if proc.returncode == 0:
            out[label] = json.loads(proc.stdout.strip().splitlines()[-1])
        else:
            out[label] = {"error": proc.stderr[-2000:]}
    return out


# the per-event parts of compare's first pass in one process, each timed alone (CPU s): Classic, the two Actions
# subscription sets, and the two together as the pass runs them (records included); no diff, findings or report
_PARTS = """
import json, sys, time
import orjson
import actions, classic
from migrate.canonical import records_from_requests
from migrate.events import parse_json_line
from migrate.replay import CompareSetup, FirstPass
from migrate.runner import Runner
doc = json.load(open(sys.argv[1]))
settings, _ = classic.load_settings(doc, source="settings")
setup = CompareSetup(settings, doc, {}, None, actions.preset_subscriptions(), "auto", None)
job = FirstPass(setup, {"presets": "presets", "translated": "translated"})
router = setup.router()
events = [parse_json_line(line) for line in open(sys.argv[2], "rb")]
routed = [(router.route(event)[1], event) for event in events]
parts = {}
for m in {m for m, _ in routed}:
    ms = setup.mode(m)
    engines = job.engines(ms)
    parts[m] = (Runner(ms.emulator, {}, records_from_requests), Runner(None, engines, records_from_requests),
                list(engines.values()), job.runner(m))
def classic_side():
    for m, event in routed:
        parts[m][0].classic(event)
def actions_side():
    for m, event in routed:
        runner, engines = parts[m][1], parts[m][2]
        for engine in engines:
            runner.actions(engine, event)
def replay():
    for m, event in routed:
        parts[m][3].run(event)
def best(fn):
    fn()  # warm: compiled mappings, user-agent patterns
    times = []
    for _ in range(2):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)
print(json.dumps({"events": len(events), "classic": best(classic_side), "actions": best(actions_side),
                  "replay": best(replay)}))
"""


def bench_compare_parts(compare_path: Path, settings_path: Path, trees: dict[str, Path]) -> dict:
    """{tree label: {"events", "classic", "actions", "replay": CPU seconds}}: what compare's first pass costs per
    event before any diff (Classic alone; the presets and translated sets alone, records included; both as
    the pass runs them). No `compare` can run faster than its replay part, whatever the diff, findings and
    report cost."""
    return _in_each_tree(_PARTS, [str(settings_path), str(compare_path)], trees)


def _has_workers(code: Path) -> bool:
    return (code / "migrate" / "replay.py").exists()


def _has_quiet(code: Path) -> bool:
    return (code / "migrate" / "progress.py").exists()


def _proc_status_kib(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) of a running process: current and peak resident memory of its program."""
    values = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    values[line[:5]] = int(line.split()[1])
    except OSError:
        return None
    return (values["VmRSS"], values["VmHWM"]) if len(values) == 2 else None


def bench_stream(n: int, seed: int, workdir: Path, code: Path, compare_n: int = 0) -> dict:
    """Max RSS and RSS samples of `actions run` and `classic run` streaming n gzipped events, and of `compare`
    (with recommendations, one worker) on the first compare_n of them."""
    events_path = workdir / "events.jsonl.gz"
    compare_path = workdir / "compare-events.jsonl.gz"
    settings_path = workdir / "settings.json"
    settings_path.write_text(json.dumps(SETTINGS), encoding="utf-8")
    start = time.perf_counter()
    with gzip.open(events_path, "wt", encoding="utf-8", compresslevel=1) as out, \
            gzip.open(compare_path, "wt", encoding="utf-8", compresslevel=1) as compare_out:
        for i, event in enumerate(generate_events(n, seed)):
            line = json.dumps(event, ensure_ascii=False) + "\n"
            out.write(line)
            if i < compare_n:
                compare_out.write(line)
    generate_seconds = time.perf_counter() - start

    quiet = ["--quiet"] if _has_quiet(code) else []
    classic_settings = ROOT / "examples" / "classic-settings.json"
    result = {"events": n, "file_bytes": events_path.stat().st_size, "generate_seconds": generate_seconds}
    for name, args in (
        ("actions run", ["actions", "run", *quiet, "--settings", str(settings_path), "-o", "-",
                         str(events_path)]),
        ("classic run", ["classic", "run", *quiet, "--settings", str(classic_settings), "-o", "-",
                         str(events_path)]),
    ):
        run = run_command(args, code, sample_memory=True)
        run["events_per_second"] = n / run["seconds"]
        run["events_per_cpu_second"] = n / run["cpu_seconds"] if run["cpu_seconds"] else None
        run["events"] = n
        result[name] = run
    if compare_n:
        workers = ["--workers", "1"] if _has_workers(code) else []
        run = run_command(["compare", *quiet, *workers, "--settings", str(classic_settings), "--report",
                           str(workdir / "stream-report"), str(compare_path)], code, sample_memory=True)
        n_compare = min(n, compare_n)
        run["events_per_second"] = n_compare / run["seconds"]
        run["events_per_cpu_second"] = n_compare / run["cpu_seconds"] if run["cpu_seconds"] else None
        run["events"] = n_compare
        result["compare"] = run
    return result


def bench_dask(n: int, workers: int, seed: int, workdir: Path, code: Path) -> dict:
    """compare --no-recommend on Dask with 1 and with N local workers; wall times less the cluster's start."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return {"skipped": "the dask extra is not installed"}
    events_path = workdir / "dask-events.jsonl"
    tiny_path = workdir / "dask-tiny.jsonl"
    with open(events_path, "w", encoding="utf-8") as out:
        for event in generate_events(n, seed + 2):
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
    with open(tiny_path, "w", encoding="utf-8") as out:
        for event in generate_events(50, seed + 3):
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
    classic_settings = ROOT / "examples" / "classic-settings.json"
    result: dict = {"events": n, "workers": workers}
    for count in (1, workers):
        base = ["compare", "--settings", str(classic_settings), "--no-recommend", "--quiet", "--dask",
                "--workers", str(count)]
        start_stop = run_command(base + [str(tiny_path)], code)
        run = run_command(base + [str(events_path)], code)
        run["cluster_seconds"] = start_stop["seconds"]
        run["replay_seconds"] = max(1e-9, run["seconds"] - start_stop["seconds"])
        run["replay_cpu_seconds"] = max(1e-9, run["cpu_seconds"] - start_stop["cpu_seconds"])
        run["events_per_cpu_second"] = n / run["cpu_seconds"] if run["cpu_seconds"] else None
        result[str(count)] = run
    one, many = result["1"], result[str(workers)]
    result["speedup"] = one["replay_seconds"] / many["replay_seconds"]
    result["speedup_with_start"] = one["seconds"] / many["seconds"]
    result["target"] = 0.8 * workers
    # CPU seconds of the whole run (the command, the cluster's processes) with one worker over those with N:
    # what Dask's split costs in work; N times it bounds the speed-up on N free cores
    # (less the cluster's start and stop; what remains includes each worker building its engines once per pass)
    result["cpu_efficiency"] = one["replay_cpu_seconds"] / many["replay_cpu_seconds"]
    return result


def bench_identity(n: int, seed: int, workdir: Path, code: Path, workers: int = 2, recommend: bool = True) -> dict:
    """`compare` (with recommendations) on n generated events with --workers 1, --workers N and (with the dask
    extra) --dask --workers N: report.json must be identical byte for byte (generated_at fixed through
    SOURCE_DATE_EPOCH, personal data kept so that no per-run pseudonym key differs)."""
    events_path = workdir / "identity-events.jsonl"
    with open(events_path, "w", encoding="utf-8") as out:
        for event in generate_events(n, seed):
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
    classic_settings = ROOT / "examples" / "classic-settings.json"
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    result: dict = {"events": n, "workers": workers, "recommend": recommend}
    reports = {}
    passes = [] if recommend else ["--no-recommend"]
    variants = {"workers 1": ["--workers", "1"], f"workers {workers}": ["--workers", str(workers)]}
    try:
        import distributed  # noqa: F401

        variants[f"dask {workers}"] = ["--dask", "--workers", str(workers)]
    except ImportError:
        result["dask"] = "skipped: the dask extra is not installed"

    def one(name: str) -> None:
        report_dir = workdir / f"identity-report-{name.replace(' ', '-')}"
        result[name] = run_command(
            ["compare", "--settings", str(classic_settings), "--pii", "keep", "--quiet", *passes, *variants[name],
             "--report", str(report_dir), str(events_path)], code)
        reports[name] = (report_dir / "report.json").read_bytes() if (report_dir / "report.json").exists() else b""

    # all at once: only the reports are compared here (the workers and Dask rows of the benchmark time them)
    runs = [threading.Thread(target=one, args=(name,)) for name in variants]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    first = reports["workers 1"]
    result["identical"] = bool(first) and all(r == first for r in reports.values())
    result["compared"] = list(variants)
    result["report_bytes"] = len(first)
    result["report_sha256"] = {name: hashlib.sha256(r).hexdigest() for name, r in reports.items()}
    return result


def bench_workers(n: int, seed: int, workdir: Path, code: Path, workers: int = 2) -> dict:
    """`compare` with recommendations on n events, --workers 1 then --workers N: the wall-clock ratio (the
    point of workers is the wall clock; CPU time only grows). The load average is recorded alongside:
    on a machine shared with other work the ratio is a lower bound."""
    events_path = workdir / "workers-events.jsonl"
    with open(events_path, "w", encoding="utf-8") as out:
        for event in generate_events(n, seed + 2):
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
    classic_settings = ROOT / "examples" / "classic-settings.json"
    result: dict = {"events": n, "workers": workers, "load_before": os.getloadavg()[0]}
    for count in (1, workers):
        run = run_command(["compare", "--settings", str(classic_settings), "--quiet", "--workers", str(count),
                           str(events_path)], code)
        run["events_per_second"] = n / run["seconds"]
        result[f"workers {count}"] = run
    result["load_after"] = os.getloadavg()[0]
    result["speedup"] = result["workers 1"]["seconds"] / result[f"workers {workers}"]["seconds"]
    return result


TARGETS = {  # events per CPU second as a share of orjson's parse rate (issue 10)
    "actions run": 0.07,
    "compare (with recommendations)": 0.02,
    # the issue sets 10,000 events/s; by its own pairings (20,000/s with 0.07, 5,000/s with 0.02) that is
    # 0.035 to 0.04 of the parse rate: the lower bound is shown
    "compare --no-recommend": 0.035,
}
MAX_RSS_MIB = 300
TINY = 50  # events in the run whose cost is taken as the fixed part of a command's
WORKERS_TARGET = 1.6  # compare --workers 2 against --workers 1, wall clock, on two cores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000, help="corpus size for the throughput runs")
    parser.add_argument("--compare-events", type=int, default=5_000, help="corpus size for the compare runs")
    parser.add_argument("--stream-events", type=int, default=1_000_000, help="events streamed through the CLI")
    parser.add_argument("--stream-compare-events", type=int, default=50_000,
                        help="of those, how many `compare` (with recommendations) streams for its memory figure "
                             "(0: leave it out)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--code", type=Path, default=ROOT, help="source tree whose commands are measured")
    parser.add_argument("--before", type=Path, help="an earlier source tree: each command runs in both, in turn")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--skip-compare", action="store_true")
    parser.add_argument("--skip-commands", action="store_true", help="no command runs on the corpus")
    parser.add_argument("--skip-stream", action="store_true")
    parser.add_argument("--dask-events", type=int, default=40_000, help="corpus size for the Dask runs")
    parser.add_argument("--dask-workers", type=int, default=os.cpu_count() or 1, help="local Dask workers")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--workers-events", type=int, default=8_000,
                        help="corpus size for `compare --workers 2` against `--workers 1` (0: skip)")
    parser.add_argument("--identity", type=int, metavar="N", default=0,
                        help="only check that `compare --workers 1`, `--workers 2` and `--dask --workers 2` write "
                             "identical report.json on N generated events (slow for N=200000; not part of CI)")
    parser.add_argument("--identity-no-recommend", action="store_true",
                        help="with --identity: compare --no-recommend (the first pass only), for a larger N")
    args = parser.parse_args(argv)
    code = args.code.resolve()
    if args.identity:
        with tempfile.TemporaryDirectory(prefix="amplitude-migrate-bench-") as tmp:
            found = bench_identity(args.identity, args.seed, Path(tmp), code,
                                   recommend=not args.identity_no_recommend)
        runs = ", ".join(f"{name} in {found[name]['seconds']:.0f} s (exit {found[name]['exit_code']})"
                         for name in found["compared"])
        print(f"compare{'' if found['recommend'] else ' --no-recommend'} on {found['events']:,} generated events: "
              f"report.json identical for "
              f"{' / '.join(found['compared'])}: {found['identical']} ({found['report_bytes']:,} bytes); "
              f"run side by side: {runs}")
        _save(found, "identity")
        return 0 if found["identical"] else 1

    events = corpus(args.events, args.seed)
    lines = [json.dumps(e, ensure_ascii=False).encode("utf-8") for e in generate_events(args.events, args.seed)]
    results: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "python": platform.python_version(),
                     "cpus": os.cpu_count(), "seed": args.seed, "code": str(code)}
    results["parse"] = bench_parse(lines)
    parse_rate = results["parse"]["lines_per_second"]
    results["engine"] = bench_engine(events)
    if not args.skip_reference:
        results["reference"] = bench_reference(events)
    results["commands"] = {}
    if not args.skip_commands:
        with tempfile.TemporaryDirectory(prefix="amplitude-migrate-bench-") as tmp:
            trees = {"before": args.before.resolve()} if args.before else {}
            trees["this"] = code
            results["commands"] = bench_commands(args.events, args.compare_events, args.seed, Path(tmp), trees,
                                                 parse_rate, args.skip_compare)
    if args.workers_events and not args.skip_compare and _has_workers(code):
        with tempfile.TemporaryDirectory(prefix="amplitude-migrate-bench-") as tmp:
            results["workers"] = bench_workers(args.workers_events, args.seed, Path(tmp), code)
    if not args.skip_stream:
        with tempfile.TemporaryDirectory(prefix="amplitude-migrate-bench-") as tmp:
            results["stream"] = bench_stream(args.stream_events, args.seed, Path(tmp), code,
                                             args.stream_compare_events)

    if not args.skip_dask:
        with tempfile.TemporaryDirectory(prefix="amplitude-migrate-bench-") as tmp:
            results["dask"] = bench_dask(args.dask_events, args.dask_workers, args.seed, Path(tmp), code)

    rows = [("baseline: orjson.loads of the same lines", f"{len(lines):,}", "", "", f"{parse_rate:,.0f}", "1",
             f"json.loads: {results['parse']['stdlib_lines_per_second']:,.0f}/s")]
    engine = results["engine"]
    rows.append(("engine (Engine.send, presets, in process)", f"{engine['events']:,}", "", "",
                 f"{engine['events_per_second']:,.0f}", f"{engine['events_per_second'] / parse_rate:.3g}", ""))
    ref = results.get("reference")
    if ref and "skipped" not in ref:
        ratio = engine["events_per_second"] / ref["events_per_second"]
        results["engine_to_reference_ratio"] = ratio
        rows.append(("real runtime (same corpus)", f"{ref['events']:,}", f"{ref['seconds']:.2f}",
                     f"{ref['events_per_second']:,.0f}", "", f"{ref['events_per_second'] / parse_rate:.3f}",
                     f"ours / real = {ratio:.2f}x"))
        if ref["requests"] != engine["requests"]:
            rows.append(("  request count differs", ref["requests"], engine["requests"], "", "", "", ""))
    elif ref:
        rows.append(("real runtime", "-", "-", "-", "-", "-", f"skipped: {ref['skipped']}"))
    failed = False
    passes = results["commands"].pop("compare passes", None)
    parts = results["commands"].pop("compare parts", None)
    for name, by_tree in results["commands"].items():
        for label, run in by_tree.items():
            note = f"target >= {TARGETS[name]}" if name in TARGETS and label == "this" else ""
            if run["exit_code"] not in (0, 1):
                note += f" EXIT {run['exit_code']}"
                failed = True
            title = name + (f" [{label}]" if len(by_tree) > 1 else "") + " (whole process)"
            rows.append((title, f"{run['events']:,}", f"{run['seconds']:.2f}", f"{run['events_per_second']:,.0f}",
                         f"{run['events_per_cpu_second']:,.0f}", f"{run.get('ratio_to_parse', 0):.3g}", note))
            if "steady_events_per_cpu_second" in run:
                rows.append(("  steady state (less a {TINY}-event run)".format(TINY=TINY), "", "", "",
                             f"{run['steady_events_per_cpu_second']:,.0f}", f"{run['steady_ratio_to_parse']:.3g}",
                             f"fixed cost {run['fixed_cpu_seconds']:.2f} CPU s (start-up, engines, report)"))
    for label, times in (passes or {}).items():
        title = "compare passes" + (f" [{label}]" if len(passes) > 1 else "") + " (in process, CPU s)"
        if "error" in times:
            rows.append((title, "", "", "", "", "", "ERROR"))
            failed = True
            continue
        first = next(iter(times.values()), 0) or 1
        rows.append((title, f"{args.compare_events:,}", "", "", "", "",
                     "; ".join(f"{name.split(':')[0]} {t:.2f} ({t / first:.2f}x pass 1)" for name, t in times.items())))
    if passes is not None:
        results["commands"]["compare passes"] = passes
    for label, times in (parts or {}).items():
        suffix = f" [{label}]" if len(parts) > 1 else ""
        if "error" in times:
            rows.append((f"compare's first pass, parts{suffix}", "", "", "", "", "", "ERROR"))
            failed = True
            continue
        count = times["events"]
        for key, title, note in (
                ("classic", "Classic alone", ""),
                ("actions", "presets + translated sets alone, records", ""),
                ("replay", "both, as the pass runs them", "no compare --no-recommend can be faster: diff, "
                                                          "findings and report come on top")):
            rate = count / times[key] if times[key] else 0
            rows.append((f"  compare part{suffix}: {title} (in process)", f"{count:,}", "", "", f"{rate:,.0f}",
                         f"{rate / parse_rate:.3g}", note))
    if parts is not None:
        results["commands"]["compare parts"] = parts
    found = results.get("workers")
    if found:
        for count in (1, found["workers"]):
            run = found[f"workers {count}"]
            rows.append((f"compare --workers {count} (with recommendations)", f"{found['events']:,}",
                         f"{run['seconds']:.2f}", f"{run['events_per_second']:,.0f}",
                         f"{found['events'] / run['cpu_seconds']:,.0f}" if run["cpu_seconds"] else "", "",
                         f"EXIT {run['exit_code']}" if run["exit_code"] not in (0, 1) else ""))
            failed = failed or run["exit_code"] not in (0, 1)
        rows.append((f"compare --workers {found['workers']} vs --workers 1 (wall clock)", "", "", "", "", "",
                     f"{found['speedup']:.2f}x (target >= {WORKERS_TARGET}x on two cores; load average "
                     f"{found['load_before']:.1f} -> {found['load_after']:.1f} on {os.cpu_count()} cores)"))
    stream = results.get("stream")
    if stream:
        for name in ("actions run", "classic run", "compare"):
            run = stream.get(name)
            if run is None:
                continue
            note = f"max RSS {run['max_rss_mib']:.0f} MiB (target < {MAX_RSS_MIB})"
            if "rss_growth_mib_after_warmup" in run:
                note += f", growth after warm-up {run['rss_growth_mib_after_warmup']:.1f} MiB"
            if run["exit_code"] != 0:
                note += f", EXIT {run['exit_code']}"
                failed = True
            rows.append((f"{name} (gzip stream)", f"{run['events']:,}", f"{run['seconds']:.1f}",
                         f"{run['events_per_second']:,.0f}", f"{run['events_per_cpu_second']:,.0f}",
                         f"{run['events_per_cpu_second'] / parse_rate:.3g}", note))

    dask = results.get("dask")
    if dask and "skipped" in dask:
        rows.append(("Dask", "-", "-", "-", "-", "-", f"skipped: {dask['skipped']}"))
    elif dask:
        one, many, n_workers = dask["1"], dask[str(dask["workers"])], dask["workers"]
        for run in (one, many):
            if run["exit_code"] not in (0, 1):
                failed = True
        rows.append((f"Dask with {n_workers} local workers vs one worker (compare --no-recommend)",
                     f"{dask['events']:,}", f"{many['replay_seconds']:.1f} vs {one['replay_seconds']:.1f}",
                     f"{dask['events'] / many['replay_seconds']:,.0f}",
                     f"{many['events_per_cpu_second']:,.0f}" if many["events_per_cpu_second"] else "",
                     "",
                     f"speed-up {dask['speedup']:.2f}x (target >= {dask['target']:.1f}x; "
                     f"{dask['speedup_with_start']:.2f}x with the cluster's start, "
                     f"{many['cluster_seconds']:.1f} s); CPU-time efficiency {dask['cpu_efficiency'] or 0:.2f} "
                     f"(bound on free cores {n_workers * (dask['cpu_efficiency'] or 0):.2f}x)"))

    from tabulate import tabulate

    print(tabulate(rows, headers=["run", "events", "seconds", "events/s", "per CPU s", "ratio to parse", "notes"],
                   disable_numparse=True))
    _save(results, "bench")
    if failed:
        streamed = [stream["actions run"], stream["classic run"]] if stream else []
        commands = [run for by_tree in results["commands"].values() for run in by_tree.values()]
        dask_runs = [dask["1"], dask[str(dask["workers"])]] if dask and "skipped" not in dask else []
        for run in [*commands, *streamed, *dask_runs]:
            if "stderr_tail" in run:
                print(run["stderr_tail"], file=sys.stderr)
        return 1
    return 0


def _save(results: dict, prefix: str) -> None:
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    out_path = out_dir / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out_path.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"results: {out_path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
