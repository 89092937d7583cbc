"""The user-agent rules' text test (actions/user_agent.py `_required_text`, table in actions/user_agent_needs.py).

A rule's pattern is compiled and searched only when the string holds one of the texts every match contains.
Held here: the table is what the derivation gives for every pattern of both builds; no string a pattern
matches lacks the texts (corpora user agents, variants of them, and generated text); and parsing with the
test gives exactly what trying every pattern in order gives.
"""

import json
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions import user_agent as ua
from actions.user_agent_needs import NEEDS

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "cases" / "user_agent"
PARTS = {"browser": ua._BROWSER, "os": ua._OS, "device": ua._DEVICE}


def _corpus_user_agents() -> list[str]:
    out = []
    for name in ("ua_corpus.json", "ua_corpus_npm.json"):
        out.extend(case["ua"] for case in json.loads((CASES / name).read_text(encoding="utf-8"))["cases"])
    for line in (ROOT / "classic" / "fixtures" / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            value = json.loads(line).get("context", {}).get("userAgent")
            if isinstance(value, str):
                out.append(value)
    for path in sorted(CASES.glob("helper__parseUserAgent-*.json")):
        out.extend(re.findall(r'"(Mozilla/[^"]+)"', path.read_text(encoding="utf-8")))
    return list(dict.fromkeys(out))


USER_AGENTS = _corpus_user_agents()
PATTERNS = ua._all_patterns()
COMPILED = [(p, re.compile(p, ua._FLAGS), ua._NEEDS[p]) for p in PATTERNS]
# pieces to build text from: every required text and every token of the corpora's user agents
FRAGMENTS = sorted({t for p in PATTERNS for t in (NEEDS[p] or ())}
                   | {t for s in USER_AGENTS for t in re.split(r"([ ;()/,])", s) if t})


def _variants(s: str) -> list[str]:
    return [s, s.upper(), s.lower(), s.swapcase(), s[len(s) // 3 :], s[: len(s) // 2], " " * 300 + s,
            s.replace(" ", "_"), s.replace("/", " "), s.replace("K", "\u212a").replace("s", "\u017f"), "\u0130" + s]


def _passes(needs, s: str) -> bool:
    low = s.lower()
    return needs is None or any(t in low for t in needs)


def _assert_sound(s: str) -> None:
    for pattern, rx, needs in COMPILED:
        if rx.search(s):
            assert _passes(needs, s), f"{pattern!r} matches {s!r} but the text test skips it"


def _plain_first(s: str, part, build: str) -> dict:
    """`_first` as it was: every pattern compiled, tried in order."""
    for pattern, fields in ua._patterns(part.entries, build):
        m = re.compile(pattern, ua._FLAGS).search(s)
        if m:
            return {k: ua._field(spec, m) for k, spec in fields}
    return {}


def _assert_same_parse(s: str) -> None:
    for build in ua.BUILDS:
        clipped = ua._clip(s, build)
        for part in PARTS.values():
            assert ua._first(clipped, part[build]) == _plain_first(clipped, part, build), (build, s)


def test_the_table_is_the_derivation_of_every_pattern():
    assert list(NEEDS) == PATTERNS
    assert {p: ua._required_text(p) for p in PATTERNS} == NEEDS
    assert (Path(ua.__file__).parent / "user_agent_needs.py").read_text(encoding="utf-8") == ua._needs_table_text()
    assert all(ua._NEEDS[p] is not None for p in PATTERNS)  # (every pattern has a text test today)


def test_every_rule_gets_its_texts():
    for build in ua.BUILDS:
        for part in PARTS.values():
            for rule in part[build]:
                assert rule.needs == NEEDS[rule.pattern]


def test_no_match_is_skipped_on_the_corpora():
    matched = 0
    for s in USER_AGENTS:
        for v in _variants(s):
            _assert_sound(v)
            _assert_same_parse(v)
        matched += sum(1 for _, rx, _ in COMPILED if rx.search(s))
    assert len(USER_AGENTS) >= 300 and matched > 1000  # the corpora exercise the rules


def test_the_derivation_on_written_cases():
    assert ua._required_text(r"\b(?:crmo|crios)/([\w.]+)") == ("crios/", "crmo/")
    assert ua._required_text(r"(opera)(?:.+version/|[/ ]+)([\w.]+)") == ("opera",)
    assert ua._required_text(r"ab?c") == ("abc", "ac")
    assert ua._required_text(r"x(?:yz)?") == ("x",)
    assert ua._required_text(r"(?:ab|cd)e+f") == ("ab", "cd")
    assert ua._required_text(r"(?:ab|\w)") is None
    assert ua._required_text(r"a{2,3}") == ("aa",)
    assert ua._required_text(r"(?:foo)*bar") == ("bar",)
    assert ua._required_text(r"[^a]") is None


_TEXT = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.sampled_from(FRAGMENTS).map(str.upper),
              st.text(alphabet=st.characters(max_codepoint=0x2100), max_size=4),
              st.sampled_from(" ;/()_-.0123456789")),
    max_size=25,
).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_no_match_is_skipped_on_generated_text(s):
    _assert_sound(s)
    _assert_same_parse(s)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(USER_AGENTS), st.integers(0, 400), st.integers(0, 400), _TEXT)
def test_no_match_is_skipped_on_spliced_user_agents(s, i, j, extra):
    for v in (s[:i] + extra + s[j:], s[i:] + s[:j], extra + s[i:]):
        _assert_sound(v)
        _assert_same_parse(v)


def _matching(pattern: str):
    """Strings the pattern matches (generated from the pattern itself), with text around them."""
    return st.tuples(st.just(pattern), st.from_regex(re.compile(pattern, ua._FLAGS)))


MATCHING = st.sampled_from([p for p in PATTERNS if p != r"\b; (\w+) build/hm\1"]).flatmap(_matching)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(MATCHING)
def test_strings_each_pattern_matches_hold_its_texts(case):
    pattern, s = case
    assert re.compile(pattern, ua._FLAGS).search(s)
    assert _passes(NEEDS[pattern], s), (pattern, s)
    _assert_same_parse(s)


def test_a_pattern_in_capitals_needs_the_lower_case_text():
    assert ua._required_text(r"m?(2345Explorer)[/ ]") == ("2345explorer ", "2345explorer/")
    _assert_same_parse("Mozilla/5.0 (Windows NT 10.0) 2345EXPLORER/9.1 Safari/537.36")
    _assert_same_parse(r"Mozilla/5.0 (Linux; Android 10; HUAWEI build/HMHUAWEI) Chrome/1.0")
