"""Plan computation as plain data: file shapes, action resolution, matching rule, mapping diffs."""

import json

import pytest

from segment_support import DATA, load
from migrate.public_api import (
    SubscriptionsFileError, compute_plan, find_masked, load_subscriptions_file, mapping_diff,
    normalise_subscriptions, plan_lines, resolve_actions)

DEST = "dst_actions_0001"
ACTIONS = load("actions_destination.json")["metadata"]["actions"]


def existing():
    # What the API returns: the fake server fills actionSlug in; here we add it by hand.
    slugs = {a["id"]: a["slug"] for a in ACTIONS}
    return [s | {"actionSlug": slugs[s["actionId"]], "destinationId": DEST}
            for s in load("existing_subscriptions.json")]


def desired():
    return resolve_actions(load_subscriptions_file(str(DATA / "desired_subscriptions.json")), ACTIONS)


def by(plan, kind):
    return {(op["name"], op["actionSlug"]): op for op in plan["operations"] if op["op"] == kind}


def test_both_file_shapes_normalise_to_the_same_keys():
    subs = load_subscriptions_file(str(DATA / "desired_subscriptions.json"))
    assert [(s["name"], s["action"]) for s in subs] == [
        ("Track Calls", "logEventV2"), ("Identify Calls", "identifyUser"), ("Page Calls", "logEventV2"),
        ("Order Completed Calls", "cRSyn3B292uKfxrpKwHRDY")]
    assert all(s["enabled"] is True for s in subs)
    assert subs[0]["trigger"] == 'type = "track" and event != "Order Completed"'
    assert subs[0]["settings"]["insert_id"] == {"@path": "$.messageId"}


def test_actions_resolve_from_slug_or_id():
    subs = desired()
    assert [(s["actionSlug"], s["actionId"]) for s in subs] == [
        ("logEventV2", "uhprCN3Pc9fjb89v4xDrfP"), ("identifyUser", "9STyJcVfDee2NowS4DGdmW"),
        ("logEventV2", "uhprCN3Pc9fjb89v4xDrfP"), ("logPurchase", "cRSyn3B292uKfxrpKwHRDY")]


def test_unknown_action_names_file_item_and_known_slugs():
    subs = normalise_subscriptions([{"name": "X", "partnerAction": "logEventV3", "subscribe": 'type = "track"',
                                     "mapping": {}}], source="subs.json")
    with pytest.raises(SubscriptionsFileError) as info:
        resolve_actions(subs, ACTIONS, source="subs.json")
    msg = str(info.value)
    assert "subs.json: item 1 ('X')" in msg and "logEventV3" in msg and "logEventV2" in msg


@pytest.mark.parametrize("item, reason", [
    ({"partnerAction": "logEvent", "subscribe": "type = \"track\"", "mapping": {}}, "'name' must be"),
    ({"name": "A", "subscribe": "type = \"track\"", "mapping": {}}, "needs 'partnerAction'"),
    ({"name": "A", "partnerAction": "logEvent", "mapping": {}}, "needs a trigger"),
    ({"name": "A", "partnerAction": "logEvent", "subscribe": "type = \"track\""}, "needs a mapping"),
    ({"name": "A", "partnerAction": "logEvent", "subscribe": "x", "mapping": {}, "enabled": "yes"}, "'enabled'"),
    ("not an object", "expected an object"),
])
def test_bad_items_are_reported_with_file_and_item(item, reason):
    with pytest.raises(SubscriptionsFileError) as info:
        normalise_subscriptions([item], source="subs.json")
    assert str(info.value).startswith("subs.json: item 1")
    assert reason in str(info.value)


def test_duplicate_name_and_action_is_rejected():
    item = {"name": "A", "partnerAction": "logEvent", "subscribe": 'type = "track"', "mapping": {}}
    with pytest.raises(SubscriptionsFileError, match="item 2 .*same name and action as item 1"):
        normalise_subscriptions([item, item], source="subs.json")


def test_invalid_json_names_the_line(tmp_path):
    path = tmp_path / "subs.json"
    path.write_text('[\n  {"name": "A",\n  oops}\n]')
    with pytest.raises(SubscriptionsFileError, match=r"subs.json:3: invalid JSON"):
        load_subscriptions_file(str(path))


def test_backup_and_api_envelope_shapes_are_accepted():
    subs = existing()
    assert len(normalise_subscriptions({"destinationId": DEST, "subscriptions": subs})) == 4
    assert len(normalise_subscriptions({"data": {"subscriptions": subs}})) == 4
    with pytest.raises(SubscriptionsFileError, match="expected a JSON list"):
        normalise_subscriptions({"name": "x"})


def test_plan_classifies_create_update_delete_unchanged():
    plan = compute_plan(DEST, existing(), desired())
    assert plan["counts"] == {"create": 2, "update": 1, "delete": 2, "unchanged": 1}
    assert set(by(plan, "create")) == {("Page Calls", "logEventV2"), ("Order Completed Calls", "logPurchase")}
    assert set(by(plan, "update")) == {("Track Calls", "logEventV2")}
    assert set(by(plan, "unchanged")) == {("Identify Calls", "identifyUser")}
    assert set(by(plan, "delete")) == {("Page Calls", "logEvent"), ("Legacy Screen Calls", "logEvent")}
    # Order of execution: creates, then updates, then deletes.
    kinds = [op["op"] for op in plan["operations"]]
    assert kinds == ["create", "create", "update", "delete", "delete", "unchanged"]


def test_update_shows_mapping_diff_and_sends_only_changed_keys_wrapped():
    op = by(compute_plan(DEST, existing(), desired()), "update")[("Track Calls", "logEventV2")]
    assert op["id"] == "sub_track"
    assert op["changes"] == [
        {"path": "settings.user_properties", "kind": "changed", "old": {"@path": "$.traits"},
         "new": {"@path": "$.context.traits"}},
        {"path": "settings.insert_id", "kind": "added", "new": {"@path": "$.messageId"}},
    ]
    assert op["request"]["method"] == "PATCH"
    assert op["request"]["path"] == f"/destinations/{DEST}/subscriptions/sub_track"
    assert list(op["request"]["body"]) == ["input"]
    assert set(op["request"]["body"]["input"]) == {"settings"}


def test_create_sends_the_flat_body():
    op = by(compute_plan(DEST, existing(), desired()), "create")[("Order Completed Calls", "logPurchase")]
    assert op["request"]["method"] == "POST"
    assert op["request"]["body"] == {
        "name": "Order Completed Calls", "actionId": "cRSyn3B292uKfxrpKwHRDY",
        "trigger": 'type = "track" and event = "Order Completed"', "enabled": True,
        "settings": {"user_id": {"@path": "$.userId"}, "event_type": {"@path": "$.event"},
                     "revenue": {"@path": "$.properties.revenue"}, "insert_id": {"@path": "$.messageId"}}}


def test_deletes_need_prune_except_replacements():
    deletes = by(compute_plan(DEST, existing(), desired()), "delete")
    assert deletes[("Page Calls", "logEvent")]["applies"] is True  # replaced under another action
    assert deletes[("Legacy Screen Calls", "logEvent")]["applies"] is False
    pruned = by(compute_plan(DEST, existing(), desired(), prune=True), "delete")
    assert all(op["applies"] for op in pruned.values())


def test_trigger_and_enabled_changes_are_diffed():
    want = [s | {"trigger": 'type = "identify" or type = "group"', "enabled": False} if s["name"] == "Identify Calls"
            else s for s in desired()]
    op = by(compute_plan(DEST, existing(), want), "update")[("Identify Calls", "identifyUser")]
    assert [d["path"] for d in op["changes"]] == ["trigger", "enabled"]
    assert op["request"]["body"] == {"input": {"trigger": 'type = "identify" or type = "group"', "enabled": False}}


def test_duplicate_existing_prefers_the_equal_one():
    dup = existing() + [dict(existing()[1], id="sub_identify_copy", trigger='type = "identify" and userId = "x"')]
    plan = compute_plan(DEST, dup, desired())
    unchanged = by(plan, "unchanged")[("Identify Calls", "identifyUser")]
    assert unchanged["id"] == "sub_identify"
    deleted = {op["id"]: op for op in plan["operations"] if op["op"] == "delete"}
    assert deleted["sub_identify_copy"]["applies"] is True
    assert deleted["sub_identify_copy"]["reason"].startswith("duplicate")


def test_mapping_diff_keeps_json_types_apart():
    assert mapping_diff({"a": True}, {"a": 1}) == [{"path": "settings.a", "kind": "changed", "old": True, "new": 1}]
    assert mapping_diff({"a": 1}, {"a": 1.0}) == []
    assert mapping_diff({"a": {"b": [1, "x"]}}, {"a": {"b": [1, "x"]}}) == []
    assert mapping_diff({"a": 1, "b": 2}, {"b": 2, "c": 3}) == [
        {"path": "settings.a", "kind": "removed", "old": 1}, {"path": "settings.c", "kind": "added", "new": 3}]


def test_plan_is_json_serialisable_and_renders():
    plan = compute_plan(DEST, existing(), desired())
    json.dumps(plan)
    text = "\n".join(plan_lines(plan))
    assert text.splitlines()[0] == (f"Plan for destination {DEST}: 2 to create, 1 to update, "
                                   "2 to delete (1 only with --prune), 1 unchanged")
    assert "~ update    'Track Calls' (logEventV2) [id sub_track]" in text
    assert 'settings.insert_id: (absent) -> {"@path": "$.messageId"}' in text
    assert "(applied only with --prune)" in text


def test_find_masked_reports_paths_only():
    settings = load("classic_destination.json")["settings"]
    assert find_masked(settings) == ["apiKey", "secretKey"]
    assert find_masked({"nested": [{"k": "****"}], "plain": "abc", "n": 1}) == ["nested[0].k"]
