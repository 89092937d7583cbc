"""Run one Segment event through Classic and through one or more sets of Actions subscriptions, side by side,
and turn what each sends into canonical Amplitude records.

Segment routes an event to a destination only when its `integrations` object allows it: Classic listens to
the key "Amplitude", Actions to "Actions Amplitude" (`All` is the fallback for both). The runner applies
that routing before calling either side, so a flag that stops one of them shows up as missing records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Runner", "EventRun", "VariantRun", "reaches", "CLASSIC_KEY", "ACTIONS_KEY", "EVENT_ACTIONS"]

CLASSIC_KEY = "Amplitude"
ACTIONS_KEY = "Actions Amplitude"
# Actions that send Amplitude events: two of them firing for one Segment event means duplicates.
EVENT_ACTIONS = frozenset({"logEvent", "logEventV2", "logPurchase"})


def reaches(event: dict, key: str) -> bool:
    """Whether Segment delivers `event` to the destination named `key` (its integrations object)."""
    flags = event.get("integrations")
    if not isinstance(flags, dict):
        return True
    if key in flags:
        value = flags[key]
        return isinstance(value, dict) or bool(value)
    value = flags.get("All", True)
    return isinstance(value, dict) or bool(value)


@dataclass
class VariantRun:
    records: list[dict] = field(default_factory=list)
    fired: list[dict] = field(default_factory=list)  # {"subscription", "action", "error"} per fired subscription
    errors: list[str] = field(default_factory=list)
    reached: bool = True


@dataclass
class EventRun:
    classic_records: list[dict]
    classic_reached: bool
    classic_error: str | None
    variants: dict[str, VariantRun]


class Runner:
    """Holds the classic emulator and one Actions engine per variant; `run(event)` feeds them all."""

    def __init__(self, emulator, engines: dict, records_from_requests: Callable[[list], list]):
        self.emulator = emulator
        self.engines = engines
        self.records_from_requests = records_from_requests

    def classic(self, event: dict) -> tuple[list[dict], bool, str | None]:
        if not reaches(event, CLASSIC_KEY):
            return [], False, None
        try:
            out = self.emulator.send(event)
            records = out.get("records")
            if records is None:
                records = self.records_from_requests(out.get("requests") or [])
            return list(records), True, None
        except Exception as exc:  # one odd event must not stop a long run: it is counted and shown instead
            return [], True, f"{type(exc).__name__}: {exc}"

    def actions(self, engine, event: dict) -> VariantRun:
        run = VariantRun()
        if not reaches(event, ACTIONS_KEY):
            run.reached = False
            return run
        try:
            fired = engine.send(event)
        except Exception as exc:  # same reason as for classic
            run.errors.append(f"{type(exc).__name__}: {exc}")
            return run
        for item in fired:
            error = item.get("error")
            records = list(self.records_from_requests(item.get("requests") or [])) if item.get("requests") else []
            run.fired.append({
                "subscription": item.get("subscription"), "action": item.get("action"), "error": error,
                "event_types": [r.get("event_type") for r in records if r.get("kind", "event") == "event"],
            })
            if error:
                message = error.get("message") if isinstance(error, dict) else str(error)
                run.errors.append(f"{item.get('subscription')}: {message}")
            run.records.extend(records)
        return run

    def run(self, event: dict) -> EventRun:
        records, reached, error = self.classic(event)
        variants = {name: self.actions(engine, event) for name, engine in self.engines.items()}
        return EventRun(records, reached, error, variants)
