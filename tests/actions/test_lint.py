"""Trigger lint: warnings for triggers the runtime accepts but that are almost certainly mistakes,
while the engine keeps doing exactly what the runtime does."""

import pytest

from actions.fql import matches
from actions.lint import lint_subscriptions, lint_trigger

TRACK = {"type": "track", "event": "Order Completed", "properties": {"price": 12, "label": "12"}}


@pytest.mark.parametrize("trigger, expected", [
    ("type = ", "'type =' has no value: the runtime compares type with the literal 'eos'"),
    ('type = "track" and event = ', "'event =' has no value: the runtime compares event with the literal 'eos'"),
    ('(type = "track" or type = ) and event = "a"', "'type =' has no value"),
    ('type == "track"', "'type ==' is not FQL"),
    ('type = "Track"', "type = 'Track' can never match: Segment's types are alias, group, identify, page, screen, "
                       "track (types are lowercase)"),
    ('type = "purchase"', "type = 'purchase' can never match"),
    ('type = "track" and type = "page"', "can never match: one event has one type"),
    ("event > 5", "'event > 5' can never match: event is text"),
    ('properties.price > "ten"', "can never match: the runtime compares numbers and \"ten\" is not one"),
    ('properties.price > "10"', "compares a number with a string: the runtime converts \"10\" to 10"),
    ('type = "track" and foo = "x"', "'foo' is not a field the runtime reads"),
    ('contains(foo, "x") and type = "track"', "contains() on 'foo': not a field the runtime reads"),
])
def test_suspicious_trigger_is_named(trigger, expected):
    warnings = lint_trigger(trigger)
    assert any(expected in w for w in warnings), warnings


@pytest.mark.parametrize("trigger", [
    'type = "track"', 'type = "track" and event != "Order Completed"', 'type = "identify" or type = "group"',
    "properties.price > 10", 'type = "track" and properties.label = "12"', "type = track",
    'contains(event, "Order") and type = "track"', 'match(event, "Order*")', "properties.price != null",
    'type = "page" or type = "screen"', "userId > 5",
])
def test_sound_triggers_are_quiet(trigger):
    assert lint_trigger(trigger) == []


def test_lint_does_not_change_what_the_engine_matches():
    # the runtime's behaviour stays: the empty value is compared as "eos", the string "10" as a number
    assert matches(TRACK, "type = ") is False and matches({"type": "eos"}, "type = ") is True
    assert matches(TRACK, 'properties.price > "10"') is True
    assert matches(TRACK, 'properties.label > "10"') is False


def test_lint_subscriptions_names_each_subscription_and_skips_unparsable():
    subs = [{"name": "Bad", "subscribe": "type = "}, {"name": "Good", "trigger": 'type = "track"'},
            {"trigger": 'type = "Page"'}, {"name": "Broken", "subscribe": "(((("}, "not a dict"]
    lines = lint_subscriptions(subs)
    assert len(lines) == 2
    assert lines[0].startswith("subscription 'Bad': trigger 'type = ': ")
    assert lines[1].startswith("subscription 'subscription #3': trigger 'type = \"Page\"'")
