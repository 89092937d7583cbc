"""Inputs beyond plain paths: local globs (expanded by us), URLs through fsspec, Segment's S3 archive layout."""

from __future__ import annotations

import gzip
import json
import sys

import pytest
from click.testing import CliRunner

from conftest import BUCKET, DAYS, SECRET_KEY, SOURCE, example_lines
from migrate.cli import main
from migrate.errors import BadInput
from migrate.events import ReadStats, read_events
from migrate.inputs import MissingExtra, display_name, expand_inputs


def _event(i: int) -> bytes:
    return json.dumps({"type": "track", "event": f"E{i}", "userId": "u1", "messageId": f"m{i}"}).encode() + b"\n"


@pytest.fixture
def local_files(tmp_path):
    (tmp_path / "day").mkdir()
    (tmp_path / "day" / "b.jsonl").write_bytes(_event(2) + _event(3))
    (tmp_path / "day" / "a.jsonl.gz").write_bytes(gzip.compress(_event(0) + _event(1)))
    (tmp_path / "day" / "deep").mkdir()
    (tmp_path / "day" / "deep" / "c.jsonl").write_bytes(_event(4))
    (tmp_path / "odd[1].jsonl").write_bytes(_event(9))
    return tmp_path


def _ids(paths, **kw) -> list[str]:
    return [e["messageId"] for e in read_events(paths, **kw)]


def test_a_local_pattern_reads_its_matches_in_name_order(local_files):
    assert _ids([str(local_files / "day" / "*.jsonl*")]) == ["m0", "m1", "m2", "m3"]
    assert _ids([str(local_files / "day" / "**" / "*.jsonl")]) == ["m2", "m3", "m4"]  # ** descends; folders are not files
    # an existing file whose name looks like a pattern is that file, and expansion is idempotent
    odd = str(local_files / "odd[1].jsonl")
    assert expand_inputs([odd]) == [odd] and _ids([odd]) == ["m9"]
    once = expand_inputs([str(local_files / "day" / "*")])
    assert expand_inputs(once) == once


def test_a_pattern_matching_nothing_is_an_error_naming_it(local_files):
    pattern = str(local_files / "day" / "*.csv")
    with pytest.raises(BadInput, match=r"\*\.csv: no files match this pattern"):
        list(read_events([pattern]))


def test_cli_reads_a_quoted_pattern_and_names_one_that_matches_nothing(local_files, tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"apiKey": "k" * 32, "secretKey": "s" * 32, "endpoint": "north_america"}))
    result = CliRunner().invoke(main, ["actions", "run", "-q", "--settings", str(settings),
                                       str(local_files / "day" / "*.jsonl*")])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["messageId"] for line in result.stdout.splitlines()] == ["m0", "m1", "m2", "m3"]
    missing = str(local_files / "nowhere" / "*.gz")
    result = CliRunner().invoke(main, ["actions", "run", "--settings", str(settings), missing])
    assert result.exit_code == 2 and f"{missing}: no files match this pattern" in result.stderr


def test_names_in_messages_drop_passwords_and_query_strings():
    assert display_name("https://me:hunter2@host/x.gz") == "https://me:***@host/x.gz"
    assert display_name("https://b.s3.amazonaws.com/k.gz?X-Amz-Signature=abc&X-Amz-Credential=AKIA") == \
        "https://b.s3.amazonaws.com/k.gz?..."
    assert display_name("s3://bucket/segment-logs/s/1/f.gz") == "s3://bucket/segment-logs/s/1/f.gz"
    assert display_name("events/*.gz") == "events/*.gz"


def test_urls_without_the_extra_say_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "fsspec", None)  # import fsspec now fails, as without the extra
    with pytest.raises(MissingExtra, match=r"pip install 'amplitude-migrate\[dask\]'"):
        expand_inputs(["s3://bucket/segment-logs/x/*.gz"])
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"apiKey": "k" * 32, "secretKey": "s" * 32, "endpoint": "north_america"}))
    result = CliRunner().invoke(main, ["actions", "run", "--settings", str(settings), "s3://bucket/a.gz"])
    assert result.exit_code == 2
    assert "reading URLs needs the dask extra (fsspec, s3fs): pip install 'amplitude-migrate[dask]'" in result.stderr


# --- Segment's S3 archive through a local S3 server ------------------------------------------------------

@pytest.mark.dask
def test_segment_archive_layout_reads_every_day_in_key_order(archive):
    prefix, lines = archive
    expected = [json.loads(line)["messageId"] for line in lines]
    files = expand_inputs([f"{prefix}*/*.gz"])
    assert files == sorted(files) and len(files) == 4 and all(f.startswith(f"s3://{BUCKET}/segment-logs/") for f in files)
    assert expand_inputs([prefix]) == files  # a folder URL: everything under it
    assert expand_inputs([f"{prefix}{DAYS[1]}/*.gz"]) == files[2:]  # one received-day
    stats = ReadStats()
    assert _ids([f"{prefix}*/*.gz"], stats=stats) == expected
    assert stats.files == files and stats.skipped_count == 0 and stats.size_total > 0


@pytest.mark.dask
def test_archive_errors_name_the_url_and_never_the_secret(archive, monkeypatch):
    prefix, _ = archive
    cases = {
        "s3://no-such-bucket-here/segment-logs/x/*/*.gz": "does not exist",
        f"{prefix}1600000000000/*.gz": "no files match this pattern",
        f"s3://{BUCKET}/segment-logs/{SOURCE}/missing.gz": "not found",
    }
    for url, reason in cases.items():
        with pytest.raises(BadInput) as caught:
            expand_inputs([url])
        assert str(caught.value).startswith(url) and reason in str(caught.value), str(caught.value)
        assert SECRET_KEY not in str(caught.value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    from conftest import _clear_fs_cache
    _clear_fs_cache()
    with pytest.raises(BadInput, match=r"^s3://.*: cannot list it: storage unreachable") as caught:
        expand_inputs([f"{prefix}*/*.gz"])
    assert SECRET_KEY not in str(caught.value)


@pytest.mark.dask
def test_actions_run_on_the_archive_equals_the_local_file(archive, tmp_path):
    prefix, lines = archive
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"apiKey": "k" * 32, "secretKey": "s" * 32, "endpoint": "north_america"}))
    local = tmp_path / "events.jsonl"
    local.write_bytes(b"".join(lines))
    runs = [CliRunner().invoke(main, ["actions", "run", "-q", "--settings", str(settings), path])
            for path in (str(local), f"{prefix}*/*.gz")]
    assert [r.exit_code for r in runs] == [0, 0], runs[1].output
    assert runs[0].stdout == runs[1].stdout and len(runs[1].stdout.splitlines()) == len(example_lines())
    assert SECRET_KEY not in runs[1].output


@pytest.mark.dask
def test_any_fsspec_url_an_http_file_with_a_token_that_no_message_shows(tmp_path):
    from http.server import SimpleHTTPRequestHandler

    from local_server import LocalServer

    body = gzip.compress(b"".join(_event(i) for i in range(3)) + b"{broken\n")
    (tmp_path / "events.jsonl.gz").write_bytes(body)

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args):
            pass

    server = LocalServer(Handler).start()
    try:
        url = f"{server.url}/events.jsonl.gz?token=sekrit-token-123"
        stats = ReadStats()
        assert _ids([url], stats=stats) == ["m0", "m1", "m2"]
        assert stats.files == [f"{server.url}/events.jsonl.gz?..."] and stats.skipped_count == 1
        assert "sekrit" not in str(stats.skipped[0])
        with pytest.raises(BadInput) as caught:
            list(read_events([f"{server.url}/missing.jsonl?token=sekrit-token-123"]))
        assert str(caught.value).startswith(f"{server.url}/missing.jsonl?...: ") and "sekrit" not in str(caught.value)
    finally:
        server.stop()
