"""Diff the canonical Amplitude records Classic and Actions produce for one Segment event.

Three small roles, in order:

* `migrate.canonical.normalize_record` (the one normaliser) rewrites a record into what Amplitude would
  actually keep, so that differences Amplitude erases on ingestion do not count (the rules are listed in
  `EQUIVALENCE_RULES`);
* `align`: pair the two record lists (kind + event type first, then leftovers as renames);
* `diff_event`: a fast strict equality check; differing records are walked key by key, with deepdiff
  (tree view) for the lists that differ.

Every difference gets one category from `categorize` (the categories and their explanations live in
`migrate.findings`) and one impact from the rules in `migrate.impact` (chart, breakdown, none). Wire-only
fields (keys Amplitude does not store) are reported with impact none and do not break parity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from migrate import impact as _impact
from migrate.amplitude import DEVICE_ID_PLACEHOLDERS, STORED_EVENT_FIELDS, STORED_FIELDS
from migrate.canonical import EQUIVALENCE_RULES, comparable, integral_numbers, normalize_record
from migrate.impact import BREAKDOWN, CHART, NONE, ImpactContext

__all__ = [
    "Difference",
    "EventDiff",
    "EQUIVALENCE_RULES",
    "DEVICE_ID_PLACEHOLDERS",
    "align",
    "diff_records",
    "diff_event",
    "comparable_records",
    "categorize",
    "same",
    "format_path",
]

OBJECT_FIELDS = ("event_properties", "user_properties", "groups", "group_properties")


@dataclass(frozen=True)
class Difference:
    """One difference between a classic and an actions record (or a whole missing record)."""

    category: str
    path: str
    classic: Any = None
    actions: Any = None
    counts: bool = True  # False when it has no effect on analysis: reported, parity unaffected
    impact: str = CHART  # migrate.impact: chart, breakdown or none
    whole: str | None = None  # "missing" / "extra" for a whole record on one side only
    outside: str | None = None  # key of the change outside the mappings that closes it (impact.OUTSIDE_CHANGES)
    shown: tuple | None = None  # (classic, actions) as the breakdown tables show them, when not the raw values

    def __post_init__(self):
        # one truth: a difference counts against exact parity exactly when it has some effect on analysis
        if not self.counts and self.impact != NONE:
            object.__setattr__(self, "impact", NONE)
        elif self.impact == NONE and self.counts:
            object.__setattr__(self, "counts", False)

    @cached_property
    def field(self) -> str:
        """The top-level record field the difference is in (the differ sets it when it makes the difference)."""
        return _top_field(self.path)


@lru_cache(maxsize=4096)
def _top_field(path: str) -> str:
    return path.split(".")[0].split("[")[0]


@dataclass
class EventDiff:
    """The outcome for one input event."""

    differences: list[Difference] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        """Every stored field the same (exact parity)."""
        return not any(d.counts for d in self.differences)

    @property
    def chart_matched(self) -> bool:
        """Nothing that changes numbers in charts (chart parity)."""
        return not any(d.impact == CHART for d in self.differences)

    @property
    def categories(self) -> list[str]:
        seen: dict[str, None] = {}
        for d in self.differences:
            seen.setdefault(d.category, None)
        return list(seen)


def same(a, b) -> bool:
    """Strict JSON equality: like ==, but True is not 1 (Python's == says it is)."""
    ta = type(a)
    if ta is type(b):
        if ta in _ATOMS:  # two values of one of these types: == is strict
            return a == b
        if ta is dict:  # the rule below, written out: the values of an object are mostly atoms
            if a.keys() != b.keys():
                return False
            for k, v in a.items():
                w = b[k]
                tv = type(v)
                if tv is type(w) and tv in _ATOMS:
                    if not v == w:
                        return False
                elif not same(v, w):
                    return False
            return True
        if ta is list:
            if len(a) != len(b):
                return False
            for v, w in zip(a, b):
                tv = type(v)
                if tv is type(w) and tv in _ATOMS:
                    if not v == w:
                        return False
                elif not same(v, w):
                    return False
            return True
    return _same(a, b)


_ATOMS = frozenset({str, int, float, bool, type(None)})


def _same(a, b) -> bool:
    """`same` as plainly written (the reference its shortcuts are tested against)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def record_key(record: dict) -> tuple:
    kind = record.get("kind", "event")
    if kind == "event":
        return (kind, record.get("event_type"))
    if kind == "group_identify":
        return (kind, record.get("group_type"))
    return (kind,)


def align(classic: list[dict], actions: list[dict]) -> list[tuple[dict | None, dict | None]]:
    """Pair records: same kind and event type first (in order), then leftover events of the same kind
    as renames; whatever remains is missing (classic only) or extra (actions only)."""
    if len(classic) == 1 and len(actions) == 1:  # the usual event: what the loops below do with one each
        c, a = classic[0], actions[0]
        if c.get("kind", "event") == a.get("kind", "event"):
            return [(c, a)]  # the same key, or else a rename
        return [(c, None), (None, a)]
    pairs: list[tuple[dict | None, dict | None]] = []
    rest = list(actions)
    left = []
    for c in classic:
        key = record_key(c)
        for i, a in enumerate(rest):
            if record_key(a) == key:
                pairs.append((c, rest.pop(i)))
                break
        else:
            left.append(c)
    unmatched = []
    for c in left:
        for i, a in enumerate(rest):
            if a.get("kind", "event") == c.get("kind", "event"):
                pairs.append((c, rest.pop(i)))
                break
        else:
            unmatched.append(c)
    pairs.extend((c, None) for c in unmatched)
    pairs.extend((None, a) for a in rest)
    return pairs


def format_path(parts) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "(record)"


REVENUE_FIELDS = frozenset({"revenue", "price", "quantity", "productId", "revenueType", "currency"})
PLATFORM_FIELDS = frozenset(
    {"library", "platform", "os_name", "os_version", "device_model", "device_brand", "device_manufacturer",
     "carrier", "user_agent", "version_name"}
)
GROUP_FIELDS = frozenset({"groups", "group_properties", "group_type", "group_value"})


def categorize(kind: str, event_type, path: list) -> tuple[str, bool]:
    """(category, counts) for a difference at `path` inside a paired record."""
    top = path[0] if path else None
    if top == "rejected":
        return "rejected", True
    if top == "insert_id":
        return "wire_only", False
    if top is not None and top not in STORED_FIELDS.get(kind, STORED_EVENT_FIELDS):
        return "wire_only", False
    if event_type == "Product Purchased" and (top == "event_properties" or top in REVENUE_FIELDS):
        return "product_purchased", True
    if top == "event_type":
        return "event_renamed", True
    if top in ("user_properties", "paying", "start_version"):
        return "user_properties", True
    if top == "device_id":
        return "device_id", True
    if top in ("user_id", "global_user_id", "unmap"):
        return "user_id", True
    if top in GROUP_FIELDS:
        return "group", True
    if top in REVENUE_FIELDS:
        return "revenue", True
    if top in ("session_id", "event_id"):
        return "session", True
    if top == "time":
        return "time", True
    if top in PLATFORM_FIELDS:
        return "platform_fields", True
    if top == "event_properties":
        return "event_properties", True
    return "other_fields", True


def _placeholder(value) -> bool:
    return isinstance(value, str) and value in DEVICE_ID_PLACEHOLDERS


def diff_records(classic: dict, actions: dict, ctx: ImpactContext | None = None) -> list[Difference]:
    """Differences between two paired records (already normalised), each with its impact."""
    return _diff_records(classic, actions, ctx or _DEFAULT_CONTEXT)


_DEFAULT_CONTEXT = ImpactContext()
_new = object.__new__


def _difference(category: str, path: str, c, a, impact: str, outside=None, shown=None, field_name=None
                ) -> Difference:
    """A Difference whose fields are already consistent (counts exactly when impact is not none), built
    without the dataclass's checks: the differ makes one per differing field of every event. `field_name`:
    its `field` (`_top_field(path)`), when known."""
    d = _new(Difference)
    d.__dict__.update(category=category, path=path, classic=c, actions=a, counts=impact != NONE, impact=impact,
                      whole=None, outside=outside, shown=shown, field=field_name or _top_field(path))
    return d


_LEAF_META: dict[tuple, tuple] = {}
_MAX_LEAF_META = 100_000  # distinct (kind, path) shapes remembered; cleared when full
_SESSION_FIELDS = frozenset({"device_id", "session_id", "event_id"})  # impact.outside_mappings reads these


def _leaf_meta(kind: str, event_type, parts: list) -> tuple:
    """(category, path, field, impact or None for ip, whether a location lookup shows, whether a change outside
    the mappings may close it, the new Difference's attributes when its values are all it needs besides these):
    everything about a difference that depends on where it is, not on values."""
    key = (kind, event_type == "Product Purchased", *parts)
    meta = _LEAF_META.get(key)
    if meta is None:
        meta = _new_leaf_meta(kind, event_type, parts)
        if len(_LEAF_META) >= _MAX_LEAF_META:
            _LEAF_META.clear()
        _LEAF_META[key] = meta
    return meta


def _new_leaf_meta(kind: str, event_type, parts: list) -> tuple:
    category, counts = categorize(kind, event_type, parts)
    path = format_path(parts)
    field_name = path.split(".")[0].split("[")[0]
    if not counts:
        impact = NONE
    elif field_name == "ip":
        impact = None
    else:
        impact = BREAKDOWN if field_name in _impact.BREAKDOWN_FIELDS else CHART
    lookup = counts and field_name in _impact.LOOKUP_REPLACING and path == field_name
    session = counts and field_name in _SESSION_FIELDS
    # the attributes of a Difference at this place whose impact is known here and that has no `outside` or
    # `shown` to work out: copied, with the two values, into the new one (`_walk`)
    plain = None
    if impact is not None and not lookup and not session:
        plain = dict(category=category, path=path, classic=None, actions=None, counts=impact != NONE,
                     impact=impact, whole=None, outside=None, shown=None, field=field_name)
    return (category, path, field_name, impact, lookup, session, plain)


def _leaf(kind: str, event_type, parts: list, c, a, classic: dict, actions: dict, ctx: ImpactContext
          ) -> Difference:
    """The difference at `parts` (values c, a: None when absent) with its category and impact; `classic` and
    `actions` are the whole paired records (the ip and location rules read them)."""
    return _leaf_of(_leaf_meta(kind, event_type, parts), c, a, classic, actions, ctx)


def _leaf_of(meta: tuple, c, a, classic: dict, actions: dict, ctx: ImpactContext) -> Difference:
    """`_leaf`, from the `_leaf_meta` of its place."""
    category, path, field_name, impact, lookup, session, plain = meta
    if plain is not None:
        d = _new(Difference)
        attrs = d.__dict__
        attrs.update(plain)
        attrs["classic"] = c
        attrs["actions"] = a
        return d
    if impact is None:
        impact = _impact.ip_impact(classic, actions, ctx)
    outside = shown = None
    if session and impact == CHART:
        outside = _impact.outside_mappings(field_name, classic.get(field_name), ctx.mode)
    if lookup:
        # an absent location field is not "no location": Amplitude looks it up from the IP address
        shown = (_impact.IP_LOOKUP if c is None and _impact.looked_up(classic) else c,
                 _impact.IP_LOOKUP if a is None and _impact.looked_up(actions) else a)
    return _difference(category, path, c, a, impact, outside, shown, field_name)


def _diff_records(classic: dict, actions: dict, ctx: ImpactContext) -> list[Difference]:
    kind = classic.get("kind", "event")
    event_type = classic.get("event_type") if kind == "event" else None
    out: list[Difference] = []
    whole_c, whole_a = classic, actions
    device_id = classic.get("device_id")
    if isinstance(device_id, str) and device_id in DEVICE_ID_PLACEHOLDERS:  # _placeholder(device_id)
        out.append(_difference("device_id", "device_id", device_id, integral_numbers(actions.get("device_id")),
                               CHART, _impact.outside_mappings("device_id", device_id, ctx.mode), None, "device_id"))
        # the rest of the two records, walked without device_id (no copies: walking equal fields is cheap)
        _walk(kind, event_type, [], classic, actions, out, whole_c, whole_a, ctx, _places(kind, event_type),
              "device_id")
        return out
    if classic == actions and same(classic, actions):  # == first: in C, and False whenever `same` is
        return out
    # Dicts are walked here key by key (cheap); deepdiff (tree view) only compares lists that differ,
    # because walking every equal field through deepdiff costs most of a compare run.
    _walk(kind, event_type, [], classic, actions, out, whole_c, whole_a, ctx, _places(kind, event_type))
    return out


class _Absent:
    """The value of a key an object does not have."""

    __slots__ = ()


_MISSING = _Absent()
_PLAIN = frozenset({str, int, bool, float, type(None)})
_NO_FLOAT = frozenset({str, int, bool, type(None)})  # values integral_numbers returns as they are
_SCALAR = _PLAIN | {_Absent}

# The places the walk has met, as a tree per (kind, whether the event is a Product Purchased): key -> [the
# `_leaf_meta` of the place, the places under it]. One dictionary lookup per differing key finds what
# `_leaf_meta` would build its key for. Bounded like _LEAF_META: dropped whole when it holds _MAX_LEAF_META.
_PLACES: dict[tuple, dict] = {}
_PLACES_SIZE = [0]


def _places(kind: str, event_type) -> dict:
    root = (kind, event_type == "Product Purchased")
    places = _PLACES.get(root)
    if places is None:
        places = _PLACES[root] = {}
    return places


def _place(places: dict, key) -> list:
    if _PLACES_SIZE[0] >= _MAX_LEAF_META:
        _PLACES.clear()
        _PLACES_SIZE[0] = 0
    _PLACES_SIZE[0] += 1
    entry = places[key] = [None, None]
    return entry


def _walk(kind: str, event_type, parts: list, classic: dict, actions: dict, out: list[Difference],
          whole_c: dict, whole_a: dict, ctx: ImpactContext, places: dict, skip: str | None = None) -> None:
    """Every difference between two objects at `parts` (`skip`: a key left out)."""
    keys = list(classic)
    more = actions.keys() - classic.keys()
    if more:
        keys.extend(k for k in actions if k in more)
    if skip is not None:
        keys = [k for k in keys if k != skip]
    for key in keys:
        c, a = classic.get(key, _MISSING), actions.get(key, _MISSING)
        tc, ta = type(c), type(a)
        if tc is ta:
            if tc in _PLAIN:  # the usual leaves: between two values of one of these types == is strict
                if c == a:
                    continue
            elif c == a and same(c, a):  # objects and arrays (never both absent: the key is in one of them)
                continue
        elif c is not _MISSING and a is not _MISSING and c == a and same(c, a):
            continue
        entry = places.get(key) or _place(places, key)
        if tc not in _SCALAR or ta not in _SCALAR:  # else two scalars, or a scalar and nothing: a leaf
            if tc is dict and ta is dict or isinstance(c, dict) and isinstance(a, dict):
                under = entry[1]
                if under is None:
                    under = entry[1] = {}
                _walk(kind, event_type, [*parts, key], c, a, out, whole_c, whole_a, ctx, under)
                continue
            if isinstance(c, list) and isinstance(a, list):
                _list_differences(kind, event_type, [*parts, key], c, a, out, whole_c, whole_a, ctx)
                continue
        meta = entry[0]
        if meta is None:
            meta = entry[0] = _leaf_meta(kind, event_type, [*parts, key])
        c = None if c is _MISSING else c if tc in _NO_FLOAT else integral_numbers(c)
        a = None if a is _MISSING else a if ta in _NO_FLOAT else integral_numbers(a)
        plain = meta[6]
        if plain is None:
            out.append(_leaf_of(meta, c, a, whole_c, whole_a, ctx))
        else:  # `_leaf_of`, inline: most differences are of this kind
            d = _new(Difference)
            attrs = d.__dict__
            attrs.update(plain)
            attrs["classic"] = c
            attrs["actions"] = a
            out.append(d)


def _list_differences(kind: str, event_type, parts: list, classic: list, actions: list, out: list[Difference],
                      whole_c: dict, whole_a: dict, ctx: ImpactContext) -> None:
    from deepdiff import DeepDiff  # imported when first needed: most runs never compare two differing lists

    # integral floats become ints first, so deepdiff's own type check is the strict one
    classic, actions = integral_numbers(classic), integral_numbers(actions)
    tree = DeepDiff(classic, actions, view="tree", threshold_to_diff_deeper=0, verbose_level=2)
    n = len(out)
    for levels in tree.values():
        for level in levels:
            path = [*parts, *level.path(output_format="list")]
            t1 = None if _absent(level.t1) else level.t1
            t2 = None if _absent(level.t2) else level.t2
            out.append(_leaf(kind, event_type, path, t1, t2, whole_c, whole_a, ctx))
    if len(out) == n:  # cannot happen with JSON data; keep the difference visible rather than lose it
        out.append(_leaf(kind, event_type, parts, classic, actions, whole_c, whole_a, ctx))


def _absent(value) -> bool:
    return type(value).__name__ == "NotPresent"


def _whole_record_category(record: dict) -> str:
    kind = record.get("kind", "event")
    if kind == "event" and record.get("event_type") == "Product Purchased":
        return "product_purchased"
    if kind == "event" and record.get("event_type") == "revenue_amount":
        return "revenue"
    if kind == "group_identify":
        return "group"
    return "event_missing"


def comparable_records(records: list[dict]) -> list[dict]:
    """`records` in the form `diff_event` compares (`canonical.comparable`): compute the classic side's once
    when it is compared with several Actions variants and pass it as `classic_comparable`."""
    return [comparable(r) for r in records]


def diff_event(classic: list[dict], actions: list[dict], ctx: ImpactContext | None = None, *,
               classic_comparable: list[dict] | None = None) -> EventDiff:
    """Compare the records of one event: fast equality first, deepdiff only on mismatching pairs.
    `ctx` (connection mode, context.ip) feeds the impact rules; default: cloud mode. `classic_comparable`:
    `comparable_records(classic)`, when the caller already has it."""
    # the rules of `normalize_record` except the number rule, which `same` already applies (1 == 1.0) and
    # which is applied to the values a difference shows: equal records cost one walk
    c_norm = [comparable(r) for r in classic] if classic_comparable is None else classic_comparable
    a_norm = [comparable(r) for r in actions]
    result = EventDiff()
    # `same` implies ==, so == (in C, and quick to say no) decides most events before the strict walk
    if c_norm == a_norm and same(c_norm, a_norm) and not any(_placeholder(r.get("device_id")) for r in c_norm):
        return result
    ctx = ctx or _DEFAULT_CONTEXT
    out = result.differences
    for c, a in align(c_norm, a_norm):
        if a is None:
            c = integral_numbers(c)
            out.append(_whole(_whole_record_category(c), _record_label(c), c, None, "missing"))
        elif c is None:
            a = integral_numbers(a)
            category = _whole_record_category(a)
            if category == "event_missing":
                category = "event_extra"
            out.append(_whole(category, _record_label(a), None, a, "extra"))
        else:
            out.extend(_diff_records(c, a, ctx))
    return result


def _whole(category: str, label: str, c, a, whole: str) -> Difference:
    """`Difference(category, label, c, a, whole=whole)` (a whole record on one side only: it counts, in
    charts), built as `_difference` builds the others."""
    d = _new(Difference)
    d.__dict__.update(category=category, path=label, classic=c, actions=a, counts=True, impact=CHART,
                      whole=whole, outside=None, shown=None)
    return d


def _record_label(record: dict) -> str:
    kind = record.get("kind", "event")
    if kind == "event":
        return f"event {record.get('event_type')!r}"
    if kind == "group_identify":
        return f"group_identify {record.get('group_type')!r}"
    return kind
