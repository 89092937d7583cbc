"""Property-based fuzzing: generated and mutated events, input files and settings through the reader, both
engines, the differ and the report. No exception escapes, every skip has a reason, no secret appears in
any output.

The example counts are bounded for CI (the `ci` profile, the default); `HYPOTHESIS_PROFILE=deep` runs
more. `bench/fuzz.py` runs the same mutations over 100,000 events through `compare`.
"""

import json
import os
import sys
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from mutate import TYPES, mutate_event, mutate_line, mutate_settings  # noqa: E402

import actions  # noqa: E402
import classic  # noqa: E402
from migrate.cli import main  # noqa: E402
from migrate.compare import compare  # noqa: E402
from migrate.errors import BadInput  # noqa: E402
from migrate.events import ReadStats, read_events  # noqa: E402
from migrate.translate import translate  # noqa: E402
from reports import render_all  # noqa: E402

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("deep", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DATA = Path(__file__).parent.parent / "workflow" / "data"
SETTINGS_FILE = DATA / "classic-settings-full.json"
SETTINGS = json.loads(SETTINGS_FILE.read_text())
SECRETS = (SETTINGS["apiKey"], SETTINGS["secretKey"])
BASE_EVENTS = [json.loads(line) for line in (DATA / "events.jsonl").read_text().splitlines()
               if line.startswith("{") and '"type"' in line]
MODES = ("cloud", "web", "ios", "android")
ACTIONS_SETTINGS = translate(SETTINGS).settings
ENGINE = actions.Engine(settings=ACTIONS_SETTINGS, subscriptions=actions.preset_subscriptions())
TRANSLATED = actions.Engine(settings=ACTIONS_SETTINGS, subscriptions=translate(SETTINGS).subscriptions)
EMULATORS = {mode: classic.Emulator(SETTINGS, mode=mode) for mode in MODES}

# JSON values of every kind, nested, with the awkward corners of numbers and text
json_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30)
                | st.sampled_from(["", "\ud800", "null", "0", "-1", "1e400", "x" * 2000]))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)


@st.composite
def segment_events(draw):
    """A real-looking event, mutated by the shared mutator, or one built from scratch with random fields."""
    rng = draw(st.randoms(use_true_random=False))
    if draw(st.booleans()):
        return mutate_event(rng.choice(BASE_EVENTS), rng)
    event = draw(st.dictionaries(st.sampled_from(["event", "name", "userId", "anonymousId", "properties", "traits",
                                                  "context", "timestamp", "messageId", "integrations", "groupId",
                                                  "previousId", "category"]), json_values, max_size=8))
    event["type"] = draw(st.sampled_from(TYPES))
    return event


def _assert_no_secret(*texts):
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# -- the reader ---------------------------------------------------------------------------------------------

@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=30))
def test_reader_never_raises_and_every_skip_has_a_reason(tmp_path_factory, rng, n):
    lines = [mutate_line(json.dumps(mutate_event(rng.choice(BASE_EVENTS), rng, rng.randint(0, 2))), rng)
             for _ in range(n)]
    path = tmp_path_factory.mktemp("reader") / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    stats = ReadStats()
    try:
        events = list(read_events([str(path)], stats=stats))
    except BadInput as exc:  # a broken document: one line naming the file
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
        return
    assert all(isinstance(e, dict) and e.get("type") in TYPES for e in events)
    assert stats.read == len(events)
    assert stats.skipped_count == sum(stats.skipped_by_reason.values())
    for skip in stats.skipped:
        assert skip.reason and skip.kind and skip.file == str(path)


@given(st.binary(max_size=400))
def test_reader_on_arbitrary_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "events"
    path.write_bytes(data)
    stats = ReadStats()
    try:
        list(read_events([str(path)], stats=stats))
    except BadInput as exc:
        assert str(exc).startswith(str(path))
    assert all(s.reason for s in stats.skipped)


# -- both engines -------------------------------------------------------------------------------------------

@given(segment_events())
@settings(max_examples=int(os.environ.get("FUZZ_ENGINE_EXAMPLES", "150")))
def test_engines_never_raise(event):
    # Through the reader's own JSON parsing, so values look as they do in a real run
    path_event = json.loads(json.dumps(event))
    for mode, emulator in EMULATORS.items():
        out = emulator.send(json.loads(json.dumps(path_event)))
        assert isinstance(out, dict)
    for engine in (ENGINE, TRANSLATED):
        for item in engine.send(json.loads(json.dumps(path_event))):
            assert isinstance(item, dict)


# -- differ and report, end to end --------------------------------------------------------------------------

@given(st.lists(segment_events(), min_size=1, max_size=12), st.sampled_from(MODES))
@settings(max_examples=int(os.environ.get("FUZZ_COMPARE_EXAMPLES", "12")))
def test_compare_and_report_never_raise_and_never_leak_a_secret(tmp_path_factory, events, mode):
    tmp = tmp_path_factory.mktemp("compare")
    path = tmp / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8", errors="surrogatepass")
    model = compare(SETTINGS, [str(path)], settings_file=str(SETTINGS_FILE), mode=mode, max_skipped=None,
                    recommend=False)
    written = render_all(model, tmp / "report", secrets=SECRETS)
    texts = [p.read_text(encoding="utf-8") for p in written.values()]
    _assert_no_secret(*texts, json.dumps(model))
    for skip in model["inputs"]["skipped_examples"]:
        assert skip["reason"]


# -- settings -----------------------------------------------------------------------------------------------

@given(st.randoms(use_true_random=False))
def test_mutated_settings_are_accepted_or_named_never_raised(rng):
    mutated = mutate_settings(SETTINGS, rng)
    try:
        loaded, warnings = classic.load_settings(mutated, source="classic.json")
    except classic.SettingsError as exc:
        assert str(exc).startswith("classic.json: setting '") or "must be" in str(exc)
        _assert_no_secret(str(exc))
        return
    _assert_no_secret(*warnings)
    result = translate(mutated)
    _assert_no_secret(json.dumps(result.log), *result.notes)
    for mode in MODES:
        classic.Emulator(loaded, mode=mode).send(BASE_EVENTS[0])


@given(st.randoms(use_true_random=False))
@settings(max_examples=int(os.environ.get("FUZZ_CLI_EXAMPLES", "8")))
def test_cli_exit_codes_on_mutated_settings_and_lines(tmp_path_factory, rng):
    tmp = tmp_path_factory.mktemp("cli")
    settings_path = tmp / "classic.json"
    settings_path.write_text(json.dumps(mutate_settings(SETTINGS, rng)))
    events = tmp / "events.jsonl"
    events.write_bytes(b"\n".join(mutate_line(json.dumps(mutate_event(rng.choice(BASE_EVENTS), rng)), rng)
                                  for _ in range(10)) + b"\n")
    for args in (["compare", "--no-recommend", "--settings", settings_path, events],
                 ["classic", "run", "--settings", settings_path, events],
                 ["translate", settings_path]):
        result = CliRunner().invoke(main, [str(a) for a in args])
        assert result.exit_code in (0, 1, 2), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Traceback" not in result.output
        if args[0] == "classic":
            continue  # classic run writes requests with the api_key unless --redact (by design)
        _assert_no_secret(result.output)
