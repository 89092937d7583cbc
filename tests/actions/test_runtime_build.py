"""--runtime-build: the engine models Segment's monorepo build by default, a plain npm install on request."""
import json

from click.testing import CliRunner

from migrate.cli import main

MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Safari/537.36")
EVENT = {"type": "track", "event": "Signed Up", "userId": "user-00001", "anonymousId": "anon-00001",
         "messageId": "m-1", "timestamp": "2024-03-01T12:00:00.000Z", "context": {"userAgent": MAC}}


def _files(tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(EVENT) + "\n")
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"apiKey": "fake-api-key", "secretKey": "fake-secret"}))
    return events, settings


def _device(records):
    (record,) = [r for r in records if r.get("kind", "event") == "event"]
    return record.get("device_manufacturer"), record.get("device_model")


def test_actions_run_models_the_monorepo_build_by_default(tmp_path):
    events, settings = _files(tmp_path)
    runner = CliRunner()
    default = runner.invoke(main, ["actions", "run", "--settings", str(settings), str(events)])
    npm = runner.invoke(main, ["actions", "run", "--settings", str(settings), "--runtime-build", "npm", str(events)])
    assert default.exit_code == 0 and npm.exit_code == 0, default.output + npm.output
    assert _device(json.loads(default.stdout.splitlines()[0])["records"]) == (None, "Mac OS")
    assert _device(json.loads(npm.stdout.splitlines()[0])["records"]) == ("Apple", "Macintosh")
    bad = runner.invoke(main, ["actions", "run", "--settings", str(settings), "--runtime-build", "yarn", str(events)])
    assert bad.exit_code == 2


def test_compare_reports_the_build_it_modelled(tmp_path):
    events, _ = _files(tmp_path)
    classic = tmp_path / "classic.json"
    classic.write_text(json.dumps({"apiKey": "fake-api-key", "secretKey": "fake-secret"}))
    runner = CliRunner()
    for build in ("monorepo", "npm"):
        out = tmp_path / build
        result = runner.invoke(main, ["compare", "--settings", str(classic), "--no-recommend", "--report", str(out),
                                      "--runtime-build", build, str(events)])
        assert result.exit_code == 0, result.output
        report = json.loads((out / "report.json").read_text())
        assert report["inputs"]["runtime_build"] == build
