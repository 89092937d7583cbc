"""The structure of `compare`'s passes: the first pass runs presets and the translated set as two steps of one
`StepRunner` (against one full engine per set, event by event and report for report), and the final pass is
left out only when the verification pass showed that the settled recommended sets send, on every event, what
the last cumulative step sent (against the report with the final pass forced). Each check is shown to catch a
planted bug."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest

import actions
import classic
import migrate.compare as compare_module
import migrate.replay as replay_module
import migrate.runner as runner_module
from migrate.canonical import records_from_requests
from migrate.compare import compare
from migrate.generate import generate_events
from migrate.replay import FirstPass, _CompareJob
from migrate.runner import ACTIONS_KEY, Router, Runner, StepRunner, same_outputs
from migrate.translate import translate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SETTINGS = json.loads((EXAMPLES / "classic-settings.json").read_text())
EVENTS = str(EXAMPLES / "events.jsonl")
LOADED, _ = classic.load_settings(SETTINGS)
POOL = list(generate_events(200, 11))


def text(value) -> str:
    return json.dumps(value, default=repr)


def run_text(run) -> str:
    return text({"records": run.records, "fired": run.fired, "errors": run.errors, "reached": run.reached})


def model_text(model: dict) -> str:
    model = dict(model)
    model.pop("generated_at")
    return text(model)


def presets_changed() -> list[dict]:
    """A user's subscriptions: the presets with the Track Calls referrer read from a path events rarely
    have (the same output as the preset wherever neither path is present)."""
    subs = copy.deepcopy(actions.preset_subscriptions())
    for sub in subs:
        if sub["name"] == "Track Calls":
            sub["mapping"]["referrer"] = {"@path": "$.context.page.referrer_url"}
    for event in POOL[::4]:
        page = event.setdefault("context", {}).setdefault("page", {})
        page["referrer_url"] = "https://example.com/elsewhere"
    return subs


USER_SUBS = presets_changed()
# the presets with Track Calls sending no user_id: other records than the presets' on most track events
NO_USER_ID = copy.deepcopy(actions.preset_subscriptions())
for _sub in NO_USER_ID:
    if _sub["name"] == "Track Calls":
        _sub["mapping"]["user_id"] = {"@path": "$.properties.no_such_id"}


# -- the first pass -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["cloud", "web", "ios"])
@pytest.mark.parametrize("user", [False, True])
def test_first_pass_steps_equal_full_engines_event_by_event(mode, user):
    translation = translate(SETTINGS, mode=mode)
    variants = {"presets": actions.preset_subscriptions(),
                "translated": USER_SUBS if user else translation.subscriptions}

    def make(subs):
        return actions.Engine(settings=translation.settings, subscriptions=subs)

    emulator = classic.Emulator(LOADED, mode=mode)
    steps = StepRunner(emulator, variants, make, records_from_requests)
    full = Runner(emulator, {n: make(s) for n, s in variants.items()}, records_from_requests)
    rng = random.Random(5)
    events = [copy.deepcopy(e) for e in POOL]
    for event in rng.sample(events, 20):
        event["integrations"] = {ACTIONS_KEY: False}
    repeated = 0
    for event in events:
        got, want = steps.run(copy.deepcopy(event)), full.run(copy.deepcopy(event))
        for name in variants:
            assert run_text(got.variants[name]) == run_text(want.variants[name]), (name, event.get("messageId"))
        if "translated" in got.repeats:
            repeated += 1
            assert text(want.variants["translated"].records) == text(want.variants["presets"].records)
            assert want.variants["translated"].errors == want.variants["presets"].errors
    assert repeated > 0
    if user:
        # the shared subscriptions ran once, the changed one reused the preset's output where the key agreed
        assert steps.stats["reused"] > 0
        assert steps.stats["fired"] < sum(len(full.run(copy.deepcopy(e)).variants[n].fired)
                                          for e in events for n in variants)


def _plain_first_pass(patch) -> None:
    """The first pass as before: one full engine per set, every diff worked out."""
    patch.setattr(FirstPass, "runner", lambda self, m: _CompareJob.runner(self, m))


def _count_diffs(patch) -> list:
    calls = []
    original = replay_module.outcome

    def counted(run, variant, ctx=None):
        calls.append(variant)
        return original(run, variant, ctx)

    patch.setattr(replay_module, "outcome", counted)
    return calls


@pytest.mark.parametrize("options", [{"mode": "auto"}, {"mode": "cloud", "recommend": False},
                                     {"mode": "auto", "subscriptions": USER_SUBS},
                                     {"mode": "cloud", "recommend": False, "subscriptions": NO_USER_ID}])
def test_first_pass_report_is_the_plain_report(options):
    with pytest.MonkeyPatch.context() as patch:
        new_diffs = _count_diffs(patch)
        new = compare(SETTINGS, [EVENTS], **options)
    with pytest.MonkeyPatch.context() as patch:
        _plain_first_pass(patch)
        plain_diffs = _count_diffs(patch)
        plain = compare(SETTINGS, [EVENTS], **options)
    assert model_text(new) == model_text(plain)
    # events whose translated records repeat the presets' kept the presets' diff
    assert new_diffs.count("translated") < plain_diffs.count("translated")
    assert new_diffs.count("presets") == plain_diffs.count("presets")


@pytest.mark.parametrize("subscriptions", [None, NO_USER_ID])
def test_the_report_check_catches_a_wrong_repeat(monkeypatch, subscriptions):
    """Plant a bug: records counted as identical whatever they hold, so every second-set run repeats the
    presets' and keeps their diff. The report check must see it, on either runner."""
    with pytest.MonkeyPatch.context() as patch:
        _plain_first_pass(patch)
        plain = compare(SETTINGS, [EVENTS], mode="cloud", recommend=False, subscriptions=subscriptions)
    monkeypatch.setattr(runner_module, "_identical", lambda a, b: True)
    wrong = compare(SETTINGS, [EVENTS], mode="cloud", recommend=False, subscriptions=subscriptions)
    assert model_text(wrong) != model_text(plain)


def test_first_pass_runner_shares_engines_only_when_the_sets_share_subscriptions():
    loaded, _ = classic.load_settings(SETTINGS)
    for subs, kind in ((None, Runner), (USER_SUBS, StepRunner)):
        setup = replay_module.CompareSetup(loaded, SETTINGS, {}, subs, actions.preset_subscriptions(), "cloud",
                                           None)
        job = FirstPass(setup, {"presets": "p", "translated": "t"})
        assert type(job.runner("cloud")) is kind


def test_runner_repeats_name_only_identical_runs():
    translation = translate(SETTINGS, mode="web")
    variants = {"presets": actions.preset_subscriptions(), "translated": translation.subscriptions,
                "again": copy.deepcopy(translation.subscriptions)}
    engines = {n: actions.Engine(settings=translation.settings, subscriptions=s) for n, s in variants.items()}
    emulator = classic.Emulator(LOADED, mode="web")
    marked = Runner(emulator, engines, records_from_requests, repeats=True)
    seen = set()
    for event in POOL:
        run = marked.run(copy.deepcopy(event))
        names = list(run.variants)
        for before, name in zip(names, names[1:]):
            same = (text(run.variants[name].records) == text(run.variants[before].records)
                    and run.variants[name].errors == run.variants[before].errors)
            assert (name in run.repeats) == same, (name, event.get("messageId"))
            seen.add((name, same))
    assert {("translated", True), ("translated", False), ("again", True)} <= seen


# -- the final pass -------------------------------------------------------------------------------------------


def _events_of(mode: str, path: Path) -> str:
    router = Router("auto")
    lines = [line for line in Path(EVENTS).read_text().splitlines(keepends=True)
             if line.strip() and router.route(json.loads(line))[1] == mode]
    path.write_text("".join(lines))
    return str(path)


def _run(events, patch, *, forced: bool, **options):
    """compare, counting final passes; `forced`: the final pass whenever the settled sets are not the last
    steps' (the path before)."""
    made = []
    original = replay_module.FinalPass.__init__

    def init(self, *args, **kwargs):
        made.append(1)
        original(self, *args, **kwargs)

    patch.setattr(replay_module.FinalPass, "__init__", init)
    if forced:
        patch.setattr(compare_module, "same_outputs", lambda *args: False)
    settled = []
    settle = compare_module.settle

    def recording(found, *args):
        subs, entries = settle(found, *args)
        settled.append(subs != found[-1][1])
        return subs, entries

    patch.setattr(compare_module, "settle", recording)
    return compare(SETTINGS, events, **options), len(made), any(settled)


@pytest.mark.parametrize("workers", [1, 2])
def test_final_pass_left_out_only_when_shown_redundant(tmp_path, workers):
    """The example's cloud-mode events: the settled set is not the last step's (changes trimmed to the
    subscriptions where they changed something), yet it sends the same on every event, so no final pass;
    the whole example: other modes' settled sets send something else, so the final pass runs. Both give the
    report of the forced final pass."""
    cloud_only = _events_of("cloud", tmp_path / "cloud.jsonl")
    for events, redundant in (([cloud_only], True), ([EVENTS], False)):
        with replay_module.workers_executor(workers) as executor:
            with pytest.MonkeyPatch.context() as patch:
                new, passes, differs = _run(events, patch, forced=False, executor=executor, chunk_lines=10)
            with pytest.MonkeyPatch.context() as patch:
                old, old_passes, _ = _run(events, patch, forced=True, executor=executor, chunk_lines=10)
        assert differs and old_passes == 1, "the case needs settled sets that are not the last steps"
        assert passes == (0 if redundant else 1)
        assert model_text(new) == model_text(old)


def test_the_forced_final_pass_check_catches_a_wrong_proof(tmp_path, monkeypatch):
    """Plant a bug: every version counted as sending what the last step sent. On the example's android
    events the settled set is made of versions the steps held, but sends something else on a few events: the
    final pass is then left out where it was needed, and the comparison with the forced final pass sees it."""
    android = _events_of("android", tmp_path / "android.jsonl")
    with pytest.MonkeyPatch.context() as patch:
        old, _, _ = _run([android], patch, forced=True)
    with pytest.MonkeyPatch.context() as patch:
        new, passes, _ = _run([android], patch, forced=False)
    assert passes == 1 and model_text(new) == model_text(old)
    monkeypatch.setattr(runner_module, "_same_piece", lambda a, b: True)
    wrong, passes, _ = _run([android], monkeypatch, forced=False)
    assert passes == 0
    assert model_text(wrong) != model_text(old)


def test_same_outputs_needs_every_position_shown():
    a = {"name": "A", "subscribe": 'type = "track"', "partnerAction": "logEvent", "mapping": {"x": 1}}
    a2 = {**a, "mapping": {"x": 2}}
    a3 = {**a, "mapping": {"x": 3}}
    b = {"name": "B", "subscribe": 'type = "identify"', "partnerAction": "identifyUser", "mapping": {}}
    variants = {"base": [a, b], "step0": [a2, b]}
    # a (index 0) at position 0 of step0 (a2, index 1): shown the same unless (0, 0) differed
    assert same_outputs(variants, "step0", set(), [a, b])
    assert not same_outputs(variants, "step0", {(0, 0)}, [a, b])
    assert same_outputs(variants, "step0", {(0, 0)}, [a2, b])  # the step itself
    assert not same_outputs(variants, "step0", set(), [a3, b])  # a version no step held
    assert not same_outputs(variants, "step0", set(), [b, a])  # another order
    assert not same_outputs(variants, "step0", set(), [a])  # another length
    assert same_outputs(variants, "step0", set(), [a, b, {**a3, "enabled": False}])  # disabled: not run


def test_tracked_versions_shown_the_same_give_the_same_full_engine_output():
    """Random cumulative variants of the translated set; every candidate the tracking calls the same as the
    last variant gives, through a full engine, the last variant's output on every event."""
    from test_incremental import variants_of  # noqa: PLC0415 - the same random variants

    translation = translate(SETTINGS, mode="cloud")

    def make(subs):
        return actions.Engine(settings=translation.settings, subscriptions=subs)

    emulator = classic.Emulator(LOADED, mode="cloud")
    checked = shown = 0
    for seed in range(12):
        rng = random.Random(seed)
        variants = variants_of(translation.subscriptions, rng, 4)
        last = list(variants)[-1]
        runner = StepRunner(emulator, variants, make, records_from_requests, track=last)
        events = [copy.deepcopy(e) for e in rng.sample(POOL, 60)]
        for event in events:
            runner.run(copy.deepcopy(event))
        differed = runner.take_differed()
        distinct, _, orders = runner_module._distinct(variants)
        order = orders[-1]
        # every candidate that swaps one position of the last variant for another version of it
        for position, i in enumerate(order):
            for j, sub in enumerate(distinct):
                if j == i or sub.get("name") != distinct[i].get("name"):
                    continue
                candidate = [distinct[k] for k in order]
                candidate[position] = sub
                checked += 1
                if not same_outputs(variants, last, differed, candidate):
                    continue
                shown += 1
                full_last, full_candidate = make([distinct[k] for k in order]), make(candidate)
                for event in events:
                    want = Runner(emulator, {"x": full_last}, records_from_requests).actions(full_last, event)
                    got = Runner(emulator, {"x": full_candidate}, records_from_requests).actions(full_candidate,
                                                                                                 event)
                    assert run_text(got) == run_text(want), (seed, position, sub.get("name"))
    assert checked > 10 and 0 < shown < checked
