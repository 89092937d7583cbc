"""apply against the fake API: backup first, idempotency, pacing, stopping safely midway."""

import json

import pytest

from segment_support import load
from migrate.public_api import apply_plan, load_subscriptions_file, plan_for_destination

DEST = "dst_actions_0001"


def plan(client, path, prune=False):
    desired = load_subscriptions_file(path)
    the_plan, existing, warnings = plan_for_destination(client, DEST, desired, source=path, prune=prune)
    assert warnings == []
    return the_plan, existing


def comparable(subs):
    return sorted((s["name"], s["actionId"], s["trigger"], s["enabled"], json.dumps(s["settings"], sort_keys=True))
                  for s in subs)


def desired_state(path):
    actions = {a["slug"]: a["id"] for a in load("actions_destination.json")["metadata"]["actions"]}
    out = []
    for s in json.loads(open(path).read()):
        action = s.get("actionId") or actions[s.get("actionSlug") or s.get("partnerAction")]
        out.append({"name": s["name"], "actionId": action, "trigger": s.get("trigger", s.get("subscribe")),
                    "enabled": s.get("enabled", True), "settings": s.get("settings", s.get("mapping"))})
    return out


def test_apply_backs_up_then_reaches_the_desired_state(server, client, desired_path, tmp_path):
    before = server.state(DEST)
    the_plan, existing = plan(client, desired_path)
    reads = len(server.log)
    summary = apply_plan(client, the_plan, existing, backup_path=str(tmp_path / "backup.json"))
    assert summary["failed"] is None and summary["not_applied"] == []
    # The backup holds exactly what was there before any write.
    backup = json.loads((tmp_path / "backup.json").read_text())
    assert summary["backup"] == str(tmp_path / "backup.json")
    assert backup["destinationId"] == DEST
    assert backup["subscriptions"] == before
    # Creates (flat), the update (wrapped) and the replacement delete; the legacy one stays (no --prune).
    assert [(w["method"], w["path"].rsplit("/", 1)[-1]) for w in server.log[reads:]] == [
        ("POST", "subscriptions"), ("POST", "subscriptions"), ("PATCH", "sub_track"), ("DELETE", "sub_page_v1")]
    assert [op["name"] for op in summary["skipped"]] == ["Legacy Screen Calls"]
    after = server.state(DEST)
    legacy = [s for s in after if s["name"] == "Legacy Screen Calls"]
    assert comparable([s for s in after if s not in legacy]) == comparable(desired_state(desired_path))


def test_second_apply_changes_nothing(server, client, desired_path, tmp_path):
    the_plan, existing = plan(client, desired_path, prune=True)
    apply_plan(client, the_plan, existing, backup_path=str(tmp_path / "first.json"))
    writes = len(server.writes)
    again, existing = plan(client, desired_path, prune=True)
    assert again["counts"] == {"create": 0, "update": 0, "delete": 0, "unchanged": 4}
    summary = apply_plan(client, again, existing, backup_path=str(tmp_path / "second.json"))
    assert summary["applied"] == [] and summary["failed"] is None
    assert summary["backup"] is None and not (tmp_path / "second.json").exists()
    assert len(server.writes) == writes
    assert comparable(server.state(DEST)) == comparable(desired_state(desired_path))


def test_prune_deletes_unlisted_subscriptions(server, client, desired_path, tmp_path):
    the_plan, existing = plan(client, desired_path, prune=True)
    summary = apply_plan(client, the_plan, existing, backup_path=str(tmp_path / "b.json"))
    assert summary["skipped"] == []
    assert "Legacy Screen Calls" not in [s["name"] for s in server.state(DEST)]


def test_backup_is_never_overwritten(server, client, desired_path, tmp_path):
    path = tmp_path / "backup.json"
    the_plan, existing = plan(client, desired_path)
    apply_plan(client, the_plan, existing, backup_path=str(path))
    first = path.read_text()
    client.update_subscription(DEST, "sub_identify", {"enabled": False})  # drift: the next apply has work
    the_plan, existing = plan(client, desired_path)
    summary = apply_plan(client, the_plan, existing, backup_path=str(path))
    assert path.read_text() == first
    assert summary["backup"] == str(tmp_path / "backup.2.json")
    second = json.loads((tmp_path / "backup.2.json").read_text())["subscriptions"]
    assert [s["enabled"] for s in second if s["id"] == "sub_identify"] == [False]


def test_unwritable_backup_stops_before_any_write(server, client, desired_path, tmp_path):
    the_plan, existing = plan(client, desired_path)
    with pytest.raises(OSError):
        apply_plan(client, the_plan, existing, backup_path=str(tmp_path / "missing-dir" / "b.json"))
    assert server.writes == []


def test_422_midway_stops_with_summary_and_loses_nothing(server, client, desired_path, tmp_path):
    before = server.state(DEST)
    server.add_fault("PATCH", f"/destinations/{DEST}/subscriptions/sub_track", status=422,
                     errors=[{"type": "validation", "field": "input.settings.insert_id", "message": "unknown field"}])
    the_plan, existing = plan(client, desired_path)
    summary = apply_plan(client, the_plan, existing, backup_path=str(tmp_path / "b.json"))
    assert [op["name"] for op in summary["applied"]] == ["Page Calls", "Order Completed Calls"]
    assert summary["failed"]["operation"]["name"] == "Track Calls"
    assert summary["failed"]["status"] == 422
    assert "input.settings.insert_id: unknown field" in summary["failed"]["error"]
    assert [(op["op"], op["name"]) for op in summary["not_applied"]] == [("delete", "Page Calls")]
    # Nothing lost: the backup has the old state; the server has old state + the two creates only.
    assert json.loads((tmp_path / "b.json").read_text())["subscriptions"] == before
    now = server.state(DEST)
    assert [s for s in now if s["id"] in {b["id"] for b in before}] == before
    assert sorted(s["name"] for s in now if s["id"] not in {b["id"] for b in before}) == [
        "Order Completed Calls", "Page Calls"]
    # Once the cause is fixed, the same command finishes the job and does only what is left.
    writes = len(server.writes)
    the_plan, existing = plan(client, desired_path)
    assert the_plan["counts"] == {"create": 0, "update": 1, "delete": 2, "unchanged": 3}
    summary = apply_plan(client, the_plan, existing, backup_path=str(tmp_path / "b2.json"))
    assert summary["failed"] is None
    assert [w["method"] for w in server.writes[writes:]] == ["PATCH", "DELETE"]


def test_restore_from_backup(server, client, desired_path, tmp_path):
    before = server.state(DEST)
    the_plan, existing = plan(client, desired_path, prune=True)
    apply_plan(client, the_plan, existing, backup_path=str(tmp_path / "b.json"))
    restore, existing = plan(client, str(tmp_path / "b.json"), prune=True)
    summary = apply_plan(client, restore, existing, backup_path=str(tmp_path / "b2.json"))
    assert summary["failed"] is None
    assert comparable(server.state(DEST)) == comparable(before)


def test_apply_retries_429_and_500_and_paces_writes(server, make_client, clock, desired_path, tmp_path):
    client = make_client(writes_per_minute=2)
    server.add_fault("POST", f"/destinations/{DEST}/subscriptions", status=429, headers={"Retry-After": "5"})
    server.add_fault("PATCH", f"/destinations/{DEST}/subscriptions/sub_track", status=500)
    the_plan, existing = plan(client, desired_path)
    summary = apply_plan(client, the_plan, existing, backup_path=str(tmp_path / "b.json"))
    assert summary["failed"] is None
    assert len(summary["applied"]) == 4
    times = [w["t"] for w in server.writes]
    assert len(times) == 6  # 4 operations + 2 retried attempts
    assert all(times[i + 2] - times[i] >= 60 for i in range(len(times) - 2))
    assert 5.0 in clock.sleeps
