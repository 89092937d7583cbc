"""The one masking rule (migrate.masking): keys, values, text, URLs, headers and requests."""

import base64
import json

from migrate.masking import (
    MASK,
    MaskingWriter,
    is_masked,
    is_secret_key,
    mask_text,
    redact,
    redact_request,
    secret_values,
)

KEY, SECRET = "live-key-0123456789", "live-secret-9876543210"


def test_secret_key_names_ignore_case_and_separators_but_not_lookalikes():
    for name in ("apiKey", "API_KEY", "x-api-key", "secret_key", "Authorization", "access-token", "Password"):
        assert is_secret_key(name), name
    for name in ("keyword", "tokens_used", "monkey", "endpoint", "Token Count", 7, None):
        assert not is_secret_key(name), name


def test_redact_masks_nested_pairs_headers_and_urls_and_keeps_the_rest():
    data = {
        "settings": {"apiKey": KEY, "secretKey": "", "endpoint": "europe"},
        "headers": [{"name": "Authorization", "value": "Basic " + base64.b64encode(b"a:b").decode()}],
        "request": {"headers": {"X-Api-Key": KEY, "content-type": "application/json"}},
        "url": f"https://user:{SECRET}@example.com/path?api_key={KEY}&page=2",
        "counts": {"token": 3},
    }
    out = redact(data)
    text = json.dumps(out, ensure_ascii=False)
    assert KEY not in text and SECRET not in text and "YTpi" not in text
    assert out["settings"] == {"apiKey": MASK, "secretKey": "", "endpoint": "europe"}
    assert out["request"]["headers"]["content-type"] == "application/json"
    assert out["url"] == f"https://{MASK}@example.com/path?api_key={MASK}&page=2"
    assert out["counts"] == {"token": 3}  # numbers are no credentials
    assert data["settings"]["apiKey"] == KEY  # the input is not changed


def test_known_values_and_their_basic_auth_form_are_masked_in_text():
    known = secret_values({"data": {"destination": {"settings": {"apiKey": KEY, "secretKey": SECRET}}}})
    basic = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert set(known) == {KEY, SECRET, basic}
    text = mask_text(f"endpoint rejected {KEY!r}; header {basic}", known)
    assert KEY not in text and basic not in text and text.count(MASK) == 2


def test_requests_keep_event_data_and_lose_credentials():
    request = {"method": "POST", "url": "https://api2.amplitude.com/2/httpapi",
               "headers": {"content-type": "application/json", "authorization": "Basic abcdefgh"},
               "json": {"api_key": KEY, "events": [{"event_type": "token", "event_properties": {"apiKey": "x"}}]}}
    out = redact_request(request, (KEY,))
    assert out["json"]["api_key"] == MASK and out["headers"]["authorization"] == MASK
    assert out["json"]["events"] == request["json"]["events"]  # event data is data: unchanged
    form = redact_request({"form": {"api_key": KEY, "event": json.dumps({"note": KEY})}}, (KEY,))
    assert KEY not in json.dumps(form)


def test_masking_writer_and_already_masked_values(tmp_path):
    path = tmp_path / "out.jsonl"
    with path.open("w") as fh:
        MaskingWriter(fh, (KEY,)).write(json.dumps({"api_key": KEY}) + "\n")
    assert KEY not in path.read_text() and MASK in path.read_text()
    assert is_masked(MASK) and is_masked("••••••••••7d35") and is_masked("****")
    assert not is_masked("plain") and not is_masked(None)


def test_log_messages_are_masked(caplog):
    import logging

    import migrate.public_api  # noqa: F401 - its import attaches the filter to its logger
    from migrate.masking import LOG_FILTER

    log = logging.getLogger("migrate.public_api")
    LOG_FILTER.remember(["remembered-token-123"])
    with caplog.at_level(logging.INFO, logger="migrate.public_api"):
        log.info("retrying with %s and Authorization: Bearer abcdefghijkl", "remembered-token-123")
    text = caplog.text
    assert "remembered-token-123" not in text and "abcdefghijkl" not in text and MASK in text


def test_request_redaction_masks_exactly_the_keys_naming_credentials():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from migrate.masking import is_secret_key, mask_value

    keys = st.one_of(st.sampled_from(["api_key", "API-Key", "Authorization", "x-api-key", "event", "options",
                                      "content-type", "secret", "token", "tokens", "apikey2"]), st.text(max_size=6))
    parts = st.dictionaries(keys, st.one_of(st.text(max_size=4), st.integers(), st.none(), st.booleans(),
                                            st.floats(allow_nan=False), st.just(""), st.lists(st.integers(), max_size=1),
                                            st.dictionaries(st.just("k"), st.integers(), max_size=1)), max_size=4)

    @settings(max_examples=300, deadline=None)
    @given(st.dictionaries(st.sampled_from(["json", "form", "headers", "method"]), parts))
    def check(request):
        out = redact_request(request)
        for name, part in request.items():
            expected = part if name == "method" else {k: (mask_value(v) if is_secret_key(k) else v)
                                                      for k, v in part.items()}
            assert out[name] == expected and list(out[name]) == list(expected)

    check()


class _Key(str):
    """A key of another class than `str`: never looked at when finding credentials, as first written."""


def _redact_request_reference(request):
    """`redact_request` as first written (no known secrets): every key of each part looked at, each time."""
    from migrate.masking import _names_secret, mask_value

    def mask_credentials(part):
        if type(part) is not dict:
            return part
        for key in part:
            if type(key) is str and _names_secret(key):
                return {k: (mask_value(v) if isinstance(k, str) and _names_secret(k) else v) for k, v in part.items()}
        return part

    out = dict(request)
    for name in ("json", "form", "headers"):
        if name in out:
            out[name] = mask_credentials(out[name])
    return out


def test_request_redaction_with_remembered_keys_is_the_first_written_rule():
    """`redact_request` remembers which keys name no credential and leaves a part of only such keys as it
    is: the same result as looking at every key, on the first call and after, with keys of other classes."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    names = st.sampled_from(["api_key", "API-Key", "Authorization", "content-type", "events", "token", "tokens",
                             "options", "e"])
    keys = st.one_of(names, names.map(_Key), st.integers(0, 2), st.text(max_size=3))
    values = st.one_of(st.text(max_size=3), st.integers(), st.none(), st.booleans(), st.just(""),
                       st.lists(st.integers(), max_size=1))
    parts = st.one_of(st.dictionaries(keys, values, max_size=4), st.none(), st.text(max_size=2))

    @settings(max_examples=500, deadline=None)
    @given(st.dictionaries(st.sampled_from(["json", "form", "headers", "method", "url"]), parts))
    def check(request):
        expected = _redact_request_reference(request)
        for _ in range(2):  # the second time with every key of the request remembered
            out = redact_request(request)
            assert out == expected and list(out) == list(expected)
            assert [type(k) for part in out.values() if isinstance(part, dict) for k in part] == \
                [type(k) for part in expected.values() if isinstance(part, dict) for k in part]
            for name, part in request.items():  # a part without credentials is the part itself
                if expected[name] is part:
                    assert out[name] is part

    check()


# -- the fast text path: each pattern runs only where it can match ----------------------------------------------


def _mask_text_everywhere(text, known=()):
    """The rule as plainly written: every pattern on every text (what `mask_text` must equal)."""
    from migrate import masking

    for secret in masking.known_secrets(known):
        text = text.replace(secret, MASK)
    text = masking._AUTH_SCHEME.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = masking._KEY_VALUE.sub(lambda m: m.group(1) + MASK, text)
    return masking._URL_USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)


TRICKY_TEXTS = [
    "", "plain words", "Bearer abcdefghijk", "bearer   tok.en+/=123456", "BASIC dXNlcjpwYXNz", "basic short",
    "apiKey=abc123", "api-key: 'abc'", "API_KEY = zzz", "secret_key=s3cr3t&x=1", "access_token=aaa",
    "?token=t0k3n", "Authorization: xyz", "password=hunter2", '{"password": "p4ss"}', "monkey=banana",
    "keyword=foo", "https://user:pw@example.com/x", "ftp://u@host", "mail me at a@b.co", "see https://x.y/z@w",
    # case-insensitive matching pairs these non-ASCII letters with ASCII ones: they must go through the patterns
    "to\u212aen=abc", "api\u212aey=abc", "pa\u017f\u017fword=abc", "authorızation: abc", "BAS\u0130C abcdefgh",
    "Bearer \u00e9\u00e9\u00e9 abcdefgh", "caf\u00e9 token=abc", "Bearer abcdefgh token=xyz",
    # a known secret is replaced first; the text then holds the (non-ASCII) mask
    "key=live-key-0123456789", "Basic live-key-0123456789", "live-key-0123456789@https://a:b@c",
]


def test_mask_text_equals_every_pattern_on_every_text():
    import random

    rng = random.Random(7)
    words = ["Bearer ", "basic ", "token", "=", ":", " ", "key", "api", "_", "-", "password", "authorization",
             "://", "@", "https", "user", "abcdefgh", "\u212a", "\u017f", "\u0131", "\u0130", "\u00e9", '"', "'",
             "&", KEY, "x"]
    texts = list(TRICKY_TEXTS) + ["".join(rng.choice(words) for _ in range(rng.randint(1, 12)))
                                  for _ in range(3000)]
    for text in texts:
        for known in ((), (KEY,)):
            assert mask_text(text, known) == _mask_text_everywhere(text, known), (text, known)


def test_redact_masks_texts_the_same_when_they_repeat_and_when_the_known_secrets_change():
    data = {"a": "token=abc", "b": ["token=abc", "x " + KEY], KEY: "token=abc"}
    first = redact(data, [KEY])
    assert first == {"a": "token=" + MASK, "b": ["token=" + MASK, "x " + MASK], MASK: "token=" + MASK}
    assert redact(data, [KEY]) == first
    # another set of known secrets: nothing remembered for the first set may leak into it
    assert redact(data) == {"a": "token=" + MASK, "b": ["token=" + MASK, "x " + KEY], KEY: "token=" + MASK}
    assert redact(data, [KEY]) == first


# ---- the lines of `actions run` / `classic run` are masked as UTF-8 bytes: the same as masking the text

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = st.sampled_from(["ab", "abc", "ab€", "€", "é", "😀", "•", "••", MASK, "x", "\n", '"', "c:", "ü"])
_TEXTS = st.lists(_PIECES, max_size=30).map("".join)


def _masked_as_text(text, known):
    """The rule as written for text: every known secret, longest first, replaced wherever it occurs."""
    for secret in sorted({k for k in known if len(k) >= 4 and k != MASK}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


class _Sink:
    def __init__(self):
        self.parts = []

    def write(self, data):
        self.parts.append(data)
        return len(data)


@settings(max_examples=400, deadline=None)
@given(_TEXTS, st.lists(st.one_of(_TEXTS, st.sampled_from(["ab€a", "€€€€", "\ud800abc", "😀😀", "éééé"])),
                        max_size=4))
def test_masking_bytes_equals_masking_the_text(text, known):
    as_text, as_bytes = _Sink(), _Sink()
    MaskingWriter(as_text, known).write(text)
    MaskingWriter(as_bytes, known).write(text.encode("utf-8"))
    expected = _masked_as_text(text, known)
    assert as_text.parts == [expected]
    assert as_bytes.parts == [expected.encode("utf-8")]


def test_secrets_with_non_ascii_are_masked_in_bytes_and_a_lone_surrogate_secret_is_harmless():
    out = _Sink()
    writer = MaskingWriter(out, ("clé-secrète-😀", "\ud800-abcd", KEY))
    writer.write(f'{{"a":"clé-secrète-😀","b":"{KEY}","c":"\\ud800-abcd"}}\n'.encode("utf-8"))
    assert out.parts == [f'{{"a":"{MASK}","b":"{MASK}","c":"\\ud800-abcd"}}\n'.encode("utf-8")]
