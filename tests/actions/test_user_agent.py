"""actions.user_agent against the real parser and the destination's parseUserAgentProperties.

tests/cases/user_agent/ua_corpus.json was produced by tests/reference/ua_dump.js from the pinned
packages; when the reference runtime is installed, the last test re-runs that script to prove the
committed expectations still match the real code.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

from actions.user_agent import parse_user_agent, parse_user_agent_properties
from reference.harness import REFERENCE_DIR, missing_reason

CASES = Path(__file__).resolve().parent.parent / "cases" / "user_agent"
CORPUS = json.loads((CASES / "ua_corpus.json").read_text(encoding="utf-8"))
DEVIATIONS = json.loads((CASES / "known_deviations.json").read_text(encoding="utf-8"))["families"]
HELPERS = sorted(CASES.glob("helper__parseUserAgent-*.json"))


def _case_id(i, case):
    return f"{i:03d}:{case['ua'][:60]}"


def _deviating_part(case):
    for dev in DEVIATIONS:
        if case["parser"][dev["part"]]["name"] == dev["name"]:
            return dev["part"]
    return None


def test_corpus_is_from_the_pinned_packages_and_big_enough():
    assert CORPUS["packages"]["@amplitude/ua-parser-js"] == "0.7.33"
    assert CORPUS["packages"]["@segment/action-destinations"] == "3.497.0"
    assert len(CORPUS["cases"]) >= 150


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=_case_id(i, c)) for i, c in enumerate(CORPUS["cases"])]
)
def test_matches_reference(case):
    got = parse_user_agent(case["ua"])
    part = _deviating_part(case)
    if part is None:
        assert got == case["parser"]
        assert parse_user_agent_properties(case["ua"], case.get("userAgentData")) == case["expected"]
    else:
        # documented deviation: that part differs, everything else still matches
        assert got[part] != case["parser"][part], "deviation fixed? update known_deviations.json and the readme"
        for other in ("browser", "os", "device"):
            if other != part:
                assert got[other] == case["parser"][other]


def test_every_documented_deviation_is_exercised():
    seen = {(d["part"], d["name"]) for d in DEVIATIONS for c in CORPUS["cases"] if _deviating_part(c) == d["part"]
            and c["parser"][d["part"]]["name"] == d["name"]}
    assert seen == {(d["part"], d["name"]) for d in DEVIATIONS}


# The upstream unit tests were written against ua-parser-js 0.7.25 (the repo's lock file). The runtime as
# installed from its package resolves ^0.7.25 to 0.7.33, which added a "Macintosh" device rule: Mac UAs
# now get device_manufacturer "Apple" and device_model "Macintosh" (no fallback to the OS name). The
# same UAs are in ua_corpus.json, generated from the real 0.7.33, which confirms these values.
RUNTIME_DRIFT = {
    "helper__parseUserAgent-mac-chrome": {"device_manufacturer": "Apple", "device_model": "Macintosh"},
    "helper__parseUserAgent-mac-with-uadata": {"device_manufacturer": "Apple"},
}


@pytest.mark.parametrize("path", HELPERS, ids=[p.stem for p in HELPERS])
def test_upstream_helper_cases(path):
    case = json.loads(path.read_text(encoding="utf-8"))
    args = case["args"] + [None] * (2 - len(case["args"]))
    # in these transcriptions null means "undefined": the key is absent from the result
    expected = {k: v for k, v in case["expected"].items() if v is not None}
    expected.update(RUNTIME_DRIFT.get(path.stem, {}))
    assert parse_user_agent_properties(*args) == expected


def test_runtime_drift_is_what_the_real_runtime_does():
    by_input = {(c["ua"], json.dumps(c.get("userAgentData"))): c["expected"] for c in CORPUS["cases"]}
    for stem, drift in RUNTIME_DRIFT.items():
        case = json.loads((CASES / f"{stem}.json").read_text(encoding="utf-8"))
        uad = case["args"][1] if len(case["args"]) > 1 else None
        real = by_input[(case["args"][0], json.dumps(uad))]
        assert {k: real.get(k) for k in drift} == drift


@pytest.mark.parametrize("ua", [None, "", 0, False])
def test_missing_user_agent_gives_no_properties(ua):
    assert parse_user_agent_properties(ua) == {}


def test_quirks_os_version_is_browser_major_and_model_falls_back_to_os():
    ua = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
    assert parse_user_agent_properties(ua) == {"os_name": "Windows", "os_version": "120", "device_model": "Windows"}
    hints = {"platformVersion": "15.0.0", "model": ""}
    # client hints win (JS `??`: an empty string is kept, only null/undefined fall through)
    assert parse_user_agent_properties(ua, hints) == {"os_name": "Windows", "os_version": "15.0.0", "device_model": ""}
    assert parse_user_agent_properties(ua, {"platformVersion": None}) == parse_user_agent_properties(ua)


def test_results_are_cached_per_string():
    ua = "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 Mobile Safari/537.36"
    assert parse_user_agent(ua) is parse_user_agent(ua)


@pytest.mark.reference
def test_committed_corpus_still_matches_the_real_packages(tmp_path):
    reason = missing_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the reference runtime, but {reason}", pytrace=False)
        pytest.skip(reason)
    out = subprocess.run(
        ["node", str(REFERENCE_DIR / "ua_dump.js"), str(CASES / "ua_corpus.json")],
        capture_output=True, text=True, encoding="utf-8", check=True, timeout=120,
    )
    fresh = json.loads(out.stdout)
    assert fresh["packages"] == CORPUS["packages"]
    assert fresh["cases"] == CORPUS["cases"]
