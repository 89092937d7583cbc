"""`compare --calibration` and `compare --amplitude-export`: the classic side as the team's Amplitude data
shows it, said in the report."""

import json

import pytest
from click.testing import CliRunner

from migrate.calibration import calibrate_export
from migrate.cli import main
from migrate.compare import compare


@pytest.fixture(scope="module")
def export(make_export):
    return make_export({"page_naming": "loaded", "user_agent": "os", "country": "ip"}, name="loaded.zip")


@pytest.fixture(scope="module")
def calibration(settings, events_path, export):
    return calibrate_export(settings, [events_path], export).to_dict()


@pytest.fixture(scope="module")
def plain(settings_doc, events_path):
    # the exports here are made by the cloud-mode emulator: compare in cloud mode (not per source)
    return compare(settings_doc, [events_path], mode="cloud")


def test_calibrated_compare_has_higher_parity(settings_doc, events_path, calibration, plain):
    calibrated = compare(settings_doc, [events_path], calibration=calibration, calibration_file="calibration.json",
                         mode="cloud")
    assert calibrated["inputs"]["classic_options"]["page_naming"] == "loaded"
    # the calibrated options (OS names from the user agent, country from the IP) are breakdown dimensions:
    # exact parity rises, chart parity does not fall
    assert calibrated["parity_exact"]["recommended"] > plain["parity_exact"]["recommended"]
    assert calibrated["parity"]["recommended"] >= plain["parity"]["recommended"]
    side = calibrated["inputs"]["classic_side"]
    assert side["calibration"]["joined"] == calibration["joined"]
    assert "calibrated from calibration.json" in side["lines"][0]
    assert plain["inputs"]["classic_side"]["lines"] == []


def test_explicit_classic_option_wins_over_the_calibration(settings_doc, events_path, calibration):
    model = compare(settings_doc, [events_path], calibration=calibration, classic_options={"page_naming": "viewed"},
                    recommend=False)
    assert model["inputs"]["classic_options"]["page_naming"] == "viewed"
    assert model["inputs"]["classic_options"]["user_agent"] == "os"


def test_export_backed_compare_says_which_side_is_which(settings_doc, events_path, export):
    model = compare(settings_doc, [events_path], amplitude_export=export, recommend=False, mode="cloud")
    side = model["inputs"]["classic_side"]["export"]
    assert side["events_from_export"] > 300 and side["events_emulated"] > 0
    assert side["events_from_export"] + side["events_emulated"] <= model["inputs"]["events"]
    # the export shows "Loaded ..." page names while the translation (default naming) sends "Viewed ...":
    # the ground truth exposes the rename the emulator's default would have hidden
    categories = {c["category"] for c in model["variants"]["translated"]["categories"]}
    assert "event_renamed" in categories
    assert "from the Amplitude export" in model["inputs"]["classic_side"]["lines"][0]


def test_export_counts_add_up_over_the_modes(settings_doc, events_path, export):
    # per source: each mode joins its own events to the export, and the counts are summed over the modes
    model = compare(settings_doc, [events_path], amplitude_export=export, recommend=False)
    assert len(model["inputs"]["modes"]) > 1
    side = model["inputs"]["classic_side"]["export"]
    assert side["events_covered"] == side["events_from_export"] > 0
    assert side["rows_used"] <= side["rows"]


def test_cli_calibrate_then_compare(tmp_path, settings_doc, events_path, export):
    settings = tmp_path / "classic.json"
    settings.write_text(json.dumps(settings_doc))
    out = tmp_path / "calibration.json"
    runner = CliRunner()
    result = runner.invoke(main, ["calibrate", "--settings", str(settings), "--amplitude-export", export, "-o",
                                  str(out), events_path])
    assert result.exit_code == 0, result.output
    assert "page_naming=loaded" in result.stdout and "os_name" in result.stdout
    doc = json.loads(out.read_text())
    assert doc["options"]["page_naming"] == "loaded" and doc["joined"] > 0 and "unjoined" in doc
    assert doc["fields"]["os_name"]["agree"] == 1.0
    report = tmp_path / "report"
    result = runner.invoke(main, ["compare", "--settings", str(settings), "--calibration", str(out),
                                  "--amplitude-export", export, "--no-recommend", "--report", str(report),
                                  events_path])
    assert result.exit_code == 0, result.output
    assert "classic side calibrated from" in result.stdout
    assert "classic side from the Amplitude export" in result.stdout
    assert "Classic side" in (report / "report.md").read_text() and "Classic side" in (report / "report.html").read_text()
    model = json.loads((report / "report.json").read_text())
    assert model["inputs"]["classic_side"]["export"]["events_from_export"] > 0


def test_cli_errors(tmp_path, settings_doc, events_path, export):
    settings = tmp_path / "classic.json"
    settings.write_text(json.dumps(settings_doc))
    runner = CliRunner()
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    result = runner.invoke(main, ["compare", "--settings", str(settings), "--calibration", str(bad), events_path])
    assert result.exit_code == 2 and "bad.json" in result.output and "options" in result.output
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really")
    result = runner.invoke(main, ["calibrate", "--settings", str(settings), "--amplitude-export", str(broken),
                                  events_path])
    assert result.exit_code == 2 and "broken.zip" in result.output and "download the export again" in result.output
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"event_type": "X", "user_id": "someone-else", "event_time": "2020-01-01 00:00:00"})
                     + "\n{bad row\n")
    result = runner.invoke(main, ["calibrate", "--settings", str(settings), "--amplitude-export", str(other),
                                  events_path])
    assert result.exit_code == 2 and "other.jsonl" in result.output and "export that period" in result.output
    result = runner.invoke(main, ["compare", "--settings", str(settings), "--amplitude-export", str(other),
                                  "--no-recommend", events_path])
    assert result.exit_code == 0 and "no event joins a row of" in result.output
    assert "1 export rows or files skipped (first: " in result.output and "other.jsonl:2" in result.output


def test_classic_run_takes_the_calibration(tmp_path, settings_doc, calibration):
    settings = tmp_path / "classic.json"
    settings.write_text(json.dumps(settings_doc))
    cal = tmp_path / "calibration.json"
    cal.write_text(json.dumps(calibration))
    event = {"type": "page", "name": "Home", "category": "Docs", "userId": "user-00001",
             "timestamp": "2024-06-12T07:00:00.000Z", "context": {"library": {"name": "analytics.js"}}}
    events = tmp_path / "e.jsonl"
    events.write_text(json.dumps(event) + "\n")
    result = CliRunner().invoke(main, ["classic", "run", "--settings", str(settings), "--calibration", str(cal),
                                       str(events)])
    assert result.exit_code == 0, result.output
    names = [r["event_type"] for r in json.loads(result.stdout.splitlines()[0])["records"]]
    assert names and all(n.startswith("Loaded ") for n in names)


def test_calibration_examples_are_pseudonymised_unless_kept(tmp_path, settings_doc, events_path, make_export):
    def tamper(rows):  # Amplitude shows other user ids: disagreements whose examples carry ids
        for row in rows:
            if row.get("user_id"):
                row["user_id"] = "changed-" + str(row["user_id"])
        return rows

    export = make_export(name="ids.zip", rows_hook=tamper)
    settings = tmp_path / "classic.json"
    settings.write_text(json.dumps(settings_doc))
    runner = CliRunner()
    out = tmp_path / "masked.json"
    result = runner.invoke(main, ["calibrate", "--settings", str(settings), "--amplitude-export", export,
                                  "--time-tolerance", "2", "-o", str(out), events_path])
    # user ids differ, so rows join by device id; the stored ids disagree
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    example = doc["fields"]["user_id"]["examples"][0]
    assert example["stored"].startswith("pii:") and example["predicted"].startswith("pii:")
    assert example["event_name"] and doc["privacy"]["mode"] == "mask"
    assert "changed-" not in out.read_text() and "changed-" not in result.stdout
    kept = tmp_path / "kept.json"
    result = runner.invoke(main, ["calibrate", "--settings", str(settings), "--amplitude-export", export,
                                  "--pii", "keep", "-o", str(kept), events_path])
    assert json.loads(kept.read_text())["fields"]["user_id"]["examples"][0]["stored"].startswith("changed-")
