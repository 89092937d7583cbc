"""The per-event part of the replay pipeline (`migrate.replay`): run one Segment event through Classic and
through one or more sets of Actions subscriptions, side by side, and turn what each sends into canonical
Amplitude records; route each event to its Classic connection mode.

Segment routes an event to a destination only when its `integrations` object allows it: Classic listens to
the key "Amplitude", Actions to "Actions Amplitude" (`All` is the fallback for both). The runner applies
that routing before calling either side, so a flag that stops one of them shows up as missing records.

`Router` picks the Classic connection mode of each event from its library (`context.library.name`): Classic
ran each source in its own mode, so a server library goes through cloud mode, analytics.js through web, the
mobile libraries through iOS or Android (`LIBRARY_MODES`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Runner", "EventRun", "VariantRun", "reaches", "CLASSIC_KEY", "ACTIONS_KEY", "EVENT_ACTIONS", "Router",
           "LIBRARY_MODES", "ROUTE_MODES", "library_name", "native_mode"]

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


# ------------------------------------------------------------------------------------------------ routing

# context.library.name -> the connection mode Classic ran that source in by default (compared lower-cased).
SERVER_LIBRARIES = ("analytics-python", "analytics-node", "analytics-ruby", "analytics-go", "analytics-java",
                    "analytics-php", "analytics.net", ".net", "analytics-dotnet", "analytics-csharp", "http api",
                    "http", "analytics-node-next", "@segment/analytics-node")
LIBRARY_MODES: dict[str, str] = {
    **{name: "cloud" for name in SERVER_LIBRARIES},
    "analytics.js": "web", "analytics-next": "web", "@segment/analytics-next": "web",
    "analytics-ios": "ios", "analytics-swift": "ios",
    "analytics-android": "android", "analytics-kotlin": "android",
}
ROUTE_MODES = ("auto", "cloud", "web", "ios", "android")
NO_LIBRARY = "(no library)"


def library_name(event: dict) -> str:
    """`context.library.name` of an event, or "(no library)"."""
    ctx = event.get("context")
    lib = ctx.get("library") if isinstance(ctx, dict) else None
    name = lib.get("name") if isinstance(lib, dict) else None
    return name if isinstance(name, str) and name else NO_LIBRARY


def native_mode(library: str) -> str | None:
    """The mode Classic ran a library's events in by default; None for a library this table does not know."""
    return LIBRARY_MODES.get(library.strip().lower())


class Router:
    """Picks the Classic connection mode of each event.

    `mode` "auto": by library (`LIBRARY_MODES`), unknown libraries through cloud with a warning; a fixed mode
    applies to every event, and forcing a device mode on a library that cannot run it is counted and warned
    about. `overrides` (library name -> mode, case-insensitive) win over both.
    """

    def __init__(self, mode: str = "auto", overrides: dict[str, str] | None = None):
        if mode not in ROUTE_MODES:
            raise ValueError(f"mode must be one of {', '.join(ROUTE_MODES)}, got {mode!r}")
        self.mode = mode
        self.overrides = {k.strip().lower(): v for k, v in (overrides or {}).items()}
        self.unknown: dict[str, int] = {}  # library -> events sent through cloud for want of a rule
        self.forced: dict[tuple[str, str], int] = {}  # (library, forced device mode) -> events

    def route(self, event: dict) -> tuple[str, str]:
        """(library name, mode) for one event."""
        library = library_name(event)
        key = library.strip().lower()
        if key in self.overrides:
            return library, self.overrides[key]
        native = LIBRARY_MODES.get(key)
        if self.mode == "auto":
            if native is None:
                if len(self.unknown) < 50 or library in self.unknown:
                    self.unknown[library] = self.unknown.get(library, 0) + 1
                return library, "cloud"
            return library, native
        if self.mode != "cloud" and native != self.mode:
            slot = (library, self.mode)
            if len(self.forced) < 50 or slot in self.forced:
                self.forced[slot] = self.forced.get(slot, 0) + 1
        return library, self.mode

    def counts(self) -> tuple[dict, dict]:
        """What `warnings` is built from; a fresh Router per chunk, folded with `merge`."""
        return self.unknown, self.forced

    def merge(self, other: "Router") -> "Router":
        """Fold in the counts of the events that follow (a later chunk of the input)."""
        for table, theirs in ((self.unknown, other.unknown), (self.forced, other.forced)):
            for key, n in theirs.items():
                if len(table) < 50 or key in table:
                    table[key] = table.get(key, 0) + n
        return self

    def warnings(self) -> list[str]:
        out = []
        for library, n in sorted(self.unknown.items(), key=lambda kv: -kv[1]):
            out.append(f"{n} events from library {library!r}: no connection-mode rule for it, compared in cloud "
                       f"mode (set one with --source-mode '{library}=MODE')")
        for (library, mode), n in sorted(self.forced.items(), key=lambda kv: -kv[1]):
            out.append(f"{n} events from library {library!r} were compared in {mode} mode, which that library "
                       f"cannot run (Classic {mode} mode is the Amplitude SDK inside "
                       f"{ {'web': 'analytics.js', 'ios': 'an iOS app', 'android': 'an Android app'}[mode] })")
        return out
