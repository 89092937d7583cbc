"""Calibration: pick, for each contested option, the variant whose event names occur in the team's project.

What Amplitude really holds beats any documentation. Input: the list of event types exported from the
Amplitude project (plain text one per line, CSV with an event-type column, or JSON: a list of strings,
a list of objects, or an object with a ``data`` list). With a sample of the team's events, each variant's
predicted event types are compared with the known list; without events only name patterns are used.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Iterable

from .options import DEFAULTS, OPTIONS

__all__ = ["load_known_event_types", "parse_known_event_types", "calibrate", "Choice", "SAMPLE_LIMIT"]

SAMPLE_LIMIT = 20000  # events looked at when predicting names
NAME_COLUMNS = ("event_type", "event type", "eventtype", "event_name", "event name", "event", "name", "value")
LOADED_SPECIFIC = re.compile(r"^Loaded (?!a (?:Page|Screen)$).+ (?:Page|Screen)$")


@dataclass
class Choice:
    option: str
    value: str
    evidence: str
    scores: dict = field(default_factory=dict)

    def line(self) -> str:
        return f"calibration: {self.option}={self.value} ({self.evidence})"


def parse_known_event_types(text: str, source: str = "known event types") -> set[str]:
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise ValueError(f"{source}: the file is empty")
    if stripped[0] in "[{":
        try:
            doc = json.loads(stripped)
        except ValueError as exc:
            raise ValueError(f"{source}: not valid JSON ({exc})") from None
        if isinstance(doc, dict):
            doc = doc.get("data", doc.get("events", doc.get("event_types")))
        if not isinstance(doc, list):
            raise ValueError(f"{source}: JSON must be a list of event types (or {{\"data\": [...]}})")
        out = set()
        for item in doc:
            if isinstance(item, str):
                out.add(item)
            elif isinstance(item, dict):
                for key in ("event_type", "name", "value", "event"):
                    if isinstance(item.get(key), str):
                        out.add(item[key])
                        break
        return out
    first = stripped.splitlines()[0]
    if "," in first or "\t" in first:
        rows = list(csv.reader(io.StringIO(stripped), delimiter="\t" if "\t" in first else ","))
        header = [h.strip().lower() for h in rows[0]]
        col = next((header.index(c) for c in NAME_COLUMNS if c in header), None)
        body = rows[1:] if col is not None else rows
        col = col or 0
        return {r[col].strip() for r in body if len(r) > col and r[col].strip()}
    return {line.strip() for line in stripped.splitlines() if line.strip()}


def load_known_event_types(path: str) -> set[str]:
    with open(path, encoding="utf-8-sig") as fh:
        return parse_known_event_types(fh.read(), path)


def _predicted(settings, options: dict, events: list[dict]) -> set[str]:
    from . import Emulator
    from .cloud import send_cloud

    emu = Emulator(settings, mode="cloud", options=options)
    names = set()
    for event in events:
        requests, _ = send_cloud(event, emu._cfg)
        for r in requests:
            body = r.get("form", {}).get("event")
            if body:
                names.add(json.loads(body).get("event_type"))
            elif r.get("json"):
                names.update(e.get("event_type") for e in r["json"].get("events", []))
    names.discard(None)
    return names


def _examples(names: Iterable[str], n: int = 3) -> str:
    names = sorted(names)
    more = f" and {len(names) - n} more" if len(names) > n else ""
    return ", ".join(repr(x) for x in names[:n]) + more


def _pick(option: str, settings, base: dict, known: set[str], events: list[dict], relevant) -> Choice:
    sample = [e for e in events if relevant(e)]
    if not sample:
        return Choice(option, base[option], "no events of this kind in the sample: default kept")
    scores = {}
    details = {}
    for variant in OPTIONS[option][0]:
        predicted = _predicted(settings, {**base, option: variant}, sample)
        hit = predicted & known
        # precision first (a variant predicting names the project never had is wrong), then hits
        scores[variant] = ((len(hit) / len(predicted)) if predicted else 0.0, len(hit))
        details[variant] = (hit, predicted - known, predicted)
    best = max(scores.values())
    winners = [v for v, sc in scores.items() if sc == best]
    value = base[option] if base[option] in winners else winners[0]
    hit, missing, predicted = details[value]
    if best[0] == 0:
        return Choice(option, base[option], "none of the predicted names occur in the project: default kept",
                      scores)
    if len(winners) == len(scores):
        return Choice(option, base[option], "all variants predict the same names here: default kept", scores)
    evidence = (f"{len(hit)} of {len(predicted)} predicted names occur in the project, e.g. {_examples(hit)}"
                + (f"; not found: {_examples(missing)}" if missing else ""))
    others = ", ".join(f"{v} {scores[v][0]:.0%}" for v in scores if v != value)
    return Choice(option, value, f"{evidence}; other variants: {others}", scores)


def calibrate(settings, known: set[str], events: Iterable[dict] = (), options: dict | None = None
              ) -> tuple[dict, list[Choice]]:
    """Return (options, choices) for cloud mode. ``events``: a sample of the team's events (may be empty)."""
    base = {**DEFAULTS, **(options or {})}
    sample = []
    for event in events:
        if isinstance(event, dict) and event.get("type") in ("page", "screen", "track"):
            sample.append(event)
            if len(sample) >= SAMPLE_LIMIT:
                break
    choices = []
    if sample:
        choice = _pick("page_naming", settings, base, known, sample, lambda e: e.get("type") in ("page", "screen"))
    else:
        loaded = {n for n in known if LOADED_SPECIFIC.match(n)}
        if loaded:
            choice = Choice("page_naming", "loaded", f"the project holds {_examples(loaded)} (docs-table names)")
        else:
            choice = Choice("page_naming", base["page_naming"],
                            "no 'Loaded <name> Page' names in the project and no events to predict from: default kept")
    base["page_naming"] = choice.value
    choices.append(choice)
    if "Product Purchased" in known:
        choice = Choice("order_completed", "expand", "the project holds 'Product Purchased'")
    elif any(n.lower() in ("order completed", "completed order") for n in known):
        choice = Choice("order_completed", "code2017",
                        "the project holds an order event but no 'Product Purchased': orders were plain tracks")
    else:
        choice = Choice("order_completed", base["order_completed"], "no order events in the project: default kept")
    base["order_completed"] = choice.value
    choices.append(choice)
    for option in ("query_params", "group_call", "revenue_price", "language"):
        choices.append(Choice(option, base[option], "not visible in event types: default kept"))
    return base, choices
