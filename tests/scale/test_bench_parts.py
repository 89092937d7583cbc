"""The benchmark's split of compare's first pass (bench/bench.py `bench_compare_parts`) runs on this tree: the
script it sends to each measured tree uses the replay's own classes, so a change to them that breaks it fails
here, not in the middle of a long benchmark. No timing is asserted: only that every part ran on every event."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench as module
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return module


def test_compare_parts_run_on_every_event(tmp_path, bench):
    from migrate.generate import generate_events

    path = tmp_path / "events.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for event in generate_events(40, 5):
            out.write(json.dumps(event) + "\n")
    found = bench.bench_compare_parts(path, ROOT / "examples" / "classic-settings.json", {"this": ROOT})["this"]
    assert "error" not in found, found.get("error")
    assert found["events"] == 40
    assert set(found) == {"events", "classic", "actions", "replay"}
    assert all(found[k] > 0 for k in ("classic", "actions", "replay"))
