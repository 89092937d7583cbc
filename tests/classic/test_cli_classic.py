"""`amplitude-migrate classic run`."""
import gzip
import hashlib
import json

from click.testing import CliRunner

from migrate.cli import main

EVENTS = [{"type": "page", "name": "Home", "messageId": "m1", "userId": "user-00001"},
          {"type": "track", "event": "Signed Up", "messageId": "m2", "userId": "user-00001"},
          {"messageId": "m3"}]


def write_inputs(tmp_path, settings=None):
    (tmp_path / "s.json").write_text(json.dumps(settings or {"apiKey": "fake-key-000000001"}))
    lines = "\n".join(json.dumps(e) for e in EVENTS) + "\nnot json\n"
    (tmp_path / "e.jsonl.gz").write_bytes(gzip.compress(lines.encode()))
    return str(tmp_path / "s.json"), str(tmp_path / "e.jsonl.gz")


def test_run_cloud_to_file(tmp_path):
    settings, events = write_inputs(tmp_path)
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["classic", "run", "--settings", settings, "-o", str(out), events])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["messageId"] for x in lines] == ["m1", "m2"]
    assert lines[0]["records"][0]["event_type"] == "Viewed Home Page"
    assert lines[1]["requests"][0]["url"] == "https://api.amplitude.com/httpapi"
    # an object without a type is not a Segment event: the reader skips it with its reason
    assert "2 lines skipped, 0 events skipped" in result.stderr
    assert ":3: not a Segment event: no type" in result.stderr and ":4: invalid JSON" in result.stderr


def test_run_stdin_device_mode_and_options(tmp_path):
    data = "\n".join(json.dumps(e) for e in EVENTS[:2])
    settings = tmp_path / "s.json"
    settings.write_text(json.dumps({"apiKey": "k", "trackAllPages": True}))
    result = CliRunner().invoke(main, ["classic", "run", "--settings", str(settings), "--mode", "web", "-"],
                                input=data)
    assert result.exit_code == 0, result.output
    first = json.loads(result.stdout.splitlines()[0])
    assert [r["event_type"] for r in first["records"]] == ["Loaded a Page", "Viewed Home Page"]
    # the request is the JS SDK's upload, as the SDK sends it; the records are what canonical makes of it
    (upload,) = first["requests"]
    form = upload["form"]
    assert upload["url"] == "https://api.amplitude.com/" and form["client"] == "k" and form["v"] == "2"
    assert [e["event_type"] for e in json.loads(form["e"])] == ["Loaded a Page", "Viewed Home Page"]
    signed = "2" + form["client"] + form["e"] + form["upload_time"]
    assert form["checksum"] == hashlib.md5(signed.encode()).hexdigest()
    result = CliRunner().invoke(main, ["classic", "run", "--settings", str(settings), "--option",
                                       "page_naming=code2017", "-"], input=data)
    assert [r["event_type"] for r in json.loads(result.stdout.splitlines()[0])["records"]] == ["Viewed Home Page"]


def test_invalid_settings_exit_2(tmp_path):
    settings, events = write_inputs(tmp_path, {"apiKey": "k", "traitsToIncrement": "logins"})
    result = CliRunner().invoke(main, ["classic", "run", "--settings", settings, events])
    assert result.exit_code == 2 and "traitsToIncrement" in result.stderr


def test_bad_option_exit_2(tmp_path):
    settings, events = write_inputs(tmp_path)
    result = CliRunner().invoke(main, ["classic", "run", "--settings", settings, "--option", "page_naming", events])
    assert result.exit_code == 2


def test_redact_hides_api_key(tmp_path):
    settings, events = write_inputs(tmp_path)
    result = CliRunner().invoke(main, ["classic", "run", "--settings", settings, "--redact", events])
    assert result.exit_code == 0 and "fake-key-000000001" not in result.stdout


def test_known_event_types_calibration(tmp_path):
    settings, events = write_inputs(tmp_path, {"apiKey": "k", "trackAllPages": True})
    known = tmp_path / "types.txt"
    known.write_text("Viewed Home Page\nSigned Up\n")
    result = CliRunner().invoke(main, ["classic", "run", "--settings", settings, "--known-event-types",
                                       str(known), events])
    assert result.exit_code == 0, result.output
    assert "calibration: page_naming=code2017" in result.stderr
    first = json.loads(result.stdout.splitlines()[0])
    assert [r["event_type"] for r in first["records"]] == ["Viewed Home Page"]
