"""`amplitude-migrate actions run` end to end: output shape, skips, strict mode, redaction, errors, secrets."""

import gzip
import json

import pytest
from click.testing import CliRunner

from migrate.cli import main
from migrate.masking import MASK

API_KEY = "live-api-key-0123456789abcdef"
SECRET = "live-secret-key-fedcba9876543210"
EVENTS = [
    {"messageId": "m1", "type": "track", "event": "Signed Up", "userId": "user-0001",
     "timestamp": "2024-03-01T10:00:00.000Z", "context": {"library": {"name": "analytics.js"}}},
    {"messageId": "m2", "type": "identify", "userId": "user-0001", "traits": {"plan": "pro"}},
    {"messageId": "m3", "type": "track", "event": "Order Completed", "userId": "user-0001",
     "properties": {"revenue": 30, "products": [{"price": 10, "quantity": 3, "productId": "sku-1"}]}},
]


@pytest.fixture
def files(tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"apiKey": API_KEY, "secretKey": SECRET, "endpoint": "europe"}))
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(json.dumps(e) for e in EVENTS[:2]) + "\n{broken\n" + json.dumps(EVENTS[2]) + "\n")
    return tmp_path, settings, events


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_one_line_per_event_in_order_with_requests_and_records(files):
    tmp, settings, events = files
    result = run("actions", "run", "--settings", str(settings), str(events))
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["messageId"] for line in lines] == ["m1", "m2", "m3"]
    track = lines[0]["fired"][0]
    assert track["subscription"] == "Track Calls" and track["action"] == "logEventV2" and track["error"] is None
    assert track["requests"][0]["url"] == "https://api.eu.amplitude.com/2/httpapi"
    assert lines[0]["records"][0]["event_type"] == "Signed Up"
    identify = lines[1]["fired"][0]["requests"][0]
    assert identify["headers"]["content-type"].startswith("application/x-www-form-urlencoded")
    assert json.loads(identify["form"]["identification"])["user_id"] == "user-0001"
    assert [r["kind"] for r in lines[1]["records"]] == ["identify"]
    # Order Completed goes to Log Purchase only (the Track Calls preset excludes it)
    assert [f["subscription"] for f in lines[2]["fired"]] == ["Order Completed Calls"]
    # the malformed line is named and counted, and the others still run
    assert f"{events}:3: invalid JSON" in result.stderr
    assert "3 events read, 1 lines skipped" in result.stderr


def test_strict_stops_with_exit_2(files):
    tmp, settings, events = files
    result = run("actions", "run", "--strict", "--settings", str(settings), str(events))
    assert result.exit_code == 2 and f"{events}:3: invalid JSON" in result.stderr


def test_output_file_gzip_input_and_redaction(files):
    tmp, settings, events = files
    gz = tmp / "events.bin"
    gz.write_bytes(gzip.compress(events.read_bytes()))
    out = tmp / "out.jsonl"
    result = run("actions", "run", "--settings", str(settings), "-o", str(out), str(gz))  # --redact is the default
    assert result.exit_code == 0
    text = out.read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 3 and API_KEY not in text and SECRET not in text
    assert lines[0]["fired"][0]["requests"][0]["json"]["api_key"] == MASK
    unredacted = run("actions", "run", "--no-redact", "--settings", str(settings), str(gz)).stdout
    assert API_KEY in unredacted  # exactly as sent: Amplitude needs it in the body
    assert API_KEY not in result.stderr and SECRET not in result.stderr + text


def test_stdin(files):
    tmp, settings, events = files
    result = run("actions", "run", "--settings", str(settings), "-", input=events.read_text())
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 3


@pytest.mark.parametrize(
    "settings, message",
    [
        ('{"apiKey": "%s"}' % API_KEY, "missing the required field 'secretKey'"),
        ('{"apiKey": "%s", "secretKey": "%s", "endpoint": "asia"}' % (API_KEY, SECRET),
         "setting 'endpoint' must be one of 'north_america', 'europe', got 'asia'"),
        ('{"apiKey": 12345, "secretKey": "%s"}' % SECRET, "setting 'apiKey' must be a string, got int"),
        ('{"apiKey": \n', "settings file is not valid JSON"),
        ("[1]", "settings must be a JSON object"),
    ],
)
def test_bad_settings_exit_2_without_echoing_secrets(files, settings, message):
    tmp, _, events = files
    path = tmp / "bad.json"
    path.write_text(settings)
    result = run("actions", "run", "--settings", str(path), str(events))
    assert result.exit_code == 2 and message in result.stderr and str(path) in result.stderr
    assert API_KEY not in result.stderr + result.stdout and SECRET not in result.stderr + result.stdout


def test_bad_subscriptions_name_the_subscription(files):
    tmp, settings, events = files
    subs = tmp / "subs.json"
    subs.write_text(json.dumps([{"name": "Nested", "partnerAction": "logEventV2",
                                 "subscribe": '(type = "track" and (event = "x"))', "mapping": {}}]))
    result = run("actions", "run", "--settings", str(settings), "--subscriptions", str(subs), str(events))
    assert result.exit_code == 2
    assert "'Nested'" in result.stderr and "does not parse" in result.stderr and str(subs) in result.stderr


def test_public_api_shaped_subscriptions_and_disabled_ones(files):
    tmp, settings, events = files
    subs = tmp / "subs.json"
    subs.write_text(json.dumps([
        {"name": "Identify", "actionSlug": "identifyUser", "trigger": 'type = "identify"', "enabled": True,
         "settings": {"user_id": {"@path": "$.userId"}}},
        {"name": "Off", "actionSlug": "logEventV2", "trigger": 'type = "track"', "enabled": False, "settings": {}},
    ]))
    result = run("actions", "run", "--settings", str(settings), "--subscriptions", str(subs), str(events))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [[f["subscription"] for f in line["fired"]] for line in lines] == [[], ["Identify"], []]


def test_missing_events_file_is_exit_2(files):
    tmp, settings, _ = files
    result = run("actions", "run", "--settings", str(settings), str(tmp / "nope.jsonl"))
    assert result.exit_code == 2 and "nope.jsonl: cannot open" in result.stderr


def test_output_to_a_special_file_writes_it_and_never_replaces_it(files):
    """`-o /dev/null` or a named pipe: written directly, not replaced by a regular file (a pipe stands in
    for the device, which a test must not risk)."""
    import os
    import stat
    import threading

    tmp, settings, events = files
    fifo = tmp / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    result = run("actions", "run", "--settings", str(settings), "-o", str(fifo), "-q", str(events))
    reader.join(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert len(received[0].splitlines()) == 3 and not (tmp / "pipe.partial").exists()
