"""Calibrate the classic emulator against what Amplitude really stored (an Amplitude export).

Steps:

1. **Index** the export rows (only the fields in ``amplitude_export.READ_FIELDS``) by ``$insert_id``, by
   ``user_id`` and by ``device_id``, each id's rows sorted by time.
2. **Join** every Segment event to the rows it produced: the row whose ``$insert_id`` is the event's
   ``messageId`` where there is one; otherwise, per event type the emulator can predict for the event under
   any variant of the naming options (``page_naming``, ``order_completed``), the nearest unused rows with the
   same user id (else device id) whose time lies within the tolerance of the time Classic sent.
   Tolerance (default 2 s): Classic cloud sent Segment's ``timestamp`` in milliseconds and Amplitude keeps it
   as ``client_event_time``, so a joined row is exact to the millisecond; ``event_time`` moves only when the
   sender's clock was off by more than 60 s. The margin absorbs exports written with second precision and
   device-mode SDK clocks (compared with ``originalTimestamp`` too); the nearest row wins, so a busy user's
   repeated events still pair one to one.
3. **Score** each contested option: re-run the joined events with each variant and count, field by field,
   agreements (+1) and disagreements (-1) with the stored rows; the variant with the best total wins, a tie
   keeps the current value. Fields Amplitude fills in itself when the sender gave none (location from the
   ip, the ip of the sender) are not counted against a variant that sends none.
4. **Report** per field how often the calibrated emulator agrees with the export, with examples.

Memory: the export's rows are held as compact JSON for the join, at most ``max_rows`` (default 200,000;
calibrate on a day or a week, not a year), and a random sample of at most ``SAMPLE_JOINED`` joined events is
kept for measuring (the join counts stay exact). Segment events are streamed.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import random
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from migrate.amplitude_export import ExportStats, read_export
from migrate.canonical import V1_MIN_ID_LENGTH, language_name, normalize_event, records_from_requests
from migrate.errors import BadInput
from migrate.events import ReadStats, read_events

__all__ = [
    "CONTESTED", "OPTION_FIELDS", "COMPARED_FIELDS", "TIME_TOLERANCE", "MAX_ROWS", "Calibration",
    "ExportIndex", "calibrate_export", "load_calibration", "row_record", "covered_records", "ExportBackedClassic",
    "event_key", "classic_side_summary", "protect_calibration",
]

CONTESTED = ("page_naming", "order_completed", "group_call", "query_params", "revenue_price", "language",
             "user_agent", "country")
# The stored fields each contested option changes (its evidence).
OPTION_FIELDS = {
    "page_naming": ("event_type",), "order_completed": ("event_type", "revenue"), "group_call": ("groups",),
    "query_params": ("event_properties", "user_properties"), "revenue_price": ("price", "quantity", "revenue"),
    "language": ("language",), "user_agent": ("os_name",), "country": ("country",),
}
COMPARED_FIELDS = (
    "event_type", "user_id", "device_id", "event_properties", "user_properties", "groups", "library", "platform",
    "app_version", "os_name", "os_version", "device_brand", "device_manufacturer", "device_model", "carrier",
    "country", "region", "city", "dma", "language", "ip", "location_lat", "location_lng", "idfa", "adid",
    "session_id", "revenue", "price", "quantity", "productId", "revenueType",
)
# Export name -> the HTTP API (record) name.
RENAMED = {"version_name": "app_version", "device_carrier": "carrier", "ip_address": "ip"}
# Amplitude fills these in when the sender gave none (ip lookup; the sender's own address).
DERIVED = frozenset({"country", "region", "city", "dma", "ip"})
REVENUE_PROPERTIES = {"$revenue": "revenue", "$price": "price", "$quantity": "quantity",
                      "$productId": "productId", "$revenueType": "revenueType"}
TIME_TOLERANCE = 2.0
MAX_ROWS = 200_000
MAX_EXAMPLES = 5
SAMPLE_JOINED = 10_000  # joined events kept for measuring (reservoir sample beyond that)
SAMPLE_PER_OPTION = 5000  # joined events scored per option and variant (spread evenly over the input)
NAMING = ("page_naming", "order_completed")


# -- export rows as records -----------------------------------------------------------------------------


def export_time_ms(row: dict) -> int | None:
    """client_event_time (what the sender sent), else event_time, as epoch milliseconds."""
    for key in ("client_event_time", "event_time"):
        value = row.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, str) and value:
            text = value.strip().replace("T", " ").rstrip("Z")
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                continue
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return int(round(moment.timestamp() * 1000))
    return None


def row_record(row: dict) -> dict:
    """An export row as a canonical record (HTTP API field names; revenue lifted out of event_properties)."""
    record: dict[str, Any] = {"kind": "identify" if row.get("event_type") == "$identify" else "event"}
    for key, value in row.items():
        if key in ("event_time", "client_event_time", "$insert_id") or value is None:
            continue
        record[RENAMED.get(key, key)] = value
    props = record.get("event_properties")
    if isinstance(props, dict) and any(k in props for k in REVENUE_PROPERTIES):
        props = dict(props)
        for key, name in REVENUE_PROPERTIES.items():
            if key in props:
                value = props.pop(key)
                if value is not None:
                    record.setdefault(name, value)
        record["event_properties"] = props
    for key in ("event_properties", "user_properties", "groups"):
        if record.get(key) == {}:
            del record[key]
    if record.get("session_id") == -1:
        del record["session_id"]
    for key in ("user_id", "device_id"):
        if key in record and not isinstance(record[key], str):
            record[key] = str(record[key])
    ms = export_time_ms(row)
    if ms is not None:
        record["time"] = ms
    return record


# -- comparing one field ---------------------------------------------------------------------------------


def _num(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _num(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_num(v) for v in value]
    return value


def _groups(value):
    if not isinstance(value, dict):
        return value
    out = {}
    for key, v in value.items():
        items = v if isinstance(v, list) else [v]
        out[key] = sorted(str(_num(x)) for x in items)
    return out


def _user_properties_agree(predicted: dict, stored: Any) -> bool:
    """The export holds the user's merged state: check that each predicted change shows in it."""
    state = stored if isinstance(stored, dict) else {}
    for op, values in predicted.items():
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            if op == "$set":
                if key not in state or _num(state[key]) != _num(value):
                    return False
            elif op == "$unset":
                if key in state:
                    return False
            elif key not in state:
                return False
    return True


def compare_field(name: str, predicted: Any, stored: Any) -> str | None:
    """'agree', 'disagree', 'derived' (Amplitude filled it in) or None (neither side has it)."""
    if name == "user_properties":
        if not predicted:
            return None  # the export's state also holds earlier calls' properties: nothing to check
        return "agree" if _user_properties_agree(predicted, stored) else "disagree"
    empty_p = predicted is None or predicted == {}
    empty_s = stored is None or stored == {}
    if empty_p and empty_s:
        return None
    if empty_p and name in DERIVED:
        return "derived"
    if name == "language":
        predicted = language_name(predicted) if isinstance(predicted, str) else predicted
        stored = language_name(stored) if isinstance(stored, str) else stored
    elif name == "groups":
        predicted, stored = _groups(predicted), _groups(stored)
    elif name in ("user_id", "device_id"):
        predicted = None if predicted is None else str(predicted)
        stored = None if stored is None else str(stored)
    if isinstance(predicted, (int, float)) and isinstance(stored, (int, float)) and \
            not isinstance(predicted, bool) and not isinstance(stored, bool):
        return "agree" if abs(predicted - stored) <= 1e-9 * max(1.0, abs(predicted)) else "disagree"
    return "agree" if _num(predicted) == _num(stored) else "disagree"


# -- the index and the join ------------------------------------------------------------------------------


def event_key(event: dict) -> str:
    """messageId, or a digest of the event for events without one."""
    mid = event.get("messageId")
    if isinstance(mid, str) and mid:
        return mid
    return "sha1:" + hashlib.sha1(json.dumps(event, sort_keys=True, default=str).encode()).hexdigest()


def _record_type(record: dict) -> str | None:
    if record.get("kind") == "identify":
        return "$identify"
    if record.get("kind", "event") == "event":
        return record.get("event_type")
    return None  # group identify, usermap: not export rows


class ExportIndex:
    """Export rows held for the join, looked up by insert id, user id or device id and time.

    Rows are kept as compact JSON (about a third of the memory of parsed dicts) and parsed when joined."""

    def __init__(self, path: str, *, max_rows: int = MAX_ROWS, stats: ExportStats | None = None):
        self.path = path
        self.stats = stats if stats is not None else ExportStats()
        self._packed: list[bytes] = []
        self.types: list[str] = []
        self.times: list[int | None] = []
        self.used: list[bool] = []
        self.truncated = False
        self.by_insert: dict[str, int] = {}
        by_user: dict[str, list[tuple[int, int]]] = {}
        by_device: dict[str, list[tuple[int, int]]] = {}
        for row in read_export(path, self.stats):
            if len(self._packed) >= max_rows:
                self.truncated = True
                break
            i = len(self._packed)
            ms = export_time_ms(row)
            self._packed.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            self.types.append(sys.intern(row["event_type"]))
            self.times.append(ms)
            self.used.append(False)
            insert_id = row.get("$insert_id")
            if isinstance(insert_id, str) and insert_id:
                self.by_insert.setdefault(insert_id, i)
            if ms is None:
                continue
            if row.get("user_id") is not None:
                by_user.setdefault(str(row["user_id"]), []).append((ms, i))
            if row.get("device_id") is not None:
                by_device.setdefault(str(row["device_id"]), []).append((ms, i))
        self.by_user = {k: sorted(v) for k, v in by_user.items()}
        self.by_device = {k: sorted(v) for k, v in by_device.items()}
        self.type_set = frozenset(self.types)
        if not self._packed and not self.stats.skipped_count:
            raise BadInput(path, None, "the Amplitude export holds no rows: check the range it was exported for")

    def span(self) -> tuple[int, int] | None:
        known = [t for t in self.times if t is not None]
        return (min(known), max(known)) if known else None

    def unused(self) -> int:
        return self.used.count(False)

    def reset(self) -> None:
        self.used = [False] * len(self._packed)

    def __len__(self) -> int:
        return len(self._packed)

    def row(self, i: int) -> dict:
        return json.loads(self._packed[i])

    def _nearest(self, table: dict, ident: str, event_type: str, times: list[int], tol_ms: int, n: int) -> list[int]:
        entries = table.get(ident)
        if not entries or not times:
            return []
        lo_t, hi_t = min(times) - tol_ms, max(times) + tol_ms
        lo = bisect.bisect_left(entries, (lo_t, -1))
        found = []
        for ms, i in entries[lo:]:
            if ms > hi_t:
                break
            if self.used[i] or self.types[i] != event_type:
                continue
            distance = min(abs(ms - t) for t in times)
            if distance <= tol_ms:
                found.append((distance, i))
        found.sort()
        return [i for _, i in found[:n]]

    def join(self, event: dict, wanted: dict[str, int], ids: tuple[str | None, str | None], times: list[int],
             tol_ms: int) -> list[int]:
        """Row indexes for one event (marked used). `wanted`: event type -> how many rows at most."""
        mid = event.get("messageId")
        if isinstance(mid, str) and mid in self.by_insert:
            i = self.by_insert[mid]
            if not self.used[i]:
                self.used[i] = True
                return [i]
        user_id, device_id = ids
        picked: list[int] = []
        for event_type, n in wanted.items():
            rows = self._nearest(self.by_user, user_id, event_type, times, tol_ms, n) if user_id else []
            if not rows and device_id:
                rows = self._nearest(self.by_device, device_id, event_type, times, tol_ms, n)
            for i in rows:
                self.used[i] = True
            picked.extend(rows)
        return picked


def _predict(emulator, event: dict) -> list[dict]:
    try:
        out = emulator.send(event)
        records = out.get("records")
        if records is None:
            records = records_from_requests(out.get("requests") or [])
    except Exception:  # an event the emulator cannot handle predicts nothing (compare reports it as an error)
        return []
    return [r for r in records if _record_type(r)]


def _wanted(predictions: Iterable[list[dict]]) -> dict[str, int]:
    wanted: dict[str, int] = {}
    for records in predictions:
        counts: dict[str, int] = {}
        for r in records:
            t = _record_type(r)
            counts[t] = counts.get(t, 0) + 1
        for t, n in counts.items():
            wanted[t] = max(wanted.get(t, 0), n)
    return wanted


def _event_times(event: dict, records: list[dict]) -> list[int]:
    from classic.facade import time_ms

    times = {r["time"] for r in records if isinstance(r.get("time"), int)}
    for key in ("timestamp", "originalTimestamp"):
        ms = time_ms(event.get(key))
        if ms is not None:
            times.add(ms)
    return sorted(times)


def _ids(event: dict, records: list[dict]) -> tuple[str | None, str | None]:
    for r in records:
        if r.get("user_id") is not None or r.get("device_id") is not None:
            uid, did = r.get("user_id"), r.get("device_id")
            return (None if uid is None else str(uid), None if did is None else str(did))
    uid = event.get("userId")
    return (None if uid in (None, "") else str(uid), event.get("anonymousId") or None)


class _Joiner:
    """Emulators for every naming variant: which event types an event may have produced."""

    def __init__(self, settings, mode: str, options: dict):
        import classic

        self.base = classic.Emulator(settings, mode=mode, options=options)
        self.variants = []
        for name in NAMING:
            for value in classic.OPTIONS[name][0]:
                if value != self.base.options[name]:
                    self.variants.append(classic.Emulator(settings, mode=mode, options={**options, name: value}))

    def join(self, index: ExportIndex, event: dict, tol_ms: int) -> tuple[list[dict], list[int]]:
        from classic.facade import is_order_completed

        base = _predict(self.base, event)
        predictions = [base]
        if event.get("type") in ("page", "screen") or is_order_completed(event.get("event")):
            predictions += [_predict(e, event) for e in self.variants]  # only these are named differently
        wanted = _wanted(predictions)
        if not wanted and not isinstance(event.get("messageId"), str):
            return base, []
        every = [r for p in predictions for r in p]
        rows = index.join(event, wanted, _ids(event, every), _event_times(event, every), tol_ms)
        return base, rows


# -- scoring ---------------------------------------------------------------------------------------------


@dataclass
class FieldTally:
    agree: int = 0
    disagree: int = 0
    derived: int = 0
    examples: list = field(default_factory=list)

    @property
    def compared(self) -> int:
        return self.agree + self.disagree

    def to_dict(self) -> dict:
        return {"agree": round(self.agree / self.compared, 4) if self.compared else None,
                "compared": self.compared, "agreed": self.agree, "derived_by_amplitude": self.derived,
                "examples": self.examples}


def _short(value: Any, limit: int = 200) -> Any:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if len(text) <= limit:
        return value
    return text[: limit - 3] + "..."


def _pair(predicted: list[dict], rows: list[dict]) -> tuple[list[tuple[dict, dict]], list[dict], list[dict]]:
    """Pair predicted records with stored rows by event type (in order); leftovers on both sides."""
    left = list(predicted)
    pairs, extra_rows = [], []
    for row in rows:
        for j, rec in enumerate(left):
            if _record_type(rec) == row.get("event_type"):
                pairs.append((rec, row))
                del left[j]
                break
        else:
            extra_rows.append(row)
    return pairs, left, extra_rows


def score_event(predicted: list[dict], rows: list[dict], tallies: dict[str, FieldTally] | None = None,
                example: dict | None = None) -> int:
    """+1 per agreeing field, -1 per disagreeing field or unmatched event; tallies updated when given."""
    pairs, extra_pred, extra_rows = _pair(predicted, [row_record(r) for r in rows])
    score = 0

    def tally(name, outcome, p, s):
        nonlocal score
        if outcome == "agree":
            score += 1
        elif outcome == "disagree":
            score -= 1
        if tallies is None or outcome is None:
            return
        t = tallies.setdefault(name, FieldTally())
        if outcome == "agree":
            t.agree += 1
        elif outcome == "derived":
            t.derived += 1
        else:
            t.disagree += 1
            if len(t.examples) < MAX_EXAMPLES:
                t.examples.append({**(example or {}), "field": name, "predicted": _short(p), "stored": _short(s)})

    for rec, stored in pairs:
        stored_types = stored.get("event_type")
        tally("event_type", "agree", stored_types, stored_types)
        for name in COMPARED_FIELDS[1:]:
            tally(name, compare_field(name, rec.get(name), stored.get(name)), rec.get(name), stored.get(name))
    for stored in extra_rows:  # Amplitude holds an event the emulator did not predict
        tally("event_type", "disagree", [_record_type(r) for r in extra_pred] or None, stored.get("event_type"))
    for rec in extra_pred:  # the emulator predicts an event Amplitude does not hold
        tally("event_type", "disagree", _record_type(rec), [r.get("event_type") for r in extra_rows] or None)
    return score


def _relevant(option: str, event: dict, settings) -> bool:
    from classic.facade import is_order_completed

    kind = event.get("type")
    ctx = event.get("context") if isinstance(event.get("context"), dict) else {}
    if option == "page_naming":
        return kind in ("page", "screen")
    if option == "order_completed":
        return kind == "track" and is_order_completed(event.get("event"))
    if option == "group_call":
        return kind == "group"
    if option == "query_params":
        page = ctx.get("page") if isinstance(ctx.get("page"), dict) else {}
        return bool(settings.get("mapQueryParams")) and page.get("search") is not None
    if option == "revenue_price":
        props = event.get("properties") if isinstance(event.get("properties"), dict) else {}
        return kind == "track" and props.get("revenue") is not None
    if option in ("language", "country"):
        return isinstance(ctx.get("locale"), str) and bool(ctx.get("locale"))
    if option == "user_agent":
        return isinstance(ctx.get("userAgent"), str) and bool(ctx.get("userAgent"))
    return True


@dataclass
class Choice:
    option: str
    value: str
    evidence: str
    events: int = 0
    scores: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"option": self.option, "value": self.value, "evidence": self.evidence, "events": self.events,
                "scores": self.scores}


def _fraction(t: FieldTally | None) -> str:
    if t is None or not t.compared:
        return "n/a"
    return f"{t.agree}/{t.compared} ({t.agree / t.compared:.0%})"


class _Memo:
    """Predictions under the current options, so the variant equal to the current value is not re-run."""

    def __init__(self, settings, mode: str):
        self.settings, self.mode = settings, mode
        self.options: dict | None = None
        self.predictions: dict[int, list[dict]] = {}

    def predict(self, options: dict, events: list[dict]) -> list[list[dict]]:
        import classic

        cached = self.predictions if options == self.options else {}
        emulator = None
        out = []
        for event in events:
            found = cached.get(id(event))
            if found is None:
                emulator = emulator or classic.Emulator(self.settings, mode=self.mode, options=options)
                found = _predict(emulator, event)
            out.append(found)
        return out

    def keep(self, options: dict, events: list[dict], predictions: list[list[dict]]) -> None:
        if options != self.options:
            self.options, self.predictions = dict(options), {}
        self.predictions.update((id(e), p) for e, p in zip(events, predictions))


def _choose(option: str, settings, base: dict, joined: list[tuple[dict, list[dict]]], memo: _Memo) -> Choice:
    import classic

    relevant = [(e, rows) for e, rows in joined if _relevant(option, e, settings)]
    sample = relevant[:: max(1, len(relevant) // SAMPLE_PER_OPTION)][:SAMPLE_PER_OPTION]  # spread over the period
    current = base[option]
    if not sample:
        return Choice(option, current, "no joined events of this kind: kept")
    seen = f"{len(sample)} joined events" if len(sample) == len(relevant) else \
        f"a sample of {len(sample)} of {len(relevant)} joined events"
    events = [e for e, _ in sample]
    results = {}
    for value in classic.OPTIONS[option][0]:
        predictions = memo.predict({**base, option: value}, events)
        tallies: dict[str, FieldTally] = {}
        total = sum(score_event(p, rows, tallies) for p, (_, rows) in zip(predictions, sample))
        results[value] = (total, tallies, predictions)
    best = max(r[0] for r in results.values())
    winners = [v for v, r in results.items() if r[0] == best]
    scores = {v: r[0] for v, r in results.items()}
    fields = OPTION_FIELDS[option]

    def shown(value):
        tallies = results[value][1]
        return "; ".join(f"{f} {_fraction(tallies.get(f))}" for f in fields)

    value = current if current in winners else winners[0]
    memo.keep({**base, option: value}, events, results[value][2])
    if len(winners) == len(results):
        return Choice(option, current, f"every variant predicts the same stored values on {seen} "
                                       f"({shown(current)}): kept", len(sample), scores)
    others = ", ".join(f"{v}: {shown(v)}" for v in results if v != value)
    return Choice(option, value, f"{shown(value)} on {seen}; other variants: {others}", len(sample), scores)


# -- the whole calibration -------------------------------------------------------------------------------


@dataclass
class Calibration:
    options: dict
    choices: list[Choice]
    fields: dict[str, FieldTally]
    joined: int
    unjoined: int
    rows: int
    rows_joined: int
    rows_unjoined: int
    events: int
    mode: str
    export: str
    tolerance: float
    sampled: int = 0  # joined events the options and fields were measured on (a sample above SAMPLE_JOINED)
    warnings: list[str] = field(default_factory=list)
    export_skipped: list[dict] = field(default_factory=list)
    export_skipped_count: int = 0
    events_skipped: int = 0

    @property
    def agreement(self) -> float | None:
        agree = sum(t.agree for t in self.fields.values())
        compared = sum(t.compared for t in self.fields.values())
        return agree / compared if compared else None

    def to_dict(self) -> dict:
        return {
            "options": self.options,
            "fields": {name: self.fields[name].to_dict() for name in COMPARED_FIELDS if name in self.fields},
            "joined": self.joined,
            "unjoined": self.unjoined,
            "agreement": None if self.agreement is None else round(self.agreement, 4),
            "measured_on": self.sampled,
            "choices": [c.to_dict() for c in self.choices],
            "export": {"path": self.export, "rows": self.rows, "rows_joined": self.rows_joined,
                       "rows_unjoined": self.rows_unjoined, "skipped": self.export_skipped_count,
                       "skipped_examples": self.export_skipped},
            "events": {"read": self.events, "skipped": self.events_skipped},
            "mode": self.mode,
            "time_tolerance_seconds": self.tolerance,
            "warnings": self.warnings,
        }

    def lines(self, doc: dict | None = None) -> list[str]:
        """The terminal summary; `doc`: this calibration's (possibly pseudonymised) `to_dict()`."""
        doc = doc if doc is not None else self.to_dict()
        out = [f"joined {self.joined} Segment events to {self.rows_joined} of {self.rows} export rows "
               f"({self.unjoined} events unjoined, {self.rows_unjoined} rows unjoined; mode {self.mode})"]
        if self.agreement is not None:
            sample = f" (a random sample of {self.sampled} joined events)" if self.sampled < self.joined else ""
            out.append(f"field agreement with the calibrated options: {self.agreement:.1%}{sample}")
        for c in self.choices:
            out.append(f"  {c.option}={c.value}: {c.evidence}")
        out.append("per field (agree / compared):")
        for name in COMPARED_FIELDS:
            t = self.fields.get(name)
            if t is None or not t.compared:
                continue
            line = f"  {name:<20} {_fraction(t)}"
            if t.derived:
                line += f", {t.derived} filled in by Amplitude"
            examples = (doc.get("fields", {}).get(name) or {}).get("examples") or []
            if examples:
                ex = examples[0]
                line += f"; e.g. {ex.get('event_name')!s}: predicted {ex['predicted']!r}, stored {ex['stored']!r}"
            out.append(line)
        return out


def _fmt_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _hour(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y%m%dT%H")


def calibrate_export(settings, events: list[str], export_path: str, *, mode: str = "cloud",
                     options: dict | None = None, tolerance: float = TIME_TOLERANCE, max_rows: int = MAX_ROWS,
                     strict: bool = False, on_skip: Callable | None = None) -> Calibration:
    """Join `events` (paths) to the export and pick each contested option's variant. Raises BadInput when
    nothing joins (an export of another period, another project, or another source's events)."""
    options = dict(options or {})
    index = ExportIndex(export_path, max_rows=max_rows)
    joiner = _Joiner(settings, mode, options)
    tol_ms = int(tolerance * 1000)
    stats = ReadStats()
    joined: list[tuple[dict, list[dict]]] = []
    unjoined = 0
    # exports without $identify rows (a filtered export) cannot join identify calls: do not count them missing
    joinable = "$identify" in index.type_set
    if not len(index):
        first_skip = index.stats.skipped[0] if index.stats.skipped else None
        raise BadInput(export_path, None, f"no usable rows ({index.stats.skipped_count} skipped"
                                          + (f", first: {first_skip}" if first_skip else "")
                                          + "): download the export again (amplitude-migrate amplitude export)")
    first = last = None
    n_joined = 0
    rng = random.Random(0)  # reservoir sample of the joined events: memory stays bounded, results repeatable
    for event in read_events(events, strict=strict, stats=stats, on_skip=on_skip):
        base, rows = joiner.join(index, event, tol_ms)
        for t in _event_times(event, base)[:1]:
            first = t if first is None else min(first, t)
            last = t if last is None else max(last, t)
        if rows:
            n_joined += 1
            slot = len(joined) if len(joined) < SAMPLE_JOINED else rng.randrange(n_joined)
            if slot < SAMPLE_JOINED:
                item = (event, [index.row(i) for i in rows])
                if slot == len(joined):
                    joined.append(item)
                else:
                    joined[slot] = item
        elif any(_record_type(r) != "$identify" or joinable for r in base):
            unjoined += 1
    warnings = []
    if index.truncated:
        warnings.append(f"{export_path}: only the first {max_rows} rows were read (--max-rows): calibrate on a "
                        "shorter period")
    if not n_joined:
        span = index.span()
        have = f"its rows run from {_fmt_ms(span[0])} to {_fmt_ms(span[1])}" if span else "it has no timed rows"
        want = (f"the events run from {_fmt_ms(first)} to {_fmt_ms(last)}: export that period, e.g. "
                f"`amplitude-migrate amplitude export --start {_hour(first)} --end {_hour(last + 3_600_000)} "
                f"-o export.zip`") if first is not None else "no Segment event carries a timestamp"
        raise BadInput(export_path, None, f"none of its {len(index)} rows joins any of the {stats.read} "
                                          f"Segment events ({have}; {want}); also check --mode and that the export "
                                          "is from the project these events went to")
    base = dict(joiner.base.options)
    memo = _Memo(settings, mode)
    choices = []
    for option in CONTESTED:
        choice = _choose(option, settings, base, joined, memo)
        base[option] = choice.value
        choices.append(choice)
    tallies: dict[str, FieldTally] = {}
    final = memo.predict(base, [e for e, _ in joined])
    for predicted, (event, rows) in zip(final, joined):
        score_event(predicted, rows, tallies,
                    example={"messageId": event.get("messageId"), "event_name": rows[0].get("event_type")})
    rows_joined = len(index) - index.unused()
    if rows_joined < len(index) / 2:
        warnings.append(f"{export_path}: only {rows_joined} of {len(index)} export rows join the Segment "
                        "events: the export covers more than these events (other sources or a longer period), or --mode is "
                        "not the connection mode they went through")
    if unjoined > n_joined:
        warnings.append(f"only {n_joined} of {n_joined + unjoined} Segment events join an export row: the "
                        "export covers a different period or project, or the events did not go to Amplitude")
    options_out = {k: v for k, v in base.items() if k in CONTESTED}
    return Calibration(
        options=options_out, choices=choices, fields=tallies, joined=n_joined, unjoined=unjoined,
        sampled=len(joined),
        rows=len(index), rows_joined=rows_joined, rows_unjoined=index.unused(), events=stats.read,
        mode=mode, export=export_path, tolerance=tolerance, warnings=warnings,
        export_skipped=[{"file": s.file, "line": s.line, "reason": s.reason} for s in index.stats.skipped[:20]],
        export_skipped_count=index.stats.skipped_count, events_skipped=stats.skipped_count,
    )


def load_calibration(path: str) -> dict:
    """Read a calibration.json; returns the document (options checked against the emulator's choices)."""
    import classic

    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as exc:
        raise BadInput(path, None, f"cannot open the calibration: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BadInput(path, None, f"not JSON ({exc}): pass the file `amplitude-migrate calibrate -o` wrote") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("options"), dict):
        raise BadInput(path, None, "no \"options\" object: pass the file `amplitude-migrate calibrate -o` wrote")
    for name, value in doc["options"].items():
        if name not in classic.OPTIONS or value not in classic.OPTIONS[name][0]:
            raise BadInput(path, None, f"option {name}={value!r} is not a known classic emulator choice")
    return doc


# -- the export as the classic side of `compare` ------------------------------------------------------------


def _as_classic(stored: dict, predicted: dict | None) -> dict:
    """A stored row as the record Classic made: user_properties reduced to the keys this event changed
    (the row holds the user's whole state), location Amplitude looked up dropped when Classic sent none."""
    wire = {k: v for k, v in stored.items() if k != "kind"}
    prediction = predicted or {}
    changes = prediction.get("user_properties")
    state = wire.pop("user_properties", None)
    if isinstance(changes, dict) and isinstance(state, dict):
        kept = {}
        for op, values in changes.items():
            if isinstance(values, dict):
                hits = {k: (state[k] if op == "$set" else v) for k, v in values.items() if k in state}
                if hits:
                    kept[op] = hits
        if kept:
            wire["user_properties"] = kept
    for name in DERIVED:
        if name in wire and prediction.get(name) is None:
            del wire[name]
    return normalize_event(wire, V1_MIN_ID_LENGTH)


def covered_records(settings, events: list[str], export_path: str, *, mode: str = "cloud",
                    options: dict | None = None, tolerance: float = TIME_TOLERANCE, max_rows: int = MAX_ROWS,
                    select=None) -> tuple[dict[str, list[dict]], dict]:
    """For `compare --amplitude-export`: event key -> the classic records the export shows (track, page and
    screen events only; identify, group and alias stay emulated), plus counts. `select(event)`, when given,
    picks the events to join (those of one connection mode)."""
    index = ExportIndex(export_path, max_rows=max_rows)
    joiner = _Joiner(settings, mode, dict(options or {}))
    tol_ms = int(tolerance * 1000)
    covered: dict[str, list[dict]] = {}
    for event in read_events(events, stats=ReadStats()):
        if event.get("type") not in ("track", "page", "screen") or (select is not None and not select(event)):
            continue
        base, rows = joiner.join(index, event, tol_ms)
        if not rows:
            continue
        stored = [row_record(index.row(i)) for i in rows]
        pairs, _, extra = _pair(base, stored)
        covered[event_key(event)] = [_as_classic(s, p) for p, s in pairs] + [_as_classic(s, None) for s in extra]
    counts = {"export": export_path, "rows": len(index), "rows_used": len(index) - index.unused(),
              "events_covered": len(covered), "skipped_rows": index.stats.skipped_count,
              "skipped_examples": [str(s) for s in index.stats.skipped[:5]], "truncated": index.truncated}
    return covered, counts


def merge_export_counts(total: dict | None, counts: dict) -> dict:
    """The counts of one export joined per connection mode, added up: each mode joins its own events."""
    if total is None:
        return dict(counts)
    out = dict(total)
    for key in ("rows_used", "events_covered"):
        out[key] = total.get(key, 0) + counts.get(key, 0)
    out["truncated"] = bool(total.get("truncated")) or bool(counts.get("truncated"))
    return out


class ExportBackedClassic:
    """The classic side for `compare`: the export's rows for the events it covers, the emulator otherwise."""

    def __init__(self, emulator, covered: dict[str, list[dict]]):
        self.emulator = emulator
        self.covered = covered
        self.from_export = 0
        self.emulated = 0

    def __getattr__(self, name):  # mode, options, settings...: the emulator's
        if name in ("emulator", "covered"):
            raise AttributeError(name)
        return getattr(self.emulator, name)

    def send(self, event):
        if isinstance(event, dict):
            records = self.covered.get(event_key(event))
            if records is not None:
                self.from_export += 1
                return {"requests": [], "records": [dict(r) for r in records], "note": None, "source": "export"}
        self.emulated += 1
        return self.emulator.send(event)


def classic_side_summary(calibration: dict | None, calibration_file: str | None, export_counts: dict | None,
                         from_export: int = 0, emulated: int = 0) -> dict:
    """What the report says about the classic side: calibrated or not and how well, export-backed or not."""
    out: dict[str, Any] = {"calibration": None, "export": None, "lines": []}
    if calibration is not None:
        agreement = calibration.get("agreement")
        weakest = sorted(((name, f.get("agree")) for name, f in (calibration.get("fields") or {}).items()
                          if isinstance(f, dict) and isinstance(f.get("agree"), (int, float))),
                         key=lambda item: item[1])[:3]
        out["calibration"] = {"file": calibration_file, "options": calibration.get("options"),
                              "agreement": agreement, "joined": calibration.get("joined"),
                              "unjoined": calibration.get("unjoined"), "weakest_fields": [list(w) for w in weakest]}
        how = f"{agreement:.1%} of compared fields agreed" if isinstance(agreement, (int, float)) else \
            "agreement not measured"
        line = (f"calibrated from {calibration_file} ({calibration.get('joined')} events joined to the "
                f"team's Amplitude export, {how}): "
                + ", ".join(f"{k}={v}" for k, v in sorted((calibration.get("options") or {}).items())))
        if weakest and weakest[0][1] < 1:
            line += "; weakest fields: " + ", ".join(f"{n} {a:.0%}" for n, a in weakest if a < 1)
        out["lines"].append(line)
    if export_counts is not None:
        out["export"] = {**export_counts, "events_from_export": from_export, "events_emulated": emulated}
        out["lines"].append(
            f"from the Amplitude export {export_counts['export']} (what Amplitude stored) for "
            f"{from_export} events; emulated for {emulated} events (identify, group and alias calls, and events "
            f"the export does not cover); {export_counts['rows_used']} of {export_counts['rows']} export rows used")
    return out


def protect_calibration(doc: dict, policy) -> dict:
    """calibration.json as shared outputs may show it: personal values in the examples pseudonymised
    (`migrate.pii`), the options and counts as they are, ``privacy`` saying how it was made."""
    if not policy.masks:
        return {**doc, "privacy": policy.describe()}
    fields = doc.get("fields") or {}
    names = list(fields)
    # each example names its field ({"field": "user_id", "predicted": ..., "stored": ...}): the scrubber then
    # knows which values are personal; field names, counts and fractions stay readable
    scrubbed = policy.pseudonymiser().scrub_many((fields[n].get("examples") or []) for n in names)
    out = {n: {**fields[n], "examples": ex} for n, ex in zip(names, scrubbed)}
    return {**doc, "fields": out, "privacy": policy.describe()}
