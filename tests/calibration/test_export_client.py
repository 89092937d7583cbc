"""`amplitude export`: the Export API client against a stand-in server on 127.0.0.1."""

import io
import zipfile

import pytest
from click.testing import CliRunner

from fake_export_api import API_KEY, SECRET_KEY, FakeExportApi
from migrate.amplitude_export import ExportError, download_export, export_url
from migrate.cli import main
from migrate.errors import MigrateError


def zip_body() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("187520/187520_2024-06-12_7#0.json.gz", b"")
    return buf.getvalue()


@pytest.fixture
def server():
    fake = FakeExportApi(zip_body()).start()
    yield fake
    fake.stop()


def fetch(server, tmp_path, **kwargs):
    waits = []
    options = dict(api_key=API_KEY, secret_key=SECRET_KEY, api_url=server.url, sleep=lambda s: None,
                   on_wait=lambda reason, s: waits.append((reason, s)), timeout=5)
    options.update(kwargs)
    result = download_export("20240612T00", "20240612T23", str(tmp_path / "out" / "export.zip"), **options)
    return result, waits


def test_downloads_the_zip_with_basic_auth(server, tmp_path):
    result, waits = fetch(server, tmp_path)
    assert (tmp_path / "out" / "export.zip").read_bytes() == server.body
    assert result["attempts"] == 1 and not waits
    call = server.log[0]
    assert call["path"] == "/api/2/export" and call["query"] == {"start": "20240612T00", "end": "20240612T23"}
    assert call["authorization"].startswith("Basic ")


def test_429_is_retried_after_the_servers_delay(server, tmp_path):
    server.fail(429, times=2, headers={"Retry-After": "7"})
    result, waits = fetch(server, tmp_path)
    assert result["attempts"] == 3 and [s for _, s in waits] == [7.0, 7.0]


def test_504_is_retried_once_then_explained(server, tmp_path):
    server.fail(504)
    result, _ = fetch(server, tmp_path)
    assert result["attempts"] == 2
    server.fail(504, times=2)
    with pytest.raises(ExportError, match="timed out.*smaller ranges"):
        fetch(server, tmp_path)


@pytest.mark.parametrize("status, words", [(400, "larger than Amplitude allows"), (404, "no data"),
                                           (403, "refused the credentials")])
def test_final_answers_say_what_to_do(server, tmp_path, status, words):
    server.fail(status)
    with pytest.raises(ExportError) as err:
        fetch(server, tmp_path)
    assert words in str(err.value) and err.value.status == status
    assert SECRET_KEY not in str(err.value) and API_KEY not in str(err.value)
    assert not (tmp_path / "out" / "export.zip").exists()


def test_wrong_keys_and_persistent_5xx(server, tmp_path):
    with pytest.raises(ExportError, match="AMPLITUDE_API_KEY"):
        fetch(server, tmp_path, secret_key="wrong-secret")
    server.fail(503, times=10)
    with pytest.raises(ExportError, match="HTTP 503.*run the command again"):
        fetch(server, tmp_path, max_retries=2)


def test_unreachable_server(tmp_path):
    with pytest.raises(ExportError, match="cannot reach"):
        download_export("20240612T00", "20240612T01", str(tmp_path / "x.zip"), api_key="k", secret_key="s",
                        api_url="http://127.0.0.1:9", max_retries=1, sleep=lambda s: None, timeout=1)


def test_range_checks_and_urls():
    for start, end, words in (("2024-06-12", "20240612T01", "YYYYMMDDTHH"), ("20240612T05", "20240612T01", "before"),
                              ("20230101T00", "20240612T00", "365 days"), ("20241340T00", "20241341T00", "real date")):
        with pytest.raises(MigrateError, match=words):
            download_export(start, end, "x.zip", api_key="k", secret_key="s")
    with pytest.raises(MigrateError, match="AMPLITUDE_SECRET_KEY"):
        download_export("20240612T00", "20240612T01", "x.zip", api_key="k", secret_key="")
    assert export_url("eu") == "https://analytics.eu.amplitude.com/api/2/export"
    assert export_url("us") == "https://amplitude.com/api/2/export"
    assert export_url("us", "http://127.0.0.1:8080/") == "http://127.0.0.1:8080/api/2/export"


def test_cli_reads_keys_from_the_environment_and_never_prints_them(server, tmp_path):
    runner = CliRunner()
    env = {"AMPLITUDE_API_KEY": API_KEY, "AMPLITUDE_SECRET_KEY": SECRET_KEY, "AMPLITUDE_API_URL": server.url}
    out = tmp_path / "export.zip"
    result = runner.invoke(main, ["amplitude", "export", "--start", "20240612T00", "--end", "20240612T23", "-o",
                                  str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == server.body and "wrote" in result.output
    server.fail(404)
    result = runner.invoke(main, ["amplitude", "export", "--start", "20240612T00", "--end", "20240612T23", "-o",
                                  str(out)], env=env)
    assert result.exit_code == 2 and "no data" in result.output
    for text in (result.output,):
        assert API_KEY not in text and SECRET_KEY not in text
    result = runner.invoke(main, ["amplitude", "export", "--start", "20240612T00", "--end", "20240612T23", "-o",
                                  str(out)], env={"AMPLITUDE_API_KEY": "", "AMPLITUDE_SECRET_KEY": ""})
    assert result.exit_code == 2 and "AMPLITUDE_API_KEY" in result.output


def test_a_200_that_is_not_a_zip_is_refused(tmp_path):
    fake = FakeExportApi(b"<html>login</html>").start()
    try:
        with pytest.raises(ExportError, match="not a zip"):
            fetch(fake, tmp_path)
    finally:
        fake.stop()
    assert not (tmp_path / "out" / "export.zip").exists()
    assert not list((tmp_path / "out").glob(".export-*"))
