"""`actions run` and `classic run` write data: exact by default, pseudonymised with --pii mask."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrate.cli import main

from pii_data import EVENTS, SETTINGS, leaks

ACTIONS_SETTINGS = {"apiKey": "live-api-key-0123456789abcdef", "secretKey": "live-secret-fedcba98", "endpoint": "europe"}


@pytest.fixture(scope="module")
def actions_settings(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("settings") / "actions.json"
    path.write_text(json.dumps(ACTIONS_SETTINGS))
    return path


def run(*args):
    result = CliRunner().invoke(main, [*args, str(EVENTS)])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def commands(actions_settings):
    return {
        "actions": ["actions", "run", "--settings", str(actions_settings)],
        "classic": ["classic", "run", "--settings", str(SETTINGS)],
    }


@pytest.mark.parametrize("engine", ["actions", "classic"])
def test_output_is_exact_by_default(commands, engine):
    out = run(*commands[engine])
    assert out == run(*commands[engine], "--pii", "keep")
    shown = leaks(out)
    assert "zoe.quartermain@example.org" in shown and "203.0.113.77" in shown and "uid-7Q4XK2M9" in shown


@pytest.mark.parametrize("engine", ["actions", "classic"])
def test_pii_mask_pseudonymises_every_line(commands, engine):
    exact = [json.loads(line) for line in run(*commands[engine]).splitlines()]
    out = run(*commands[engine], "--pii", "mask", "--pii-key", "loyalty_number")
    assert leaks(out) == []
    masked = [json.loads(line) for line in out.splitlines()]
    assert [m["messageId"] for m in masked] == [e["messageId"] for e in exact]
    assert [len(m["records"]) for m in masked] == [len(e["records"]) for e in exact]
    # event names stay readable
    names = lambda lines: [r.get("event_type") for line in lines for r in line["records"]]  # noqa: E731
    assert names(masked) == names(exact)


def test_salt_makes_runs_repeatable(commands):
    args = [*commands["actions"], "--pii", "mask", "--pii-salt", "a long team secret"]
    assert run(*args) == run(*args)
    assert run(*commands["actions"], "--pii", "mask") != run(*commands["actions"], "--pii", "mask")


def test_empty_salt_is_a_usage_error(commands):
    result = CliRunner().invoke(main, [*commands["actions"], "--pii", "mask", "--pii-salt", "", str(EVENTS)])
    assert result.exit_code == 2 and "--pii-salt" in result.output


def test_snapshot_records_exact_by_default_masked_on_request():
    from migrate.snapshot import SnapshotInputError, records_by_event

    exact = records_by_event(EVENTS, settings=SETTINGS, presets=True)
    assert "zoe.quartermain@example.org" in leaks(json.dumps(exact, ensure_ascii=False))
    masked = records_by_event(EVENTS, settings=SETTINGS, presets=True, pii="mask", pii_salt="team secret",
                              pii_keys=["loyalty_number"])
    text = json.dumps(masked, ensure_ascii=False)
    assert leaks(text) == []
    assert list(masked) == list(exact) and [e["call"] for e in masked.values()] == [e["call"] for e in exact.values()]
    # stable between runs, so a snapshot does not change when nothing did
    assert masked == records_by_event(EVENTS, settings=SETTINGS, presets=True, pii="mask", pii_salt="team secret",
                                      pii_keys=["loyalty_number"])
    with pytest.raises(SnapshotInputError, match="needs pii_salt"):
        records_by_event(EVENTS, presets=True, pii="mask")
