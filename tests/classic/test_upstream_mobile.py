"""The mobile integrations' own tests (tests/cases/classic/upstream/{android,ios}).

They assert a subset of the SDK calls (mockito/OCMock): each listed call must occur, in order, with the
listed arguments as a prefix. Mobile tests pass partial settings, so the code defaults apply.
"""
import json
import re
from pathlib import Path

import pytest

from classic import Emulator

ROOT = Path(__file__).parent.parent / "cases" / "classic" / "upstream"


def load(mode, with_event=True):
    return [p for p in sorted((ROOT / mode).glob("*.json")) if bool(json.loads(p.read_text()).get("event")) is with_event]


ANDROID = load("android")
IOS = load("ios")
# Factory, initialization, flush and reset cases replay no event: collected as skips with their reason.
NO_EVENT = load("android", False) + load("ios", False)


@pytest.mark.parametrize("path", NO_EVENT, ids=[f"{p.parent.name}-{p.stem}" for p in NO_EVENT])
def test_mobile_case_without_event(path):
    case = json.loads(path.read_text())
    assert not case.get("event") and case["notes"]
    pytest.skip(f"no event to replay ({path.parent.name} factory, initialization or lifecycle case): "
                f"{case['notes'][:160]}")


def test_mobile_cases_without_event_are_counted():
    assert [sum(p.parent.name == m for p in NO_EVENT) for m in ("android", "ios")] == [6, 4]


def occurs_in_order(expected, got):
    it = iter(got)
    for want in expected:
        for call in it:
            if call["sdk_call"] == want["sdk_call"] and call["args"][: len(want["args"])] == want["args"]:
                break
        else:
            return False
    return True


@pytest.mark.parametrize("path", ANDROID, ids=[p.stem for p in ANDROID])
def test_android_calls(path):
    case = json.loads(path.read_text())
    settings = dict(case["settings"])
    if "groupValueTrait" in settings:
        # the upstream test assigns the integration's field directly; in production the field is filled
        # from the settings key "groupTypeValue" (see classic/android.py)
        settings["groupTypeValue"] = settings["groupValueTrait"]
    out = Emulator(settings, mode="android", options={"defaults": "code"}).send(case["event"])
    if case.get("expected_none"):
        assert not [c for c in out["calls"] if c["sdk_call"] == "logEvent"]
        assert out["requests"] == []  # the SDK uploads nothing
    assert occurs_in_order(case.get("expected_calls") or [], out["calls"]), out["calls"]


IOS_NAMES = {"logEvent:withEventProperties:withGroups:outOfSession:": "logEvent", "setGroup:groupName:": "setGroup",
             "setUserId:": "setUserId", "setUserProperties:": "setUserProperties"}
IOS_REVENUE = {"setPrice:": "price", "setQuantity:": "quantity", "setProductIdentifier:": "productId",
               "setReceipt:": "receipt", "setRevenueType:": "revenueType", "setEventProperties:": "eventProperties"}
IDENTIFY_DESC = re.compile(r"(add|setOnce|set):(\S+) (.+)>$")


@pytest.mark.parametrize("path", IOS, ids=[p.stem for p in IOS])
def test_ios_calls(path):
    case = json.loads(path.read_text())
    expected = case.get("expected_calls_current_code") or case.get("expected_calls") or []
    out = Emulator(case["settings"], mode="ios", options={"defaults": "code"}).send(case["event"])
    calls = out["calls"]
    if case.get("expected_none"):
        assert calls == [] and out["requests"] == []
    plain = [{"sdk_call": IOS_NAMES[c["sdk_call"]], "args": c["args"]} for c in expected
             if c["sdk_call"] in IOS_NAMES]
    assert occurs_in_order(plain, calls), calls
    revenue = [c["args"][0]["$Revenue"] for c in calls if c["sdk_call"] == "logRevenueV2"]
    for c in expected:
        name = c["sdk_call"].removeprefix("AMPRevenue.")
        if name in IOS_REVENUE:
            assert revenue, "no logRevenueV2 call"
            if c["args"][0] == "<all properties>":
                assert revenue[0]["eventProperties"] == case["event"]["properties"]
            else:
                assert revenue[0][IOS_REVENUE[name]] == c["args"][0]
    identifies = [c for c in calls if c["sdk_call"] == "identify"]
    described = [c for c in expected if c["sdk_call"] == "identify:"]
    if described:
        assert len(identifies) == len(described)
        for want in described:  # OCMock verifies these without order
            op, key, _ = IDENTIFY_DESC.search(want["args"][0]).groups()
            assert any(key in call["args"][0]["$Identify"].get(f"${op}", {}) for call in identifies)
        # the shared AMPIdentify accumulates: the last call carries every operation
        assert sum(len(v) for v in identifies[-1]["args"][0]["$Identify"].values()) == len(described)
