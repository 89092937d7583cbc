"""The analytics.js integration's own tests and the recorded probes of its real code
(tests/cases/classic/upstream/web): the emulator must make the same SDK calls, in the same order."""
import json
from pathlib import Path

import pytest

from classic import Emulator

ROOT = Path(__file__).parent.parent / "cases" / "classic" / "upstream" / "web"
ALL = sorted(ROOT.glob("*.json")) + sorted((ROOT / "derived").glob("*.json"))
CASES = [p for p in ALL if json.loads(p.read_text()).get("event")]
# Initialization and unit cases replay no event: collected as skips with their reason, never dropped.
NO_EVENT = [p for p in ALL if p not in CASES]
SDK_CALLS = {"setDeviceId", "setUserId", "logEvent", "logEventWithGroups", "logRevenue", "logRevenueV2",
             "setUserProperties", "identify", "setGroup"}


def plain(value):
    """The transcription's JS encodings as plain values: undefined -> None, Date -> its ISO string."""
    if isinstance(value, dict):
        if value == {"$undefined": True}:
            return None
        if set(value) == {"$date"}:
            return value["$date"]
        return {k: plain(v) for k, v in value.items() if k != "setter_calls"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_web_calls(path):
    case = json.loads(path.read_text())
    event = json.loads(json.dumps(case["event"]))
    if case.get("document_referrer") is not None:
        event.setdefault("context", {}).setdefault("page", {})["referrer"] = case["document_referrer"]
    out = Emulator(case["settings"], mode="web").send(event)
    got = [{"sdk_call": c["sdk_call"], "args": c["args"]} for c in out["calls"] if c.get("by") != "sdk"]
    expected = case.get("observed_full_calls")
    if expected is None:
        expected = case["expected_calls"]
    expected = [plain(c) for c in expected if c["sdk_call"] in SDK_CALLS]
    assert got == expected


@pytest.mark.parametrize("path", NO_EVENT, ids=[p.stem for p in NO_EVENT])
def test_web_case_without_event(path):
    case = json.loads(path.read_text())
    assert not case.get("event") and case["notes"]
    pytest.skip(f"no event to replay (initialization or unit case): {case['notes'][:160]}")


def test_web_case_count():
    assert len(CASES) >= 90
    assert len(NO_EVENT) == 18
