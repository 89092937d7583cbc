"""The fast paths of a compare pass give what the plain rules give: findings counted from one digest of an
event's differences, the differ's C-level equality before its strict walk, the classic side's comparable
records reused across variants."""

import math
import random

from migrate.differ import Difference, EventDiff, diff_event, same
import migrate.findings as F
from migrate.findings import OTHER, PAIR_CAPACITY, Finding, VariantFindings, digest
from migrate.impact import BREAKDOWN, CHART, NONE, TopPairs, pair_value

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
