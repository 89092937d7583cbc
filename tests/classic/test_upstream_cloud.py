"""The 2017 open-source cloud code's own tests (transcribed in tests/cases/classic/upstream/cloud).

Run with every contested option on its 2017 variant and the code's own defaults, the emulator must send
exactly the request bodies those tests assert (byte for byte) and the mapped payloads they compare.
"""
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from classic import Emulator

CASES = sorted((Path(__file__).parent.parent / "cases" / "classic" / "upstream" / "cloud").glob("*.json"))
CODE2017 = {"page_naming": "code2017", "query_params": "code2017", "order_completed": "code2017",
            "group_call": "code2017", "revenue_price": "code2017", "defaults": "code"}


def encode_uri_component(text: str) -> str:
    return quote(text, safe="-_.!~*'()")


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_cloud_2017(path):
    case = json.loads(path.read_text())
    out = Emulator(case["settings"], mode="cloud", options=CODE2017).send(case["event"])
    requests = out["requests"]
    if "expected_mapped_payload" in case:
        form = requests[0]["form"]
        body = form.get("event") or form.get("identification")
        assert json.loads(body) == case["expected_mapped_payload"]
    if "expected_requests" in case:
        assert len(requests) == len(case["expected_requests"])
    for expected, got in zip(case.get("expected_requests", []), requests):
        field = next(k for k in got["form"] if k != "api_key")
        raw = f"api_key={got['form']['api_key']}&{field}={encode_uri_component(got['form'][field])}"
        assert got["url"] == expected["url"]
        assert got["headers"]["content-type"] == expected["content_type"]
        assert raw == expected["raw_body"]
    if case.get("expected_requests_count") is not None:
        assert len(requests) == case["expected_requests_count"]
    if case.get("expected_none"):
        assert requests == [] and out["note"]


def test_cases_present():
    assert len(CASES) == 51
