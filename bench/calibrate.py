"""Speed and memory of `calibrate`, as ratios against the classic emulator alone in the same run.

    python bench/calibrate.py [--events N] [--seed S]

For N and 4N generated events (default N = 2,000): an Amplitude export is built from them with
examples/make_amplitude_export.py (the "Loaded" / OS-name / ip-country Classic), then

1. baseline: every event once through the classic emulator (cloud) and canonical records;
2. calibrate: the join plus the option search and the per-field tally;

and prints the time ratio calibrate / baseline and the peak traced memory of a second, untimed calibrate run (the export
index is held in memory by design, bounded by --max-rows, so memory grows with the export, not with the
Segment events). Writes JSON to bench/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import classic  # noqa: E402
from migrate.calibration import calibrate_export  # noqa: E402
from migrate.canonical import records_from_requests  # noqa: E402
from migrate.generate import generate_events  # noqa: E402


def _builder():
    spec = importlib.util.spec_from_file_location("make_amplitude_export", ROOT / "examples" / "make_amplitude_export.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(n: int, seed: int, settings, builder, tmp: Path) -> dict:
    events = list(generate_events(n, seed=seed))
    events_path = tmp / f"events-{n}.jsonl"
    events_path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    export_path = tmp / f"export-{n}.zip"
    builder.write_zip(builder.export_rows(events, settings), export_path)

    emulator = classic.Emulator(settings, mode="cloud")
    start = time.perf_counter()
    for event in events:
        out = emulator.send(event)
        if out.get("records") is None:
            records_from_requests(out.get("requests") or [])
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    result = calibrate_export(settings, [str(events_path)], str(export_path))
    elapsed = time.perf_counter() - start
    tracemalloc.start()  # a second run for memory: tracing slows Python down, so it is not timed
    calibrate_export(settings, [str(events_path)], str(export_path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"events": n, "joined": result.joined, "baseline_s": round(baseline, 3), "calibrate_s": round(elapsed, 3),
            "ratio": round(elapsed / baseline, 1) if baseline else None, "peak_mb": round(peak / 2**20, 1),
            "options": result.options}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    settings, _ = classic.load_settings(json.loads((ROOT / "examples" / "classic-settings.json").read_text()))
    builder = _builder()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (args.events, 4 * args.events):
            rows.append(run(n, args.seed, settings, builder, Path(tmp)))
    print(f"{'events':>8} {'joined':>8} {'emulator s':>11} {'calibrate s':>12} {'ratio':>6} {'peak MB':>8}")
    for r in rows:
        print(f"{r['events']:>8} {r['joined']:>8} {r['baseline_s']:>11} {r['calibrate_s']:>12} {r['ratio']:>6} "
              f"{r['peak_mb']:>8}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"calibrate-{int(time.time())}.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
