"""`jsjson.dumps` takes a fast path for plain values; it must write exactly what the general rules write."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from actions.jsjson import UNDEFINED, dumps, dumps_reference


class _Text(str):
    pass


class _Object(dict):
    pass


_floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 1e-7, 1e-6, 1e-5, 0.0001, 1e15, 1e16, 1e20, 1e21, 1e22, 2.0**53,
                     123456789012345680000.0, 0.1 + 0.2, -1.5e300, 5e-324]),
)
_ints = st.one_of(st.integers(), st.sampled_from([2**53, 2**53 + 1, -(2**53) - 1, 2**64, -(2**70)]))
_keys = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["0", "1", "10", "01", "4294967294", "4294967295", "-1", "1.5", "²", "a", "b", "0a"]),
)
_scalars = st.one_of(
    st.none(), st.booleans(), _ints, _floats, st.text(), st.just("\ud800x"), st.just(UNDEFINED),
    st.builds(_Text, st.text(max_size=4)), st.just(len),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(_keys, inner, max_size=6),
        st.builds(tuple, st.lists(inner, max_size=3)),
        st.builds(_Object, st.dictionaries(_keys, inner, max_size=3)),
    ),
    max_leaves=30,
)


def _either(fn, value):
    try:
        return ("text", fn(value))
    except Exception as exc:  # the same error class in both forms
        return ("error", type(exc).__name__)


@settings(max_examples=3000, deadline=None)
@given(_values)
def test_fast_path_writes_what_the_general_rules_write(value):
    assert _either(dumps, value) == _either(dumps_reference, value)


def test_fast_path_examples():
    assert dumps({"b": 1, "a": [1.0, -0.0, 1e21, 1e-7, math.nan, UNDEFINED], "2": None, "1": "x"}) == (
        '{"1":"x","2":null,"b":1,"a":[1,0,1e+21,1e-7,null,null]}'
    )
    assert dumps({"a": UNDEFINED, "b": len, "c": 2**53 + 1}) == '{"c":9007199254740992}'
    assert dumps({"s": "\ud800", "t": "é\n"}) == '{"s":"\\ud800","t":"é\\n"}'
