"""Speed and memory of the Actions engine, next to the real runtime.

    python bench/bench.py [--events N] [--stream-events M] [--seed S] [--skip-reference] [--skip-stream]

1. Throughput: the same generated corpus (N events, default 20,000) with the destination's preset
   subscriptions through `actions.Engine.send` in this process, and through the pinned real runtime
   (tests/reference, if installed). The runtime figure includes its line protocol and the in-process
   HTTP interception, so it is an upper bound on what the runtime itself costs, not a tuned number.
2. Memory: M generated events (default 1,000,000) written to a temporary gzip file and streamed through
   `python -m migrate actions run`; reports wall time and the child's max RSS (wait4), plus RSS samples
   taken while it runs, which should stay flat.

Prints a table and writes JSON to bench/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import gzip
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
    start = time.perf_counter()
    for event in events:
        out = engine.send(event)
        fired += len(out)
        requests += sum(len(f["requests"]) for f in out)
    seconds = time.perf_counter() - start
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


def bench_stream(n: int, seed: int, workdir: Path) -> dict:
    events_path = workdir / "events.jsonl.gz"
    settings_path = workdir / "settings.json"
    settings_path.write_text(json.dumps(SETTINGS), encoding="utf-8")
    start = time.perf_counter()
    with gzip.open(events_path, "wt", encoding="utf-8", compresslevel=1) as out:
        for event in generate_events(n, seed):
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
    generate_seconds = time.perf_counter() - start

    cmd = [sys.executable, "-m", "migrate", "actions", "run", "--settings", str(settings_path),
           "-o", os.devnull, str(events_path)]
    samples: list[tuple[float, int]] = []
    peak = [0]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    result = {"events": n, "file_bytes": events_path.stat().st_size, "generate_seconds": generate_seconds,
              "seconds": seconds, "events_per_second": n / seconds, "exit_code": proc.returncode,
              # VmHWM is the peak of the CLI program itself; wait4's ru_maxrss also counts this (large)
              # bench process's pages that the child inherited at fork, before exec, so it overstates.
              "max_rss_mib": peak[0] / 1024, "rusage_maxrss_mib_incl_fork": usage.ru_maxrss / 1024,
              "rss_samples_kib": samples[:: max(1, len(samples) // 20)]}
    if samples:
        early = samples[min(len(samples) - 1, 2)][1]
        result["rss_growth_mib_after_warmup"] = (max(s[1] for s in samples) - early) / 1024
    if proc.returncode != 0:
        result["stderr_tail"] = stderr[-2000:]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000, help="corpus size for the throughput runs")
    parser.add_argument("--stream-events", type=int, default=1_000_000, help="events streamed through the CLI")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--skip-stream", action="store_true")
    args = parser.parse_args(argv)

    events = corpus(args.events, args.seed)
    results: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "python": platform.python_version(),
                     "cpus": os.cpu_count(), "seed": args.seed}
    results["engine"] = bench_engine(events)
    if not args.skip_reference:
        results["reference"] = bench_reference(events)
    if not args.skip_stream:
        with tempfile.TemporaryDirectory(prefix="amplitude-migrate-bench-") as tmp:
            results["stream"] = bench_stream(args.stream_events, args.seed, Path(tmp))

    rows = [("engine (Engine.send, presets)", f"{results['engine']['events']:,}",
             f"{results['engine']['seconds']:.2f}", f"{results['engine']['events_per_second']:,.0f}", "")]
    ref = results.get("reference")
    if ref and "skipped" not in ref:
        ratio = results["engine"]["events_per_second"] / ref["events_per_second"]
        results["engine_to_reference_ratio"] = ratio
        rows.append(("real runtime (same corpus)", f"{ref['events']:,}", f"{ref['seconds']:.2f}",
                     f"{ref['events_per_second']:,.0f}", f"ours / real = {ratio:.2f}x"))
        if ref["requests"] != results["engine"]["requests"]:
            rows.append(("  request count differs", ref["requests"], results["engine"]["requests"], "", ""))
    elif ref:
        rows.append(("real runtime", "-", "-", "-", f"skipped: {ref['skipped']}"))
    stream = results.get("stream")
    if stream:
        note = f"max RSS {stream['max_rss_mib']:.0f} MiB"
        if "rss_growth_mib_after_warmup" in stream:
            note += f", growth after warm-up {stream['rss_growth_mib_after_warmup']:.1f} MiB"
        if stream["exit_code"] != 0:
            note += f", EXIT {stream['exit_code']}"
        rows.append(("actions run (CLI, gzip stream)", f"{stream['events']:,}", f"{stream['seconds']:.1f}",
                     f"{stream['events_per_second']:,.0f}", note))

    try:
        from tabulate import tabulate

        print(tabulate(rows, headers=["run", "events", "seconds", "events/s", "notes"]))
    except ImportError:  # tabulate is a project dependency; stay usable without it
        for row in rows:
            print("  ".join(str(c) for c in row))

    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    out_path = out_dir / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out_path.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"results: {out_path.relative_to(ROOT)}")
    if stream and stream["exit_code"] != 0:
        print(stream.get("stderr_tail", ""), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
