"""Amplitude Export API: download a project's raw events, and read an export back row by row.

Facts encoded here (Amplitude Export API documentation):
- ``GET https://amplitude.com/api/2/export?start=YYYYMMDDTHH&end=YYYYMMDDTHH`` (EU:
  ``https://analytics.eu.amplitude.com/api/2/export``), HTTP basic auth with the project's API key and
  secret key. The range selects events by server upload time (UTC, whole hours), at most 365 days, and
  data shows up with at least two hours of latency;
- 200 is a zip; 400 means the export would be larger than 4 GB (split the range); 404 means no data in the
  range; 504 is a timeout on Amplitude's side (a smaller range helps); 429 is rate limiting;
- the zip holds gzipped JSON Lines files ``PROJECTID_YYYY-MM-DD_H#N.json.gz`` in a folder named after the
  project id, one event per line.

``read_export`` accepts that zip, a folder of those files (``.json.gz`` or plain), one such file, or plain
JSON Lines. Bad parts are skipped and counted, each with the file (``archive.zip!member``), the line and
the reason; nothing stops the read except an input that cannot be opened at all.
"""

from __future__ import annotations

import gzip
import os
import re
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from migrate.errors import ApiError, BadInput, MigrateError
from migrate.events import MAX_SKIP_EXAMPLES, Skip, parse_json_line

if TYPE_CHECKING:
    import requests

__all__ = [
    "EXPORT_URLS", "ExportError", "ExportStats", "download_export", "export_url", "read_export",
    "check_hour", "READ_FIELDS", "AMPLITUDE_SET_FIELDS",
]

EXPORT_URLS = {"us": "https://amplitude.com/api/2/export", "eu": "https://analytics.eu.amplitude.com/api/2/export"}
HOUR = re.compile(r"^\d{8}T\d{2}$")
MAX_DAYS = 365

# The export fields calibration and `compare --amplitude-export` read (everything else is ignored).
READ_FIELDS = (
    "event_type", "user_id", "device_id", "event_time", "client_event_time", "session_id", "event_properties",
    "user_properties", "groups", "library", "platform", "os_name", "os_version", "device_brand",
    "device_manufacturer", "device_model", "device_carrier", "country", "region", "city", "dma", "language",
    "ip_address", "location_lat", "location_lng", "version_name", "idfa", "adid", "$insert_id",
    "revenue", "price", "quantity", "productId", "revenueType",
)
# Set by Amplitude itself, never by the sender: ignored.
AMPLITUDE_SET_FIELDS = (
    "uuid", "amplitude_id", "event_id", "app", "server_received_time", "server_upload_time", "processed_time",
    "client_upload_time", "user_creation_time", "$schema", "amplitude_attribution_ids", "is_attribution_event",
    "sample_rate", "paying", "start_version", "amplitude_event_type", "device_type", "device_family",
    "group_properties", "data",
)
_READ = frozenset(READ_FIELDS)


class ExportError(ApiError):
    """The Export API refused or failed: one sentence saying what to do."""

    def __init__(self, status: int | None, message: str):
        self.status, self.errors = status, []
        MigrateError.__init__(self, message)


# -- download -------------------------------------------------------------------------------------------


def check_hour(value: str, option: str) -> datetime:
    """Parse YYYYMMDDTHH (UTC hour) or raise a usage error naming the option."""
    if not isinstance(value, str) or not HOUR.match(value):
        raise MigrateError(f"{option} {value!r}: expected YYYYMMDDTHH, e.g. 20240612T07 (UTC hour)")
    try:
        return datetime.strptime(value, "%Y%m%dT%H")
    except ValueError:
        raise MigrateError(f"{option} {value!r}: not a real date and hour") from None


def export_url(region: str = "us", override: str | None = None) -> str:
    if override:
        base = override.rstrip("/")
        return base if base.endswith("/api/2/export") else base + "/api/2/export"
    try:
        return EXPORT_URLS[region]
    except KeyError:
        raise MigrateError(f"unknown region {region!r}: use one of {', '.join(EXPORT_URLS)}") from None


def _retry_after(response, default: float) -> float:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, min(float(value), 600.0)) if value is not None else default
    except ValueError:
        return default


def download_export(
    start: str,
    end: str,
    output: str,
    *,
    api_key: str,
    secret_key: str,
    region: str = "us",
    api_url: str | None = None,
    timeout: float = 600.0,
    max_retries: int = 4,
    backoff: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    on_wait: Callable[[str, float], None] | None = None,
    session: requests.Session | None = None,
) -> dict:
    """Download the export of [start, end] (UTC hours) to `output` (a zip). Returns {"bytes", "url", "attempts"}.

    Retries 429 (honouring Retry-After), 500/502/503, 504 once and connection failures, with exponential
    back-off; the keys go in the basic-auth header only and never into a message.
    """
    first, last = check_hour(start, "--start"), check_hour(end, "--end")
    if last < first:
        raise MigrateError(f"--end {end} is before --start {start}")
    if last - first > timedelta(days=MAX_DAYS):
        raise MigrateError(f"--start {start} to --end {end} spans more than {MAX_DAYS} days, the Export API's "
                           "limit: split the range")
    if not api_key or not secret_key:
        raise MigrateError("the Export API needs the project's API key and secret key: set AMPLITUDE_API_KEY and "
                           "AMPLITUDE_SECRET_KEY")
    import requests  # only the download needs it: reading an export (compare, calibrate) does not

    url = export_url(region, api_url)
    http = session or requests.Session()
    attempts = 0
    timeouts = 0
    span = f"{start}..{end}"
    while True:
        attempts += 1
        try:
            response = http.get(url, params={"start": start, "end": end}, auth=(api_key, secret_key),
                                stream=True, timeout=timeout)
        except requests.RequestException as exc:
            if attempts > max_retries:
                raise ExportError(None, f"cannot reach {url}: {type(exc).__name__}; check the network or "
                                        "--api-url / AMPLITUDE_API_URL") from None
            wait = backoff * 2 ** (attempts - 1)
            _wait(on_wait, sleep, f"no answer from the Export API ({type(exc).__name__})", wait)
            continue
        status = response.status_code
        if status == 200:
            return _save(response, output, url, attempts)
        response.close()
        if status == 400:
            raise ExportError(400, f"the export of {span} is larger than Amplitude allows (4 GB): split the range "
                                   "into smaller --start/--end windows, e.g. one day at a time")
        if status == 404:
            raise ExportError(404, f"Amplitude has no data for {span}: check the range (UTC hours, by upload "
                                   "time; data appears about 2 hours after the events) and that the keys "
                                   "belong to the right project")
        if status in (401, 403):
            raise ExportError(status, f"the Export API refused the credentials (HTTP {status}): check "
                                      "AMPLITUDE_API_KEY and AMPLITUDE_SECRET_KEY (the project's API key and "
                                      "secret key) and --region")
        if status == 504:
            timeouts += 1
            if timeouts > 1 or attempts > max_retries:
                raise ExportError(504, f"the Export API timed out on {span} (HTTP 504): use smaller ranges, e.g. "
                                       "a few hours at a time")
            _wait(on_wait, sleep, "the Export API timed out (HTTP 504), trying once more", backoff)
            continue
        if status == 429 or status in (500, 502, 503):
            if attempts > max_retries:
                what = "rate limited" if status == 429 else "failing"
                raise ExportError(status, f"the Export API is {what} (HTTP {status}) after {attempts} attempts: "
                                          "wait a few minutes and run the command again")
            wait = _retry_after(response, backoff * 2 ** (attempts - 1))
            _wait(on_wait, sleep, f"HTTP {status} from the Export API", wait)
            continue
        raise ExportError(status, f"the Export API answered HTTP {status} for {span}")


def _wait(on_wait, sleep, reason: str, seconds: float) -> None:
    if on_wait is not None:
        on_wait(reason, seconds)
    sleep(seconds)


def _save(response, output: str, url: str, attempts: int) -> dict:
    import requests

    target = Path(output)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".part", dir=str(target.parent))
    except OSError as exc:
        raise MigrateError(f"{output}: cannot write: {exc.strerror or exc}") from None
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in response.iter_content(1 << 20):
                out.write(chunk)
                size += len(chunk)
        if size == 0:
            raise ExportError(200, "the Export API answered with an empty body: run the command again")
        with open(tmp, "rb") as fh:
            if fh.read(2) != b"PK":
                raise ExportError(200, "the Export API answered 200 but the body is not a zip archive: check "
                                       "--api-url / AMPLITUDE_API_URL")
        os.replace(tmp, target)
    except requests.RequestException as exc:
        raise ExportError(None, f"the download broke off after {size} bytes ({type(exc).__name__}): run the "
                                "command again") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return {"bytes": size, "url": url, "attempts": attempts}


# -- reading --------------------------------------------------------------------------------------------


@dataclass
class ExportStats:
    rows: int = 0
    files: list[str] = field(default_factory=list)
    skipped_count: int = 0
    skipped: list[Skip] = field(default_factory=list)

    def skip(self, item: Skip) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_SKIP_EXAMPLES:
            self.skipped.append(item)


def _is_data_name(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return not base.startswith(".") and base.endswith((".json.gz", ".json", ".jsonl", ".jsonl.gz", ".gz"))


def _rows(name: str, raw, stats: ExportStats) -> Iterator[dict]:
    """Rows of one file-like object (gzipped or not, by magic bytes)."""
    import io

    stream = io.BufferedReader(raw) if not hasattr(raw, "peek") else raw
    if stream.peek(2)[:2] == b"\x1f\x8b":
        stream = io.BufferedReader(gzip.GzipFile(fileobj=stream, mode="rb"), buffer_size=1 << 16)
    lineno = 0
    try:
        for line in stream:
            lineno += 1
            text = line.strip()
            if lineno == 1:
                text = text.lstrip(b"\xef\xbb\xbf")
            if not text:
                continue
            try:
                row = parse_json_line(text)
            except (ValueError, UnicodeDecodeError) as exc:
                stats.skip(Skip(name, lineno, f"not a JSON row ({getattr(exc, 'msg', None) or exc})"))
                continue
            if not isinstance(row, dict):
                stats.skip(Skip(name, lineno, "not a JSON object"))
                continue
            if not isinstance(row.get("event_type"), str) or not row["event_type"]:
                stats.skip(Skip(name, lineno, "row without event_type (not an Amplitude export row)"))
                continue
            stats.rows += 1
            yield {k: v for k, v in row.items() if k in _READ}
    except (OSError, EOFError, zlib.error) as exc:
        stats.skip(Skip(name, lineno + 1 if lineno else None,
                        f"corrupt gzip data ({exc}); the rest of this file was not read: download the export "
                        "again (amplitude-migrate amplitude export)"))


def read_export(path: str, stats: ExportStats | None = None) -> Iterator[dict]:
    """Yield the rows (only READ_FIELDS kept) of an export zip, a folder, a .json.gz file or JSON Lines."""
    stats = stats if stats is not None else ExportStats()
    p = Path(path)
    if p.is_dir():
        files = sorted(str(f) for f in p.rglob("*") if f.is_file() and _is_data_name(f.name))
        if not files:
            raise BadInput(path, None, "the folder holds no .json.gz, .json or .jsonl files: unzip the Export API "
                                       "archive here, or pass the zip itself")
        for name in files:
            stats.files.append(name)
            with open(name, "rb") as fh:
                yield from _rows(name, fh, stats)
        return
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise BadInput(path, None, f"cannot open the Amplitude export: {exc.strerror or exc}") from None
    with fh:
        if fh.read(2) == b"PK":
            fh.seek(0)
            yield from _read_zip(path, fh, stats)
            return
        fh.seek(0)
        stats.files.append(path)
        yield from _rows(path, fh, stats)


def _read_zip(path: str, fh, stats: ExportStats) -> Iterator[dict]:
    try:
        archive = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BadInput(path, None, f"not a readable zip archive ({exc}): download the export again "
                                   "(amplitude-migrate amplitude export)") from None
    with archive:
        members = sorted(i.filename for i in archive.infolist() if not i.is_dir() and _is_data_name(i.filename))
        if not members:
            raise BadInput(path, None, "the zip holds no .json.gz files: is it an Amplitude Export API archive?")
        for member in members:
            name = f"{path}!{member}"
            stats.files.append(name)
            try:
                with archive.open(member) as raw:
                    yield from _rows(name, raw, stats)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
                stats.skip(Skip(name, None, f"corrupt zip member ({exc}); skipped: download the export again"))
