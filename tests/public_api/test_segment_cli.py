"""`segment pull|plan|apply` end to end against the fake API."""

import json
import logging

import pytest
from click.testing import CliRunner

from segment_support import TOKEN, load
from migrate.cli_segment import segment_group

DEST = "dst_actions_0001"
CLASSIC = "dst_classic_0001"


@pytest.fixture
def run(server, clock, monkeypatch, tmp_path, caplog):
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    outputs = []

    def invoke(*args, token=TOKEN, env=None):
        environ = {"SEGMENT_TOKEN": token, "SEGMENT_API_URL": server.url} | (env or {})
        result = CliRunner().invoke(segment_group, list(args), env=environ,
                                    obj={"client_options": {"clock": clock, "sleep": clock.sleep}})
        outputs.append(result.output)
        return result

    yield invoke
    # Whatever happened, the token shows up in no output and no log record.
    texts = outputs + [r.getMessage() for r in caplog.records]
    assert not [t for t in texts if TOKEN in t]


def test_pull_prints_settings_and_warns_about_masked_secrets(run):
    result = run("pull", "--destination-id", CLASSIC)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == load("classic_destination.json")["settings"]
    assert "warning: apiKey, secretKey came back masked" in result.stderr
    assert "7d35" not in result.stderr


def test_pull_writes_the_output_file(run, tmp_path):
    result = run("pull", "--destination-id", CLASSIC, "-o", "classic.json")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "classic.json").read_text())["apiKey"] == "••••••••••7d35"
    assert result.stdout == ""


def test_pull_warns_when_the_destination_is_not_classic(run):
    result = run("pull", "--destination-id", DEST)
    assert result.exit_code == 0
    assert "not Amplitude (Classic)" in result.stderr


def test_missing_token_is_a_usage_error(run):
    result = run("pull", "--destination-id", CLASSIC, token="")
    assert result.exit_code == 2
    assert "SEGMENT_TOKEN is not set" in result.output


def test_wrong_token_explains_what_to_check(run):
    result = run("pull", "--destination-id", CLASSIC, token="sgp_wrong")
    assert result.exit_code == 2
    assert "HTTP 401" in result.output and "--region eu" in result.output


def test_unknown_destination_is_reported(run):
    result = run("pull", "--destination-id", "nope")
    assert result.exit_code == 2
    assert "HTTP 404" in result.output and "--destination-id" in result.output


def test_plan_prints_create_update_delete_unchanged(run, server, desired_path):
    result = run("plan", "--destination-id", DEST, "--subscriptions", desired_path)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "2 to create, 1 to update, 2 to delete (1 only with --prune), 1 unchanged" in out
    assert "+ create    'Order Completed Calls' (logPurchase)" in out
    assert 'settings.user_properties: {"@path": "$.traits"} -> {"@path": "$.context.traits"}' in out
    assert "= unchanged 'Identify Calls' (identifyUser)" in out
    assert server.writes == []


def test_plan_json(run, desired_path):
    result = run("plan", "--destination-id", DEST, "--subscriptions", desired_path, "--json")
    assert json.loads(result.stdout)["counts"]["create"] == 2


def test_bad_subscriptions_file_names_file_and_item(run, tmp_path):
    path = tmp_path / "subs.json"
    path.write_text(json.dumps([{"name": "A", "partnerAction": "logEventV2", "mapping": {}}]))
    result = run("plan", "--destination-id", DEST, "--subscriptions", str(path))
    assert result.exit_code == 2
    assert f"{path}: item 1 ('A'): needs a trigger" in result.output


def test_apply_without_yes_is_a_dry_run(run, server, desired_path, tmp_path):
    result = run("apply", "--destination-id", DEST, "--subscriptions", desired_path)
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was changed" in result.stdout
    assert server.writes == []
    assert list(tmp_path.glob("segment-subscriptions-*.json")) == []
    result = run("apply", "--destination-id", DEST, "--subscriptions", desired_path, "--yes", "--dry-run")
    assert "Dry run" in result.stdout and server.writes == []


def test_apply_yes_then_again_changes_nothing(run, server, desired_path, tmp_path):
    result = run("apply", "--destination-id", DEST, "--subscriptions", desired_path, "--yes")
    assert result.exit_code == 0, result.output
    backups = list(tmp_path.glob(f"segment-subscriptions-{DEST}-*.json"))
    assert len(backups) == 1
    assert f"Backup of the existing subscriptions: {backups[0].name}" in result.stdout
    assert "Applied 4 change(s); 1 unchanged; 1 skipped" in result.stdout
    writes = len(server.writes)
    result = run("apply", "--destination-id", DEST, "--subscriptions", desired_path, "--yes", "--json")
    summary = json.loads(result.stdout)
    assert summary["applied"] == [] and len(summary["unchanged"]) == 4
    assert summary["backup"] is None
    assert len(server.writes) == writes
    assert len(list(tmp_path.glob(f"segment-subscriptions-{DEST}-*.json"))) == 1


def test_apply_stops_on_422_with_summary(run, server, desired_path):
    server.add_fault("POST", f"/destinations/{DEST}/subscriptions", status=422,
                     errors=[{"type": "validation", "field": "trigger", "message": "invalid FQL"}])
    result = run("apply", "--destination-id", DEST, "--subscriptions", desired_path, "--yes", "--backup", "b.json")
    assert result.exit_code == 2
    assert "FAILED: create 'Page Calls' (logEventV2)" in result.stdout
    assert "trigger: invalid FQL" in result.stdout
    assert "Not applied (3):" in result.stdout
    assert "apply stopped at the first error" in result.output


def test_region_option_rejects_unknown_regions(run):
    result = run("pull", "--destination-id", CLASSIC, "--region", "apac")
    assert result.exit_code == 2


@pytest.mark.parametrize("name", ["pull", "plan", "apply"])
def test_every_command_has_help_ending_with_an_example(name):
    result = CliRunner().invoke(segment_group, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert "amplitude-migrate segment " + name in result.output.split("Example:")[1]
    assert "token" not in [p.name for p in segment_group.commands[name].params]


def test_plan_warns_about_suspicious_triggers(run, tmp_path):
    path = tmp_path / "subs.json"
    path.write_text(json.dumps([{"name": "Track Calls", "partnerAction": "logEventV2", "subscribe": "type = ",
                                 "mapping": {}}]))
    result = run("plan", "--destination-id", DEST, "--subscriptions", str(path))
    assert result.exit_code == 0, result.output
    assert (f"warning: {path}: subscription 'Track Calls': trigger 'type = ': 'type =' has no value"
            in result.stderr)
