"""The web integration's date traversal copies only what it changes: the same result as a full copy, and the
input event (which the Actions side reads next) stays as it was."""

import copy
import json
import random

from classic import facade as F
from classic.web import _traverse


def _full_copy(value):
    """The traversal as plainly written: every object and array copied."""
    if isinstance(value, str):
        converted = F.iso_to_js_date_string(value) if len(value) >= 10 and value[4:5] == "-" else None
        return converted if converted is not None else value
    if isinstance(value, dict):
        return {k: _full_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_full_copy(v) for v in value]
    return value


LEAVES = ["2024-06-12", "2024-06-12T07:01:28.000Z", "2024-13-45", "1234-56", "plain", "", "x" * 12, 7, 2.5,
          True, None, "2024-06-12 10:00", "20240612"]


def _random_value(rng, depth=0):
    roll = rng.random()
    if depth < 4 and roll < 0.25:
        return {f"k{i}": _random_value(rng, depth + 1) for i in range(rng.randint(0, 4))}
    if depth < 4 and roll < 0.4:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return rng.choice(LEAVES)


def test_traverse_equals_a_full_copy_and_leaves_the_input_alone():
    rng = random.Random(11)
    changed = 0
    for _ in range(2000):
        event = {"type": "track", "properties": _random_value(rng), "context": {"traits": _random_value(rng)}}
        before = copy.deepcopy(event)
        out = _traverse(event)
        expected = _full_copy(before)
        assert json.dumps(out) == json.dumps(expected)
        assert json.dumps(event) == json.dumps(before)  # the input is not modified
        changed += out is not event
    assert 0 < changed < 2000  # both paths taken: events with and without a date
