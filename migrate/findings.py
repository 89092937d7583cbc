"""Aggregate per-event differences into findings: counts per category and event name, a few concrete
examples each, the impact of each difference in Amplitude (`migrate.impact`), and two parity figures:

* chart parity (`parity`): the share of events with nothing that changes numbers in charts;
* exact parity (`parity_exact`): the share of events whose stored records are identical field by field.

Memory is bounded whatever the number of events: counters, at most `MAX_EXAMPLES` examples per
category, at most `MAX_EVENT_NAMES` distinct event names (the rest are counted under "(other)"), and
per breakdown field a space-saving summary of the most frequent value pairs (`impact.TopPairs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrate.differ import EventDiff
from migrate.impact import (BREAKDOWN, CHART, IMPACTS, NONE, OUTCOMES, OUTSIDE_CHANGES, TopPairs, outcome,
                            pair_value, worst)

__all__ = ["CATEGORIES", "Finding", "VariantFindings", "digest", "StepFigures", "step_summary", "SourceTable", "event_name", "category_title",
           "category_explanation", "MAX_PAIRS"]

MAX_EXAMPLES = 3
MAX_PAIRS = 5  # value pairs per breakdown field in the report
PAIR_CAPACITY = 64  # counters kept per breakdown field (space-saving summary)
MAX_FIELDS = 200  # distinct top-level fields tracked per impact
MAX_EVENT_NAMES = 500
MAX_NAME_LENGTH = 200  # characters of an event name kept for the per-name tables
OTHER = "(other)"
# the outcome of an event with no whole record missing or extra, by its worst impact (see impact.outcome)
_OUTCOME_BY_RANK = ("changed", "breakdown", "no_effect", "identical")

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
        "library / platform / os / device model values differ: breakdowns by platform or OS change, the counts "
        "do not.",
    ),
    "event_properties": (
        "Event properties changed",
        "Event properties were added, removed or changed: property-based charts and filters change.",
    ),
    "other_fields": (
        "Location or locale fields changed",
        "Stored fields such as country, city, language, ip, app version or advertising ids differ: breakdowns by "
        "them change, the counts do not.",
    ),
    "rejected": (
        "Rejected by Amplitude",
        "One side sends a record Amplitude refuses (no valid id, missing event_type or group): that data is lost "
        "on that side.",
    ),
    "wire_only": (
        "Wire-protocol-only",
        "Keys Amplitude does not store for that endpoint (or insert_id, used only to deduplicate): no effect on "
        "the data you analyse, so these do not count against parity.",
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


def digest(outcome_: EventDiff) -> tuple:
    """What `VariantFindings.add`, `StepFigures.add` and `SourceTable.add` count of one event's differences, in
    one pass over them: (chart parity, exact parity, outcome, outside-mapping change keys of its chart
    differences, whether those changes alone close them, [(category, {path: differences}, {impacts})],
    [(impact, field)], [(breakdown field, (classic pair value, actions pair value))]), every list and dict in
    the order of first occurrence.

    It depends on the differences alone, and is worked out once per diff: kept on the `EventDiff` (valid while
    its list of differences keeps its length: a diff is digested once complete, errors included), so an outcome
    added to several findings (the translated one feeds the whole-run and the per-mode findings; a verification
    step that repeats the previous one shares its diff) is digested once."""
    diffs = outcome_.differences
    cached = outcome_.__dict__.get("_digest")
    if cached is not None and cached[0] is diffs and cached[1] == len(diffs):
        return cached[2]
    chart_ok = exact_ok = True
    missing = extra = False
    rank = 3  # worst impact seen: 0 chart, 1 breakdown, 2 none, 3 no difference
    outside_keys: dict = {}
    seen_fields: dict[tuple[str, str], None] = {}
    pairs: dict[str, tuple] = {}
    categories: dict[str, tuple[dict[str, int], set[str]]] = {}
    for d in diffs:
        impact = d.impact
        category = d.category
        path = d.path
        whole = d.whole
        if d.counts:
            exact_ok = False
        if impact == CHART:
            chart_ok = False
            outside_keys[d.outside] = None
            rank = 0
        elif rank > 1 and impact == BREAKDOWN:
            rank = 1
        elif rank > 2:
            rank = 2
        entry = categories.get(category)
        if entry is None:
            categories[category] = ({path: 1}, {impact})
        else:
            counts = entry[0]
            counts[path] = counts.get(path, 0) + 1
            entry[1].add(impact)
        if whole is None:
            top = d.field
            if impact == BREAKDOWN and top not in pairs:
                pairs[top] = d.shown or (d.classic, d.actions)
        else:
            if whole == "missing":
                missing = True
            elif whole == "extra":
                extra = True
            top = f"({whole} record)"
        if category != "error":  # an error message is no field; it is listed under its category
            seen_fields[(impact, top)] = None
    found = (chart_ok, exact_ok, "lost" if missing else "extra" if extra else _OUTCOME_BY_RANK[rank],
             [k for k in outside_keys if k is not None], None not in outside_keys,
             [(category, counts, impacts) for category, (counts, impacts) in categories.items()], list(seen_fields),
             [(top, _SHOWN.get((top, c, a)) or _shown_pair(top, c, a)) if type(c) in _TEXT and type(a) in _TEXT
              else (top, (pair_value(top, c), pair_value(top, a))) for top, (c, a) in pairs.items()])
    outcome_._digest = (diffs, len(diffs), found)
    return found


_SHOWN: dict[tuple, tuple] = {}  # (field, classic, actions) -> the pair as shown, for text and absent values
_MAX_SHOWN = 10_000
_TEXT = (str, type(None))


def _shown_pair(top: str, c, a) -> tuple:
    """(pair_value(top, c), pair_value(top, a)); remembered for text values and None (keyed by value, the type
    known: no 1 / True / 1.0 or 0.0 / -0.0 to mix up), the values of nearly every breakdown field."""
    if type(c) in _TEXT and type(a) in _TEXT:
        key = (top, c, a)
        shown = _SHOWN.get(key)
        if shown is None:
            if len(_SHOWN) >= _MAX_SHOWN:
                _SHOWN.clear()
            shown = _SHOWN[key] = (pair_value(top, c), pair_value(top, a))
        return shown
    return pair_value(top, c), pair_value(top, a)


@dataclass
class Finding:
    category: str
    count: int = 0
    events_by_name: dict[str, int] = field(default_factory=dict)
    examples: list[dict] = field(default_factory=list)
    by_impact: dict[str, int] = field(default_factory=dict)  # impact -> events with such a difference here

    @property
    def impact(self) -> str:
        return worst(self.by_impact) or NONE

    def to_dict(self) -> dict:
        return {
            "category": self.category,
            "title": category_title(self.category),
            "impact": self.impact,
            "by_impact": {k: self.by_impact[k] for k in IMPACTS if k in self.by_impact},
            "count": self.count,
            "events_by_name": dict(sorted(self.events_by_name.items(), key=lambda kv: (-kv[1], kv[0]))),
            "explanation": category_explanation(self.category),
            "examples": self.examples,
        }


class _Figures:
    """The parity figures of anything that counts `events`, `matched` (chart) and `matched_exact`."""

    events: int
    matched: int
    matched_exact: int

    @property
    def parity(self) -> float | None:
        """Chart parity. No events, no measurement: None (shown as "n/a"), never a perfect score."""
        return self.matched / self.events if self.events else None

    @property
    def parity_exact(self) -> float | None:
        """Every stored field identical."""
        return self.matched_exact / self.events if self.events else None

    @property
    def chart_events(self) -> int:
        """Events with a difference that changes numbers in charts."""
        return self.events - self.matched


class VariantFindings(_Figures):
    """Running totals for one variant (one set of subscriptions compared with classic)."""

    def __init__(self, label: str, max_examples: int = MAX_EXAMPLES):
        self.label = label
        self.max_examples = max_examples
        self.events = 0
        self.matched = 0  # chart parity: nothing that changes numbers in charts
        self.matched_exact = 0  # every stored field identical
        self.findings: dict[str, Finding] = {}
        self.by_event: dict[str, list[int]] = {}  # name -> [events, chart-matched, exact-matched]
        # path -> count, per category: tells recommendations which fields differ
        self.paths: dict[str, dict[str, int]] = {}
        self.outcomes: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
        self.fields: dict[str, dict[str, int]] = {k: {} for k in IMPACTS}  # impact -> field -> events
        self.breakdowns: dict[str, list] = {}  # field -> [events, TopPairs]
        self.outside: dict[str, int] = {}  # change key -> events with a chart difference only it closes
        self.outside_only = 0  # events whose every chart difference needs a change outside the mappings

    def _name_slot(self, table: dict, name: str) -> str:
        if name in table or len(table) < MAX_EVENT_NAMES:
            return name
        return OTHER

    def add(self, event: dict, outcome_: EventDiff, classic: list[dict], actions: list[dict],
            digested: tuple | None = None) -> None:
        """Count one event. `digested`: `digest(outcome_)` when the caller has it (else it is computed here)."""
        name = event_name(event)
        self.events += 1
        by_event = self.by_event
        slot = by_event.get(name)
        if slot is None:
            slot = by_event.setdefault(self._name_slot(by_event, name), [0, 0, 0])
        slot[0] += 1
        if not outcome_.differences:  # the common case: identical records
            self.matched += 1
            slot[1] += 1
            self.matched_exact += 1
            slot[2] += 1
            self.outcomes["identical"] += 1
            return
        chart_ok, exact_ok, outcome_key, outside_keys, outside_only, categories, seen_fields, pairs \
            = digested or digest(outcome_)
        if chart_ok:
            self.matched += 1
            slot[1] += 1
        if exact_ok:
            self.matched_exact += 1
            slot[2] += 1
        self.outcomes[outcome_key] += 1
        if not chart_ok:
            outside = self.outside
            for key in outside_keys:
                outside[key] = outside.get(key, 0) + 1
            if outside_only:
                self.outside_only += 1
        fields = self.fields
        for impact, top in seen_fields:
            table = fields[impact]
            n = table.get(top)
            if n is not None:
                table[top] = n + 1
            elif len(table) < MAX_FIELDS:
                table[top] = 1
        breakdowns = self.breakdowns
        for top, shown in pairs:
            entry = breakdowns.get(top)
            if entry is None:
                if len(breakdowns) >= MAX_FIELDS:
                    continue
                entry = breakdowns[top] = [0, TopPairs(PAIR_CAPACITY)]
            entry[0] += 1
            summary = entry[1]
            slot = summary.counts.get(shown)
            if slot is not None:  # TopPairs.add_shown of a pair it counts already
                summary.total += 1
                slot[0] += 1
            else:
                summary.add_shown(shown)
        all_paths = self.paths
        findings = self.findings
        for category, counts, impacts in categories:
            paths = all_paths.get(category)
            if paths is None:
                paths = all_paths[category] = {}
            for path, k in counts.items():
                n = paths.get(path)
                if n is not None:
                    paths[path] = n + k
                elif len(paths) < MAX_EVENT_NAMES:
                    paths[path] = k
            finding = findings.get(category)
            if finding is None:
                finding = findings[category] = Finding(category)
            finding.count += 1
            by_impact = finding.by_impact
            for impact in impacts:
                by_impact[impact] = by_impact.get(impact, 0) + 1
            names = finding.events_by_name
            n = names.get(name)
            if n is not None:
                names[name] = n + 1
            else:
                key = self._name_slot(names, name)
                names[key] = names.get(key, 0) + 1
            if len(finding.examples) < self.max_examples:
                finding.examples.append(
                    {
                        "messageId": str(event.get("messageId", "")),
                        "event_name": name,
                        "paths": list(counts)[:20],
                        "classic": classic,
                        "actions": actions,
                    }
                )

    def merge(self, other: "VariantFindings") -> "VariantFindings":
        """Fold in the findings of the events that follow (a later chunk of the input). Counts add up;
        examples and bounded tables fill in input order, so folding chunk partials left to right gives
        what one pass gives whenever no bound is reached, and the same result for any number of workers."""
        self.events += other.events
        self.matched += other.matched
        self.matched_exact += other.matched_exact
        for category, theirs in other.findings.items():
            mine = self.findings.setdefault(category, Finding(category))
            mine.count += theirs.count
            _add_counts(mine.by_impact, theirs.by_impact)
            for name, n in theirs.events_by_name.items():
                key = self._name_slot(mine.events_by_name, name)
                mine.events_by_name[key] = mine.events_by_name.get(key, 0) + n
            room = self.max_examples - len(mine.examples)
            if room > 0:
                mine.examples.extend(theirs.examples[:room])
        for name, (n, m, x) in other.by_event.items():
            slot = self.by_event.setdefault(self._name_slot(self.by_event, name), [0, 0, 0])
            slot[0] += n
            slot[1] += m
            slot[2] += x
        for category, theirs in other.paths.items():
            paths = self.paths.setdefault(category, {})
            for path, n in theirs.items():
                if path in paths or len(paths) < MAX_EVENT_NAMES:
                    paths[path] = paths.get(path, 0) + n
        _add_counts(self.outcomes, other.outcomes)
        for impact, theirs in other.fields.items():
            table = self.fields.setdefault(impact, {})
            for top, n in theirs.items():
                if top in table or len(table) < MAX_FIELDS:
                    table[top] = table.get(top, 0) + n
        for top, (n, pairs) in other.breakdowns.items():
            entry = self.breakdowns.get(top)
            if entry is None:
                if len(self.breakdowns) >= MAX_FIELDS:
                    continue
                entry = self.breakdowns[top] = [0, TopPairs(PAIR_CAPACITY)]
            entry[0] += n
            entry[1].merge(pairs)
        _add_counts(self.outside, other.outside)
        self.outside_only += other.outside_only
        return self

    def categories(self) -> list[Finding]:
        """Most severe impact first, then most events."""
        order = list(CATEGORIES)
        rank = {k: i for i, k in enumerate(IMPACTS)}
        return sorted(
            self.findings.values(),
            key=lambda f: (rank[f.impact], -f.count, order.index(f.category) if f.category in order else len(order)),
        )

    def breakdowns_dict(self, pairs: int = MAX_PAIRS) -> dict:
        """Per breakdown field: events whose value changes and the most frequent [classic, actions, count]."""
        out = {}
        for top, (n, summary) in sorted(self.breakdowns.items(), key=lambda kv: (-kv[1][0], kv[0])):
            out[top] = {"events": n, "pairs": summary.top(pairs), "pairs_exact": summary.exact}
        return out

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "parity": self.parity,
            "parity_exact": self.parity_exact,
            "events": self.events,
            "matched": self.matched,
            "matched_exact": self.matched_exact,
            "outcomes": dict(self.outcomes),
            # per impact, the fields that differ and in how many events, most first
            "fields": {impact: [{"field": f, "events": n} for f, n in sorted(t.items(), key=lambda kv: (-kv[1], kv[0]))]
                       for impact, t in self.fields.items()},
            "breakdowns": self.breakdowns_dict(),
            "outside_mappings": {
                "events": self.outside_only,
                "changes": [{"name": k, "events": n, "change": OUTSIDE_CHANGES[k]}
                            for k, n in sorted(self.outside.items(), key=lambda kv: -kv[1])],
            },
            "categories": [f.to_dict() for f in self.categories()],
            "by_event": [
                {"event_name": name, "events": n, "matched": m, "matched_exact": x,
                 "parity": m / n if n else 1.0, "parity_exact": x / n if n else 1.0}
                for name, (n, m, x) in sorted(self.by_event.items(), key=lambda kv: (-kv[1][0], kv[0]))
            ],
        }


_IDENTICAL = (True, True, "identical", False, (), (), (), False)  # step_summary of an event without differences


class StepFigures(_Figures):
    """The figures a recommendation step is judged and reported by (`recommend.stats`: events, chart and exact
    parity, chart events, outcomes, events whose chart differences only a change outside the mappings closes,
    events per category, events per field that changes charts or a breakdown), counted as `VariantFindings` counts them but without its examples and tables: the
    verification pass keeps one per step, so a step costs a few counters per event."""

    def __init__(self, label: str):
        self.label = label
        self.events = 0
        self.matched = 0
        self.matched_exact = 0
        self.outcomes: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
        self.outside_only = 0
        self.findings: dict[str, Finding] = {}  # only `count` is kept
        # impact -> field -> events, for the impacts `recommend.stats` counts (bounded as in VariantFindings)
        self.fields: dict[str, dict[str, int]] = {CHART: {}, BREAKDOWN: {}}

    def add(self, event: dict, outcome_: EventDiff, classic=None, actions=None) -> None:
        diffs = outcome_.differences
        kept = outcome_.__dict__.get("_step_summary")
        if kept is not None and kept[0] is diffs and kept[1] == len(diffs):  # worked out for this diff already
            self.add_summary(kept[2])
        else:
            self.add_summary(step_summary(outcome_))

    @staticmethod
    def summary(outcome_: EventDiff) -> tuple:
        """`step_summary`."""
        return step_summary(outcome_)

    def add_summary(self, summary: tuple) -> None:
        """`add`, from the `summary` of the event's diff."""
        chart_matched, matched, outcome_key, outside_only, categories, chart_fields, breakdown_fields, _ = summary
        self.events += 1
        if chart_matched:
            self.matched += 1
        if matched:
            self.matched_exact += 1
        self.outcomes[outcome_key] += 1
        if outside_only:
            self.outside_only += 1
        findings = self.findings
        for category in categories:
            finding = findings.get(category)
            if finding is None:
                finding = findings[category] = Finding(category)
            finding.count += 1
        if chart_fields:
            _count_fields(self.fields[CHART], chart_fields)
        if breakdown_fields:
            _count_fields(self.fields[BREAKDOWN], breakdown_fields)

    def merge(self, other: "StepFigures") -> "StepFigures":
        """Fold the figures of later events (`other`) into these."""
        self.events += other.events
        self.matched += other.matched
        self.matched_exact += other.matched_exact
        for key, n in other.outcomes.items():
            self.outcomes[key] = self.outcomes.get(key, 0) + n
        self.outside_only += other.outside_only
        for category, f in other.findings.items():
            self.findings.setdefault(category, Finding(category)).count += f.count
        for impact, theirs in other.fields.items():
            table = self.fields.setdefault(impact, {})
            for top, n in theirs.items():
                if top in table or len(table) < MAX_FIELDS:
                    table[top] = table.get(top, 0) + n
        return self


def step_summary(outcome_: EventDiff) -> tuple:
    """What `add` counts of one event's diff: (chart parity, exact parity, outcome, whether only changes
    outside the mappings close its chart differences, its categories, its fields that change charts, those
    that change a breakdown, and whether some chart difference is one a mapping could close: what the
    per-subscription rows count). Kept with the diff as its digest is (valid while its list of differences
    keeps its length): steps that share a diff work it out once.

    From the diff's `digest` when it has one; else counted here, in one pass over the differences, without
    the per-path counts and breakdown pairs a digest also works out (a step's diff that is not the mode's
    last needs none of them)."""
    diffs = outcome_.differences
    if not diffs:
        return _IDENTICAL
    kept = outcome_.__dict__.get("_digest")
    if kept is not None and kept[0] is diffs and kept[1] == len(diffs):
        chart_ok, exact_ok, outcome_key, _, outside_only, categories, seen_fields, _ = kept[2]
        # the fields of the two tables kept (the other impacts' are not counted), each in the order of
        # VariantFindings.add, so the bounded tables fill in the same order
        found = (chart_ok, exact_ok, outcome_key, not chart_ok and outside_only,
                 [category for category, _, _ in categories],
                 [top for impact, top in seen_fields if impact == CHART],
                 [top for impact, top in seen_fields if impact == BREAKDOWN], not outside_only)
    else:
        found = _summary(diffs)
    outcome_._step_summary = (diffs, len(diffs), found)
    return found


def _summary(diffs: list) -> tuple:
    """`step_summary` of differences not digested: what `digest` works out for it, counted the same way."""
    chart_ok = exact_ok = True
    missing = extra = mappable = False
    rank = 3  # worst impact seen: 0 chart, 1 breakdown, 2 none, 3 no difference
    categories: dict[str, None] = {}
    chart_fields: dict[str, None] = {}
    breakdown_fields: dict[str, None] = {}
    for d in diffs:
        impact = d.impact
        if d.counts:
            exact_ok = False
        if impact == CHART:
            chart_ok = False
            if d.outside is None:
                mappable = True
            rank = 0
        elif rank > 1 and impact == BREAKDOWN:
            rank = 1
        elif rank > 2:
            rank = 2
        category = d.category
        categories[category] = None
        whole = d.whole
        if whole is not None:
            if whole == "missing":
                missing = True
            elif whole == "extra":
                extra = True
        if category != "error" and (impact == CHART or impact == BREAKDOWN):
            top = d.field if whole is None else f"({whole} record)"
            (chart_fields if impact == CHART else breakdown_fields)[top] = None
    return (chart_ok, exact_ok, "lost" if missing else "extra" if extra else _OUTCOME_BY_RANK[rank],
            not chart_ok and not mappable, list(categories), list(chart_fields), list(breakdown_fields), mappable)


def _count_fields(table: dict[str, int], tops) -> None:
    """One more event for each field of `tops` in `table` (bounded: a new field only while there is room)."""
    for top in tops:
        n = table.get(top)
        if n is not None:
            table[top] = n + 1
        elif len(table) < MAX_FIELDS:
            table[top] = 1


def _add_counts(mine: dict, theirs: dict) -> None:
    for key, n in theirs.items():
        mine[key] = mine.get(key, 0) + n


class SourceTable:
    """Per source (library, connection mode): events, and chart/exact matches per variant. Bounded: at most
    `MAX_SOURCES` libraries, the rest under "(other)"."""

    MAX_SOURCES = 50

    def __init__(self):
        self.rows: dict[tuple[str, str], dict] = {}

    def add(self, library: str, mode: str, variant: str, outcome_: EventDiff, *, first: bool,
            digested: tuple | None = None) -> None:
        """Count one event's diff. `digested`: `digest(outcome_)` when the caller has it."""
        key = (library, mode)
        if key not in self.rows and len(self.rows) >= self.MAX_SOURCES:
            key = (OTHER, mode)
        row = self.rows.setdefault(key, {"events": 0, "variants": {}})
        if first:
            row["events"] += 1
        v = row["variants"].setdefault(variant, [0, 0, 0])
        v[0] += 1
        if not outcome_.differences:
            v[1] += 1
            v[2] += 1
            return
        chart_ok, exact_ok = (digested or digest(outcome_))[:2]  # the findings' digest of the same diff
        v[1] += chart_ok
        v[2] += exact_ok

    def merge(self, other: "SourceTable") -> "SourceTable":
        """Fold in the rows of the events that follow (a later chunk, or a later pass's variants)."""
        for key, theirs in other.rows.items():
            if key not in self.rows and len(self.rows) >= self.MAX_SOURCES:
                key = (OTHER, key[1])
            row = self.rows.setdefault(key, {"events": 0, "variants": {}})
            row["events"] += theirs["events"]
            for variant, (n, chart, exact) in theirs["variants"].items():
                v = row["variants"].setdefault(variant, [0, 0, 0])
                v[0] += n
                v[1] += chart
                v[2] += exact
        return self

    def reset(self, variant: str) -> None:
        for row in self.rows.values():
            row["variants"].pop(variant, None)

    def copy(self, source: str, target: str) -> None:
        """`target` measured the same as `source` (no recommendation applied, so no pass of its own)."""
        for row in self.rows.values():
            if source in row["variants"]:
                row["variants"][target] = list(row["variants"][source])

    def to_list(self, variants) -> list[dict]:
        out = []
        for (library, mode), row in sorted(self.rows.items(), key=lambda kv: (-kv[1]["events"], kv[0])):
            vs = row["variants"]
            out.append({
                "library": library, "mode": mode, "events": row["events"],
                "parity": {name: (vs[name][1] / vs[name][0] if vs.get(name) and vs[name][0] else None)
                           for name in variants},
                "parity_exact": {name: (vs[name][2] / vs[name][0] if vs.get(name) and vs[name][0] else None)
                                 for name in variants},
            })
        return out
