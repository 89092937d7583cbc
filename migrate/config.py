"""Reading the small JSON files users hand us (settings, subscriptions), with errors that say where and why."""

from __future__ import annotations

import json
import re
from pathlib import Path

import orjson

from migrate.errors import BadInput

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


# json.dumps(obj, ensure_ascii=False, allow_nan=False) and json.dumps(key, ensure_ascii=False), with the encoder
# made once (json.dumps makes one per call for options other than its defaults)
_ONE_LINE = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
_KEY = json.JSONEncoder(ensure_ascii=False).encode


def _fitted(obj, indent: int, width: int, level: int) -> str:
    one = _ONE_LINE(obj)
    if not isinstance(obj, (dict, list)) or not obj or level + len(one) <= width:
        return one
    pad = " " * (level + indent)
    if isinstance(obj, dict):
        items = [f"{pad}{_KEY(k)}: {_fitted(v, indent, width, level + indent)}"
                 for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * level + "}"
    items = [pad + _fitted(v, indent, width, level + indent) for v in obj]
    return "[\n" + ",\n".join(items) + "\n" + " " * level + "]"


def _finite(value):
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def json_text(obj, *, indent: int | None = None, width: int | None = None) -> str:
    """JSON text that can always be written as UTF-8, non-ASCII kept as is.

    JSON input may carry a lone surrogate as an escape ("\\ud800"); Python keeps it in the string, and
    writing it as UTF-8 would fail mid-run. It goes back out as the same escape (what JSON.stringify does),
    so the output stays valid JSON with the exact input value.

    With `indent` and `width`, an object or array that fits on one line of `width` characters (indentation
    included) is written on one line: a mapping's `{"@path": "$.userId"}` leaves stay readable at a glance.
    """
    if indent is not None and width is not None:
        try:
            text = _fitted(obj, indent, width, 0)
        except ValueError:
            text = _fitted(_finite(obj), indent, width, 0)
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    separators = (",", ":") if indent is None else None
    try:
        text = json.dumps(obj, ensure_ascii=False, indent=indent, separators=separators, allow_nan=False)
    except ValueError:  # NaN or Infinity (only non-standard input carries them): null, as JSON.stringify
        text = json.dumps(_finite(obj), ensure_ascii=False, indent=indent, separators=separators)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_NUMBER_CHARS = frozenset(b"0123456789.-")
_BEFORE_VALUE = frozenset(b":,[")


def _number_at(data: bytes, index: int) -> bool:
    """Whether the bytes just before `index` are a number token (not text inside a string)."""
    start = index
    while start > 0 and data[start - 1] in _NUMBER_CHARS:
        start -= 1
    return start < index and start > 0 and data[start - 1] in _BEFORE_VALUE


# Each marker's search, with the marker's place in the match. A hit is a marker right after a digit whose
# previous byte can be in or before a number token (a digit, `.`, `-`, `:`, `,` or `[`): the look back holds
# what `_float_forms` would test first. A number's exponent or fraction follows a digit, and the run of number
# bytes that ends there is preceded by `:`, `,` or `[`, so the byte before that digit is a number byte or one
# of these (which also rules out a digit at the very start). Hex text ("…a8e-4f…", "c8e-") is passed over
# inside the scan. The exponents are found by their sign (`-`, `+`: a scan for one byte, faster than one for
# `e-`, with `e` so common in text); `.0000` by itself.
_E_MINUS = re.compile(rb"-(?<=[-0-9.:,\[][0-9]e-)").search
_E_PLUS = re.compile(rb"\+(?<=[-0-9.:,\[][0-9]e\+)").search
_ZEROS = re.compile(rb"\.0000(?<=[-0-9.:,\[][0-9]\.0000)").search
_MARKERS = ((_E_MINUS, 1), (_E_PLUS, 1), (_ZEROS, 0))  # (search, bytes of the marker before the hit)
_MARKERS_NO_PLUS = (_MARKERS[0], _MARKERS[2])


def _float_forms(data: bytes) -> bool:
    """A float orjson writes differently from `json.dumps`: an exponent (1e-07, 1e+16) or 0.00001 (1e-05).

    Each marker (`e-`, `e+`, `.0000`) is looked for and checked at each hit; a hit inside a string that looks
    like a number only sends the line to `json_text`, which is always right. `e+` is looked for only in a
    line holding a `+` (most lines hold none).
    """
    for search, back in (_MARKERS if b"+" in data else _MARKERS_NO_PLUS):
        hit = search(data)
        while hit is not None:
            start = hit.start()
            if _number_at(data, start - back):  # the digit before the marker: checked by the look back
                return True
            hit = search(data, start + 1)
    return False


def json_line_bytes(obj) -> bytes:
    """`json_text(obj)` for one output line as UTF-8 bytes, byte for byte, through orjson where that gives
    the same text.

    orjson writes compact JSON with non-ASCII kept and the same string escapes; it refuses lone
    surrogates, integers beyond 64 bits and non-string keys, and writes some floats in other forms.
    Those lines go through `json_text`. NaN and Infinity (not JSON) are written as null in both, as
    JSON.stringify writes them.
    """
    try:
        data = orjson.dumps(obj)
    except TypeError:
        return json_text(obj).encode("utf-8")
    if _float_forms(data):
        return json_text(obj).encode("utf-8")
    return data


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


def is_terraform_path(path: str | None) -> bool:
    """A `.tf` file or a folder (optionally with a `#selector`): read as Terraform, not JSON.

    (Here rather than in `migrate.terraform`, which re-exports it: a JSON settings file is told apart
    without importing the Terraform reader.)"""
    if not path or path == "-":
        return False
    base = split_selector(path)[0]
    return base.endswith(".tf") or Path(base).is_dir()


def split_selector(path: str) -> tuple[str, str | None]:
    """`PATH#ID` -> (PATH, ID); a path that exists as written, or has no `#`, has no selector."""
    if Path(path).exists() or "#" not in path:
        return path, None
    base, selector = path.rsplit("#", 1)
    return base, selector.strip() or None


def load_settings_file(path: str, what: str, *, actions: bool = False):
    """A settings document from JSON, or from Terraform (a `.tf` file or a Git-sync folder, `PATH#ID`)."""
    if is_terraform_path(path):
        from migrate import terraform

        metadata = terraform.ACTIONS_METADATA_ID if actions else terraform.CLASSIC_METADATA_ID
        return terraform.load_settings_document(path, what, metadata_id=metadata)
    return load_json_file(path, what)


def load_subscriptions_doc(path: str, what: str = "subscriptions"):
    """A subscriptions document from JSON, or the `segment_destination_subscription` resources of Terraform
    files (a `.tf` file or a Git-sync folder, `PATH#DESTINATION_ID`) in the Public API shape."""
    if is_terraform_path(path):
        from migrate import terraform

        return terraform.load_subscriptions_document(path)
    return load_json_file(path, what)
