"""actions.user_agent against the real parser and the destination's parseUserAgentProperties.

tests/cases/user_agent/ua_corpus.json was produced by tests/reference/ua_dump.js from the reference
runtime as Segment's monorepo pins it (ua-parser-js 0.7.25, the default build); when that runtime is
installed, the last test re-runs the script to prove the committed expectations still match the real code.
ua_corpus_npm.json holds the same user agents as ua-parser-js 0.7.33 (a plain npm install) parses them:
the `npm` build must match it.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

from actions.user_agent import (
    DEFAULT_BUILD,
    PARSER_VERSIONS,
    current_build,
    parse_user_agent,
    parse_user_agent_properties,
    runtime_build,
)
from reference.harness import REFERENCE_DIR, missing_reason

CASES = Path(__file__).resolve().parent.parent / "cases" / "user_agent"
CORPUS = json.loads((CASES / "ua_corpus.json").read_text(encoding="utf-8"))
CORPUS_NPM = json.loads((CASES / "ua_corpus_npm.json").read_text(encoding="utf-8"))
CORPORA = {"monorepo": CORPUS, "npm": CORPUS_NPM}
DEVIATIONS = json.loads((CASES / "known_deviations.json").read_text(encoding="utf-8"))["families"]
HELPERS = sorted(CASES.glob("helper__parseUserAgent-*.json"))


def _case_id(i, case):
    return f"{i:03d}:{case['ua'][:60]}"


def _deviating_part(case):
    for dev in DEVIATIONS:
        if case["parser"][dev["part"]]["name"] == dev["name"]:
            return dev["part"]
    return None


def test_corpora_are_from_the_pinned_packages_and_big_enough():
    assert DEFAULT_BUILD == "monorepo" and current_build() == "monorepo"
    for build, corpus in CORPORA.items():
        assert corpus["packages"]["@amplitude/ua-parser-js"] == PARSER_VERSIONS[build]
        assert corpus["packages"]["@segment/action-destinations"] == "3.497.0"
        assert len(corpus["cases"]) >= 150
    assert [c["ua"] for c in CORPUS["cases"]] == [c["ua"] for c in CORPUS_NPM["cases"]]


@pytest.mark.parametrize(
    "build,case",
    [pytest.param(build, c, id=f"{build}-{_case_id(i, c)}") for build, corpus in CORPORA.items()
     for i, c in enumerate(corpus["cases"])],
)
def test_matches_reference(build, case):
    got = parse_user_agent(case["ua"], build)
    part = _deviating_part(case)
    if part is None:
        assert got == case["parser"]
        with runtime_build(build):
            assert parse_user_agent_properties(case["ua"], case.get("userAgentData")) == case["expected"]
    else:
        # documented deviation: that part differs, everything else still matches
        assert got[part] != case["parser"][part], "deviation fixed? update known_deviations.json and the readme"
        for other in ("browser", "os", "device"):
            if other != part:
                assert got[other] == case["parser"][other]


def test_the_two_builds_differ_where_the_parsers_do():
    """About one user agent in nine of the corpus parses differently; every Mac user agent does."""
    differing = [a["ua"] for a, b in zip(CORPUS["cases"], CORPUS_NPM["cases"]) if a["expected"] != b["expected"]]
    macs = [c["ua"] for c in CORPUS["cases"] if "Macintosh" in c["ua"] and "iPhone" not in c["ua"]]
    assert macs and set(macs) <= set(differing)
    for ua in differing:
        assert parse_user_agent_properties(ua) != parse_user_agent_properties(ua, build="npm")
    with pytest.raises(ValueError, match="unknown runtime build"):
        parse_user_agent("x", "yarn")


def test_every_documented_deviation_is_exercised():
    seen = {(d["part"], d["name"]) for d in DEVIATIONS for c in CORPUS["cases"] if _deviating_part(c) == d["part"]
            and c["parser"][d["part"]]["name"] == d["name"]}
    assert seen == {(d["part"], d["name"]) for d in DEVIATIONS}


# The upstream unit tests run against the monorepo lock (ua-parser-js 0.7.25) and pass there as written.
# A plain npm install resolves ^0.7.25 to 0.7.33, which added a "Macintosh" device rule: Mac UAs then get
# device_manufacturer "Apple" and device_model "Macintosh" (no fallback to the OS name). ua_corpus_npm.json,
# generated from the real 0.7.33, confirms these values.
NPM_DRIFT = {
    "helper__parseUserAgent-mac-chrome": {"device_manufacturer": "Apple", "device_model": "Macintosh"},
    "helper__parseUserAgent-mac-with-uadata": {"device_manufacturer": "Apple"},
}


def _helper_expected(path):
    case = json.loads(path.read_text(encoding="utf-8"))
    args = case["args"] + [None] * (2 - len(case["args"]))
    # in these transcriptions null means "undefined": the key is absent from the result
    return args, {k: v for k, v in case["expected"].items() if v is not None}


@pytest.mark.parametrize("path", HELPERS, ids=[p.stem for p in HELPERS])
def test_upstream_helper_cases_pass_as_written(path):
    args, expected = _helper_expected(path)
    assert parse_user_agent_properties(*args) == expected


@pytest.mark.parametrize("path", HELPERS, ids=[p.stem for p in HELPERS])
def test_upstream_helper_cases_with_the_npm_build(path):
    args, expected = _helper_expected(path)
    expected.update(NPM_DRIFT.get(path.stem, {}))
    assert parse_user_agent_properties(*args, build="npm") == expected


def test_upstream_helper_cases_are_what_the_monorepo_runtime_does():
    by_input = {(c["ua"], json.dumps(c.get("userAgentData"))): c["expected"] for c in CORPUS["cases"]}
    for path in HELPERS:
        args, expected = _helper_expected(path)
        key = (args[0], json.dumps(args[1]))
        if key in by_input:
            assert by_input[key] == expected, path.stem


def test_npm_drift_is_what_the_real_npm_runtime_does():
    by_input = {(c["ua"], json.dumps(c.get("userAgentData"))): c["expected"] for c in CORPUS_NPM["cases"]}
    for stem, drift in NPM_DRIFT.items():
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


def test_results_are_cached_per_string_and_build():
    ua = "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 Mobile Safari/537.36"
    assert parse_user_agent(ua) is parse_user_agent(ua)
    mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15"
    assert parse_user_agent(mac)["device"] == {"vendor": None, "model": None, "type": None}
    with runtime_build("npm"):
        assert parse_user_agent(mac)["device"] == {"vendor": "Apple", "model": "Macintosh", "type": None}
    assert current_build() == "monorepo"


def test_over_long_strings_are_cut_per_build():
    # 0.7.25 trims blanks at both ends and keeps 255 UTF-16 units; 0.7.33 drops leading blanks, keeps 350
    tail = " Firefox/98.0"
    ua = "Mozilla/5.0 " + "x" * 260 + tail
    assert parse_user_agent(ua, "monorepo")["browser"]["name"] is None
    assert parse_user_agent(ua, "npm")["browser"]["name"] == "Firefox"


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
