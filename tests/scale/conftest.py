"""Fixtures for archive inputs and Dask: a local S3 server (moto) on 127.0.0.1 and Segment's archive layout in it."""

from __future__ import annotations

import gzip
import importlib
import logging
import os
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "events.jsonl"
ACCESS_KEY = "AKIATESTACCESSKEY000"
SECRET_KEY = "test-secret-key-never-printed-0123456789"
BUCKET = "acme-segment-archive"
SOURCE = "src_9Xy2kLmN"
DAYS = ("1700006400000", "1700092800000")  # received-day: the UTC day as Unix milliseconds


def need(module: str):
    """The test extra's module; skipped locally without it, fatal in CI (which installs the test extra)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Dask and S3 tests, but {exc}", pytrace=False)
        pytest.skip(f"{module} is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="session")
def s3_server():
    moto_server = need("moto.server")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _clear_fs_cache():
    try:
        import s3fs
    except ImportError:
        return
    s3fs.S3FileSystem.clear_instance_cache()


def set_aws_env(monkeypatch, endpoint: str) -> None:
    """The standard AWS environment pointing at the local server (what a user sets, or their profile holds)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    set_aws_env(monkeypatch, s3_server)
    _clear_fs_cache()
    yield s3_server
    _clear_fs_cache()


def example_lines() -> list[bytes]:
    return [line for line in EXAMPLE.read_bytes().splitlines(keepends=True) if line.strip()]


@pytest.fixture
def archive(s3_env):
    """examples/events.jsonl as Segment's S3 destination stores it: two days, two gzipped files a day, each
    object with Content-Encoding: gzip. Returns (prefix URL, the lines in key order)."""
    import boto3

    client = boto3.client("s3")
    if BUCKET not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
        client.create_bucket(Bucket=BUCKET)
    lines = example_lines()
    quarter = -(-len(lines) // 4)
    parts = [lines[i:i + quarter] for i in range(0, len(lines), quarter)]
    keys = [f"segment-logs/{SOURCE}/{day}/{name}.gz" for day in DAYS for name in ("1700010000000.a1b2", "1700013600000.c3d4")]
    for key, part in zip(keys, parts):
        client.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(b"".join(part)), ContentEncoding="gzip",
                          ContentType="text/plain")
    return f"s3://{BUCKET}/segment-logs/{SOURCE}/", lines


@pytest.fixture(scope="session")
def scheduler(s3_server):
    """A running scheduler with two workers, started with the credentials in their environment (as on
    worker machines with an instance role or a profile)."""
    distributed = need("distributed")
    with pytest.MonkeyPatch.context() as env:
        set_aws_env(env, s3_server)
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                            dashboard_address=None, silence_logs=logging.CRITICAL)
    with cluster:
        yield cluster.scheduler_address
