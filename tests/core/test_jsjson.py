"""JS serialisation rules: each expected string is what Node 20 prints for the same value."""

import pytest

from actions.jsjson import UNDEFINED, dumps, js_number, js_string, url_search_params


@pytest.mark.parametrize(
    "value, text",
    [
        (1.0, "1"), (-0.0, "0"), (0.1, "0.1"), (1e21, "1e+21"), (1e-7, "1e-7"), (123e-20, "1.23e-18"),
        (1.5e-6, "0.0000015"), (2**53 + 1, "9007199254740992"), (100, "100"), (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"), (123456789.125, "123456789.125"),
        (float("nan"), "NaN"), (float("inf"), "Infinity"),
    ],
)
def test_numbers_print_like_js_string(value, text):
    assert js_number(value) == text


def test_dumps_orders_index_keys_first_and_drops_undefined():
    obj = {"b": 1, "2": 2, "a": "é\u2028<", "10": [1.0, None, UNDEFINED], "x": {"1": True, "u": UNDEFINED}, "01": 0}
    assert dumps(obj) == '{"2":2,"10":[1,null,null],"b":1,"a":"é\u2028<","x":{"1":true},"01":0}'


def test_dumps_non_finite_numbers_are_null():
    assert dumps([float("nan"), float("-inf")]) == "[null,null]"


def test_js_string():
    assert [js_string(v) for v in (True, None, UNDEFINED, [1, None, "a"], {"a": 1}, 2.50)] == [
        "true", "null", "undefined", "1,,a", "[object Object]", "2.5",
    ]


def test_url_search_params_matches_whatwg_encoding():
    text = url_search_params({"api_key": "a b~*@é", "identification": '{"x":1}', "options": UNDEFINED})
    assert text == "api_key=a+b%7E*%40%C3%A9&identification=%7B%22x%22%3A1%7D&options=undefined"


def test_lone_surrogates_like_node():
    # Node 20: JSON.stringify({a: "x\ud800"}) and new URLSearchParams({a: "x\ud800"}).toString()
    assert dumps({"a": "x\ud800", "b": "😀"}) == '{"a":"x\\ud800","b":"😀"}'
    assert url_search_params({"a": "x\ud800"}) == "a=x%EF%BF%BD"
