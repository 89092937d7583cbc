"""Our classic cases: one JSON file per behaviour under tests/cases/classic/<mode>/.

A case is {description, settings, mode, options?, event, expected_records, expected_requests? (cloud),
expected_note? (when nothing is recorded)}. Cloud records come from migrate.canonical.
"""
import json
from pathlib import Path

import pytest

from classic import SETTINGS, Emulator, load_settings
from migrate.canonical import records_from_requests

ROOT = Path(__file__).parent.parent / "cases" / "classic"
MODES = ("cloud", "web", "ios", "android")
CASES = [p for mode in MODES for p in sorted((ROOT / mode).glob("*.json"))]


def run(case, settings=None):
    emu = Emulator(settings if settings is not None else case["settings"], mode=case["mode"],
                   options=case.get("options"))
    out = emu.send(case["event"])
    records = out["records"] if out["records"] is not None else records_from_requests(out["requests"])
    return out, records


def decoded(request):
    """Form bodies with their JSON fields parsed, so the case files stay readable."""
    if "form" not in request:
        return request
    form = {k: v if k == "api_key" else json.loads(v) for k, v in request["form"].items()}
    return {**request, "form": form}


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_case(path):
    case = json.loads(path.read_text())
    assert case["mode"] == path.parent.name
    out, records = run(case)
    assert records == case["expected_records"]
    if "expected_requests" in case:
        got = [decoded(r) for r in out["requests"]]
        # key order is wire order: compare the serialised forms
        assert json.dumps(got) == json.dumps(case["expected_requests"])
    if not case["expected_records"]:
        assert out.get("note") == case["expected_note"]


def test_every_mode_has_cases():
    for mode in MODES:
        assert len(list((ROOT / mode).glob("*.json"))) >= 10, mode


# Settings that only configure the SDK (no record changes): covered through Emulator.sdk_config().
SDK_ONLY = {"web": ("batchEvents", "eventUploadPeriodMillis", "eventUploadThreshold", "forceHttps",
                    "saveParamsReferrerOncePerSession", "unsetParamsReferrerOnNewSession"),
            "android": ("trackSessionEvents",), "ios": ("trackSessionEvents",)}


def test_every_setting_changes_some_output():
    """Each classic setting key is exercised by a case whose output changes when the key is reset to its
    catalog default (apiKey: changed value), or, for SDK-only options, changes the SDK configuration."""
    exercised = {"secretKey"}  # proven by test_secret_key_never_in_output
    for path in CASES:
        case = json.loads(path.read_text())
        base_out, base_records = run(case)
        for key, value in case["settings"].items():
            if key not in SETTINGS:
                continue
            default = SETTINGS[key][1] if key != "apiKey" else "another-fake-key"
            if value == default:
                continue
            out, records = run(case, {**case["settings"], key: default})
            if records != base_records or out["requests"] != base_out["requests"]:
                exercised.add(key)
    for mode, keys in SDK_ONLY.items():
        for key in keys:
            kind = SETTINGS[key][0]
            flipped = (not SETTINGS[key][1]) if kind == "boolean" else SETTINGS[key][1] + 1
            a = Emulator({"apiKey": "k"}, mode=mode).sdk_config()
            b = Emulator({"apiKey": "k", key: flipped}, mode=mode).sdk_config()
            if a != b:
                exercised.add(key)
    assert sorted(set(SETTINGS) - exercised) == []


def test_secret_key_never_in_output():
    secret = "super-secret-value-123"
    for path in CASES[:40]:
        case = json.loads(path.read_text())
        out, records = run(case, {**case["settings"], "secretKey": secret})
        assert secret not in json.dumps([out, records], default=str)


def test_web_sdk_config_matches_init_options():
    settings, _ = load_settings({"apiKey": "k", "trackUtmProperties": True, "useAmplitudeReferral": True,
                                 "trackGclid": True, "preferAnonymousIdForDeviceId": True, "versionName": "4.6.0"})
    config = Emulator(settings, mode="web").sdk_config()
    assert config["includeUtm"] is True and config["includeReferrer"] is True and config["includeGclid"] is True
    assert config["deviceId"] == "<anonymousId>" and config["versionName"] == "4.6.0"
    assert Emulator({"apiKey": "k"}, mode="web").sdk_config()["deviceId"] is False
