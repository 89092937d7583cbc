"""compare / actions run / classic run on Dask: the same report.json and output as one process, from local
files and from Segment's S3 archive, on a local cluster and on a running scheduler."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

from conftest import EXAMPLE, SECRET_KEY, example_lines
from migrate import replay
from migrate.cli import main

pytestmark = pytest.mark.dask
SETTINGS = str(EXAMPLE.parent / "classic-settings.json")
CHUNK = 60  # the example's 507 lines make 9 chunks, so the workers really share the work


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(replay, "CHUNK_LINES", CHUNK)


def _compare(tmp_path, label, *args):
    out = tmp_path / label
    # a fixed salt: pseudonyms are keyed per run otherwise
    result = CliRunner().invoke(main, ["compare", "--settings", SETTINGS, "--mode", "cloud", "--pii-salt", "s4lt",
                                       "--report", str(out), *args])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report.pop("generated_at")  # the only field that differs between two runs
    return report, result


def _without_inputs(report: dict) -> dict:
    report = dict(report)
    report.pop("inputs")
    return report


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    """compare on the example in this process: the report every Dask run must reproduce."""
    report, _ = _compare(tmp_path_factory.mktemp("one"), "one", "--workers", "1", str(EXAMPLE))
    return report


def test_compare_on_a_local_cluster_gives_the_report_of_one_process(tmp_path, small_chunks, one_process):
    one = one_process
    dask, result = _compare(tmp_path, "dask", str(EXAMPLE), "--dask", "--workers", "2")
    assert "Dask: 2 workers (2 threads) on a local cluster" in result.stderr
    assert dask == one  # bit for bit: every figure, example and table
    assert one["inputs"]["events"] == len(example_lines())


def test_compare_on_a_scheduler_reading_the_s3_archive_equals_the_local_file(tmp_path, archive, scheduler,
                                                                             small_chunks, one_process):
    prefix, lines = archive
    assert b"".join(lines) == EXAMPLE.read_bytes()  # the archive holds the example's lines, in key order
    one = one_process
    remote, result = _compare(tmp_path, "remote", "--dask", scheduler, f"{prefix}*/*.gz")
    assert f"on {scheduler}" in result.stderr
    assert _without_inputs(remote) == _without_inputs(one)
    assert remote["inputs"]["events"] == one["inputs"]["events"] == len(lines)
    assert SECRET_KEY not in json.dumps(remote) and SECRET_KEY not in result.output


def test_a_remote_scheduler_gets_local_files_it_cannot_see_as_bytes(tmp_path, scheduler, small_chunks,
                                                                   monkeypatch):
    from migrate import dask_backend

    # the workers are on this machine; make them "not see" the file, as on another machine
    monkeypatch.setattr(dask_backend, "_same_file", lambda path, size, mtime: False)
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"apiKey": "k" * 32, "secretKey": "s" * 32, "endpoint": "north_america"}))
    base = ["actions", "run", "-q", "--settings", str(settings)]
    one = CliRunner().invoke(main, base + ["--workers", "1", str(EXAMPLE)])
    remote = CliRunner().invoke(main, base + ["--dask", scheduler, str(EXAMPLE)])
    assert one.exit_code == remote.exit_code == 0, remote.output
    assert remote.stdout == one.stdout and len(one.stdout.splitlines()) == len(example_lines())


def test_classic_run_on_dask_writes_the_same_lines(tmp_path, small_chunks):
    base = ["classic", "run", "-q", "--settings", SETTINGS, "--mode", "cloud"]
    one = CliRunner().invoke(main, base + ["--workers", "1", str(EXAMPLE)])
    dask = CliRunner().invoke(main, base + ["--dask", "--workers", "2", str(EXAMPLE)])
    assert one.exit_code == dask.exit_code == 0, dask.output
    assert dask.stdout == one.stdout


def test_dask_usage_errors_are_exit_2(tmp_path):
    runner = CliRunner()
    # a file name right after --dask is not taken for an address
    result = runner.invoke(main, ["compare", "--settings", SETTINGS, "--dask", str(EXAMPLE)])
    assert result.exit_code == 2 and "is not a scheduler address" in result.stderr
    assert "put it after the inputs" in result.stderr
    result = runner.invoke(main, ["compare", "--settings", SETTINGS, "--dask", "tcp://127.0.0.1:9", "--workers", "2",
                                  str(EXAMPLE)])
    assert result.exit_code == 2 and "--workers sets the size of a local Dask cluster" in result.stderr


def test_an_unreachable_scheduler_is_exit_2_naming_it(monkeypatch):
    from migrate import dask_backend

    monkeypatch.setattr(dask_backend, "CONNECT_TIMEOUT", 1.0)
    result = CliRunner().invoke(main, ["compare", "--settings", SETTINGS, "--dask", "tcp://127.0.0.1:9",
                                       str(EXAMPLE)])
    assert result.exit_code == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr


def test_without_the_extra_dask_is_exit_2_with_the_install_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = CliRunner().invoke(main, ["compare", "--settings", SETTINGS, str(EXAMPLE), "--dask"])
    assert result.exit_code == 2
    assert "--dask needs the dask extra: pip install 'amplitude-migrate[dask]'" in result.stderr
