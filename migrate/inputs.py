"""Where events come from: local files, local glob patterns, and URLs (S3 archives and any other `fsspec` URL).

`expand_inputs` turns what the user typed into the list of files to read, in a stable order:

- `-` is standard input;
- a local path is used as it is (an existing file whose name contains `*`, `?` or `[` included);
- a local pattern (`events/*.jsonl.gz`, `logs/**/*.gz`, quoted so that the shell leaves it to us) becomes the
  files it matches, sorted by name; none is an error naming the pattern;
- a URL (`s3://bucket/segment-logs/SOURCE_ID/DAY/*.gz`, `gs://...`, `https://...`) is read through `fsspec`
  (the `dask` extra: `pip install 'amplitude-migrate[dask]'`). A URL pattern becomes the objects it matches,
  a URL ending in `/` (or naming a folder) every object under it, sorted by key, so
  `s3://bucket/segment-logs/SOURCE_ID/` is every day of one source in day order.

Segment's S3 archive (the Amazon S3 destination) writes gzipped JSON Lines to
`s3://BUCKET[/PREFIX]/segment-logs/SOURCE_ID/RECEIVED_DAY/FILE.gz`, RECEIVED_DAY being the UTC day as Unix
milliseconds. The objects carry `Content-Encoding: gzip`, so some clients hand them over already inflated:
the reader tells gzip by its magic bytes, never by the name, and reads both.

Credentials and options come from the environment the library already reads (for S3: `AWS_PROFILE`,
`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `AWS_ENDPOINT_URL`, instance roles; for any protocol,
`FSSPEC_<PROTOCOL>_<OPTION>` variables). They are never printed: names in messages and reports drop a URL's
password and query string (a presigned URL's signature stays out of every report).
"""

from __future__ import annotations

import glob
import os
import re
from typing import Iterable
from urllib.parse import urlsplit, urlunsplit

from migrate.errors import BadInput, MissingExtra

__all__ = ["expand_inputs", "is_url", "display_name", "open_url", "url_size", "MissingExtra", "EXTRA_HINT"]

EXTRA_HINT = "pip install 'amplitude-migrate[dask]'"
# Remote reads: large enough blocks that S3 is asked a few times per file, small enough to keep memory flat.
BLOCK_SIZE = 8 << 20
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_MAGIC = re.compile(r"[*?\[]")


def is_url(path: str) -> bool:
    """A URL (`scheme://...`) rather than a local path or `-`."""
    return bool(_URL.match(str(path)))


def display_name(path: str) -> str:
    """How an input is named in messages and reports: a URL without its password or query string."""
    path = str(path)
    if not is_url(path):
        return path
    try:
        parts = urlsplit(path)
    except ValueError:
        return path.split("?", 1)[0]
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}:***@{host}" if ":" in user else f"{user}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, "..." if parts.query else "", ""))


def _fsspec():
    try:
        import fsspec
    except ImportError:
        raise MissingExtra(f"reading URLs needs the dask extra (fsspec, s3fs): {EXTRA_HINT}") from None
    return fsspec


def _filesystem(url: str):
    """(filesystem, path inside it) for a URL; storage options come from the environment."""
    fsspec = _fsspec()
    name = display_name(url)
    try:
        return fsspec.core.url_to_fs(url)
    except ImportError as exc:  # the protocol's own package (s3fs, gcsfs, ...) is missing
        raise MissingExtra(f"{name}: cannot read this URL: {_first_line(exc)} ({EXTRA_HINT} installs s3fs "
                           "for s3:// URLs)") from None
    except ValueError as exc:  # an unknown protocol
        raise BadInput(name, None, f"not a readable URL: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _remote_error(name: str, exc: BaseException, doing: str) -> BadInput:
    """One sentence for a failed remote call; never the credentials (botocore's messages carry none)."""
    kind = type(exc).__name__
    if isinstance(exc, FileNotFoundError):
        reason = "not found (check the bucket and the path)"
    elif isinstance(exc, PermissionError):
        reason = "access denied (check the credentials and the bucket policy)"
    elif kind in ("NoCredentialsError", "PartialCredentialsError"):
        reason = ("no credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, in "
                  "the environment of every process that reads it")
    elif kind in ("EndpointConnectionError", "ConnectTimeoutError", "ClientConnectorError", "ConnectionError",
                  "ConnectionRefusedError") or isinstance(exc, (ConnectionError, TimeoutError)):
        reason = f"storage unreachable ({_first_line(exc)})"
    else:
        reason = f"{kind}: {_first_line(exc)}"
    return BadInput(name, None, f"cannot {doing}: {reason}")


def _expand_url(url: str) -> list[str]:
    fs, path = _filesystem(url)
    name = display_name(url)
    try:
        if _MAGIC.search(path):
            found = [p for p in fs.glob(path) if not fs.isdir(p)]
            what = "no files match this pattern"
        elif url.endswith("/") or fs.isdir(path):
            found = list(fs.find(path))
            what = "no files under this folder"
        else:
            if not fs.exists(path):
                raise FileNotFoundError(path)
            return [url]
    except BadInput:
        raise
    except Exception as exc:  # noqa: BLE001 - every storage library has its own errors; each becomes one sentence
        raise _remote_error(name, exc, "list it") from None
    if not found:
        raise BadInput(name, None, f"{what}: nothing to read{_missing_root(fs, path)}")
    return [fs.unstrip_protocol(p) for p in sorted(found)]


def _missing_root(fs, path: str) -> str:
    """Why a pattern matched nothing, when it is that its fixed part (the bucket, a folder) does not exist."""
    fixed = _MAGIC.split(path, 1)[0].rsplit("/", 1)[0] if _MAGIC.search(path) else path.rstrip("/")
    parts = [p for p in fixed.split("/") if p]
    try:
        if parts and not fs.exists(parts[0]):
            return f" (the bucket or root {fs.unstrip_protocol(parts[0])} does not exist or is not readable)"
        if len(parts) > 1 and not fs.exists(fixed):
            return f" ({fs.unstrip_protocol(fixed)}/ holds nothing)"
    except Exception:  # noqa: BLE001 - only a hint
        return ""
    return ""


def _expand_local(path: str) -> list[str]:
    if os.path.lexists(path) or not _MAGIC.search(path):
        return [path]
    found = sorted(p for p in glob.glob(path, recursive=True) if not os.path.isdir(p))
    if not found:
        raise BadInput(path, None, "no files match this pattern: nothing to read")
    return found


def expand_inputs(paths: Iterable[str]) -> list[str]:
    """The files to read for what the user typed: patterns and URL folders expanded, in a stable order."""
    out: list[str] = []
    for path in paths:
        path = os.fspath(path)
        if path == "-":
            out.append(path)
        elif is_url(path):
            out.extend(_expand_url(path))
        else:
            out.extend(_expand_local(path))
    return out


def open_url(url: str):
    """A binary stream of a URL's bytes (as stored: the reader inflates gzip itself)."""
    fs, path = _filesystem(url)
    try:
        return fs.open(path, "rb", block_size=BLOCK_SIZE)
    except Exception as exc:  # noqa: BLE001 - see _expand_url
        raise _remote_error(display_name(url), exc, "open it") from None


def url_size(url: str) -> int | None:
    """The stored size of a URL's object in bytes, None when the storage does not tell."""
    try:
        fs, path = _filesystem(url)
        size = fs.size(path)
    except Exception:  # noqa: BLE001 - the size only feeds the progress bar
        return None
    return size if isinstance(size, int) else None
