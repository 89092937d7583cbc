"""Detect what hurts teams in real migrations, while the events stream by (bounded memory).

* overlapping_triggers: one Segment event fires two event actions -> duplicate events in Amplitude;
* short_ids: user or device ids Amplitude drops (shorter than 5 characters, or junk values it rejects);
* peak_eps: a user or device above Amplitude's 30 events/second on /2/httpapi -> 429s (use the batch endpoint);
* integrations_flags: events whose `integrations` flags ("Amplitude" vs "Actions Amplitude") make one side
  receive them and not the other;
* device_id_changes: users whose device_id changes with the switch (new devices, often new users).
"""

from __future__ import annotations

from datetime import datetime

from migrate.amplitude import DEFAULT_MIN_ID_LENGTH, INVALID_IDS
from migrate.findings import event_name
from migrate.runner import EVENT_ACTIONS

__all__ = ["Detections", "EPS_LIMIT", "MIN_ID_LENGTH", "JUNK_IDS"]

EPS_LIMIT = 30
MIN_ID_LENGTH = DEFAULT_MIN_ID_LENGTH
MAX_EXAMPLES = 3
MAX_DISTINCT = 10_000  # distinct ids/users remembered for counting; beyond it counts are lower bounds
# (id, second) counters kept at once. Full: the least busy half goes. An id over the limit is already
# recorded in eps_peak, and an id on its way there has a high count, so neither is lost; inputs need
# not be time-ordered. Keys are hashes (an int, not a tuple of strings) so that the cap costs little.
MAX_EPS_BUCKETS = 50_000
JUNK_IDS = INVALID_IDS  # values Amplitude's HTTP API v2 rejects as ids (migrate.amplitude)


def _epoch_s(record: dict, event: dict) -> int | None:
    t = record.get("time")
    if isinstance(t, (int, float)) and not isinstance(t, bool):
        return int(t // 1000)
    ts = event.get("timestamp")
    if isinstance(ts, str):
        try:
            return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp())
        except ValueError:
            return None
    return None


class _Counter:
    """A count with a bounded set of distinct members and a few examples."""

    def __init__(self):
        self.count = 0
        self.members: set = set()
        self.members_overflow = False
        self.examples: list[dict] = []

    def hit(self, member=None, example: dict | None = None) -> None:
        self.count += 1
        if member is not None:
            if len(self.members) < MAX_DISTINCT:
                self.members.add(member)
            elif member not in self.members:
                self.members_overflow = True
        if example is not None and len(self.examples) < MAX_EXAMPLES:
            self.examples.append(example)

    def merge(self, other: "_Counter") -> None:
        self.count += other.count
        for member in sorted(other.members, key=repr):  # a stable order: the same members kept in every run
            if len(self.members) < MAX_DISTINCT:
                self.members.add(member)
            elif member not in self.members:
                self.members_overflow = True
        self.members_overflow = self.members_overflow or other.members_overflow
        room = MAX_EXAMPLES - len(self.examples)
        if room > 0:
            self.examples.extend(other.examples[:room])

    def distinct(self) -> str:
        return f"{len(self.members)}{'+' if self.members_overflow else ''}"


class Detections:
    """Feed `observe(event, run, variant)` for every event; `to_list()` gives the report entries."""

    def __init__(self, min_id_length_set: bool = False, batch_endpoint_set: bool = False):
        self.min_id_length_set = min_id_length_set
        self.batch_endpoint_set = batch_endpoint_set
        self.overlap = _Counter()
        self.overlap_pairs: dict[str, int] = {}
        self.short = _Counter()
        self.flags = _Counter()
        self.flags_direction = {"classic_only": 0, "actions_only": 0}
        self.device = _Counter()
        # (id field, id, epoch second) -> events; plain values (not hash()) so that chunk partials computed in
        # other processes add up
        self.eps_buckets: dict[tuple, int] = {}
        self.eps_peak: dict[tuple, int] = {}  # (id kind, id) -> peak eps, only for ids above the limit
        self.eps_max = 0

    # -- per event ------------------------------------------------------------------------------------
    def observe(self, event: dict, run, variant: str) -> None:
        vrun = run.variants[variant]
        name = event_name(event)
        message_id = str(event.get("messageId", ""))
        self._overlap(vrun, name, message_id)
        self._short_ids(event, name, message_id)
        self._flags(event, run, vrun, name, message_id)
        self._device(event, run.classic_records, vrun.records, name, message_id)
        self._eps(event, vrun.records)

    def _overlap(self, vrun, name, message_id):
        # Two event subscriptions are fine when they send different events (Classic sent several events per
        # page call, too); they duplicate when both send the same event_type for one Segment event.
        fired = [f for f in vrun.fired if f.get("action") in EVENT_ACTIONS and not f.get("error")]
        if len(fired) < 2:
            return
        owners: dict = {}
        for f in fired:
            for event_type in set(f.get("event_types") or ()):
                owners.setdefault(event_type, set()).add(str(f.get("subscription")))
        dupes = sorted({s for subs in owners.values() if len(subs) > 1 for s in subs})
        if not dupes:
            return
        subs = dupes
        key = " + ".join(subs)
        self.overlap_pairs[key] = self.overlap_pairs.get(key, 0) + 1
        self.overlap.hit(key, {"messageId": message_id, "event_name": name, "subscriptions": subs})

    def _short_ids(self, event, name, message_id):
        # the input ids, not the records: Amplitude's rule has already removed short ids from those
        bad = []
        context = event.get("context") if isinstance(event.get("context"), dict) else {}
        device = context.get("device") if isinstance(context.get("device"), dict) else {}
        for key, value in (("userId", event.get("userId")), ("anonymousId", event.get("anonymousId")),
                           ("context.device.id", device.get("id")), ("previousId", event.get("previousId"))):
            if value is None:
                continue
            text = value if isinstance(value, str) else str(value)
            if text.lower() in JUNK_IDS:
                bad.append({"field": key, "value": text, "reason": "a value Amplitude rejects as an id"})
            elif len(text) < MIN_ID_LENGTH:
                bad.append({"field": key, "value": text, "reason": f"shorter than {MIN_ID_LENGTH} characters"})
        if bad:
            self.short.hit(bad[0]["value"], {"messageId": message_id, "event_name": name, "ids": bad[:4]})

    def _flags(self, event, run, vrun, name, message_id):
        if run.classic_reached == vrun.reached:
            return
        direction = "classic_only" if run.classic_reached else "actions_only"
        self.flags_direction[direction] += 1
        self.flags.hit(
            None,
            {"messageId": message_id, "event_name": name, "integrations": event.get("integrations"),
             "reaches": "Classic only" if run.classic_reached else "Actions only"},
        )

    def _device(self, event, classic, actions, name, message_id):
        c = next((r.get("device_id") for r in classic if r.get("device_id") is not None), None)
        a = next((r.get("device_id") for r in actions if r.get("device_id") is not None), None)
        if c is None or a is None or c == a:
            return
        user = event.get("userId") or event.get("anonymousId") or c
        self.device.hit(str(user), {"messageId": message_id, "event_name": name, "user": user,
                                    "classic_device_id": c, "actions_device_id": a})

    def _eps(self, event, records):
        for r in records:
            if r.get("kind", "event") != "event":
                continue
            second = _epoch_s(r, event)
            if second is None:
                continue
            for key in ("user_id", "device_id"):
                value = r.get(key)
                if value is None:
                    continue
                bucket = (key, str(value), second)
                n = self.eps_buckets.get(bucket, 0) + 1
                self.eps_buckets[bucket] = n
                self.eps_max = max(self.eps_max, n)
                if n > EPS_LIMIT:
                    ident = (key, str(value))
                    if ident in self.eps_peak or len(self.eps_peak) < 100:
                        self.eps_peak[ident] = max(self.eps_peak.get(ident, 0), n)
        if len(self.eps_buckets) > MAX_EPS_BUCKETS:
            self._prune_eps()

    def _prune_eps(self):
        keep = sorted(self.eps_buckets.items(), key=lambda kv: -kv[1])[: MAX_EPS_BUCKETS // 2]
        self.eps_buckets = dict(keep)

    # -- folding chunk partials ------------------------------------------------------------------------
    def merge(self, other: "Detections") -> "Detections":
        """Fold in the detections of the events that follow (a later chunk of the input)."""
        for counter in ("overlap", "short", "flags", "device"):
            getattr(self, counter).merge(getattr(other, counter))
        for key, n in other.overlap_pairs.items():
            self.overlap_pairs[key] = self.overlap_pairs.get(key, 0) + n
        for key, n in other.flags_direction.items():
            self.flags_direction[key] = self.flags_direction.get(key, 0) + n
        for ident, peak in other.eps_peak.items():
            if ident in self.eps_peak or len(self.eps_peak) < 100:
                self.eps_peak[ident] = max(self.eps_peak.get(ident, 0), peak)
        self.eps_max = max(self.eps_max, other.eps_max)
        for bucket, theirs in other.eps_buckets.items():
            n = self.eps_buckets.get(bucket, 0) + theirs
            self.eps_buckets[bucket] = n
            self.eps_max = max(self.eps_max, n)
            if n > EPS_LIMIT:
                ident = bucket[:2]
                if ident in self.eps_peak or len(self.eps_peak) < 100:
                    self.eps_peak[ident] = max(self.eps_peak.get(ident, 0), n)
        if len(self.eps_buckets) > MAX_EPS_BUCKETS:
            self._prune_eps()
        return self

    # -- report ---------------------------------------------------------------------------------------
    def to_list(self) -> list[dict]:
        out = []
        pairs = ", ".join(f"{k} ({v})" for k, v in sorted(self.overlap_pairs.items(), key=lambda kv: -kv[1])[:5])
        out.append({
            "kind": "overlapping_triggers",
            "title": "One event fires two event actions (duplicates in Amplitude)",
            "count": self.overlap.count,
            "detail": (f"{self.overlap.count} events matched more than one event subscription: {pairs}. Make the "
                       "triggers mutually exclusive (for example add `and event != \"Order Completed\"`)."
                       if self.overlap.count else "No event fires more than one event action."),
            "examples": self.overlap.examples,
        })
        out.append({
            "kind": "short_ids",
            "title": f"Ids Amplitude drops (shorter than {MIN_ID_LENGTH} characters or junk values)",
            "count": self.short.count,
            "detail": (f"{self.short.count} events carry {self.short.distinct()} distinct short or junk ids; "
                       "Amplitude removes them and rejects the event when no id is left. "
                       + ("min_id_length is already mapped." if self.min_id_length_set else
                          "Map min_id_length (e.g. 1) on every subscription for short ids; junk values must be "
                          "fixed at the source.")
                       if self.short.count else "All ids are long enough."),
            "examples": self.short.examples,
        })
        top = sorted(self.eps_peak.items(), key=lambda kv: -kv[1])[:MAX_EXAMPLES]
        out.append({
            "kind": "peak_eps",
            "title": f"Users or devices above {EPS_LIMIT} events/second",
            "count": len(self.eps_peak),
            "detail": (f"{len(self.eps_peak)} users/devices exceed {EPS_LIMIT} events/s (peak {self.eps_max}/s); "
                       "Amplitude answers 429 on /2/httpapi. "
                       + ("The batch endpoint is already used." if self.batch_endpoint_set else
                          "Set use_batch_endpoint: true (1000 events/s per user or device).")
                       if self.eps_peak else f"Peak {self.eps_max} events/s per user or device: under the limit."),
            "examples": [{"field": k[0], "id": k[1], "peak_eps": v} for k, v in top],
        })
        out.append({
            "kind": "integrations_flags",
            "title": "Events whose integrations flags change whether they reach Amplitude",
            "count": self.flags.count,
            "detail": (f"{self.flags_direction['classic_only']} events reach Classic but not Actions, "
                       f"{self.flags_direction['actions_only']} reach Actions but not Classic: Classic obeys "
                       "integrations.Amplitude, Actions obeys integrations[\"Actions Amplitude\"]. Update the code "
                       "that sets these flags before switching."
                       if self.flags.count else "No event is routed differently by its integrations flags."),
            "examples": self.flags.examples,
        })
        out.append({
            "kind": "device_id_changes",
            "title": "Users whose device_id changes after the switch",
            "count": len(self.device.members),
            "detail": (f"{self.device.distinct()} users ({self.device.count} events) get a different device_id: "
                       "Amplitude counts new devices, and anonymous users appear twice."
                       if self.device.count else "device_id is the same on both sides for every user."),
            "examples": self.device.examples,
        })
        return out
