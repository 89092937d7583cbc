"""Segment's event facade as the classic integrations read events (web device-mode and the 2017 cloud code).

Reproduces the accessor rules, not the library: spelling-tolerant lookups, ``id`` added to traits,
``revenue()`` with its ``total`` fallback and ``$`` stripping, the order-completed name regex, page
``fullName``/``event`` naming and the address fallbacks.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from actions.enrich import _PLAIN_ISO_UTC, plain_iso_ms

__all__ = [
    "proxy", "opts", "props", "traits_of", "revenue", "quantity", "product_id", "is_order_completed",
    "full_name", "address_field", "address_fields", "time_ms", "js_parse_float", "truthy", "iso_to_js_date_string",
]

# analytics-events' order-completed regex. `$` binds only to the second alternative, so any name that
# starts with "completed order" matches while "order completed" must be the whole name.
ORDER_COMPLETED = re.compile(r"^[ _]?completed[ _]?order[ _]?|^[ _]?order[ _]?completed[ _]?$", re.I)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)
def _norm(key: str) -> str:
    return _NON_ALNUM.sub("", key.lower())


def _find(obj: Any, key: str) -> Any:
    if not isinstance(obj, dict):
        return None
    if key in obj:
        return obj[key]
    want = _norm(key)
    for k, v in obj.items():
        if isinstance(k, str) and _norm(k) == want:
            return v
    return None


def proxy(obj: Any, path: str) -> Any:
    """Spelling-tolerant path lookup (``revenue_type`` satisfies ``revenueType``)."""
    for part in path.split("."):
        obj = _find(obj, part)
        if obj is None:
            return None
    return obj


def truthy(value: Any) -> bool:
    """JavaScript truthiness."""
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def opts(event: dict) -> dict:
    """integrations.Amplitude when it is an object; {} for true/absent."""
    integ = event.get("integrations")
    if isinstance(integ, dict):
        amp = integ.get("Amplitude")
        if isinstance(amp, dict):
            return amp
    return {}


def props(event: dict) -> dict:
    p = event.get("properties")
    return p if isinstance(p, dict) else {}


def context(event: dict) -> dict:
    c = event.get("context")
    return c if isinstance(c, dict) else {}


def traits_of(event: dict) -> dict:
    """facade traits(): identify/group traits, otherwise context.traits; plus id = userId (group: groupId)."""
    kind = event.get("type")
    if kind in ("identify", "group"):
        t = event.get("traits")
        if not isinstance(t, dict):
            t = context(event).get("traits")
        if kind == "group" and not isinstance(t, dict):
            t = event.get("properties")
    else:
        t = context(event).get("traits")
    out = dict(t) if isinstance(t, dict) else {}
    ident = event.get("groupId") if kind == "group" else event.get("userId")
    if truthy(ident):
        out["id"] = ident
    return out


_FLOAT_PREFIX = re.compile(r"\s*([+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))")


def js_parse_float(text: str) -> float:
    m = _FLOAT_PREFIX.match(text)
    if not m:
        return math.nan
    return float(m.group(1).replace("Infinity", "inf"))


def _num(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def revenue(p: dict, event_name: Any = None) -> Any:
    """facade track.revenue(): number or None. 0, '' and non-numeric strings give None."""
    rev = p.get("revenue")
    if not truthy(rev) and isinstance(event_name, str) and ORDER_COMPLETED.search(event_name):
        rev = p.get("total")
    if isinstance(rev, str):
        rev = js_parse_float(rev.replace("$", ""))
    elif isinstance(rev, bool) or not isinstance(rev, (int, float)):
        return None
    if not truthy(rev) or math.isinf(rev):
        return None
    return _num(rev)


def quantity(p: dict) -> Any:
    q = p.get("quantity")
    return q if truthy(q) else 1


def product_id(p: dict) -> Any:
    pid = proxy(p, "product_id")
    return pid if pid is not None else proxy(p, "productId")


def is_order_completed(name: Any) -> bool:
    return isinstance(name, str) and bool(ORDER_COMPLETED.search(name))


def full_name(event: dict) -> str | None:
    """page.fullName(): '<category> <name>' when both, else the name (None without a name)."""
    name, category = event.get("name"), event.get("category")
    if not truthy(name):
        return None
    return f"{js_str(category)} {js_str(name)}" if truthy(category) else js_str(name)


def js_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return "null"
    return str(value)


def address_field(event: dict, field: str) -> Any:
    """traits.address.X -> traits.X -> properties.address.X -> properties.X."""
    kind = event.get("type")
    t = event.get("traits") if kind in ("identify", "group") else context(event).get("traits")
    if not isinstance(t, dict) and kind in ("identify", "group"):
        t = context(event).get("traits")
    p = props(event)
    for source in (t, p):
        if not isinstance(source, dict):
            continue
        addr = source.get("address")
        if isinstance(addr, dict) and addr.get(field) is not None:
            return addr[field]
        if source.get(field) is not None:
            return source[field]
    return None


def address_fields(event: dict, fields: tuple) -> list:
    """`address_field` for several fields, reading the sources once."""
    kind = event.get("type")
    t = event.get("traits") if kind in ("identify", "group") else context(event).get("traits")
    if not isinstance(t, dict) and kind in ("identify", "group"):
        t = context(event).get("traits")
    sources = [source for source in (t, props(event)) if isinstance(source, dict) and source]
    out = []
    for field in fields:
        found = None
        for source in sources:
            addr = source.get("address")
            if isinstance(addr, dict) and addr.get(field) is not None:
                found = addr[field]
                break
            if source.get(field) is not None:
                found = source[field]
                break
        out.append(found)
    return out


_ISO = re.compile(
    r"^(\d{4})(?:-?(\d{2})(?:-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)


@lru_cache(maxsize=2048)
def _parse_time(text: str) -> int | None:
    m = _ISO.match(text.strip())
    if not m:
        return None
    year, month, day, hh, mm, ss, frac, tz = m.groups()
    try:
        dt = datetime(int(year), int(month or 1), int(day or 1), int(hh or 0), int(mm or 0), int(ss or 0),
                      int((frac or "0")[:6].ljust(6, "0")), tzinfo=timezone.utc)
    except ValueError:
        return None
    ms = int(dt.timestamp()) * 1000 + dt.microsecond // 1000
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        ms -= sign * (int(digits[:2]) * 60 + int(digits[2:])) * 60000
    return ms


def time_ms(value: Any) -> int | None:
    """A Segment timestamp as epoch milliseconds (ISO strings, 'YYYY', or a number of ms)."""
    if value.__class__ is str:
        # the everyday `YYYY-MM-DDTHH:MM:SS(.sss)Z` from 1970 on: the same milliseconds by plain arithmetic
        ms = plain_iso_ms(value)
        return ms if ms is not None else _parse_time(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        return _parse_time(value)
    return None


# @segment/isodate's test: a string that starts like an ISO date (YYYY-MM-DD at least).
_ISODATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$")


def iso_to_js_date_string(value: str) -> str | None:
    """If the facade would turn this string into a Date, the string the SDK later sends; else None."""
    if _PLAIN_ISO_UTC.fullmatch(value) is not None:
        # `YYYY-MM-DDTHH:MM:SS(.sss)Z` from 1970 on, a valid date: the SDK's text is the same instant with
        # milliseconds, which this form already has (or lacks: .000)
        return value if len(value) == 24 else value[:-1] + ".000Z"
    if len(value) < 10 or not _ISODATE.match(value):
        return None
    ms = _parse_time(value)
    if ms is None:
        return None
    dt = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
