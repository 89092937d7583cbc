"""Each recommendation rule on small hand-made events, run through the real engines (classic emulator and
Actions runtime): the rule closes the difference it names and changes nothing else; the verification
decision (`better`); the shape of a recommendation (one subscription, fields before -> after); residuals
that need a change outside the mappings. Where the report says a difference cannot be mapped, the obvious
mapping is tried here and shown to fail."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import actions
import classic
from actions.fql import evaluate as validate, parse_fql
from actions.mapping_kit import transform
from migrate import recommend as R
from migrate.canonical import records_from_requests
from migrate.differ import Difference, diff_event
from migrate.findings import VariantFindings
from migrate.runner import Runner
from migrate.translate import translate

SETTINGS = json.loads((Path(__file__).parent / "data" / "classic-settings-full.json").read_text())
TS = "2024-06-12T07:01:28.937Z"


def event(kind="track", library="analytics-python", **fields) -> dict:
    out = {"messageId": f"m-{kind}", "type": kind, "userId": "user-10001", "anonymousId": "anon-0001-abcd",
           "timestamp": TS, "properties": {}, "context": {"library": {"name": library, "version": "1"}}}
    if kind == "track":
        out["event"] = "Invoice Paid"
    for key, value in fields.items():
        if key == "context":
            out["context"].update(value)
        else:
            out[key] = value
    return out


class Pair:
    """One classic emulator and the Actions engine on the given subscriptions."""

    def __init__(self, subs, mode="cloud", settings=SETTINGS):
        loaded, _ = classic.load_settings(settings)
        translation = translate(settings, mode=mode)
        self.runner = Runner(classic.Emulator(loaded, mode=mode),
                             {"a": actions.Engine(settings=translation.settings, subscriptions=subs)},
                             records_from_requests)

    def run(self, ev):
        run = self.runner.run(copy.deepcopy(ev))
        variant = run.variants["a"]
        outcome = diff_event(run.classic_records, variant.records)
        # as compare does: errors are part of the outcome (they do not count against parity)
        outcome.differences += [Difference("error", f"actions: {m}", counts=False) for m in variant.errors]
        return run.classic_records, variant.records, variant.errors, outcome


def translated(mode="cloud", settings=SETTINGS):
    return translate(settings, mode=mode).subscriptions


def recommended(events, mode="cloud", settings=SETTINGS, only=None):
    """The translated subscriptions with every applicable rule (or those in `only`) applied, as compare does."""
    subs = translated(mode, settings)
    findings = VariantFindings("translated")
    pair = Pair(subs, mode, settings)
    for ev in events:
        c, a, _, outcome = pair.run(ev)
        findings.add(ev, outcome, c, a)
    evidence = R.Evidence(findings, [{"kind": "short_ids", "count": 0}], mode, classic.load_settings(settings)[0])
    steps = R.candidates(subs, evidence)
    if only is not None:
        steps = [s for s in steps if s[0].key in only]
        current = subs
        for rule, _, _ in steps:
            current, _ = rule.apply(current, evidence)
        return current, steps
    return (steps[-1][1] if steps else subs), steps


def chart_paths(outcome):
    breakdown = {"platform", "os_name", "os_version", "device_model", "device_manufacturer", "device_brand",
                 "country", "city", "region", "language", "library", "revenueType", "productId", "ip", "idfa",
                 "adid", "idfv", "carrier", "app_version"}
    return sorted(d.path for d in outcome.differences
                  if d.counts and d.path.split(".")[0].split("[")[0] not in breakdown)


# -- revenue on ordinary tracks --------------------------------------------------------------------------

RENEWAL = event(event="Subscription Renewed", properties={"plan": "pro", "revenue": 9.99})


def test_revenue_on_an_ordinary_track_is_lost_by_log_event_and_kept_through_log_purchase():
    c, a, _, outcome = Pair(translated()).run(RENEWAL)
    assert c[0]["revenue"] == 9.99 and "revenue" not in a[0]  # Log Event removes the revenue keys
    subs, steps = recommended([RENEWAL])
    assert {"revenue_tracks", "revenue"} <= {rule.key for rule, _, _ in steps}
    c, a, errors, outcome = Pair(subs).run(RENEWAL)
    assert len(a) == 1 and not errors, "sent once: Track Calls excludes what Log Purchase takes"
    assert (a[0]["revenue"], a[0]["price"], a[0]["quantity"]) == (c[0]["revenue"], c[0]["price"], c[0]["quantity"])
    assert chart_paths(outcome) == []
    by_name = {s["name"]: s for s in subs}
    assert by_name["Track Calls"]["subscribe"].endswith("and properties.revenue = null")
    assert "properties.revenue != null" in by_name["Order Completed Calls"]["subscribe"]


def test_revenue_routing_leaves_tracks_without_revenue_and_orders_alone():
    subs, _ = recommended([RENEWAL])
    pair = Pair(subs)
    plain = event(event="Signed In")
    _, a, _, outcome = pair.run(plain)
    assert [r["event_type"] for r in a] == ["Signed In"] and chart_paths(outcome) == []
    order = event(event="Order Completed", properties={"order_id": "o1", "revenue": 20, "products": [
        {"product_id": "p1", "price": 20, "quantity": 1}]})
    _, a, _, _ = pair.run(order)
    assert [r["event_type"] for r in a] == ["Order Completed", "Product Purchased"]


def test_revenue_trigger_is_accepted_by_the_trigger_language():
    ast = parse_fql(R.TRACK_WITH_REVENUE)
    assert "error" not in ast
    assert validate(ast, {"type": "track", "event": "Renewed", "properties": {"revenue": 1}})
    assert validate(ast, {"type": "track", "event": "Order Completed", "properties": {}})
    assert not validate(ast, {"type": "track", "event": "Renewed", "properties": {}})
    assert not validate(ast, {"type": "page", "event": "Order Completed", "properties": {"revenue": 1}})


# -- empty names, categories and group traits (Classic's truthiness checks) --------------------------------

@pytest.mark.parametrize("fields, classic_names", [
    ({"name": "", "category": "Docs"}, ["Viewed Docs Page"]),
    ({"name": "Start", "category": ""}, ["Viewed Start Page"]),
    ({"name": "Start", "category": "Docs"}, ["Viewed Docs Page", "Viewed Docs Start Page"]),
])
def test_empty_page_name_or_category_count_as_absent(fields, classic_names):
    ev = event("page", library="analytics.js", **fields)
    c, a, _, _ = Pair(translated()).run(ev)
    assert [r["event_type"] for r in c] == classic_names
    assert [r["event_type"] for r in a] == classic_names


@pytest.mark.parametrize("traits", [{"account_type": "", "name": "Acme"}, {"account_type": "company", "name": ""}])
def test_empty_group_traits_fall_back_to_the_legacy_group_type(traits):
    ev = event("group", groupId="acme-1", traits=traits)
    c, a, _, _ = Pair(translated()).run(ev)
    classic_groups = [r for r in c if r.get("kind") == "identify"][0]["groups"]
    assert classic_groups == {"[Segment] Group": "acme-1"}
    assert [r["group_type"] for r in a if r.get("kind") == "group_identify"] == ["[Segment] Group"]


# -- categorized pages and screens ---------------------------------------------------------------------------

def test_categorized_screens_stop_firing_for_screens_without_a_category():
    screen = event("screen", library="analytics-ios", name="Home")
    _, a, errors, _ = Pair(translated()).run(screen)
    assert any("Categorized Screens" in e for e in errors), "the gate rejects it: a delivery error"
    subs, steps = recommended([screen])
    assert "categorized_screens" in {rule.key for rule, _, _ in steps}
    _, a, errors, outcome = Pair(subs).run(screen)
    assert errors == [] and chart_paths(outcome) == []
    with_category = event("screen", library="analytics-ios", name="Home", category="Shop",
                          properties={"category": "Shop"})
    c, a, errors, outcome = Pair(subs).run(with_category)
    assert "Viewed Shop Screen" in [r["event_type"] for r in a] and chart_paths(outcome) == []


def test_no_trigger_can_test_the_top_level_category():
    # the obvious trigger names the call's own `category` field: the trigger language ignores fields it
    # does not know, so the condition vanishes and the trigger fires for every page call
    ast = parse_fql('type = "page" and category != null')
    assert "error" not in ast
    assert validate(ast, {"type": "page", "name": "Home"})
    # properties.category works, but only for sources that copy the category there
    narrowed = parse_fql('type = "page"' + R.CATEGORY_TRIGGER)
    assert not validate(narrowed, {"type": "page", "category": "Docs", "properties": {}})
    assert not validate(narrowed, {"type": "page", "properties": {"category": ""}})
    assert validate(narrowed, {"type": "page", "properties": {"category": "Docs"}})


def test_verification_drops_the_narrowed_page_trigger_when_it_loses_categorized_pages():
    page = event("page", library="analytics-python", name="Home", category="Docs")  # no properties.category
    uncategorized = event("page", library="analytics-python", name="Home")
    subs = translated()
    narrowed, _ = R._apply_categorized("page")(subs, None)
    findings = {}
    for label, variant in (("before", subs), ("after", narrowed)):
        agg = VariantFindings(label)
        pair = Pair(variant)
        for ev in (page, uncategorized):
            c, a, _, outcome = pair.run(ev)
            agg.add(ev, outcome, c, a)
        findings[label] = agg
    assert not R.better(R.stats(findings["before"]), R.stats(findings["after"]))


# -- platform and location -----------------------------------------------------------------------------------

UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36"


@pytest.mark.parametrize("library, context, expected", [
    ("analytics-python", {"userAgent": UA}, "analytics-python"),  # a server library forwarding a browser UA
    ("analytics.js", {"userAgent": UA}, "Web"),
    ("analytics-ios", {"os": {"name": "iOS"}}, "iOS"),
    ("analytics-node", {"device": {"type": "tablet"}}, "tablet"),
    ("analytics-node", {"device": {"type": ""}, "os": {"name": "Linux"}}, "linux"),
])
def test_platform_as_classic_derived_it(library, context, expected):
    ev = event(library=library, context=context)
    subs, _ = R._apply_platform(translated(), None)
    c, a, _, _ = Pair(subs).run(ev)
    assert c[0]["platform"] == expected
    assert a[0]["platform"] == expected


def test_location_keeps_context_location_where_classic_left_it_to_amplitude():
    ev = event(context={"location": {"city": "Lyon", "region": "ARA", "country": "France"}, "ip": "192.0.2.1"})
    subs, _ = R._apply_location(translated(), None)
    _, a, _, _ = Pair(subs).run(ev)
    assert (a[0]["city"], a[0]["region"]) == ("Lyon", "ARA")
    with_address = event(context={"traits": {"address": {"city": "Berlin"}}, "locale": "de-DE",
                                  "location": {"city": "Lyon"}})
    c, a, _, _ = Pair(subs).run(with_address)
    assert c[0]["city"] == a[0]["city"] == "Berlin"
    with_locale = event(context={"locale": "de-DE", "location": {"city": "Lyon"}})
    c, a, _, _ = Pair(subs).run(with_locale)
    assert "city" not in c[0] and "city" not in a[0]  # Classic sent a country (locale): no ip lookup


# -- claims that something cannot be mapped ----------------------------------------------------------------

def test_os_name_cannot_be_parsed_from_the_user_agent_by_a_mapping():
    ev = event(library="analytics.js", context={"userAgent": UA})
    c, _, _, _ = Pair(translated()).run(ev)
    assert c[0]["os_name"] == "Chrome"
    # the obvious mapping sends the whole user agent, not the browser name
    assert transform({"os_name": {"@path": "$.context.userAgent"}}, ev) == {"os_name": UA}


def test_country_from_locale_needs_a_lookup_table():
    ev = event(context={"locale": "pt-BR"})
    c, _, _, _ = Pair(translated()).run(ev)
    assert c[0]["country"] == "Brazil"
    assert transform({"country": {"@path": "$.context.locale"}}, ev) == {"country": "pt-BR"}  # the obvious one
    table = {"pt-BR": {"country": "Brazil"}}
    assert transform({"country": R.lookup(table, {"@path": "$.context.locale"}, "country")}, ev) == \
        {"country": "Brazil"}  # only a table of every locale does it (the tool does not generate one)


def test_log_purchase_sends_a_default_revenue_type_whatever_the_mapping():
    subs, _ = recommended([RENEWAL])
    for sub in subs:
        if sub["partnerAction"] == "logPurchase":
            sub["mapping"].pop("revenueType", None)
    c, a, _, _ = Pair(subs).run(RENEWAL)
    assert "revenueType" not in c[0] and a[0].get("revenueType") == "Purchase"


# -- web device-mode --------------------------------------------------------------------------------------------

def test_web_mode_gets_event_and_user_property_recommendations():
    page = event("page", library="analytics.js", name="Start", category="Docs",
                 context={"page": {"referrer": "https://example.org/"}})
    track = event(library="analytics.js", event="Product Viewed",
                  context={"page": {"referrer": "https://example.org/"}, "traits": {"plan": "pro"}})
    subs, steps = recommended([page, track], mode="web")
    keys = {rule.key for rule, _, _ in steps}
    assert {"event_properties", "user_properties"} <= keys
    pair = Pair(subs, "web")
    c, a, _, outcome = pair.run(page)
    assert [r["event_properties"].get("name") for r in a] == ["Start", "Start"]
    assert not [p for p in chart_paths(outcome) if p.startswith("event_properties")]
    c, a, _, outcome = pair.run(track)
    assert "user_properties" not in a[0] and "user_properties" not in c[0]


# -- verification ----------------------------------------------------------------------------------------------

def _stats(chart, lost=0, exact=0, errors=0, fields=0):
    return {"events": 100, "chart": chart, "exact": exact, "lost": lost, "errors": errors, "fields": fields}


def test_better_judges_by_chart_parity_first():
    assert R.better(_stats(90, exact=50), _stats(91, exact=10))
    assert not R.better(_stats(90, exact=10), _stats(89, exact=80))
    # lost events now sent with small differences: same chart parity, fewer lost -> kept
    assert R.better(_stats(90, lost=5, exact=40), _stats(90, lost=0, exact=39))
    assert R.better(_stats(90, errors=20), _stats(90, errors=3))
    assert not R.better(_stats(90, errors=3), _stats(90, errors=20))
    assert not R.better(_stats(90), _stats(90))  # a change that moves no figure is not applied
    # one field fixed on events that still differ in another (library = "segment" while os_name differs)
    assert R.better(_stats(90, fields=300), _stats(90, fields=26))
    assert not R.better(_stats(90, exact=10, fields=300), _stats(90, exact=9, fields=26))
    assert R.moved(_stats(90, fields=300), _stats(90, fields=26)) == ["fields"]


def _findings(events, subs, mode="cloud"):
    agg = VariantFindings("x")
    pair = Pair(subs, mode)
    for ev in events:
        c, a, _, outcome = pair.run(ev)
        agg.add(ev, outcome, c, a)
    return agg


def test_settle_drops_a_rule_that_moves_no_figure_and_keeps_changes_where_they_matter():
    # idfv on Android: the SDK sent none, Actions' default maps context.device.id -> a real stored field
    screen = event("screen", library="analytics-android", name="Home", context={"device": {"id": "dev-12345"}})
    track = event(library="analytics-android", event="Song Played", context={"device": {"id": "dev-12345"}})
    subs = translated("android")
    evidence = R.Evidence(_findings([screen, track], subs, "android"), [], "android",
                          classic.load_settings(SETTINGS)[0])
    idfv = next(r for r in R.RULES if r.key == "idfv")
    batch = next(r for r in R.RULES if r.key == "batch_endpoint")
    after_idfv, idfv_changes = idfv.apply(subs, evidence)
    after_batch, batch_changes = batch.apply(after_idfv, evidence)  # moves no replayed figure
    steps = [(idfv, after_idfv, idfv_changes), (batch, after_batch, batch_changes)]
    found = [_findings([screen, track], s, "android") for s in (after_idfv, after_batch)]
    # the track fired Track Calls and its records changed; Order Completed Calls fired for nothing
    per_sub = [{"Track Calls": [1, 1, 0, 0, 1, 1, 0]}, {"Track Calls": [1, 0, 0, 0, 1, 1, 0]}]
    settled, entries = R.settle(steps, found, per_sub, evidence.findings, subs, evidence, "android")
    kept = {(e["rule"], e["subscription"]) for e in entries if e["kept"]}
    assert kept == {("idfv", "Track Calls")}
    assert [e["figures_moved"] for e in entries if e["kept"]] == [["fields"]]
    by_name = {s["name"]: s for s in settled}
    assert "idfv" not in by_name["Track Calls"]["mapping"]
    assert "idfv" in by_name["Order Completed Calls"]["mapping"]  # no event showed it was needed there
    # the batch endpoint moves no replayed figure: its stated figure (peak_eps) is 0 here, so not applied
    not_applied = [e for e in entries if e["rule"] == "batch_endpoint"]
    assert not_applied and not any(e["kept"] for e in not_applied)
    assert not_applied[0]["neutral"]["before"] == not_applied[0]["neutral"]["after"] == 0
    assert all(s["mapping"].get("use_batch_endpoint") is not True for s in settled
               if s["partnerAction"] in R.EVENT_ACTIONS)


def test_a_wire_level_rule_is_kept_by_its_stated_figure():
    subs = translated()
    evidence = R.Evidence(None, [{"kind": "peak_eps", "count": 2, "examples": [{"peak_eps": 45}]}], "cloud", {})
    batch = next(r for r in R.RULES if r.key == "batch_endpoint")
    after, changes = batch.apply(subs, evidence)
    same = _findings([event()], subs)
    settled, entries = R.settle([(batch, after, changes)], [same], [{}], same, subs, evidence, "cloud")
    assert entries and all(e["kept"] for e in entries)
    assert entries[0]["neutral"]["before"] == 2 and entries[0]["neutral"]["after"] == 0
    assert settled == after


# -- the shape of a recommendation --------------------------------------------------------------------------

def test_each_recommendation_names_one_subscription_with_its_fields_before_and_after():
    subs = translated()
    rule = next(r for r in R.RULES if r.key == "revenue_tracks")
    patched, changes = rule.apply(subs, None)
    entries = R.recommendation_entries(rule, changes, parity_before=0.5, parity_after=0.6, kept=True)
    assert [e["subscription"] for e in entries] == ["Track Calls", "Order Completed Calls"]
    track = entries[0]
    assert track["changes"] == [{"field": "subscribe", "before": 'type = "track" and event != "Order Completed"',
                                 "after": 'type = "track" and event != "Order Completed" and properties.revenue = null'}]
    # applying the listed changes to the translated subscription gives the recommended one
    for entry in entries:
        sub = copy.deepcopy(next(s for s in subs if s["name"] == entry["subscription"]))
        for change in entry["changes"]:
            if change["field"].startswith("mapping."):
                sub["mapping"][change["field"].split(".", 1)[1]] = change["after"]
            else:
                sub[change["field"]] = change["after"]
        assert sub == next(s for s in patched if s["name"] == entry["subscription"])


def test_recommended_mappings_differ_from_the_translation_only_where_a_rule_needs_it():
    subs, steps = recommended([RENEWAL])
    base = {s["name"]: s for s in translated()}
    touched = {}
    for rule, _, changes in steps:
        for change in changes:
            touched.setdefault(change["subscription"], set()).update(c["field"] for c in change["changes"])
    for sub in subs:
        diff = {c["field"] for c in R.field_changes(base[sub["name"]], sub)}
        assert diff <= touched.get(sub["name"], set())


# -- residuals --------------------------------------------------------------------------------------------------

def test_device_mode_residuals_name_the_change_outside_the_mappings():
    ev = event(library="analytics-ios", event="Signed In", integrations={})
    subs = translated("ios")
    agg = VariantFindings("ios")
    c, a, _, outcome = Pair(subs, "ios").run(ev)
    agg.add(ev, outcome, c, a)
    out = {r["category"]: r for r in R.residuals(agg, "ios")}
    assert out["device_id"]["outside_mappings"] == "sdk_device_id"
    assert "device id" in out["device_id"]["explanation"]
    cloud = {r["category"]: r for r in R.residuals(agg, "cloud")}
    assert "outside_mappings" not in cloud.get("device_id", {})


def test_no_residual_explanation_makes_the_claims_known_to_be_false():
    text = json.dumps(list(R.RESIDUAL_REASONS.values())) + json.dumps([r.description for r in R.RULES])
    assert "no directive can remove keys" not in text.lower()
    assert "cannot compare the os name" not in text.lower()
    assert "no directive can look" not in text.lower()
    reasons = list(R.RESIDUAL_REASONS.values())
    assert len(reasons) == len(set(reasons)), "no duplicated explanation"


# -- mobile device-mode revenue ------------------------------------------------------------------------------

def test_mobile_revenue_becomes_the_sdk_revenue_event():
    order = event(library="analytics-ios", event="Order Completed", properties={
        "order_id": "o1", "revenue": 20, "products": [{"product_id": "p1", "price": 20, "quantity": 1}]})
    renewal = event(library="analytics-ios", event="Subscription Renewed", properties={"revenue": 9.99})
    c, a, _, _ = Pair(translated("ios"), "ios").run(order)
    assert [r["event_type"] for r in c] == ["Order Completed", "revenue_amount"]
    assert [r["event_type"] for r in a] == ["Order Completed", "Product Purchased"]
    subs, steps = recommended([order, renewal], mode="ios")
    assert "sdk_revenue" in {rule.key for rule, _, _ in steps}
    pair = Pair(subs, "ios")
    for ev in (order, renewal):
        c, a, errors, outcome = pair.run(ev)
        assert [r["event_type"] for r in a] == [r["event_type"] for r in c] and not errors
        assert [p for p in chart_paths(outcome) if p not in ("device_id", "session_id")] == []


def test_referring_domain_cannot_be_cut_out_of_a_url_by_a_mapping():
    page = event("page", library="analytics.js", name="Start", context={"page": {"referrer": "https://example.org/a/b"}})
    c, _, _, _ = Pair(translated("web"), "web").run(page)
    assert c[0]["user_properties"]["$set"]["referring_domain"] == "example.org"
    # the obvious mapping: strip the scheme with @replace (literal text only); the path stays
    cut = {"@replace": {"pattern": "https://", "replacement": "", "value": {"@path": "$.context.page.referrer"}}}
    assert transform({"referring_domain": cut}, page) == {"referring_domain": "example.org/a/b"}


def test_group_identify_always_posts_group_properties_whatever_the_mapping():
    group = event("group", library="analytics.js", groupId="acme-1", traits={"account_type": "company", "name": "Acme"})
    c, a, _, _ = Pair(translated("web"), "web").run(group)
    assert [r.get("kind") for r in c] == ["identify"]  # the SDK set the group on the user only
    subs = translated("web")
    for sub in subs:
        if sub["partnerAction"] == "groupIdentifyUser":
            sub["mapping"].pop("group_properties", None)  # the obvious mapping: no group properties
    _, a, _, _ = Pair(subs, "web").run(group)
    assert "group_identify" in [r.get("kind") for r in a]  # /groupidentify is still posted


def test_web_revenue_becomes_the_integration_revenue_event():
    order = event(library="analytics.js", event="Order Completed", properties={
        "order_id": "o1", "revenue": 20, "products": [{"product_id": "p1", "price": 20, "quantity": 1}]})
    renewal = event(library="analytics.js", event="Subscription Renewed", properties={"revenue": 9.99})
    free = event(library="analytics.js", event="Subscription Renewed", properties={"revenue": 0})
    subs, steps = recommended([order, renewal, free], mode="web")
    assert "web_revenue" in {rule.key for rule, _, _ in steps}
    new = [c for _, _, changes in steps for c in changes if c["kind"] == "new_subscription"]
    assert [c["subscription"] for c in new] == [R.WEB_REVENUE]
    # shown as what differs from the subscription it copies, not as a whole mapping
    assert new[0]["copy_of"] == "Order Completed Calls"
    fields = {c["field"] for c in new[0]["changes"]}
    assert {"subscribe", "mapping.event_type", "mapping.price"} <= fields and "mapping.user_id" not in fields
    pair = Pair(subs, "web")
    for ev in (order, renewal, free):
        c, a, errors, outcome = pair.run(ev)
        assert sorted(r["event_type"] for r in a) == sorted(r["event_type"] for r in c) and not errors
        # (Log Purchase adds revenueType "Purchase" where the call has none: a breakdown field, tested above)
        revenue = [(r.get("revenue"), r.get("price"), r.get("quantity")) for r in c if r["event_type"] == "revenue_amount"]
        assert revenue == [(r.get("revenue"), r.get("price"), r.get("quantity")) for r in a
                           if r["event_type"] == "revenue_amount"]
        assert [p for p in chart_paths(outcome) if p not in ("device_id", "session_id") and "products" not in p
                and "product_id" not in p] == []


def test_log_purchase_sends_no_revenue_fields_for_a_zero_amount():
    free = event(library="analytics-ios", event="Subscription Renewed", properties={"revenue": 0})
    subs, _ = recommended([event(library="analytics-ios", event="Subscription Renewed", properties={"revenue": 5})],
                          mode="ios")
    c, a, _, _ = Pair(subs, "ios").run(free)
    assert [(r["event_type"], r.get("price"), r.get("revenue")) for r in c][1] == ("revenue_amount", 0, 0)
    sent = [r for r in a if r["event_type"] == "revenue_amount"]
    assert len(sent) == 1 and "price" not in sent[0] and "revenue" not in sent[0]


def test_recommended_triggers_pass_the_trigger_lint():
    from actions.lint import lint_trigger
    from migrate.translate import NAMED, UNNAMED

    for trigger in (R.TRACK_WITH_REVENUE, 'type = "track" and event != "Order Completed"' + R.TRACK_WITHOUT_REVENUE,
                    R.SDK_REVENUE_TRIGGER, R.WEB_REVENUE_TRIGGER, 'type = "page"' + R.CATEGORY_TRIGGER,
                    'type = "page"' + NAMED, 'type = "page"' + UNNAMED):
        assert lint_trigger(trigger) == [], trigger


def test_device_mode_residuals_explain_the_sdk_not_classic_cloud():
    for mode, library in (("web", "analytics.js"), ("ios", "analytics-ios"), ("android", "analytics-android")):
        ev = event(library=library, event="Signed In", integrations={})
        agg = VariantFindings(mode)
        c, a, _, outcome = Pair(translated(mode), mode).run(ev)
        agg.add(ev, outcome, c, a)
        out = {r["category"]: r for r in R.residuals(agg, mode)}
        assert "platform_fields" in out, mode
        for category in ("platform_fields", "other_fields"):
            if category in out:
                text = out[category]["explanation"]
                assert "Classic cloud" not in text and "Amplitude" in text and "SDK" in text, (mode, text)
        cloud = {r["category"]: r for r in R.residuals(agg, "cloud")}
        assert "SDK" not in cloud["platform_fields"]["explanation"]


# -- the smallest mapping that sends the same ----------------------------------------------------------------

@pytest.mark.parametrize("integrations", [{"Amplitude": {"groups": {"company": "acme-1"}}}, {"Amplitude": False},
                                          {"Amplitude": True}, {}, {"Amplitude": {"groups": "acme"}}])
def test_groups_as_a_plain_path_inside_the_merge_gives_what_the_option_lookup_gives(integrations):
    from migrate.translate import amplitude_option
    ev = event(context={"traits": {"plan": "pro"}}, integrations=integrations)
    plain = {"@merge": {"objects": [{"@path": "$.context.traits"}, {"@path": "$.integrations.Amplitude.groups"}],
                        "direction": "right"}}
    lookup = {"@merge": {"objects": [{"@path": "$.context.traits"}, amplitude_option("groups")],
                         "direction": "right"}}
    assert transform({"v": plain}, ev) == transform({"v": lookup}, ev)


def test_utm_left_to_set_always_stores_what_classic_stored():
    ev = event(context={"traits": {"plan": "pro", "utm_source": "old", "utm_term": "t"},
                        "campaign": {"source": "news", "medium": "email"}})
    subs, steps = recommended([ev], only={"user_properties"})
    track = next(s for s in subs if s["name"] == "Track Calls")
    assert "utm_source" in track["mapping"]["setAlways"]  # the preset's $set of utm_* stays
    assert "campaign" not in json.dumps(track["mapping"]["user_properties"])
    c, a, _, outcome = Pair(subs).run(ev)
    assert not [p for p in chart_paths(outcome) if p.startswith("user_properties")]
    assert a[0]["user_properties"]["$set"]["utm_source"] == "news" and \
        a[0]["user_properties"]["$set"]["utm_term"] == "t"
