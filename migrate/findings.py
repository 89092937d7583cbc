"""Aggregate per-event differences into findings: counts per category and event name, a few concrete
examples each, and parity (the share of events whose records match).

Memory is bounded whatever the number of events: counters, at most `MAX_EXAMPLES` examples per
category, and at most `MAX_EVENT_NAMES` distinct event names (the rest are counted under "(other)").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrate.differ import EventDiff

__all__ = ["CATEGORIES", "Finding", "VariantFindings", "event_name", "category_title", "category_explanation"]

MAX_EXAMPLES = 3
# Device, platform, library and location metadata: the second parity figure ignores these categories,
# because Classic cloud derived them by rules no Actions mapping can express (user-agent split, locale
# country) while the fields charts are built on (names, ids, properties, revenue, sessions) can match.
METADATA_CATEGORIES = frozenset({"platform_fields", "other_fields"})
MAX_EVENT_NAMES = 500
MAX_NAME_LENGTH = 200  # characters of an event name kept for the per-name tables
OTHER = "(other)"

# category -> (title, what it means for a migrating team)
CATEGORIES: dict[str, tuple[str, str]] = {
    "event_renamed": (
        "Event renamed",
        "Amplitude gets the same call under another event_type, so charts and cohorts built on the classic "
        "name stop receiving data (page and screen names are the usual cause).",
    ),
    "event_missing": (
        "Event missing in Actions",
        "Classic sent a record that no Actions subscription produces: the data stops arriving after the switch.",
    ),
    "event_extra": (
        "Extra event in Actions",
        "Actions sends a record Classic never sent: new event types, or duplicates when two subscriptions fire.",
    ),
    "user_properties": (
        "User-property operation changed",
        "The user properties or the operation applied to them ($set, $setOnce, $add ...) differ, which changes "
        "user profiles and every segmentation on them.",
    ),
    "device_id": (
        "device_id changed",
        "Amplitude counts a new device (and often a new user) when the device_id changes.",
    ),
    "user_id": (
        "user_id changed",
        "A different user_id merges or splits users in Amplitude.",
    ),
    "group": (
        "Group changed",
        "Account-level (group) analytics see a different group type, value or group properties.",
    ),
    "revenue": (
        "Revenue moved or missing",
        "Revenue fields (revenue, price, quantity, productId, revenueType) moved, changed or disappeared: LTV and "
        "revenue charts change.",
    ),
    "product_purchased": (
        "Product Purchased events differ",
        "The per-product events of an order differ (count, fields or revenue): product revenue and counts change.",
    ),
    "session": (
        "Session changed",
        "session_id (or event_id) differs: session length, paths and funnels in Amplitude change.",
    ),
    "time": ("Time changed", "The event time differs: events move between days or sessions."),
    "platform_fields": (
        "Library, platform or OS fields changed",
        "library / platform / os / device model values differ: breakdowns by platform or OS change.",
    ),
    "event_properties": (
        "Event properties changed",
        "Event properties were added, removed or changed: property-based charts and filters change.",
    ),
    "other_fields": (
        "Location or locale fields changed",
        "Stored fields such as country, city, language, ip or location differ.",
    ),
    "rejected": (
        "Rejected by Amplitude",
        "One side sends a record Amplitude refuses (no valid id, missing event_type or group): that data is lost "
        "on that side.",
    ),
    "wire_only": (
        "Wire-protocol-only",
        "Keys Amplitude does not store (or insert_id, used only to deduplicate): no effect on the data you "
        "analyse, so these do not count against parity.",
    ),
    "error": (
        "Error before sending",
        "A subscription matched but failed before sending (for example a required field was empty), or an "
        "emulator could not process the event. Errors alone do not count against parity; the missing records do.",
    ),
}


def category_title(category: str) -> str:
    return CATEGORIES.get(category, (category, ""))[0]


def category_explanation(category: str) -> str:
    return CATEGORIES.get(category, ("", ""))[1]


def event_name(event: dict) -> str:
    """The name an input event is reported under: the track name, or the call type for other calls.

    Names are cut at MAX_NAME_LENGTH characters: the per-name tables stay small even when an event name
    is a whole document, and the report stays readable."""
    kind = event.get("type")
    if kind == "track":
        name = event.get("event")
        name = name if isinstance(name, str) and name else "(track without a name)"
    elif kind in ("page", "screen"):
        name = event.get("name")
        name = f"{kind}: {name}" if isinstance(name, str) and name else str(kind)
    else:
        name = str(kind) if kind else "(no type)"
    return name if len(name) <= MAX_NAME_LENGTH else name[: MAX_NAME_LENGTH - 1] + "…"


@dataclass
class Finding:
    category: str
    count: int = 0
    events_by_name: dict[str, int] = field(default_factory=dict)
    examples: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "category": self.category,
            "title": category_title(self.category),
            "count": self.count,
            "events_by_name": dict(sorted(self.events_by_name.items(), key=lambda kv: (-kv[1], kv[0]))),
            "explanation": category_explanation(self.category),
            "examples": self.examples,
        }


class VariantFindings:
    """Running totals for one variant (one set of subscriptions compared with classic)."""

    def __init__(self, label: str, max_examples: int = MAX_EXAMPLES):
        self.label = label
        self.max_examples = max_examples
        self.events = 0
        self.matched = 0
        self.matched_core = 0
        self.findings: dict[str, Finding] = {}
        self.by_event: dict[str, list[int]] = {}  # name -> [events, matched]
        # path -> count, per category: tells recommendations which fields differ
        self.paths: dict[str, dict[str, int]] = {}

    def _name_slot(self, table: dict, name: str) -> str:
        if name in table or len(table) < MAX_EVENT_NAMES:
            return name
        return OTHER

    def add(self, event: dict, outcome: EventDiff, classic: list[dict], actions: list[dict]) -> None:
        name = event_name(event)
        self.events += 1
        slot = self.by_event.setdefault(self._name_slot(self.by_event, name), [0, 0])
        slot[0] += 1
        if not any(d.counts and d.category not in METADATA_CATEGORIES for d in outcome.differences):
            self.matched_core += 1
        if outcome.matched:
            self.matched += 1
            slot[1] += 1
        by_category: dict[str, list[str]] = {}
        for d in outcome.differences:
            by_category.setdefault(d.category, [])
            if d.path not in by_category[d.category]:
                by_category[d.category].append(d.path)
            paths = self.paths.setdefault(d.category, {})
            if d.path in paths or len(paths) < MAX_EVENT_NAMES:
                paths[d.path] = paths.get(d.path, 0) + 1
        for category, paths in by_category.items():
            finding = self.findings.setdefault(category, Finding(category))
            finding.count += 1
            key = self._name_slot(finding.events_by_name, name)
            finding.events_by_name[key] = finding.events_by_name.get(key, 0) + 1
            if len(finding.examples) < self.max_examples:
                finding.examples.append(
                    {
                        "messageId": str(event.get("messageId", "")),
                        "event_name": name,
                        "paths": paths[:20],
                        "classic": classic,
                        "actions": actions,
                    }
                )

    @property
    def parity(self) -> float | None:
        # no events, no measurement: None (shown as "n/a"), never a perfect score
        return self.matched / self.events if self.events else None

    @property
    def parity_core(self) -> float | None:
        """Parity with device, platform, library and location metadata ignored."""
        return self.matched_core / self.events if self.events else None

    def categories(self) -> list[Finding]:
        order = list(CATEGORIES)
        return sorted(
            self.findings.values(),
            key=lambda f: (-f.count, order.index(f.category) if f.category in order else len(order)),
        )

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "parity": self.parity,
            "parity_core": self.parity_core,
            "matched_core": self.matched_core,
            "events": self.events,
            "matched": self.matched,
            "categories": [f.to_dict() for f in self.categories()],
            "by_event": [
                {"event_name": name, "events": n, "matched": m, "parity": m / n if n else 1.0}
                for name, (n, m) in sorted(self.by_event.items(), key=lambda kv: (-kv[1][0], kv[0]))
            ],
        }
