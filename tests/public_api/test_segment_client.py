"""SegmentClient against the fake API: shapes, media types, pagination, retries, timeouts, pacing."""

import logging

import pytest

from segment_support import TOKEN, load
from fake_segment_api import FakeSegmentApi
from migrate.masking import MASK
from migrate.public_api import (
    MEDIA_ALPHA, MEDIA_V1, ApiError, SegmentClient, TransportError, apply_plan, base_url_for, compute_plan)

ACTIONS = "dst_actions_0001"
SUBS_PATH = f"/destinations/{ACTIONS}/subscriptions"


def test_get_destination_sends_bearer_token_and_v1_media_type(server, client):
    dest = client.get_destination(ACTIONS)
    assert dest["metadata"]["slug"] == "actions-amplitude"
    req = server.log[-1]
    assert req["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert req["headers"]["accept"] == MEDIA_V1


def test_list_subscriptions_follows_cursor_pagination(server, client):
    subs = client.list_subscriptions(ACTIONS)
    assert [s["id"] for s in subs] == ["sub_track", "sub_identify", "sub_page_v1", "sub_legacy"]
    pages = [r for r in server.log if r["path"] == SUBS_PATH]
    assert len(pages) == 2  # the fake serves at most 2 per page
    assert all(r["headers"]["accept"] == MEDIA_ALPHA for r in pages)
    assert pages[0]["query"] == {"pagination.count": ["200"]}
    assert "pagination.cursor" in pages[1]["query"]


def test_pagination_over_many_pages_keeps_order(clock):
    fake = FakeSegmentApi(TOKEN, clock=clock, max_page_size=3)
    dest = load("actions_destination.json")
    subs = [{"id": f"s{i:02d}", "name": f"S{i}", "actionId": "act_logEvent_01", "enabled": True,
             "trigger": 'type = "track"', "settings": {}} for i in range(7)]
    fake.add_destination(dest, subs)
    fake.start()
    try:
        client = SegmentClient(TOKEN, base_url=fake.url, clock=clock, sleep=clock.sleep)
        assert [s["id"] for s in client.list_subscriptions(ACTIONS)] == [s["id"] for s in subs]
        assert len([r for r in fake.log if r["method"] == "GET"]) == 3
    finally:
        fake.stop()


def test_429_waits_for_retry_after_then_succeeds(server, client, clock):
    server.add_fault("GET", SUBS_PATH, status=429, headers={"Retry-After": "7"},
                     errors=[{"type": "RequestError", "message": "Too many requests"}])
    assert len(client.list_subscriptions(ACTIONS)) == 4
    assert clock.sleeps == [7.0]


def test_429_without_retry_after_uses_ms_before_next(server, client, clock):
    server.add_fault("GET", f"/destinations/{ACTIONS}", status=429, errors=[
        {"type": "RequestError", "message": "Too many requests",
         "data": {"remainingPoints": 0, "msBeforeNext": 1500, "consumedPoints": 21}}])
    client.get_destination(ACTIONS)
    assert clock.sleeps == [1.5]


def test_5xx_is_retried_with_exponential_back_off(server, client, clock):
    server.add_fault("GET", f"/destinations/{ACTIONS}", status=500, times=2)
    server.add_fault("GET", f"/destinations/{ACTIONS}", status=503, times=1)
    assert client.get_destination(ACTIONS)["id"] == ACTIONS
    assert clock.sleeps == [1.0, 2.0, 4.0]  # jitter pinned to the ceiling
    assert len(server.log) == 4


def test_back_off_jitter_stays_between_half_and_full_ceiling(make_client, server, clock):
    client = make_client(jitter=lambda: 0.0)
    server.add_fault("GET", f"/destinations/{ACTIONS}", status=502, times=2)
    client.get_destination(ACTIONS)
    assert clock.sleeps == [0.5, 1.0]


def test_5xx_gives_up_after_max_retries(server, make_client):
    client = make_client(max_retries=2)
    server.add_fault("GET", f"/destinations/{ACTIONS}", status=500, times=10)
    with pytest.raises(ApiError) as info:
        client.get_destination(ACTIONS)
    assert info.value.status == 500
    assert len(server.log) == 3


def test_422_is_not_retried_and_names_the_field(server, client, clock):
    server.add_fault("PATCH", SUBS_PATH + "/sub_track", status=422,
                     errors=[{"type": "validation", "field": "input.trigger", "message": "invalid FQL"}])
    with pytest.raises(ApiError) as info:
        client.update_subscription(ACTIONS, "sub_track", {"trigger": "type ="})
    assert info.value.status == 422
    assert "input.trigger: invalid FQL" in str(info.value)
    assert clock.sleeps == []
    assert len(server.writes) == 1


def test_read_timeout_on_get_is_retried(server, make_client):
    client = make_client(timeout=0.2)
    server.add_fault("GET", f"/destinations/{ACTIONS}", delay=1.0)
    assert client.get_destination(ACTIONS)["id"] == ACTIONS
    assert len(server.log) == 2


def test_persistent_timeout_raises_transport_error(server, make_client):
    client = make_client(timeout=0.2, max_retries=1)
    server.add_fault("GET", f"/destinations/{ACTIONS}", delay=1.0, times=2)
    with pytest.raises(TransportError) as info:
        client.get_destination(ACTIONS)
    assert info.value.status is None
    assert "timed out" in str(info.value)


def test_post_is_not_blindly_retried_without_reconcile(server, client):
    server.add_fault("POST", SUBS_PATH, status=500, commit=True)
    body = {"name": "X", "actionId": "act_mapUser_01", "trigger": 'type = "alias"', "enabled": True, "settings": {}}
    with pytest.raises(ApiError) as info:
        client.create_subscription(ACTIONS, body)
    assert "may or may not have been applied" in str(info.value)
    assert len(server.writes) == 1


def test_create_and_update_bodies_follow_the_documented_shapes(server, client):
    body = {"name": "Map", "actionId": "act_mapUser_01", "trigger": 'type = "alias"', "enabled": False,
            "settings": {"user_id": {"@path": "$.previousId"}}}
    created = client.create_subscription(ACTIONS, body)
    assert created["actionSlug"] == "mapUser"
    client.update_subscription(ACTIONS, created["id"], {"enabled": True})
    post, patch = server.writes
    assert post["body"] == body
    assert patch["body"] == {"input": {"enabled": True}}
    assert post["headers"]["content-type"] == patch["headers"]["content-type"] == MEDIA_ALPHA
    client.delete_subscription(ACTIONS, created["id"])
    assert server.writes[-1]["method"] == "DELETE"
    assert all(s["id"] != created["id"] for s in server.state(ACTIONS))


def test_delete_that_happened_before_a_5xx_counts_as_done(server, client, clock):
    server.add_fault("DELETE", SUBS_PATH + "/sub_legacy", status=502, commit=True)
    client.delete_subscription(ACTIONS, "sub_legacy")  # retry meets 404: already gone
    assert "sub_legacy" not in [s["id"] for s in server.state(ACTIONS)]


def test_delete_of_missing_subscription_is_an_error(server, client):
    with pytest.raises(ApiError) as info:
        client.delete_subscription(ACTIONS, "nope")
    assert info.value.status == 404


def _write_times(server):
    return [w["t"] for w in server.writes]


def test_writes_are_paced_to_50_per_minute(server, client, clock):
    for i in range(120):
        client.create_subscription(ACTIONS, {"name": f"S{i}", "actionId": "act_logEvent_01",
                                             "trigger": 'type = "track"', "enabled": True, "settings": {}})
    times = _write_times(server)
    assert len(times) == 120
    # No 60-second window holds more than 50 writes ...
    assert all(times[i + 50] - times[i] >= 60 for i in range(len(times) - 50))
    # ... a burst of 50 needs no wait, and the 51st waits for the first to leave the window.
    assert times[49] == times[0]
    assert times[50] == times[0] + 60
    assert len(clock.sleeps) == 2


def test_reads_are_not_paced(server, client, clock):
    for _ in range(60):
        client.get_destination(ACTIONS)
    assert clock.sleeps == []


def test_custom_pacing_limit(server, make_client, clock):
    client = make_client(writes_per_minute=2)
    for i in range(5):
        client.update_subscription(ACTIONS, "sub_track", {"enabled": i % 2 == 0})
    times = _write_times(server)
    assert times == [times[0], times[0], times[0] + 60, times[0] + 60, times[0] + 120]


def test_retry_after_beyond_max_wait_stops(server, make_client, clock):
    client = make_client(max_wait=30)
    server.add_fault("GET", f"/destinations/{ACTIONS}", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(ApiError) as info:
        client.get_destination(ACTIONS)
    assert "3600s" in str(info.value)
    assert clock.sleeps == []


def test_wrong_token_gives_401(server):
    client = SegmentClient("sgp_wrong", base_url=server.url)
    with pytest.raises(ApiError) as info:
        client.get_destination(ACTIONS)
    assert info.value.status == 401


def test_base_url_per_region_and_override():
    assert base_url_for("us") == "https://api.segmentapis.com"
    assert base_url_for("eu") == "https://eu1.api.segmentapis.com"
    assert base_url_for("eu", "http://127.0.0.1:9/") == "http://127.0.0.1:9"
    with pytest.raises(ValueError):
        base_url_for("apac")


def test_from_env_reads_token_and_url(monkeypatch, server):
    monkeypatch.setenv("SEGMENT_TOKEN", TOKEN)
    monkeypatch.setenv("SEGMENT_API_URL", server.url)
    client = SegmentClient.from_env(region="eu")
    assert client.base_url == server.url
    assert client.get_destination(ACTIONS)["id"] == ACTIONS
    monkeypatch.delenv("SEGMENT_TOKEN")
    with pytest.raises(ValueError, match="SEGMENT_TOKEN"):
        SegmentClient.from_env()


def test_token_never_reaches_logs_errors_or_repr(server, make_client, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, including urllib3's
    client = make_client(timeout=0.2, max_retries=2)
    server.add_fault("GET", f"/destinations/{ACTIONS}", status=429, headers={"Retry-After": "1"})
    server.add_fault("GET", f"/destinations/{ACTIONS}", status=500)
    client.get_destination(ACTIONS)
    server.add_fault("GET", f"/destinations/{ACTIONS}", delay=1.0, times=3)
    errors = []
    with pytest.raises(TransportError) as info:
        client.get_destination(ACTIONS)
    errors.append(info.value)
    # An error body that echoes the request back must not carry the token into our messages.
    server.add_fault("PATCH", SUBS_PATH + "/sub_track", status=422,
                     errors=[{"type": "validation", "message": f"bad request with Authorization: Bearer {TOKEN}"}])
    with pytest.raises(ApiError) as info:
        client.update_subscription(ACTIONS, "sub_track", {"enabled": False})
    errors.append(info.value)
    assert caplog.records, "the client should log what it does"
    texts = [r.getMessage() for r in caplog.records] + [str(e) for e in errors] + [repr(e.errors) for e in errors]
    texts += [repr(client), str(vars(client))]
    assert not [t for t in texts if TOKEN in t]
    assert MASK in str(errors[-1])  # masked by the one rule (migrate.masking)


def existing_as_desired(existing):
    return [{"name": s["name"], "actionId": s["actionId"], "actionSlug": s["actionSlug"], "trigger": s["trigger"],
             "settings": s["settings"], "enabled": s["enabled"]} for s in existing]


MAP_USER = {"name": "Map", "actionId": "act_mapUser_01", "actionSlug": "mapUser",
            "trigger": 'type = "alias"', "settings": {}, "enabled": True}


def test_post_that_timed_out_after_creating_is_not_duplicated(server, make_client, tmp_path):
    """The server created the subscription but its answer came too late for the client."""
    client = make_client(timeout=0.2)
    server.add_fault("POST", SUBS_PATH, delay=1.0, commit=True)
    existing = client.list_subscriptions(ACTIONS)
    plan = compute_plan(ACTIONS, existing, existing_as_desired(existing) + [MAP_USER])
    assert plan["counts"] == {"create": 1, "update": 0, "delete": 0, "unchanged": 4}
    summary = apply_plan(client, plan, existing, backup_path=str(tmp_path / "b.json"))
    assert summary["failed"] is None
    assert [s["name"] for s in server.state(ACTIONS)].count("Map") == 1
    assert [w["method"] for w in server.writes] == ["POST"]


def test_post_500_after_commit_is_reconciled_not_duplicated(server, client, tmp_path):
    server.add_fault("POST", SUBS_PATH, status=500, commit=True)
    existing = client.list_subscriptions(ACTIONS)
    desired = existing_as_desired(existing) + [MAP_USER]
    summary = apply_plan(client, compute_plan(ACTIONS, existing, desired), existing,
                         backup_path=str(tmp_path / "b.json"))
    assert summary["failed"] is None
    assert [s["name"] for s in server.state(ACTIONS)].count("Map") == 1
    assert [w["method"] for w in server.writes] == ["POST"]


def test_post_500_without_commit_is_retried_once_reconciled(server, client, tmp_path, clock):
    server.add_fault("POST", SUBS_PATH, status=500)
    existing = client.list_subscriptions(ACTIONS)
    desired = existing_as_desired(existing) + [MAP_USER]
    summary = apply_plan(client, compute_plan(ACTIONS, existing, desired), existing,
                         backup_path=str(tmp_path / "b.json"))
    assert summary["failed"] is None
    assert [s["name"] for s in server.state(ACTIONS)].count("Map") == 1
    assert [w["method"] for w in server.writes] == ["POST", "POST"]
    assert clock.sleeps == [1.0]


def test_a_netrc_entry_cannot_replace_the_token(server, client, tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password other-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    client.get_destination(ACTIONS)
    assert server.log[-1]["headers"]["authorization"] == f"Bearer {TOKEN}"
