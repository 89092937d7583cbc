"""Reading the small JSON files users hand us (settings, subscriptions), with errors that say where and why."""

from __future__ import annotations

import json
import re
from pathlib import Path

from migrate.errors import BadInput

SECRET_KEYS = frozenset({"apiKey", "secretKey", "api_key", "secret_key", "token", "authorization", "Authorization"})
REDACTED = "<redacted>"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(obj, *, indent: int | None = None) -> str:
    """JSON text that can always be written as UTF-8, non-ASCII kept as is.

    JSON input may carry a lone surrogate as an escape ("\\ud800"); Python keeps it in the string, and
    writing it as UTF-8 would fail mid-run. It goes back out as the same escape (what JSON.stringify does),
    so the output stays valid JSON with the exact input value.
    """
    separators = (",", ":") if indent is None else None
    text = json.dumps(obj, ensure_ascii=False, indent=indent, separators=separators)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def load_json_file(path: str, what: str):
    """Parse a JSON file; BadInput names the file, line and the parser's reason."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadInput(path, None, f"{what} file not found") from None
    except OSError as exc:
        raise BadInput(path, None, f"cannot read {what} file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BadInput(path, None, f"{what} file is not UTF-8 text") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(path, exc.lineno, f"{what} file is not valid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        doc = None
    if doc is None and text.strip() != "null" or _too_deep(doc):
        raise BadInput(path, None, f"{what} file is nested deeper than {MAX_FILE_DEPTH} levels; not usable {what}")
    return doc


MAX_FILE_DEPTH = 64  # settings and subscriptions nest a few levels; deeper is a wrong file, never a traceback


def _too_deep(obj) -> bool:
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_FILE_DEPTH:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))
    return False


def settings_object(doc, path: str, what: str) -> dict:
    """A settings object from a plain object or a Segment Public API destination document."""
    if isinstance(doc, dict) and isinstance(doc.get("data"), dict):
        dest = doc["data"].get("destination", doc["data"])
        if isinstance(dest, dict) and isinstance(dest.get("settings"), dict):
            return dest["settings"]
    if isinstance(doc, dict) and isinstance(doc.get("destination"), dict) and isinstance(
        doc["destination"].get("settings"), dict
    ):
        return doc["destination"]["settings"]
    if not isinstance(doc, dict):
        raise BadInput(path, None, f"{what} must be a JSON object of setting keys (got {type(doc).__name__})")
    return doc


def mask(value) -> str:
    """A secret shown only by its length class and last 4 characters (already-masked values stay as they are)."""
    if not isinstance(value, str) or not value:
        return REDACTED
    if "•" in value:
        return value
    return "••••" + value[-4:] if len(value) > 8 else REDACTED


def redact(obj):
    """A copy of obj with every secret-named key's value masked, at any depth."""
    if isinstance(obj, dict):
        return {k: (REDACTED if k in SECRET_KEYS and v is not None else redact(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [redact(v) for v in obj]
    return obj


def load_settings_file(path: str, what: str, *, actions: bool = False):
    """A settings document from JSON, or from Terraform (a `.tf` file or a Git-sync folder, `PATH#ID`)."""
    from migrate import terraform

    if terraform.is_terraform_path(path):
        metadata = terraform.ACTIONS_METADATA_ID if actions else terraform.CLASSIC_METADATA_ID
        return terraform.load_settings_document(path, what, metadata_id=metadata)
    return load_json_file(path, what)


def load_subscriptions_doc(path: str, what: str = "subscriptions"):
    """A subscriptions document from JSON, or the `segment_destination_subscription` resources of Terraform
    files (a `.tf` file or a Git-sync folder, `PATH#DESTINATION_ID`) in the Public API shape."""
    from migrate import terraform

    if terraform.is_terraform_path(path):
        return terraform.load_subscriptions_document(path)
    return load_json_file(path, what)
