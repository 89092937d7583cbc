"""actions.dayjs against dayjs, formatSessionId and actions-core's `date-like` format.

tests/cases/dayjs/corpus.json was produced by tests/reference/dayjs_dump.js (TZ=UTC) from the pinned
packages; when the reference runtime is installed, the last test re-runs that script to prove the
committed expectations still match the real code.
"""

import json
import math
import os
import subprocess
import time
from pathlib import Path

import pytest

from actions import dayjs
from actions.jsjson import UNDEFINED
from reference.harness import REFERENCE_DIR, missing_reason

CASES = Path(__file__).resolve().parent.parent / "cases" / "dayjs"
CORPUS = json.loads((CASES / "corpus.json").read_text(encoding="utf-8"))
HELPERS = sorted(CASES.glob("helper__formatSessionId-*.json"))


def _as_json_number(value):
    """NaN is recorded as null in the corpus; valid instants are integers, never floats."""
    if isinstance(value, float) and math.isnan(value):
        return None
    assert isinstance(value, int) and not isinstance(value, bool), f"expected an int, got {value!r}"
    return value


def test_corpus_is_from_the_pinned_packages_and_big_enough():
    # the monorepo lock's dayjs; 1.11.x (a plain npm install) gives the same result on every case here:
    # between the two only formatting tokens and utcOffset changed, which the destination does not use
    assert CORPUS["packages"]["dayjs"] == "1.10.7"
    assert CORPUS["packages"]["@segment/actions-core"] == "3.170.0"
    assert CORPUS["timezone"] in ("UTC", "Etc/UTC")
    assert len(CORPUS["cases"]) >= 150


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=f"{i:03d}:{json.dumps(c['input'])[:50]}") for i, c in enumerate(CORPUS["cases"])]
)
def test_matches_reference(case):
    value = case["input"]
    assert dayjs.is_valid(value) is case["utc_valid"]
    assert _as_json_number(dayjs.utc_ms(value)) == case["utc_ms"]
    assert _as_json_number(dayjs.format_session_id(value)) == case["session_id"]
    if isinstance(value, str):
        assert dayjs.is_date_like(value) is case["date_like"]


@pytest.mark.parametrize("path", HELPERS, ids=[p.stem for p in HELPERS])
def test_upstream_format_session_id_cases(path):
    case = json.loads(path.read_text(encoding="utf-8"))
    assert dayjs.format_session_id(*case["args"]) == case["expected"]


@pytest.mark.parametrize(
    "value, ms",
    [
        ("2021-08-17T15:21:15.449Z", 1629213675449),
        ("2000-10-31T01:30:00.000-05:00", 972973800000),
        ("2021-08-17 15:21:15", 1629213675000),  # no zone: read as UTC
        ("2021-08-17", 1629158400000),
        (1629213675, 1629213675),  # numbers are ms, no seconds detection
        ("1629213675449", -10705032951000),  # digit string read as year 1629 with overflow
    ],
)
def test_spec_examples(value, ms):
    assert dayjs.utc_ms(value) == ms


def test_session_id_spec_quirks():
    assert dayjs.format_session_id("1234567890") == 1234567890
    assert dayjs.format_session_id("-1") == 978307200000  # not all digits: the date parser reads 2001-01-01
    assert dayjs.format_session_id(-1) == -1
    assert dayjs.format_session_id("9" * 400) == math.inf  # Number() of a huge digit string


def test_undefined_means_now_and_null_is_invalid():
    before = int(time.time() * 1000)
    now = dayjs.utc_ms(UNDEFINED)
    after = int(time.time() * 1000)
    assert before <= now <= after
    assert not dayjs.is_valid(None)


def test_date_like_checks_strings_only():
    # the schema format is only applied to strings; numbers are validated by type alone
    assert dayjs.is_date_like(10**30) is True
    assert dayjs.is_date_like("1e+21") is False  # canonical number string: unix seconds, out of range
    assert dayjs.is_date_like("99999999999") is True  # 99999999999 s is year 5138


def test_non_string_objects_go_through_string_conversion():
    assert dayjs.utc_ms(["2021", "08", "17"]) == dayjs.utc_ms("2021,08,17")
    assert not dayjs.is_valid({"a": 1})


@pytest.mark.reference
def test_committed_corpus_still_matches_the_real_packages():
    reason = missing_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the reference runtime, but {reason}", pytrace=False)
        pytest.skip(reason)
    out = subprocess.run(
        ["node", str(REFERENCE_DIR / "dayjs_dump.js"), str(CASES / "corpus.json")],
        capture_output=True, text=True, encoding="utf-8", check=True, timeout=120,
        env={**os.environ, "TZ": "UTC"},
    )
    fresh = json.loads(out.stdout)
    assert fresh["packages"] == CORPUS["packages"]
    assert fresh["cases"] == CORPUS["cases"]
