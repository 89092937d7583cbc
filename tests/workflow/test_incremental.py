"""Incremental verification of recommendations (`migrate.runner.StepRunner`): every step's records, fired
list and errors are what a full engine with that step's subscriptions gives, event by event; a step marked as
repeating the previous one really has the same records and errors; the step figures (`StepFigures`) are the
ones a full `VariantFindings` gives; and the report of `compare` is the one the full-engine verification
gives, figure for figure."""

from __future__ import annotations

import copy
import json
import random
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import actions
import classic
import migrate.compare as compare_module
import migrate.findings as findings_module
import migrate.runner as runner_module
from migrate import recommend as R
from migrate.canonical import records_from_requests
from migrate.compare import compare
from migrate.findings import StepFigures, VariantFindings
from migrate.generate import generate_events, generate_subscriptions
from migrate.runner import ACTIONS_KEY, EventRun, Runner, StepRunner
from migrate.translate import translate

sys.path.insert(0, str(Path(__file__).parent.parent / "fuzz"))
from mutate import mutate_event  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SETTINGS = json.loads((EXAMPLES / "classic-settings.json").read_text())
EVENTS = str(EXAMPLES / "events.jsonl")


def text(value) -> str:
    """JSON text with key order kept: equal texts are equal records, types and key order included."""
    return json.dumps(value, default=repr)


def run_text(run) -> str:
    return text({"records": run.records, "fired": run.fired, "errors": run.errors, "reached": run.reached})


class FullSteps:
    """The verification before StepRunner: one full engine per step, every event through every engine."""

    def __init__(self, emulator, variants, make_engine, records_from_requests, **_):
        self.runner = Runner(emulator, {n: make_engine(subs) for n, subs in variants.items()},
                             records_from_requests)

    def run(self, event, seed=None):
        return self.runner.run(event, seed)


class CheckedSteps(StepRunner):
    """StepRunner that checks every event against full engines built from the same step lists."""

    instances: list["CheckedSteps"] = []

    def __init__(self, emulator, variants, make_engine, records_from_requests, **options):
        super().__init__(emulator, variants, make_engine, records_from_requests, **options)
        self.full = Runner(emulator, {n: make_engine(subs) for n, subs in variants.items()}, records_from_requests)
        self.checked = self.repeated = self.different = 0
        self.fires_full = 0
        CheckedSteps.instances.append(self)

    def run(self, event, seed=None):
        before = text(event)
        run = super().run(event, seed)
        assert text(event) == before, "a subscription changed the event"
        previous = None
        for name, engine in self.full.engines.items():
            full = self.full.actions(engine, event)
            self.fires_full += len(full.fired)
            assert run_text(run.variants[name]) == run_text(full), (name, event.get("messageId"))
            if name in run.repeats:
                assert previous is not None
                assert text(full.records) == text(previous.records) and full.errors == previous.errors
                self.repeated += 1
            elif previous is not None:
                self.different += 1
            previous = full
            self.checked += 1
        assert text(event) == before
        return run


class BothFigures(StepFigures):
    """StepFigures fed alongside a full VariantFindings; keeps what it was given."""

    instances: list["BothFigures"] = []

    def __init__(self, label):
        super().__init__(label)
        self.full = VariantFindings(label)
        self.given = []
        BothFigures.instances.append(self)

    def add(self, event, outcome_, classic=None, actions=None):
        super().add(event, outcome_, classic, actions)
        self.full.add(event, outcome_, classic, actions)
        self.given.append((event, outcome_))


def use(patch, step_runner, step_figures) -> None:
    """Make the verification pass (in this process) use these classes wherever it looks them up."""
    for module in (compare_module, runner_module, findings_module):
        if hasattr(module, "StepRunner") or module is runner_module:
            patch.setattr(module, "StepRunner", step_runner)
        if hasattr(module, "StepFigures") or module is findings_module:
            patch.setattr(module, "StepFigures", step_figures)


@pytest.fixture(scope="module", params=["cloud", "auto"])
def runs(request):
    """The example through compare twice: incremental (checked event by event against full engines, step
    figures fed alongside full findings), and the full-engine verification as it was before."""
    mode = request.param
    CheckedSteps.instances, BothFigures.instances = [], []
    with pytest.MonkeyPatch.context() as patch:
        use(patch, CheckedSteps, BothFigures)
        incremental = compare(SETTINGS, [EVENTS], mode=mode)
    with pytest.MonkeyPatch.context() as patch:
        use(patch, FullSteps, VariantFindings)
        full = compare(SETTINGS, [EVENTS], mode=mode)
    return {"incremental": incremental, "full": full, "steps": list(CheckedSteps.instances),
            "figures": list(BothFigures.instances)}


def test_every_step_equals_a_full_engine_event_by_event(runs):
    runners = runs["steps"]
    assert runners, "no recommendation step was verified"
    checked = sum(s.checked for s in runners)
    assert checked == sum(s.stats["events"] * len(s.names) for s in runners)
    assert sum(len(s.names) for s in runners) >= 10
    assert checked >= runs["incremental"]["inputs"]["events"] * 5
    # both kinds of step/event pairs occur, and the incremental runner fires fewer subscriptions
    assert sum(s.repeated for s in runners) > 0
    assert sum(s.different for s in runners) > 0
    assert sum(s.stats["fired"] for s in runners) < sum(s.fires_full for s in runners)
    # changed subscriptions sending what they sent before were reused, and checked above like the rest
    assert sum(s.stats["reused"] for s in runners) > 0


def test_step_figures_are_the_full_findings_figures(runs):
    figures_list = runs["figures"]
    assert len(figures_list) >= 5
    for figures in figures_list:
        full = figures.full
        assert R.stats(figures) == R.stats(full)
        assert R.mappable_chart_events(figures) == R.mappable_chart_events(full)
        assert (figures.parity, figures.parity_exact, figures.chart_events, figures.outcomes) == \
            (full.parity, full.parity_exact, full.chart_events, full.outcomes)
        assert {c: f.count for c, f in figures.findings.items()} == {c: f.count for c, f in full.findings.items()}
    assert any(f.events and f.matched < f.events for f in figures_list)


def test_step_figures_merge_in_chunk_order(runs):
    """Figures of two halves of the events, merged, are the figures of all of them (chunk jobs)."""
    for figures in runs["figures"]:
        given = figures.given
        first, second = StepFigures("a"), StepFigures("b")
        for i, (event, outcome_) in enumerate(given):
            (first if i < len(given) // 2 else second).add(event, outcome_)
        merged = first.merge(second)
        assert R.stats(merged) == R.stats(figures)
        assert {c: f.count for c, f in merged.findings.items()} == {c: f.count for c, f in figures.findings.items()}


def test_report_is_the_full_engine_report(runs):
    """The whole report model, incremental vs one full engine per step (and full findings per step)."""
    incremental, full = dict(runs["incremental"]), dict(runs["full"])
    incremental.pop("generated_at")
    full.pop("generated_at")
    assert incremental["recommendations"]
    assert text(incremental) == text(full)


# -- property: random variants of real subscription lists on generated and mutated events ------------------


def variants_of(subs: list[dict], rng: random.Random, n: int) -> dict[str, list[dict]]:
    """n cumulative variants: each one changes a subscription's mapping or trigger, adds, drops, disables,
    duplicates or moves one."""
    out = {}
    current = copy.deepcopy(subs)
    for i in range(n):
        current = copy.deepcopy(current)
        kind = rng.choice(["mapping", "trigger", "add", "drop", "disable", "duplicate", "move", "same"])
        if not current:
            kind = "add"
        index = rng.randrange(len(current)) if current else 0
        if kind == "mapping":
            mapping = current[index].setdefault("mapping", {})
            key = rng.choice(sorted(mapping) or ["user_id"])
            mapping[key] = rng.choice([{"@path": "$.userId"}, {"@path": "$.properties.nothing"}, "fixed", None,
                                       {"@path": "$.context.ip"}, 12])
        elif kind == "trigger":
            current[index]["subscribe"] = rng.choice(['type = "track"', 'type = "identify"',
                                                      'type = "page" or type = "screen"',
                                                      'event = "Order Completed"', 'properties.revenue exists',
                                                      current[index]["subscribe"] + ' and userId exists'])
        elif kind == "add":
            current.insert(index, copy.deepcopy(rng.choice(subs)) | {"name": f"added {i}"})
        elif kind == "drop":
            del current[index]
        elif kind == "disable":
            current[index]["enabled"] = False
        elif kind == "duplicate":
            current.insert(index, copy.deepcopy(current[index]))
        elif kind == "move":
            current.insert(rng.randrange(len(current)), current.pop(index))
        out[f"v{i}"] = current
    return out


def _sets():
    loaded, _ = classic.load_settings(SETTINGS)
    out = [(translate(SETTINGS, mode="cloud").settings, translate(SETTINGS, mode="cloud").subscriptions),
           (translate(SETTINGS, mode="web").settings, translate(SETTINGS, mode="web").subscriptions)]
    for dest_settings, subs in generate_subscriptions(3)[:6]:
        out.append((dest_settings, actions.load_subscriptions(subs)))
    return loaded, out


LOADED, SETS = _sets()
EVENT_POOL = list(generate_events(300, 7))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), which=st.integers(0, len(SETS) - 1), steps=st.integers(1, 6))
def test_property_random_variants_equal_full_engines(seed, which, steps):
    rng = random.Random(seed)
    dest_settings, subs = SETS[which]
    variants = variants_of(subs, rng, steps)

    def make(s):
        return actions.Engine(settings=dest_settings, subscriptions=s)

    emulator = classic.Emulator(LOADED, mode="cloud")
    incremental = StepRunner(emulator, variants, make, records_from_requests)
    full = Runner(emulator, {n: make(s) for n, s in variants.items()}, records_from_requests)
    for _ in range(15):
        event = copy.deepcopy(rng.choice(EVENT_POOL))
        if rng.random() < 0.4:
            event = mutate_event(event, rng)
        if rng.random() < 0.1:
            event["integrations"] = {ACTIONS_KEY: False}
        got = incremental.run(copy.deepcopy(event))
        want = full.run(copy.deepcopy(event))
        assert isinstance(got, EventRun)
        assert text(got.classic_records) == text(want.classic_records)
        assert got.classic_error == want.classic_error
        previous = None
        for name in variants:
            assert run_text(got.variants[name]) == run_text(want.variants[name]), name
            if name in got.repeats:
                assert text(want.variants[name].records) == text(previous.records)
                assert want.variants[name].errors == previous.errors
            previous = want.variants[name]


class RaisingEngine:
    """An engine whose second subscription's trigger raises on events without a userId."""

    def __init__(self, subs):
        self.subs = list(subs)

    def _match(self, sub, event):
        if sub["subscribe"] == "raise" and "userId" not in event:
            raise ValueError("trigger failed")
        return sub["subscribe"] in ("all", "raise")

    def matches(self, index, event):
        return self._match(self.subs[index], event)

    def fire(self, index, event):
        sub = self.subs[index]
        return {"subscription": sub["name"], "action": "logEvent", "error": None,
                "requests": [{"n": sub["name"]}]}

    def send(self, event):
        return [self.fire(i, event) for i, sub in enumerate(self.subs) if self._match(sub, event)]


def test_a_trigger_that_raises_stops_the_variant_as_a_full_engine_does():
    subs = [{"name": "a", "subscribe": "all"}, {"name": "b", "subscribe": "raise"}, {"name": "c", "subscribe": "all"}]
    variants = {"with": subs, "again": copy.deepcopy(subs), "without": [subs[0], subs[2]]}

    class Classic:
        def send(self, event):
            return {"records": []}

    def records(requests):
        return [{"event_type": r["n"]} for r in requests]

    incremental = StepRunner(Classic(), variants, RaisingEngine, records)
    full = Runner(Classic(), {n: RaisingEngine(s) for n, s in variants.items()}, records)
    for event in ({"type": "track"}, {"type": "track", "userId": "u"}):
        got, want = incremental.run(event), full.run(event)
        for name in variants:
            assert run_text(got.variants[name]) == run_text(want.variants[name])
    got = incremental.run({"type": "track"})
    assert got.variants["with"].errors == ["ValueError: trigger failed"] and not got.variants["with"].records
    assert [r["event_type"] for r in got.variants["without"].records] == ["a", "c"]
    assert got.repeats == frozenset({"again"})  # the same error as "with"; "without" differs
    assert incremental.run({"type": "track", "userId": "u"}).repeats == frozenset({"again"})
    assert incremental.run({"type": "track", "integrations": {ACTIONS_KEY: False}}).repeats == {"again", "without"}


# -- reuse of a changed subscription's origin (`StepRunner._plan_reuse`) --------------------------------------


def _cloud():
    translation = translate(SETTINGS, mode="cloud")
    return translation.settings, translation.subscriptions


def _changed(subs, name, **mapping):
    out = copy.deepcopy(subs)
    for sub in out:
        if sub["name"] == name:
            sub["mapping"].update(mapping)
    return out


def _compare_with_full(variants, events, dest_settings):
    def make(s):
        return actions.Engine(settings=dest_settings, subscriptions=s)

    emulator = classic.Emulator(LOADED, mode="cloud")
    incremental = StepRunner(emulator, variants, make, records_from_requests)
    full = Runner(emulator, {n: make(s) for n, s in variants.items()}, records_from_requests)
    wrong = []
    for event in events:
        got, want = incremental.run(copy.deepcopy(event)), full.run(copy.deepcopy(event))
        for name in variants:
            if run_text(got.variants[name]) != run_text(want.variants[name]):
                wrong.append((name, event.get("messageId")))
    return incremental, wrong


def test_a_changed_key_resolving_as_before_reuses_the_piece_and_only_then():
    """A step that points user_id at a property most events lack: where both resolve to nothing the base
    piece is reused, elsewhere the subscription runs; event by event what full engines give."""
    dest_settings, subs = _cloud()
    track = next(s["name"] for s in subs if s["partnerAction"] == "logEventV2" and "track" in s["subscribe"])
    events = [e for e in EVENT_POOL if e.get("type") == "track"][:60]
    for event in events[::3]:
        event["properties"] = {**(event.get("properties") or {}), "other_id": "u-1"}
    variants = {"base": _changed(subs, track, user_id={"@path": "$.properties.missing_id"}),
                "step": _changed(subs, track, user_id={"@path": "$.properties.other_id"})}
    runner, wrong = _compare_with_full(variants, events, dest_settings)
    assert not wrong
    assert runner.origins and runner.stats["reused"] > 0
    assert runner.stats["reused"] < len(events)  # the events with other_id ran the changed subscription


def test_a_null_expression_is_not_an_absent_key():
    """`"key": null` maps to null, a key the mapping lacks maps to nothing: never the same piece."""
    dest_settings, subs = _cloud()
    track = next(s["name"] for s in subs if s["partnerAction"] == "logEventV2" and "track" in s["subscribe"])
    base = _changed(subs, track)
    for sub in base:
        if sub["name"] == track:
            sub["mapping"].pop("user_id", None)
    variants = {"base": base, "step": _changed(base, track, user_id=None)}
    events = [e for e in EVENT_POOL if e.get("type") == "track"][:20]
    runner, wrong = _compare_with_full(variants, events, dest_settings)
    assert not wrong


def test_the_event_by_event_check_catches_a_wrong_reuse(monkeypatch):
    """Plant the bug the reuse could have (treating different values as the same): the check against full
    engines must see it."""
    dest_settings, subs = _cloud()
    track = next(s["name"] for s in subs if s["partnerAction"] == "logEventV2" and "track" in s["subscribe"])
    variants = {"base": subs, "step": _changed(subs, track, user_id="someone else")}
    events = [e for e in EVENT_POOL if e.get("type") == "track"][:10]
    _, wrong = _compare_with_full(variants, events, dest_settings)
    assert not wrong
    monkeypatch.setattr(runner_module, "_same_value", lambda a, b: True)
    runner, wrong = _compare_with_full(variants, events, dest_settings)
    assert runner.stats["reused"] > 0 and wrong


def test_same_value_is_strict():
    same = runner_module._same_value
    assert same({"a": [1, "x", None]}, {"a": [1, "x", None]})
    assert not same({"a": 1, "b": 2}, {"b": 2, "a": 1})  # key order is output
    assert not same(1, 1.0) and not same(1, True) and not same(0.0, -0.0)
    assert same(float("nan"), float("nan"))  # the same text either way
    assert not same({}, {"k": None})
