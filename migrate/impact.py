"""What a difference does in Amplitude: the impact rules, in one place.

Every difference between the records Classic and Actions produce for one event gets one impact:

* ``chart`` — changes numbers in charts: a record missing, extra or duplicated; ``event_type``;
  ``user_id`` / ``device_id`` (user counts, funnels, retention); ``time``; ``session_id`` / ``event_id``;
  the revenue amounts (``revenue``, ``price``, ``quantity``, ``currency``); ``event_properties``,
  ``user_properties`` (the operations as sent), ``groups``, ``group_properties``; group type and value;
  user mappings; a record Amplitude rejects on one side only.
* ``breakdown`` — changes a dimension charts are broken down or filtered by, not the counts: ``platform``,
  ``os_name``, ``os_version``, ``device_*``, ``carrier``, the location fields, ``language``, ``library``,
  ``app_version`` / ``version_name``, ``revenueType``, ``productId``, the advertising and vendor ids,
  ``user_agent``, ``plan``, ``partner_id``, and ``ip`` when the location looked up from it changes.
* ``none`` — no effect on analysis: keys Amplitude does not store for that endpoint (the Identify and Group
  Identify APIs have no ``library``; ``device_type`` or a top-level ``products`` array on an event),
  ``insert_id`` (deduplication only), errors a subscription logged without changing what was sent, and an
  ``ip`` difference that cannot change the location (see ``ip_impact``).

The location rule (Amplitude HTTP V2 API, field table): when a record carries none of ``country``,
``region``, ``city``, ``dma``, Amplitude looks the location up from ``ip``, or from the address the request
came from when ``ip`` is absent. A device-mode SDK uploads from the device itself, so a Classic device-mode
record without ``ip`` is looked up from the device's address, the same address Segment received the call
from (``context.ip``). Actions always sends from Segment's servers. So an ``ip`` difference has no effect
when both sides end up with the same address to look up, or when both sides send explicit location fields
(no lookup at all); otherwise the derived location can change: a breakdown change. Explicit location
fields that differ are breakdown changes (an explicit value replaces the lookup, which may or may not agree).

Per event, the worst impact wins (chart > breakdown > none). Events are further split by *outcome* so a
fix never looks like a regression: an event Classic sent and Actions now sends with a field changed
(``changed``) is better than one that is lost (``lost``); see ``OUTCOMES``.

Some chart differences of device-mode sources cannot be removed by any subscription mapping, because the
Classic value was generated inside the Amplitude SDK on the device: ``outside_mappings`` names the change
that closes them.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any, Iterable

from migrate.amplitude import LOCATION_FIELDS, LOOKUP_REPLACING

__all__ = [
    "CHART", "BREAKDOWN", "NONE", "IMPACTS", "IMPACT_TITLES", "OUTCOMES", "OUTCOME_TITLES",
    "CHART_FIELDS", "BREAKDOWN_FIELDS", "LOCATION_FIELDS", "LOOKUP_REPLACING", "DEVICE_MODES",
    "ImpactContext", "field_impact", "ip_impact", "looked_up", "IP_LOOKUP", "worst", "outcome", "outside_mappings", "OUTSIDE_CHANGES",
    "TopPairs", "display_value", "pair_value", "OPAQUE_FIELDS",
]

CHART = "chart"
BREAKDOWN = "breakdown"
NONE = "none"
IMPACTS = (CHART, BREAKDOWN, NONE)  # most severe first
IMPACT_TITLES = {
    CHART: "Changes numbers in charts",
    BREAKDOWN: "Changes a breakdown dimension",
    NONE: "No effect on analysis",
}
_RANK = {CHART: 0, BREAKDOWN: 1, NONE: 2}

# Per-event outcomes, most severe first; every compared event has exactly one.
OUTCOMES = ("lost", "extra", "changed", "breakdown", "no_effect", "identical")
OUTCOME_TITLES = {
    "lost": "a record Classic sent is missing",
    "extra": "an extra record (new or duplicated) is sent",
    "changed": "sent, but with chart numbers changed",
    "breakdown": "same numbers, a breakdown dimension changes",
    "no_effect": "differs only where Amplitude's analysis is unaffected",
    "identical": "identical",
}

CHART_FIELDS = frozenset(
    """event_type user_id device_id time session_id event_id revenue price quantity currency event_properties
    user_properties groups group_properties group_type group_value global_user_id unmap paying start_version
    rejected""".split()
)
BREAKDOWN_FIELDS = frozenset(
    """platform os_name os_version device_brand device_manufacturer device_model device_family device_type
    carrier language library app_version version_name revenueType productId idfa idfv adid android_id
    android_app_set_id user_agent plan partner_id ip""".split()
) | LOCATION_FIELDS

DEVICE_MODES = frozenset({"web", "ios", "android"})


@dataclass(frozen=True)
class ImpactContext:
    """What the rules need to know beyond the two records: the Classic connection mode of the event and the
    address Segment received it from (``context.ip``)."""

    mode: str = "cloud"
    event_ip: str | None = None


def field_impact(field: str | None) -> str:
    """The impact of a difference in the stored top-level field ``field`` (unknown stored fields: chart,
    the safe side). Whether the field is stored at all is the differ's business (``none`` when not)."""
    if field in BREAKDOWN_FIELDS:
        return BREAKDOWN
    return CHART


def _lookup_address(record: dict, side: str, ctx: ImpactContext) -> Any:
    """The address Amplitude looks the location up from, for one record."""
    ip = record.get("ip")
    if ip not in (None, ""):
        return ip
    if side == "classic" and ctx.mode in DEVICE_MODES:
        return ("device", ctx.event_ip)  # the SDK uploaded from the device Segment received the call from
    return ("sender", side)  # the sending server's own address: differs between Classic cloud and Actions


IP_LOOKUP = "(from IP lookup)"


def looked_up(record: dict) -> bool:
    """Whether Amplitude derives this record's location from an IP address (no location field sent)."""
    return record.get("kind", "event") == "event" and not any(record.get(k) not in (None, "") for k in LOOKUP_REPLACING)


def ip_impact(classic: dict, actions: dict, ctx: ImpactContext) -> str:
    """The impact of an ``ip`` difference between two paired records (see the module docstring)."""
    if any(classic.get(k) not in (None, "") for k in LOOKUP_REPLACING) and \
            any(actions.get(k) not in (None, "") for k in LOOKUP_REPLACING):
        return NONE
    a = _lookup_address(classic, "classic", ctx)
    b = _lookup_address(actions, "actions", ctx)
    if isinstance(a, tuple) and a[0] == "device":
        a = a[1]
    return NONE if a is not None and a == b else BREAKDOWN


def worst(impacts: Iterable[str]) -> str | None:
    """The most severe impact of several (None when there is none)."""
    best = None
    for impact in impacts:
        if best is None or _RANK[impact] < _RANK[best]:
            best = impact
    return best


def outcome(differences) -> str:
    """The outcome of one event from its differences (objects with ``impact`` and ``whole``)."""
    differences = list(differences)
    if any(d.whole == "missing" for d in differences):
        return "lost"
    if any(d.whole == "extra" for d in differences):
        return "extra"
    w = worst(d.impact for d in differences)
    if w == CHART:
        return "changed"
    if w == BREAKDOWN:
        return "breakdown"
    if w == NONE:
        return "no_effect"
    return "identical"


# Changes outside Segment's subscription mappings, by key.
OUTSIDE_CHANGES = {
    "sdk_device_id": (
        "Keep the device id the Amplitude SDK generated: in Classic device mode Amplitude received the SDK's own "
        "device id, which Segment never sees. Pass it to Segment (for example as context.device.id) before the "
        "switch, or accept that these devices are counted as new once."
    ),
    "sdk_session": (
        "Classic device mode used the sessions the Amplitude SDK kept on the device, which server-side data "
        "cannot reproduce. Keep sessions continuous by sending the session with every event in "
        "integrations[\"Actions Amplitude\"].session_id: the Amplitude (Actions) Session Plugin for analytics.js, "
        "the Amplitude session plugin for analytics-swift / analytics-kotlin."
    ),
}


def outside_mappings(field: str | None, classic_value: Any, mode: str) -> str | None:
    """The key of the change outside the mappings that closes a chart difference in ``field``, or None
    when a mapping could close it. Only device-mode sources have such differences."""
    if mode not in DEVICE_MODES:
        return None
    if field == "device_id" and isinstance(classic_value, str) and classic_value.startswith("<sdk"):
        return "sdk_device_id"
    if field in ("session_id", "event_id"):
        return "sdk_session"
    return None


# ------------------------------------------------------------------------------ breakdown value pairs

MAX_VALUE_CHARS = 80
# Per-device identifiers and addresses: their values say nothing about a breakdown (and are personal data), so
# the pairs only show whether a side sent one.
OPAQUE_FIELDS = frozenset({"idfa", "idfv", "adid", "android_id", "android_app_set_id", "ip"})
OPAQUE = "(an id)"


def pair_value(field: str, value: Any) -> Any:
    """A value as the breakdown pairs record it: opaque for identifiers, else `display_value`."""
    if field in OPAQUE_FIELDS and value not in (None, ""):
        return OPAQUE
    return display_value(value)


def display_value(value: Any) -> Any:
    """A value as shown in the breakdown pairs: scalars as they are (long strings cut), None as None,
    anything else as compact JSON text, cut."""
    if type(value) is str:
        return value if len(value) <= MAX_VALUE_CHARS else value[: MAX_VALUE_CHARS - 1] + "…"
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if not isinstance(value, str):
        import json

        value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return value if len(value) <= MAX_VALUE_CHARS else value[: MAX_VALUE_CHARS - 1] + "…"


class TopPairs:
    """The most frequent (classic value, actions value) pairs of one field in bounded memory.

    Space-saving summary (Metwally, Agrawal, El Abbadi 2005): at most ``capacity`` counters; a new pair
    when the summary is full replaces the pair with the smallest count and inherits that count (+1). Every
    pair whose true frequency exceeds total/capacity is kept, and a kept pair's count overestimates its true
    count by at most its recorded ``error``. With fewer distinct pairs than ``capacity`` (the usual case:
    ``Chrome`` → ``Mac OS``), counts are exact.
    """

    def __init__(self, capacity: int = 64):
        self.capacity = capacity
        self.counts: dict[tuple, list[int]] = {}  # pair -> [count, error]
        self.total = 0

    def add(self, classic: Any, actions: Any) -> None:
        self.add_shown((_hashable(display_value(classic)), _hashable(display_value(actions))))

    def add_shown(self, key: tuple) -> None:
        """`add` for a pair already as shown: (`display_value(classic)`, `display_value(actions)`), e.g. from
        `pair_value` (`display_value` gives the same value again, and never a list or an object)."""
        self.total += 1
        slot = self.counts.get(key)
        if slot is not None:
            slot[0] += 1
            return
        if len(self.counts) < self.capacity:
            self.counts[key] = [1, 0]
            return
        victim = min(self.counts, key=lambda k: self.counts[k][0])
        floor = self.counts.pop(victim)[0]
        self.counts[key] = [floor + 1, floor]

    def merge(self, other: "TopPairs") -> "TopPairs":
        """Fold the summary of the events that follow: exact while the pairs fit (the usual case); beyond
        ``capacity``, the mergeable space-saving rule (Agarwal et al. 2012): a pair missing on one side
        gets that side's smallest count as count and error, then the ``capacity`` largest are kept."""
        floor_self = min((c for c, _ in self.counts.values()), default=0) if len(self.counts) >= self.capacity else 0
        floor_other = (min((c for c, _ in other.counts.values()), default=0)
                       if len(other.counts) >= other.capacity else 0)
        combined: dict[tuple, list[int]] = {}
        for key, (count, error) in self.counts.items():
            theirs = other.counts.get(key)
            combined[key] = ([count + theirs[0], error + theirs[1]] if theirs is not None
                             else [count + floor_other, error + floor_other])
        for key, (count, error) in other.counts.items():
            if key not in combined:
                combined[key] = [count + floor_self, error + floor_self]
        if len(combined) > self.capacity:
            kept = {key for key, _ in heapq.nlargest(self.capacity, combined.items(), key=lambda kv: kv[1][0])}
            combined = {key: slot for key, slot in combined.items() if key in kept}
        self.counts = combined
        self.total += other.total
        return self

    @property
    def exact(self) -> bool:
        return all(err == 0 for _, err in self.counts.values())

    def top(self, n: int = 5) -> list[list]:
        """``[[classic, actions, count], ...]``, most frequent first (ties by value text)."""
        best = heapq.nsmallest(n, self.counts.items(), key=lambda kv: (-kv[1][0], str(kv[0])))
        return [[k[0], k[1], c] for k, (c, _) in best]


def _hashable(value):
    return value if not isinstance(value, (list, dict)) else str(value)
