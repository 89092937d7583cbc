"""The fast paths of a compare pass give what the plain rules give: findings counted from one digest of an
event's differences (kept with the diff, and shared by the step figures, the source table and the
per-subscription rows), the differ's C-level equality before its strict walk, its walk by remembered places,
the classic side's comparable records reused across variants, the shown breakdown pairs remembered for text,
the impact contexts shared per mode and address, the verification pass's one walk over an event's variants
(step summaries counted without a digest), and the recommendation rules copying only what they patch."""

import copy
import json
import math
import random
import sys
from pathlib import Path

import pytest

import actions
import classic
import migrate.differ as D
import migrate.findings as F
from migrate import impact as I
from migrate.canonical import comparable, integral_numbers, records_from_requests
from migrate.differ import Difference, EventDiff, diff_event, same
from migrate.findings import OTHER, PAIR_CAPACITY, Finding, VariantFindings, digest
from migrate.generate import generate_events
from migrate.impact import BREAKDOWN, CHART, NONE, ImpactContext, TopPairs, pair_value
from migrate.runner import Runner
from migrate import recommend as R
from migrate.translate import translate

sys.path.insert(0, str(Path(__file__).parent.parent / "fuzz"))
from mutate import mutate_event  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

_OUTCOME_BY_RANK = ("changed", "breakdown", "no_effect", "identical")


class PlainFindings(VariantFindings):
    """`add` as plainly written: every table updated difference by difference (the reference)."""

    def add(self, event, outcome_, classic, actions, digested=None):
        from migrate.findings import event_name

        name = event_name(event)
        diffs = outcome_.differences
        self.events += 1
        slot = self.by_event.get(name)
        if slot is None:
            slot = self.by_event.setdefault(self._name_slot(self.by_event, name), [0, 0, 0])
        slot[0] += 1
        chart_ok = not any(d.impact == CHART for d in diffs)
        exact_ok = not any(d.counts for d in diffs)
        if chart_ok:
            self.matched += 1
            slot[1] += 1
        if exact_ok:
            self.matched_exact += 1
            slot[2] += 1
        if any(d.whole == "missing" for d in diffs):
            key = "lost"
        elif any(d.whole == "extra" for d in diffs):
            key = "extra"
        else:
            rank = min(((0 if d.impact == CHART else 1 if d.impact == BREAKDOWN else 2) for d in diffs), default=3)
            key = _OUTCOME_BY_RANK[rank]
        self.outcomes[key] += 1
        if not chart_ok:
            keys = list(dict.fromkeys(d.outside for d in diffs if d.impact == CHART))
            for k in keys:
                if k is not None:
                    self.outside[k] = self.outside.get(k, 0) + 1
            if None not in keys:
                self.outside_only += 1
        for d in diffs:
            paths = self.paths.setdefault(d.category, {})
            if d.path in paths or len(paths) < F.MAX_EVENT_NAMES:
                paths[d.path] = paths.get(d.path, 0) + 1
        tops = lambda d: d.field if d.whole is None else f"({d.whole} record)"  # noqa: E731
        for impact, top in dict.fromkeys((d.impact, tops(d)) for d in diffs if d.category != "error"):
            table = self.fields[impact]
            if top in table or len(table) < F.MAX_FIELDS:
                table[top] = table.get(top, 0) + 1
        pairs = {}
        for d in diffs:
            if d.impact == BREAKDOWN and d.whole is None and tops(d) not in pairs:
                pairs[tops(d)] = d.shown or (d.classic, d.actions)
        for top, (c, a) in pairs.items():
            entry = self.breakdowns.get(top)
            if entry is None:
                if len(self.breakdowns) >= F.MAX_FIELDS:
                    continue
                entry = self.breakdowns[top] = [0, TopPairs(PAIR_CAPACITY)]
            entry[0] += 1
            entry[1].add(pair_value(top, c), pair_value(top, a))
        for category in dict.fromkeys(d.category for d in diffs):
            mine = [d for d in diffs if d.category == category]
            finding = self.findings.setdefault(category, Finding(category))
            finding.count += 1
            for impact in {d.impact for d in mine}:
                finding.by_impact[impact] = finding.by_impact.get(impact, 0) + 1
            key = name if name in finding.events_by_name else self._name_slot(finding.events_by_name, name)
            finding.events_by_name[key] = finding.events_by_name.get(key, 0) + 1
            if len(finding.examples) < self.max_examples:
                finding.examples.append({"messageId": str(event.get("messageId", "")), "event_name": name,
                                         "paths": list(dict.fromkeys(d.path for d in mine))[:20],
                                         "classic": classic, "actions": actions})


FIELDS = ["event_type", "os_name", "user_id", "device_id", "event_properties.a", "event_properties.b[0]",
          "country", "ip", "session_id", "library", "insert_id", "city"]


def _random_outcome(rng) -> EventDiff:
    diffs = []
    for _ in range(rng.choice([0, 0, 1, 2, 3, 5, 9])):
        impact = rng.choice([CHART, CHART, BREAKDOWN, NONE])
        whole = rng.choice([None] * 8 + ["missing", "extra"])
        path = rng.choice(FIELDS)
        value = lambda: rng.choice([None, "a", "b", 1, 2.5, True, {"k": "v"}, ["x"], "z" * 300])  # noqa: E731
        diffs.append(Difference(rng.choice(["device_id", "platform_fields", "event_properties", "error", "session"]),
                                path, value(), value(), counts=impact != NONE, impact=impact, whole=whole,
                                outside=rng.choice([None, None, "sdk_device_id", "sdk_session"]) if impact == CHART
                                else None,
                                shown=rng.choice([None, None, ("(IP lookup)", "b")])))
    return EventDiff(diffs)


def test_findings_from_one_digest_equal_the_plain_count(monkeypatch):
    # small bounds, so that the bounded tables fill up and "(other)" is used too
    monkeypatch.setattr(F, "MAX_EVENT_NAMES", 4)
    monkeypatch.setattr(F, "MAX_FIELDS", 5)
    rng = random.Random(3)
    fast, given, plain = VariantFindings("v"), VariantFindings("v"), PlainFindings("v")
    for i in range(3000):
        event = {"type": "track", "event": f"E{rng.randint(0, 7)}", "messageId": f"m{i}"}
        outcome = _random_outcome(rng)
        classic, actions = [{"n": i}], [{"n": -i}]
        fast.add(event, outcome, classic, actions)
        given.add(event, outcome, classic, actions, digest(outcome) if outcome.differences else None)
        plain.add(event, outcome, classic, actions)
    assert fast.to_dict() == plain.to_dict()
    assert given.to_dict() == plain.to_dict()
    pairs = lambda agg: [(k, n, p.counts, p.total) for k, (n, p) in agg.breakdowns.items()]  # noqa: E731
    assert pairs(fast) == pairs(given) == pairs(plain)
    assert OTHER in str(plain.to_dict())  # the bounds were reached


def test_findings_paths_count_every_occurrence_in_first_seen_order():
    agg = VariantFindings("v")
    d = lambda path: Difference("event_properties", path, 1, 2)  # noqa: E731
    agg.add({"type": "track", "event": "A"}, EventDiff([d("b"), d("a"), d("b")]), [], [])
    assert list(agg.paths["event_properties"].items()) == [("b", 2), ("a", 1)]


def ev(**fields):
    return {"kind": "event", "event_type": "A", "user_id": "user-1234", "device_id": "device-1234", "time": 1, **fields}


def test_equality_first_keeps_json_strictness():
    # == says True == 1 and 1 == 1.0; the differ says a boolean is no number, and 1 is 1.0
    for c, a, differs in [
        ({"x": True}, {"x": 1}, True), ({"x": [True]}, {"x": [1]}, True), ({"x": {"y": [1, True]}}, {"x": {"y": [1, 1]}}, True),
        ({"x": 1}, {"x": 1.0}, False), ({"x": [1, {"y": 2}]}, {"x": [1.0, {"y": 2.0}]}, False),
        ({"x": False}, {"x": 0}, True), ({"x": None}, {"x": None}, False),
    ]:
        out = diff_event([ev(event_properties=c)], [ev(event_properties=a)])
        assert (not out.matched) is differs, (c, a)
        assert same([ev(event_properties=c)], [ev(event_properties=a)]) is not differs
    # NaN: the same list object is == to itself, but NaN equals nothing
    nan = [math.nan]
    assert not diff_event([ev(event_properties={"x": nan})], [ev(event_properties={"x": nan})]).matched


def test_classic_side_given_once_equals_computed_each_time():
    from migrate.differ import comparable_records

    classic = [ev(language="en-US", session_id=-1, event_properties={}), ev(user_id=None)]
    for actions in ([ev(language="English")], [ev(language="de"), ev()], []):
        expected = diff_event(classic, actions)
        given = diff_event(classic, actions, classic_comparable=comparable_records(classic))
        assert given.differences == expected.differences


def test_top_pairs_fed_shown_values_equal_top_pairs_fed_raw_values():
    rng = random.Random(5)
    values = [None, "", "Chrome", "x" * 500, 3, 2.5, True, {"a": [1, 2]}, ["b", {"c": None}], "é" * 90]
    for field in ("os_name", "user_id", "ip"):
        raw, shown = TopPairs(4), TopPairs(4)  # a small capacity: pairs are evicted too
        for _ in range(500):
            c, a = rng.choice(values), rng.choice(values)
            raw.add(pair_value(field, c), pair_value(field, a))
            shown.add_shown((pair_value(field, c), pair_value(field, a)))
        assert (raw.counts, raw.total) == (shown.counts, shown.total)
        assert not raw.exact  # evictions happened


# -- the differ's shortcuts against the plain walk ------------------------------------------------------------
#
# The plain rules as they were written before the shortcuts: records copied without a placeholder device_id,
# every difference built through the dataclass, its category, path and impact worked out from its place each
# time, `isinstance` everywhere, strict equality by plain recursion. The differ must give the same differences,
# value types included (compared as JSON text: True is not 1, 1 is not 1.0).

SETTINGS = json.loads((ROOT / "examples" / "classic-settings.json").read_text())


def plain_same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(plain_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(plain_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def plain_leaf(kind, event_type, parts, c, a, whole_c, whole_a, ctx) -> D.Difference:
    category, counts = D.categorize(kind, event_type, parts)
    path = D.format_path(parts)
    top = path.split(".")[0].split("[")[0]
    if not counts:
        return D.Difference(category, path, c, a, counts=False)
    impact = I.ip_impact(whole_c, whole_a, ctx) if top == "ip" else I.field_impact(top)
    outside = shown = None
    if top in ("device_id", "session_id", "event_id") and impact == I.CHART:
        outside = I.outside_mappings(top, whole_c.get(top), ctx.mode)
    if top in I.LOOKUP_REPLACING and path == top:
        shown = (I.IP_LOOKUP if c is None and I.looked_up(whole_c) else c,
                 I.IP_LOOKUP if a is None and I.looked_up(whole_a) else a)
    return D.Difference(category, path, c, a, impact=impact, outside=outside, shown=shown)


def plain_walk(kind, event_type, parts, c_obj, a_obj, out, whole_c, whole_a, ctx) -> None:
    missing = object()
    for key in list(c_obj) + [k for k in a_obj if k not in c_obj]:
        c, a = c_obj.get(key, missing), a_obj.get(key, missing)
        if c is not missing and a is not missing and plain_same(c, a):
            continue
        path = [*parts, key]
        if isinstance(c, dict) and isinstance(a, dict):
            plain_walk(kind, event_type, path, c, a, out, whole_c, whole_a, ctx)
        elif isinstance(c, list) and isinstance(a, list):
            D._list_differences(kind, event_type, path, c, a, out, whole_c, whole_a, ctx)
        else:
            out.append(plain_leaf(kind, event_type, path, None if c is missing else integral_numbers(c),
                                  None if a is missing else integral_numbers(a), whole_c, whole_a, ctx))


def plain_align(c_list, a_list):
    pairs, rest, left, unmatched = [], list(a_list), [], []
    for c in c_list:
        for i, a in enumerate(rest):
            if D.record_key(a) == D.record_key(c):
                pairs.append((c, rest.pop(i)))
                break
        else:
            left.append(c)
    for c in left:
        for i, a in enumerate(rest):
            if a.get("kind", "event") == c.get("kind", "event"):
                pairs.append((c, rest.pop(i)))
                break
        else:
            unmatched.append(c)
    return pairs + [(c, None) for c in unmatched] + [(None, a) for a in rest]


def plain_diff(classic_records, actions_records, ctx) -> list:
    c_norm, a_norm = [comparable(r) for r in classic_records], [comparable(r) for r in actions_records]
    placeholder = lambda r: isinstance(r.get("device_id"), str) and r["device_id"] in D.DEVICE_ID_PLACEHOLDERS  # noqa: E731
    if plain_same(c_norm, a_norm) and not any(placeholder(r) for r in c_norm):
        return []
    out = []
    for c, a in plain_align(c_norm, a_norm):
        if a is None or c is None:
            record = {k: integral_numbers(v) for k, v in (c if a is None else a).items()}
            category = D._whole_record_category(record)
            if a is not None and category == "event_missing":
                category = "event_extra"
            out.append(D.Difference(category, D._record_label(record), record if a is None else None,
                                    None if a is None else record, whole="missing" if a is None else "extra"))
            continue
        kind = c.get("kind", "event")
        event_type = c.get("event_type") if kind == "event" else None
        whole_c, whole_a = c, a
        if placeholder(c):
            out.append(D.Difference("device_id", "device_id", c["device_id"], integral_numbers(a.get("device_id")),
                                    outside=I.outside_mappings("device_id", c["device_id"], ctx.mode)))
            c = {k: v for k, v in c.items() if k != "device_id"}
            a = {k: v for k, v in a.items() if k != "device_id"}
        if not plain_same(c, a):
            plain_walk(kind, event_type, [], c, a, out, whole_c, whole_a, ctx)
    return out


def diff_text(differences) -> str:
    """Every attribute of every difference (`field` too), as JSON text: value types count."""
    return json.dumps([[d.category, d.path, d.classic, d.actions, d.counts, d.impact, d.whole, d.outside, d.shown,
                        d.field if d.whole is None else None, type(d).__name__] for d in differences], default=repr)


_ODD_VALUES = [True, False, 1, 0, 1.0, 0.0, -0.0, 2.5, None, "", "x", "<sdk>", [], {}, [1, True], {"a": 1},
               {"a": True}, {"a": {"b": [1.0]}}, [{"c": False}], "1"]
_ODD_KEYS = ["device_id", "ip", "country", "city", "os_name", "library", "insert_id", "event_type", "session_id",
             "user_id", "price", "event_properties", "user_properties", "groups", "time", "device_type", "paying"]


def _disturb(record: dict, rng: random.Random) -> dict:
    """A copy of a record with a few values, types, keys and nested objects changed."""
    record = copy.deepcopy(record)
    for _ in range(rng.randint(0, 4)):
        key = rng.choice(_ODD_KEYS + list(record))
        roll = rng.random()
        if roll < 0.15:
            record.pop(key, None)
        elif roll < 0.3 and isinstance(record.get(key), dict):
            record[key] = dict(record[key], **{rng.choice("abc"): rng.choice(_ODD_VALUES)})
        elif roll < 0.4 and key in record:
            value = record[key]  # the same value under a JSON-equal but differently typed form
            record[key] = (float(value) if type(value) is int else int(value) if type(value) is bool
                           else value)
        else:
            record[key] = rng.choice(_ODD_VALUES)
    return record


def _record_pairs():
    """(classic records, actions records, context) of generated and mutated events through the emulator and
    the translated subscriptions of every mode, and the same with either side disturbed."""
    rng = random.Random(17)
    loaded, _ = classic.load_settings(SETTINGS)
    events = list(generate_events(120, 5))
    events += [mutate_event(e, rng) for e in events[:60]]
    for mode in ("cloud", "web", "ios"):
        translation = translate(SETTINGS, mode=mode)
        engine = actions.Engine(settings=translation.settings, subscriptions=translation.subscriptions)
        runner = Runner(classic.Emulator(loaded, mode=mode), {"t": engine}, records_from_requests)
        for event in events:
            run = runner.run(copy.deepcopy(event))
            ip = (event.get("context") or {}).get("ip") if isinstance(event.get("context"), dict) else None
            ctx = ImpactContext(mode=mode, event_ip=ip if isinstance(ip, str) and ip else None)
            c, a = run.classic_records, run.variants["t"].records
            yield c, a, ctx
            yield [_disturb(r, rng) for r in c], a, ctx
            yield c, [_disturb(r, rng) for r in a], ctx
            if c:
                placeholder = dict(c[0], device_id=rng.choice(sorted(D.DEVICE_ID_PLACEHOLDERS)))
                yield [placeholder] + c[1:], [_disturb(r, rng) for r in a], ctx


def test_differ_gives_the_plain_walks_differences():
    checked = differing = placeholders = wholes = 0
    for c, a, ctx in _record_pairs():
        want = plain_diff(c, a, ctx)
        got = D.diff_event(c, a, ctx).differences
        assert diff_text(got) == diff_text(want), (c, a)
        again = D.diff_event(c, a, ctx, classic_comparable=D.comparable_records(c)).differences  # places known
        assert diff_text(again) == diff_text(want)
        checked += 1
        differing += bool(want)
        placeholders += any(d.category == "device_id" and d.path == "device_id" and d.outside for d in want)
        wholes += any(d.whole for d in want)
    assert checked > 1000 and differing > checked // 2 and placeholders > 50 and wholes > 50


@pytest.mark.parametrize("seed", range(3))
def test_same_is_the_plain_strict_equality(seed):
    rng = random.Random(seed)

    def value(depth=0):
        roll = rng.random()
        if depth < 3 and roll < 0.2:
            return {rng.choice("abc"): value(depth + 1) for _ in range(rng.randint(0, 3))}
        if depth < 3 and roll < 0.35:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        return rng.choice([True, False, 1, 0, 1.0, 0.0, -0.0, math.nan, None, "", "a", 2.5])

    def twin(v):  # an equal-looking value: same shape, scalars sometimes swapped for JSON-equal ones
        if isinstance(v, dict):
            return {k: twin(x) for k, x in v.items()}
        if isinstance(v, list):
            return [twin(x) for x in v]
        swaps = {True: [True, 1, 1.0], False: [False, 0, 0.0], 1: [1, 1.0, True], 0: [0, -0.0, False]}
        return rng.choice(swaps.get(v, [v])) if not (isinstance(v, float) and math.isnan(v)) else v

    seen = {True: 0, False: 0}
    for _ in range(4000):
        a = value()
        b = twin(a) if rng.random() < 0.7 else value()
        assert D.same(a, b) is plain_same(a, b), (a, b)
        seen[plain_same(a, b)] += 1
    assert min(seen.values()) > 500


# -- the figures' shortcuts against the plain count -----------------------------------------------------------


class PlainStepFigures(F.StepFigures):
    """`StepFigures.add` as plainly written: every figure from the differences themselves, fields in the order
    of first occurrence (as `VariantFindings.add` counts them)."""

    def add(self, event, outcome_, classic=None, actions=None):
        diffs = outcome_.differences
        chart = [d for d in diffs if d.impact == CHART]
        seen = dict.fromkeys((d.impact, d.field if d.whole is None else f"({d.whole} record)")
                             for d in diffs if d.category != "error")
        from migrate.impact import outcome

        self.events += 1
        self.matched += not chart
        self.matched_exact += not any(d.counts for d in diffs)
        self.outcomes[outcome(diffs)] += 1
        self.outside_only += bool(chart) and all(d.outside is not None for d in chart)
        for category in dict.fromkeys(d.category for d in diffs):
            self.findings.setdefault(category, Finding(category)).count += 1
        for impact, top in seen:
            table = self.fields.get(impact)
            if table is not None and (top in table or len(table) < F.MAX_FIELDS):
                table[top] = table.get(top, 0) + 1


def _figures_text(figures) -> str:
    return json.dumps([figures.events, figures.matched, figures.matched_exact, figures.outcomes, figures.outside_only,
                       [(c, f.count) for c, f in figures.findings.items()],
                       {k: list(t.items()) for k, t in figures.fields.items()}])


def test_step_figures_from_the_kept_digest_equal_the_plain_count(monkeypatch):
    monkeypatch.setattr(F, "MAX_FIELDS", 4)  # the bounded tables fill up: the order they fill in counts
    rng = random.Random(8)
    fast, plain = F.StepFigures("s"), PlainStepFigures("s")
    for i in range(3000):
        outcome = _random_outcome(rng)
        for _ in range(rng.choice([1, 1, 3])):  # steps sharing one diff
            fast.add({}, outcome)
            plain.add({}, outcome)
        if outcome.differences and rng.random() < 0.2:  # a diff completed after it was counted once
            outcome.differences.append(Difference("error", "actions: late", counts=False))
            fast.add({}, outcome)
            plain.add({}, outcome)
    assert _figures_text(fast) == _figures_text(plain)
    assert fast.events > 3000 and any(len(t) == 4 for t in fast.fields.values())


def test_digest_follows_a_diff_completed_after_it_was_digested():
    outcome = EventDiff([Difference("platform_fields", "os_name", "a", "b", impact=BREAKDOWN)])
    first = digest(outcome)
    outcome.differences.append(Difference("device_id", "device_id", "x", "y"))
    assert digest(outcome) == digest(EventDiff(list(outcome.differences))) != first


def test_breakdown_pairs_keep_value_types():
    """The shown pairs are remembered for text only: 1, True and 1.0 (or 0.0 and -0.0) are other values."""
    rng = random.Random(4)
    values = [None, "", "a", "é" * 90, 1, True, 1.0, 0, False, 0.0, -0.0, 2.5, {"a": 1}, ["b"]]
    for _ in range(3000):
        top = rng.choice(["os_name", "ip", "country"])
        c, a = rng.choice(values), rng.choice(values)
        outcome = EventDiff([Difference("platform_fields", top, c, a, impact=BREAKDOWN)])
        got = digest(outcome)[7]
        assert json.dumps(got) == json.dumps([(top, (pair_value(top, c), pair_value(top, a)))]), (top, c, a)


def test_impact_context_is_the_events_own():
    from migrate.replay import impact_context

    events = [{"context": {"ip": "1.2.3.4"}}, {"context": {"ip": ""}}, {"context": {"ip": 5}}, {"context": "x"}, {},
              {"context": {"ip": "5.6.7.8"}}]
    for mode in ("cloud", "web", "ios"):
        for event in events * 2:
            ip = event.get("context", {}).get("ip") if isinstance(event.get("context"), dict) else None
            assert impact_context(event, mode) == ImpactContext(mode=mode, event_ip=ip if isinstance(ip, str) and ip
                                                                else None)


def test_per_subscription_row_figures_are_the_plain_ones():
    rng = random.Random(12)
    seen = set()
    for _ in range(3000):
        outcome = _random_outcome(rng)
        if rng.random() < 0.5:
            digest(outcome)  # kept before: the summary is read from the digest
        plain = (any(d.impact == CHART and d.outside is None for d in outcome.differences), not outcome.matched)
        summary = F.step_summary(outcome)  # what verify_event counts the rows from
        assert (summary[7], not summary[1]) == plain
        seen.add(plain)
    assert len(seen) == 3  # a chart difference always counts against exact parity


def test_source_table_from_the_digest_equals_the_plain_count():
    class PlainSources(F.SourceTable):
        def add(self, library, mode, variant, outcome_, *, first, digested=None):
            row = self.rows.setdefault((library, mode), {"events": 0, "variants": {}})
            row["events"] += first
            v = row["variants"].setdefault(variant, [0, 0, 0])
            v[0], v[1], v[2] = v[0] + 1, v[1] + outcome_.chart_matched, v[2] + outcome_.matched

    rng = random.Random(6)
    fast, given, plain = F.SourceTable(), F.SourceTable(), PlainSources()
    for _ in range(3000):
        outcome = _random_outcome(rng)
        where = (rng.choice(["a", "b"]), rng.choice(["cloud", "web"]), rng.choice(["presets", "translated"]))
        first = where[2] == "presets"
        fast.add(*where, outcome, first=first)
        given.add(*where, outcome, first=first, digested=digest(outcome) if outcome.differences else None)
        plain.add(*where, outcome, first=first)
    assert fast.rows == given.rows == plain.rows
    assert any(v[0] > v[1] > 0 and v[1] != v[2] for row in plain.rows.values() for v in row["variants"].values())


# -- the recommendation rules' copies --------------------------------------------------------------------------
#
# `_patched` copies only the subscriptions a rule patches (and their mappings), sharing the rest with the list
# it was given; `apply_only` keeps the subscriptions it leaves as they were. The plain rule, as it was: a deep
# copy of the whole list per rule, and of each unnamed subscription. The shared parts must never change: every
# list a rule made stays as it was made while the later rules, `apply_only` and a whole compare run go on.


def plain_patched(subs, actions_, change, names=None):
    out = copy.deepcopy(subs)
    changes = []
    for sub in out:
        if sub.get("partnerAction") not in actions_ or (names is not None and sub.get("name") not in names):
            continue
        before = copy.deepcopy(sub)
        change(sub.setdefault("mapping", {}), sub)
        fields = R.field_changes(before, sub)
        if fields:
            changes.append({"kind": "patch", "subscription": sub["name"], "changes": fields})
    return out, changes


def plain_apply_only(rule, subs, evidence, names):
    patched, changes = rule.apply(subs, evidence)
    if names is None:
        return patched, changes
    before = {s.get("name"): s for s in subs}
    out = [s if s.get("name") in names else copy.deepcopy(before[s.get("name")])
           for s in patched if s.get("name") in names or s.get("name") in before]
    return out, [c for c in changes if c["subscription"] in names]


class EveryRuleEvidence(R.Evidence):
    """Evidence under which every branch of every rule's change is taken."""

    def paths(self, category):
        return {"revenue_amount.price": 1, "event_properties.page_x": 1, "revenue": 1}

    def has_path(self, category, *prefixes):
        return True

    def names(self, category):
        return {"page: Home": 1, "Order Completed": 1, "Renewal": 1}

    def has_text(self, category, text):
        return True

    def detection(self, kind):
        return 1


def _subscription_sets():
    from migrate.generate import preset_subscription_list

    full = json.loads((ROOT / "tests" / "workflow" / "data" / "classic-settings-full.json").read_text())
    for mode in ("cloud", "web", "ios", "android"):
        for settings in (SETTINGS, full):
            yield mode, settings, translate(settings, mode=mode).subscriptions
        yield mode, SETTINGS, preset_subscription_list()
        yield mode, SETTINGS, actions.preset_subscriptions()


def _rules_cumulatively(mode, settings, subs):
    """(rule, list before, list after, changes) of every rule applied on top of the ones before it."""
    evidence = EveryRuleEvidence(VariantFindings("t"), [{"kind": "peak_eps", "count": 1, "examples": []}], mode,
                                 classic.load_settings(settings)[0])
    current = subs
    for rule in R.RULES:
        patched, changes = rule.apply(current, evidence)
        yield rule, evidence, current, patched, changes
        current = patched


def test_rules_copying_what_they_patch_equal_the_deep_copies(monkeypatch):
    import migrate.recommend as R_

    checked = shared = 0
    for mode, settings, subs in _subscription_sets():
        fast = list(_rules_cumulatively(mode, settings, copy.deepcopy(subs)))
        with monkeypatch.context() as m:
            m.setattr(R_, "_patched", plain_patched)
            plain = list(_rules_cumulatively(mode, settings, copy.deepcopy(subs)))
        made = [json.dumps(after) for _, _, _, after, _ in fast]  # each list as its rule made it
        for (rule, evidence, before, after, changes), (_, _, p_before, p_after, p_changes) in zip(fast, plain):
            assert rule.key
            assert json.dumps(after) == json.dumps(p_after), rule.key
            assert json.dumps(changes) == json.dumps(p_changes), rule.key
            shared += sum(any(a is b for b in before) for a in after)
            for names in (None, set(), {c["subscription"] for c in changes[:1]},
                          {s.get("name") for s in after[::2]}):
                got = R.apply_only(rule, before, evidence, names)
                want = plain_apply_only(rule, copy.deepcopy(before), evidence, names)
                assert json.dumps(got) == json.dumps(want), (rule.key, names)
            checked += bool(changes)
        # the later rules and apply_only changed none of the lists made before them, nor the first one
        assert [json.dumps(after) for _, _, _, after, _ in fast] == made
        assert json.dumps(fast[0][2]) == json.dumps(subs)
    assert checked > 100 and shared > 500


def test_compare_leaves_every_rules_list_as_it_was_made(monkeypatch):
    import migrate.compare as C

    made = []
    candidates = C.candidates

    def recording(subs, evidence):
        found = candidates(subs, evidence)
        made.append((subs, json.dumps(subs)))
        made.extend((patched, json.dumps(patched)) for _, patched, _ in found)
        return found

    monkeypatch.setattr(C, "candidates", recording)
    events = [str(ROOT / "examples" / "events.jsonl"), str(ROOT / "tests" / "workflow" / "data" / "mixed-sources.jsonl")]
    model = C.compare(SETTINGS, events)
    assert len(made) > 10 and model["recommendations"]
    assert all(json.dumps(subs) == text for subs, text in made)


# -- the verification pass's per-event work against the plain count --------------------------------------------


def test_step_summary_counted_without_a_digest_equals_the_one_from_the_digest():
    rng = random.Random(9)
    seen = set()
    for _ in range(4000):
        outcome = _random_outcome(rng)
        twin = EventDiff(list(outcome.differences))
        light = F.StepFigures.summary(outcome)  # not digested: counted from the differences
        digest(twin)
        from_digest = F.StepFigures.summary(twin)
        assert json.dumps(light) == json.dumps(from_digest), outcome
        seen.add((light[3], light[7], light[2]))
    assert len(seen) > 8


def plain_verify_event(partial, event, library, m, run, step_names, label):
    """`replay.verify_event` as first written: every variant's diff (a repeat keeps the one before), the step
    figures and the per-subscription rows counted from each step's differences, the last step's findings."""
    from migrate.replay import impact_context, outcome

    ctx = impact_context(event, m)
    last = step_names[-1] if step_names else "base"
    outcomes, previous = {}, None
    for name in run.variants:
        outcomes[name] = outcomes[previous] if name in run.repeats else outcome(run, name, ctx)
        previous = name

    def row_figures(result):
        return (any(d.impact == CHART and d.outside is None for d in result.differences),
                any(d.counts for d in result.differences))

    prev = "base"
    for name in step_names:
        result = outcomes[name]
        partial.steps[m][name].add(event, result)
        a, b = run.variants[prev], run.variants[name]
        changed = name not in run.repeats and (a.records != b.records or a.errors != b.errors)
        fired_before = {f["subscription"] for f in a.fired}
        fired = {f["subscription"] for f in b.fired}
        (mappable_before, unmatched_before), (mappable, unmatched) = row_figures(outcomes[prev]), row_figures(result)
        rows = partial.per_sub[m][name]
        for sub in fired_before | fired:
            row = rows.setdefault(sub, [0] * 7)
            for i, n in enumerate((1, changed, mappable_before, mappable, unmatched_before, unmatched,
                                   sub not in fired_before)):
                row[i] += n
        prev = name
    result = outcomes[last]
    records = run.variants[last].records
    partial.overall.add(event, result, run.classic_records, records)
    partial.by_mode.setdefault(m, VariantFindings(label)).add(event, result, run.classic_records, records)
    partial.sources.add(library, m, "recommended", result, first=False)


def _verification_text(partial) -> str:
    return json.dumps({
        "steps": {m: {n: _figures_text(f) for n, f in steps.items()} for m, steps in partial.steps.items()},
        "per_sub": {m: {n: sorted(rows.items()) for n, rows in by.items()} for m, by in partial.per_sub.items()},
        "overall": partial.overall.to_dict(), "by_mode": {m: v.to_dict() for m, v in partial.by_mode.items()},
        "sources": sorted((list(k), v) for k, v in partial.sources.rows.items())}, default=repr)


def test_verify_event_equals_the_plain_count(tmp_path, monkeypatch):
    """The events of a compare run with recommendations in every mode (generated, and mutated ones), their
    verification counted again by `verify_event` and by the plain count: the same figures."""
    import migrate.replay as RP

    rng = random.Random(21)
    events = list(generate_events(700, 3))
    events += [mutate_event(copy.deepcopy(e), rng) for e in events[:300]]
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    seen, jobs = [], []
    verify = RP.verify_event

    def recording(partial, event, library, m, run, step_names, label):
        seen.append((event, library, m, run, step_names, label))
        return verify(partial, event, library, m, run, step_names, label)

    begin = RP.VerifyPass.begin
    monkeypatch.setattr(RP, "verify_event", recording)
    monkeypatch.setattr(RP.VerifyPass, "begin", lambda self, partial: (jobs.append(self), begin(self, partial))[1])
    C = __import__("migrate.compare", fromlist=["compare"])
    C.compare(SETTINGS, [str(path)])
    job = jobs[0]
    assert len({m for _, _, m, _, names, _ in seen if names}) >= 3  # modes with steps

    def fresh(step_figures):
        partial = RP.VerifyPartial()
        partial.steps = {m: {n: step_figures(title) for n, (title, _) in zip(job.names[m], found)}
                         for m, found in job.steps.items()}
        partial.per_sub = {m: {n: {} for n in job.names[m]} for m in job.steps}
        partial.overall, partial.sources = VariantFindings(job.label), F.SourceTable()
        return partial

    fast, plain = fresh(F.StepFigures), fresh(PlainStepFigures)
    repeats = distinct = 0
    for event, library, m, run, names, label in seen:
        verify(fast, event, library, m, run, names, label)
        plain_verify_event(plain, event, library, m, run, names, label)
        repeats += len(run.repeats)
        distinct += len(run.variants) - len(run.repeats)
    assert _verification_text(fast) == _verification_text(plain)
    assert repeats > 1000 and distinct > 1000
