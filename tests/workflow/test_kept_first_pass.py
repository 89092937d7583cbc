"""What the first pass of `compare` keeps for the later passes (`migrate.kept`): Classic runs once per event,
the translated set's subscriptions once per event, and the report is the one a run without the kept pass gives,
figure for figure, whatever happens to the kept files (missing, damaged, out of line, unwritable)."""

from __future__ import annotations

import copy
import json
import os
import pickle
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import actions
import classic
import migrate.compare as compare_module
import migrate.kept as kept_module
import migrate.runner as runner_module
from migrate.canonical import records_from_requests
from migrate.compare import compare
from migrate.generate import generate_events
from migrate.kept import FRAME, KeptReader, KeptWriter
from migrate.runner import ACTIONS_KEY, Runner, StepRunner
from migrate.translate import translate

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = json.loads((ROOT / "examples" / "classic-settings.json").read_text())
EVENTS = str(ROOT / "examples" / "events.jsonl")


def text(value) -> str:
    return json.dumps(value, default=repr)


def run_text(run) -> str:
    return text({"records": run.records, "fired": run.fired, "errors": run.errors, "reached": run.reached})


def event_text(run) -> str:
    return text({"classic": [run.classic_records, run.classic_reached, run.classic_error],
                 "variants": {name: json.loads(run_text(v)) for name, v in run.variants.items()},
                 "repeats": sorted(run.repeats)})


# -- the kept files -------------------------------------------------------------------------------------------


def _seeds(n: int) -> list[tuple[dict, tuple]]:
    rng = random.Random(n)
    out = []
    for i, event in enumerate(generate_events(n, 3)):
        records = [{"kind": "event", "event_type": event.get("event"), "n": i, "x": rng.random(), "neg": -0.0}]
        pieces = [None, ({"subscription": "s", "action": "logEvent", "error": None}, records, None)]
        out.append((event, (records, True, None if i % 7 else "boom", pieces if i % 5 else None)))
    return out


@pytest.mark.parametrize("n", [0, 1, FRAME - 1, FRAME, 2 * FRAME + 3])
def test_kept_events_come_back_as_written(tmp_path, n):
    path = str(tmp_path / "chunk-0")
    writer = KeptWriter(path)
    items = _seeds(n)
    for event, seed in items:
        writer.add(event, seed)
    assert not os.path.exists(path)  # only complete files appear under their name
    writer.close()
    assert os.path.exists(path) and not writer.failed
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    reader = KeptReader(path)
    for event, seed in items:
        got = reader.take(event)
        assert pickle.dumps(got) == pickle.dumps(seed)  # same values, types, key order, -0.0
    assert reader.take({"messageId": "one more"}) is None


def test_a_missing_file_gives_nothing(tmp_path):
    reader = KeptReader(str(tmp_path / "none"))
    assert not reader.active and reader.take({"messageId": "m"}) is None


def test_events_out_of_line_stop_the_reuse_for_the_rest_of_the_chunk(tmp_path):
    path = str(tmp_path / "c")
    writer = KeptWriter(path)
    items = _seeds(10)
    for event, seed in items:
        writer.add(event, seed)
    writer.close()
    reader = KeptReader(path)
    assert reader.take(items[0][0]) is not None
    assert reader.take(items[2][0]) is None  # not the event kept next
    assert reader.take(items[2][0]) is None and reader.take(items[3][0]) is None  # and never again


def test_a_damaged_file_gives_the_frames_before_the_damage_only(tmp_path):
    path = str(tmp_path / "c")
    writer = KeptWriter(path)
    items = _seeds(FRAME + 10)
    for event, seed in items:
        writer.add(event, seed)
    writer.close()
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[:-5])  # the second frame cut short
    reader = KeptReader(path)
    for event, _ in items[:FRAME]:
        assert reader.take(event) is not None
    assert reader.take(items[FRAME][0]) is None
    Path(path).write_bytes(data[:8] + b"garbage" + data[15:])  # the first frame's data damaged
    assert KeptReader(path).take(items[0][0]) is None


def test_nothing_is_kept_on_a_nearly_full_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(kept_module, "MIN_FREE_BYTES", 1 << 62)
    writer = KeptWriter(str(tmp_path / "c"))
    for event, seed in _seeds(3):
        writer.add(event, seed)
    writer.close()
    assert writer.failed and os.listdir(tmp_path) == []


def test_a_writer_that_cannot_write_leaves_no_file(tmp_path):
    missing = KeptWriter(str(tmp_path / "no-such-dir" / "c"))
    for event, seed in _seeds(FRAME + 1):
        missing.add(event, seed)
    missing.close()
    assert missing.failed and not (tmp_path / "no-such-dir").exists()
    path = str(tmp_path / "c")
    unpicklable = KeptWriter(path)
    event, seed = _seeds(1)[0]
    unpicklable.add(event, seed)
    unpicklable.add(event, (lambda: None, True, None, None))
    unpicklable.close()
    assert unpicklable.failed and os.listdir(tmp_path) == []  # the .part file is gone too


# -- a seeded runner gives what a runner that runs everything gives ---------------------------------------------


def _variants(subs: list[dict], rng: random.Random) -> dict[str, list[dict]]:
    """A base set and cumulative steps, each changing one subscription (mapping, trigger, drop, disable)."""
    out = {"base": subs}
    current = subs
    for i in range(rng.randint(1, 4)):
        current = copy.deepcopy(current)
        index = rng.randrange(len(current))
        kind = rng.choice(["mapping", "trigger", "drop", "disable"])
        if kind == "mapping":
            mapping = current[index].setdefault("mapping", {})
            key = rng.choice(sorted(mapping) or ["user_id"])
            mapping[key] = rng.choice([{"@path": "$.userId"}, {"@path": "$.properties.nothing"}, "fixed", None])
        elif kind == "trigger":
            current[index]["subscribe"] = current[index]["subscribe"] + " and userId exists"
        elif kind == "drop" and len(current) > 1:
            del current[index]
        else:
            current[index]["enabled"] = False
        out[f"step{i}"] = current
    return out


def _sets():
    out = []
    for mode in ("cloud", "web"):
        t = translate(SETTINGS, mode=mode)
        subs = copy.deepcopy(t.subscriptions)
        subs[0]["enabled"] = False  # a disabled subscription: left out by engines and by the kept positions alike
        out.append((mode, t.settings, t.subscriptions, subs))
    return out


SETS = _sets()
LOADED, _ = classic.load_settings(SETTINGS)
EVENT_POOL = list(generate_events(200, 11))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), which=st.integers(0, 2 * len(SETS) - 1), shared=st.booleans())
def test_property_a_seeded_step_runner_equals_one_that_runs_everything(seed, which, shared):
    rng = random.Random(seed)
    mode, dest_settings, translated, with_disabled = SETS[which // 2]
    base = translated if which % 2 == 0 else with_disabled
    presets = actions.preset_subscriptions()

    def make(subs):
        return actions.Engine(settings=dest_settings, subscriptions=subs)

    emulator = classic.Emulator(LOADED, mode=mode)
    first_variants = {"presets": presets, "translated": base}
    # the first pass: one StepRunner when the two sets share subscriptions, else one engine per set
    first = (StepRunner(emulator, first_variants, make, records_from_requests, keep="translated") if shared else
             Runner(emulator, {n: make(s) for n, s in first_variants.items()}, records_from_requests,
                    repeats=True, keep="translated"))
    variants = _variants(base, rng)
    seeded = StepRunner(emulator, variants, make, records_from_requests)
    plain = StepRunner(emulator, variants, make, records_from_requests)
    for _ in range(12):
        event = copy.deepcopy(rng.choice(EVENT_POOL))
        if rng.random() < 0.1:
            event["integrations"] = {ACTIONS_KEY: False}
        run1 = first.run(copy.deepcopy(event))
        kept = pickle.loads(pickle.dumps((run1.classic_records, run1.classic_reached, run1.classic_error,
                                          first.kept_pieces)))
        if run1.variants["translated"].reached:
            assert first.kept_pieces is not None
        assert event_text(seeded.run(copy.deepcopy(event), kept)) == event_text(plain.run(copy.deepcopy(event)))
    assert seeded.stats["fired"] <= plain.stats["fired"]


class _RaisingEngine:
    """Subscription "b"'s trigger raises on events without a userId."""

    def __init__(self, subs):
        self.subs = [s for s in subs if s.get("enabled", True) is not False]

    def _match(self, sub, event):
        if sub["subscribe"] == "raise" and "userId" not in event:
            raise ValueError("trigger failed")
        return sub["subscribe"] in ("all", "raise")

    def subscriptions(self):
        return [(s["name"], "logEvent") for s in self.subs]

    def matches(self, index, event):
        return self._match(self.subs[index], event)

    def fire(self, index, event):
        return {"subscription": self.subs[index]["name"], "action": "logEvent", "error": None,
                "requests": [{"n": self.subs[index]["name"]}]}

    def send_indexed(self, event):
        return [(i, self.fire(i, event)) for i, sub in enumerate(self.subs) if self._match(sub, event)]

    def send(self, event):
        return [item for _, item in self.send_indexed(event)]


def test_a_trigger_that_raised_in_the_first_pass_leaves_the_rest_to_run():
    subs = [{"name": "a", "subscribe": "all"}, {"name": "b", "subscribe": "raise"}, {"name": "c", "subscribe": "all"}]

    class Classic:
        def send(self, event):
            if "boom" in event:
                raise RuntimeError("classic failed")
            return {"records": [{"event_type": "classic"}]}

    def records(requests):
        return [{"event_type": r["n"]} for r in requests]

    variants = {"base": subs, "step0": [subs[0], subs[2]]}
    step_first = StepRunner(Classic(), {"other": subs[:1], "translated": subs}, _RaisingEngine, records,
                            keep="translated")
    engine_first = Runner(Classic(), {"translated": _RaisingEngine(subs)}, records, keep="translated")
    for event in ({"type": "track"}, {"type": "track", "userId": "u"}, {"type": "track", "userId": "u", "boom": 1}):
        one = step_first.run(dict(event))
        assert len(step_first.kept_pieces) == (3 if "userId" in event else 2)  # stops at the raise
        engine_first.run(dict(event))
        assert (engine_first.kept_pieces is None) == ("userId" not in event)  # a raise keeps nothing
        for pieces in (step_first.kept_pieces, engine_first.kept_pieces):
            seed = (one.classic_records, one.classic_reached, one.classic_error, pieces)
            got = StepRunner(Classic(), variants, _RaisingEngine, records).run(dict(event), seed)
            want = StepRunner(Classic(), variants, _RaisingEngine, records).run(dict(event))
            assert event_text(got) == event_text(want)
            # the final pass: Classic from the seed, its own set run in full
            final = Runner(Classic(), {"final": _RaisingEngine(subs[2:])}, records)
            assert event_text(final.run(dict(event), seed)) == event_text(final.run(dict(event)))


# -- compare ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("kept") / "events.jsonl"
    with open(path, "w") as out:
        for event in generate_events(2_500, 5):  # three chunks
            out.write(json.dumps(event) + "\n")
    return str(path)


def _without_kept(patch):
    def none(_later_passes):
        import contextlib

        return contextlib.nullcontext(None)

    patch.setattr(compare_module, "_kept_dir", none)


def _model(paths, **options) -> str:
    model = compare(SETTINGS, paths, **options)
    model.pop("generated_at")
    return json.dumps(model, sort_keys=False)


@pytest.fixture(scope="module")
def without(generated):
    with pytest.MonkeyPatch.context() as patch:
        _without_kept(patch)
        return {"example": _model([EVENTS]), "generated": _model([generated], chunk_lines=1_000)}


def test_classic_runs_once_per_event_and_the_report_is_the_same(generated, without, monkeypatch):
    calls = {"classic": 0, "taken": 0}
    classic_send = Runner.classic

    def counted(self, event):
        calls["classic"] += 1
        return classic_send(self, event)

    take = KeptReader.take

    def taken(self, event):
        seed = take(self, event)
        calls["taken"] += seed is not None
        return seed

    monkeypatch.setattr(Runner, "classic", counted)
    monkeypatch.setattr(KeptReader, "take", taken)
    passes = set()
    model = _model([generated], chunk_lines=1_000, progress=lambda label, n: passes.add(label.split(":")[0]))
    assert model == without["generated"]
    report = json.loads(model)
    events = report["inputs"]["events"]
    assert passes == {"pass 1/2", "pass 2/2", "pass 3/3"}  # this input needs the final pass too
    assert calls["classic"] == events  # the first pass only
    assert calls["taken"] == 2 * events  # the verification pass and the final pass took every event
    assert _model([EVENTS]) == without["example"]


def test_damaged_or_missing_kept_files_change_no_figure(generated, without, monkeypatch):
    close = KeptWriter.close

    def damaged(self):
        close(self)
        if self.path.endswith("chunk-1") and os.path.exists(self.path):
            data = Path(self.path).read_bytes()
            Path(self.path).write_bytes(data[: len(data) // 2])
        elif self.path.endswith("chunk-2") and os.path.exists(self.path):
            os.unlink(self.path)

    monkeypatch.setattr(KeptWriter, "close", damaged)
    assert _model([generated], chunk_lines=1_000) == without["generated"]


def test_workers_share_what_the_first_pass_kept(generated, without):
    from migrate.replay import workers_executor

    with workers_executor(2) as executor:
        assert _model([generated], chunk_lines=1_000, executor=executor) == without["generated"]


def test_the_kept_directory_is_private_and_removed(generated, monkeypatch):
    seen = []
    make = compare_module._kept_dir

    def watched(later_passes):
        import contextlib

        @contextlib.contextmanager
        def inner():
            with make(later_passes) as directory:
                seen.append(directory)
                if directory is not None:
                    assert oct(os.stat(directory).st_mode & 0o777) == "0o700"
                yield directory

        return inner()

    monkeypatch.setattr(compare_module, "_kept_dir", watched)
    compare(SETTINGS, [EVENTS])
    compare(SETTINGS, [EVENTS], recommend=False)
    assert seen[0] is not None and not os.path.exists(seen[0])
    assert seen[1] is None  # no pass after the first: nothing kept


def test_a_step_after_a_variant_that_stopped_at_a_raise_is_worked_out_in_full():
    """A step holding another subscription only after the position where the variant before it stopped (a trigger
    that raised) is not judged by its changed positions alone (`StepRunner.deltas`)."""
    a, b, c, d = ({"name": n, "subscribe": t} for n, t in (("a", "all"), ("b", "raise"), ("c", "all"), ("d", "all")))
    variants = {"with": [a, b, c], "swap": [a, b, d], "fixed": [a, {**b, "subscribe": "all"}, d]}

    class Classic:
        def send(self, event):
            return {"records": []}

    def records(requests):
        return [{"event_type": r["n"]} for r in requests]

    steps = StepRunner(Classic(), variants, _RaisingEngine, records)
    full = Runner(Classic(), {n: _RaisingEngine(s) for n, s in variants.items()}, records, repeats=True)
    for event in ({"type": "track"}, {"type": "track", "userId": "u"}):
        got, want = steps.run(dict(event)), full.run(dict(event))
        assert event_text(got) == event_text(want)
