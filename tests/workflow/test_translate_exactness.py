"""translate marks `exact` only what replaying shows is exact, per mode.

For the page/screen settings the probes include empty names and categories (Classic tests them for
truthiness, Actions' triggers and @if for existence). A setting marked exact must give the same event types
on every probe; a setting marked approximated for that reason must differ on at least one.
"""
import pytest

import actions
from classic import Emulator
from migrate.canonical import records_from_requests
from migrate.runner import Runner
from migrate.translate import translate

BASE = {"userId": "user-00001", "anonymousId": "anon-00001", "timestamp": "2024-03-01T12:00:00.000Z",
        "messageId": "m-1"}
NAMES = [("Settings", "Merchant"), ("", "Merchant"), ("Settings", ""), ("", ""), (None, None), ("Settings", None),
         (None, "Merchant")]
PAGE_KEYS = ("trackAllPages", "trackNamedPages", "trackCategorizedPages")


def _probes(kind):
    out = []
    for name, category in NAMES:
        event = {**BASE, "type": kind, "properties": {}}
        if name is not None:
            event["name"] = name
        if category is not None:
            event["category"] = category
        out.append(event)
    return out


def _event_types(settings, mode, naming, events):
    result = translate(settings, mode=mode, page_naming=naming)
    engine = actions.Engine(settings={"apiKey": "fake-api-key"}, subscriptions=result.subscriptions)
    options = None if naming == "viewed" else {"page_naming": naming}
    runner = Runner(Emulator(settings, mode=mode, options=options), {"t": engine}, records_from_requests)
    rows = []
    for event in events:
        run = runner.run(event)
        rows.append((sorted(r.get("event_type") or "" for r in run.classic_records),
                     sorted(r.get("event_type") or "" for r in run.variants["t"].records)))
    return {e["key"]: e["status"] for e in result.log}, rows


CONFIGS = [
    (mode, naming, {key: True for key in keys} | {k: False for k in PAGE_KEYS if k not in keys} |
     {"trackAllPagesV2": False})
    for mode, naming in [("cloud", "viewed"), ("cloud", "code2017"), ("web", "viewed"), ("android", "viewed"),
                         ("ios", "viewed")]
    for keys in [("trackAllPages",), ("trackNamedPages",), ("trackCategorizedPages",), PAGE_KEYS,
                 ("trackNamedPages", "trackCategorizedPages")]
]


@pytest.mark.parametrize("mode,naming,flags", CONFIGS,
                         ids=[f"{m}-{n}-{'+'.join(k for k in PAGE_KEYS if f[k])}" for m, n, f in CONFIGS])
def test_page_settings_are_exact_only_when_every_probe_matches(mode, naming, flags):
    settings = {"apiKey": "fake-api-key", **flags}
    kind = "page" if mode in ("cloud", "web") else "screen"
    statuses, rows = _event_types(settings, mode, naming, _probes(kind))
    on = [k for k in PAGE_KEYS if flags[k]]
    all_match = all(classic == ours for classic, ours in rows)
    if all(statuses[k] == "exact" for k in on):
        assert all_match, rows
    else:
        assert any(statuses[k] == "approximated" for k in on)
        assert not all_match, f"marked approximated but every probe matches: {statuses}"


@pytest.mark.parametrize("mode", ["cloud", "web", "ios", "android"])
def test_alias_and_revenue_per_product_statuses(mode):
    result = translate({"apiKey": "fake-api-key", "sendAlias": True, "trackRevenuePerProduct": True}, mode=mode)
    log = {e["key"]: e for e in result.log}
    assert "Map User (alias)" in {s["name"] for s in result.subscriptions}
    assert log["sendAlias"]["status"] == "approximated"
    assert log["trackRevenuePerProduct"]["status"] == "approximated"
    alias = {**BASE, "type": "alias", "previousId": "user-00000"}
    order = {**BASE, "type": "track", "event": "Order Completed",
             "properties": {"revenue": 25, "products": [{"productId": "p-1", "price": 19, "quantity": 1},
                                                        {"productId": "p-2", "price": 3, "quantity": 2}]}}
    settings = {"apiKey": "fake-api-key", "sendAlias": True, "trackRevenuePerProduct": True}
    engine = actions.Engine(settings={"apiKey": "fake-api-key"}, subscriptions=result.subscriptions)
    runner = Runner(Emulator(settings, mode=mode), {"t": engine}, records_from_requests)
    run = runner.run(alias)
    # the usermap itself is reproduced in every mode (what keeps it approximated is the unmap option)
    assert run.classic_records == run.variants["t"].records == [
        {"kind": "usermap", "user_id": "user-00000", "global_user_id": "user-00001"}]
    # ...and an alias without a userId: Classic sent nothing, the Map User action still sends a usermap
    run = runner.run({**alias, "userId": ""})
    assert run.classic_records == [] and run.variants["t"].records
    run = runner.run(order)
    revenue = lambda records: [(r.get("event_type"), r.get("revenue"), r.get("revenueType")) for r in records]  # noqa: E731
    assert revenue(run.classic_records) != revenue(run.variants["t"].records)
