"""`Engine.send_indexed`: what `send` gives, each entry with the index of its subscription in `subscriptions()`
(the first pass of `compare` keeps each subscription's output by that index)."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest

import actions
from migrate.generate import generate_events
from migrate.translate import translate

SETTINGS = json.loads((Path(__file__).resolve().parents[2] / "examples" / "classic-settings.json").read_text())


def _sets():
    out = [("presets", {"apiKey": "k"}, actions.preset_subscriptions())]
    for mode in ("cloud", "web"):
        t = translate(SETTINGS, mode=mode)
        subs = copy.deepcopy(t.subscriptions)
        subs[1]["enabled"] = False  # left out of both, and of the indexes
        out.append((mode, t.settings, subs))
    return out


@pytest.mark.parametrize("name, settings, subs", _sets(), ids=lambda v: v if isinstance(v, str) else "")
def test_send_indexed_is_send_with_each_subscriptions_index(name, settings, subs):
    engine = actions.Engine(settings=settings, subscriptions=subs, now=1_700_000_000_000)
    names = engine.subscriptions()
    rng = random.Random(7)
    events = list(generate_events(300, 9)) + [{"type": "track"}, {"type": 3}, {}]
    fired = 0
    for event in events:
        if rng.random() < 0.2:
            event = {**event, "type": rng.choice(["track", "page", "identify", "group", "alias", "screen"])}
        plain = engine.send(copy.deepcopy(event))
        indexed = engine.send_indexed(copy.deepcopy(event))
        assert json.dumps([item for _, item in indexed]) == json.dumps(plain)
        indexes = [i for i, _ in indexed]
        assert indexes == sorted(set(indexes))  # in subscription order, each once
        for i, item in indexed:
            assert names[i] == (item["subscription"], item["action"])
            assert engine.matches(i, copy.deepcopy(event))
        fired += len(indexed)
    assert fired > len(events) // 2
