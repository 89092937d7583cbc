"""Fuzz `compare` at scale: generated events, mutated and damaged, through the reader, both engines, the
differ and the report.

    python bench/fuzz.py [--events N] [--seed S] [--mode cloud|web|ios|android] [--mutate P]

N events (default 100,000) come from the project's event generator; a share P of them (default 0.5) is
mutated (wrong types in every known field, nulls, unicode, huge and tiny numbers, nesting), and every
line may be damaged the ways exports are (truncated, wrapped, garbled, nested thousands of levels deep).
The file goes through `compare` (the library, with the skip limit off so the damaged lines are counted,
not refused) and the report is rendered.

Prints: crashes (exceptions that escaped, plus exceptions the engines raised on single events, which a run
records as data; both should be 0), skipped lines by reason, duplicates, parity and the rate in events
per second. Exits 1 when anything crashed or a secret reached an output.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))

from mutate import mutate_event, mutate_line  # noqa: E402

import actions  # noqa: E402
import classic  # noqa: E402
from migrate.compare import compare  # noqa: E402
from migrate.generate import generate_events  # noqa: E402
from reports import render_all  # noqa: E402

SETTINGS = {
    "apiKey": "fuzzbenchapikey0000000000000a7f3", "secretKey": "fuzzbenchsecret000000000000005e1c",
    "endpoint": "europe", "trackAllPages": True, "trackUtmProperties": True, "trackRevenuePerProduct": True,
    "traitsToIncrement": ["logins"], "traitsToSetOnce": ["first_seen"], "groupTypeTrait": "company_type",
    "groupValueTrait": "company", "mapQueryParams": {"search": "event_properties"}, "sendAlias": True,
}
SECRETS = (SETTINGS["apiKey"], SETTINGS["secretKey"])


def write_input(path: Path, n: int, seed: int, mutate: float, damage: float) -> int:
    rng = random.Random(f"fuzz:{seed}")
    lines = 0
    with gzip.open(path, "wb", compresslevel=1) as out:
        for event in generate_events(n, seed):
            if rng.random() < mutate:
                event = mutate_event(event, rng)
            # mostly escaped (lone surrogates reach the engines), sometimes raw UTF-8 (and invalid bytes)
            text = json.dumps(event, ensure_ascii=rng.random() < 0.8)
            out.write(mutate_line(text, rng, damage) + b"\n")
            lines += 1
    return lines


def count_crashes(crashes: collections.Counter):
    """Wrap both engines' send: an exception on one event is counted (and re-raised to the runner)."""

    def wrap(cls, label):
        original = cls.send

        def send(self, *args, **kwargs):
            try:
                return original(self, *args, **kwargs)
            except Exception as exc:
                crashes[f"{label}: {type(exc).__name__}: {str(exc)[:80]}"] += 1
                raise

        cls.send = send

    wrap(classic.Emulator, "classic")
    wrap(actions.Engine, "actions")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mode", choices=("cloud", "web", "ios", "android"), default="cloud")
    parser.add_argument("--mutate", type=float, default=0.5, help="share of events mutated (default 0.5)")
    parser.add_argument("--damage", type=float, default=0.1, help="share of lines damaged (default 0.1)")
    args = parser.parse_args(argv)

    crashes: collections.Counter = collections.Counter()
    count_crashes(crashes)
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        path = Path(tmp) / "events.jsonl.gz"
        start = time.perf_counter()
        lines = write_input(path, args.events, args.seed, args.mutate, args.damage)
        generated = time.perf_counter() - start
        start, cpu = time.perf_counter(), time.process_time()
        model = None
        try:
            model = compare(SETTINGS, [str(path)], settings_file="fuzz-settings.json", mode=args.mode,
                            recommend=False, max_skipped=None)
            written = render_all(model, Path(tmp) / "report", secrets=SECRETS)
        except Exception:  # the one thing that must never happen
            crashes["escaped compare: " + traceback.format_exc(limit=3).strip().splitlines()[-1]] += 1
            written = {}
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        leaked = [name for name, p in written.items() if any(s in p.read_text(encoding="utf-8") for s in SECRETS)]

    print(f"fuzz: {lines:,} lines ({args.events:,} generated events, {args.mutate:.0%} mutated, {args.damage:.0%} of "
          f"lines damaged, seed {args.seed}, mode {args.mode}); input written in {generated:.1f} s")
    if model is not None:
        inputs = model["inputs"]
        print(f"read {inputs['events']:,} events, skipped {inputs['skipped']:,} lines; "
              f"{inputs['duplicates']['count']:,} repeated messageIds")
        print("skipped by reason:")
        for reason, count in sorted(inputs["skipped_by_reason"].items(), key=lambda kv: -kv[1]):
            print(f"  {count:>8,}  {reason}")
        print("parity: " + ", ".join(f"{k} {v:.1%}" for k, v in model["parity"].items() if v is not None))
        print(f"rate: {inputs['events'] / cpu:,.0f} events per CPU second through compare + report "
              f"({cpu:.1f} CPU s, {elapsed:.1f} s wall)")
    print(f"crashes: {sum(crashes.values())}")
    for what, count in crashes.most_common(20):
        print(f"  {count:>8,}  {what}")
    print(f"secrets in outputs: {len(leaked)}" + (f" ({', '.join(leaked)})" if leaked else ""))
    return 1 if crashes or leaked else 0


if __name__ == "__main__":
    sys.exit(main())
