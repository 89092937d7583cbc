"""The compiled mapping-kit against the reference resolver: random mappings x random events, same result.

`compile_mapping` turns every directive into closures once; `interpret` walks the mapping on every call,
a line-by-line port of the runtime's resolver. For any mapping (valid or not) and any event, both must
return the same value (same types, same key order, undefined in the same places) or raise the same
error (same class, message and aggregated messages), and neither may change the event.
"""

from __future__ import annotations

import copy
from collections import OrderedDict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions.jsjson import UNDEFINED
from actions.mapping_kit import DIRECTIVES, MappingError, compile_mapping, interpret, transform
import actions.mapping_kit.compile as compile_module
from actions.mapping_kit.compile import BUILDERS
from actions.mapping_kit.validate import _VALIDATORS

KEYS = ["a", "b", "x", "n", "s", "o", "arr", "0", "1", "10", "first name", "length", "$", "nope", "_metadata"]
SCALARS = [None, 0, 1, -1, 2.5, -0.0, 1e21, 1e-7, 2**53 + 1, "", "0", " ", "x", "abc", "A.b", "{{a}}", "$&",
           "ÀÉ", "straße", "😀", "İ", True, False, "null", "NaN", "[1,2]", '{"k":1}', '{"a":', "1e3"]  # fmt: skip

key = st.sampled_from(KEYS)
scalar = st.one_of(st.sampled_from(SCALARS), st.integers(-10**6, 10**6), st.text(max_size=6),
                   st.floats(allow_nan=False, allow_infinity=False))  # fmt: skip
json_value = st.recursive(
    scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(key, inner, max_size=3), max_leaves=10
)

path = st.builds(
    lambda keys, form: form.format(".".join(keys)),
    st.lists(key, max_size=3),
    st.sampled_from(["$.{}", "{}", "{}[0]", "{}['first name']", "$.{}.length", "", "$.", "$", "a..b", "{}]"]),
)
template = st.lists(
    st.sampled_from(["{{a}}", "{{ x }}", "{{}}", "{{ }}", "{{arr}}", "{{o}}", "{{$.a}}", "{{{s}}}", "{{{o.a}}}",
                     "}", "{", "Hi ", "{{first name}}", "{{arr.0}}", "{{ n.length }}"]),  # fmt: skip
    max_size=4,
).map("".join)
liquid = st.one_of(
    st.sampled_from(["", "{{ a }}", "{{ a | upcase }}", "{% if a %}y{% else %}n{% endif %}", "{{ arr | size }}",
                     "{% for i in arr %}{{ i }}{% endfor %}", "{{ arr | reverse }}", "{{", "{% if %}",
                     "{{ o.a | default: 'none' }}", "x" * 1001, "{{ s | append: '!' }}"]),  # fmt: skip
    scalar,
)


def directive(mapping):
    """One directive node, with well-formed and malformed options alike."""
    opt = lambda **fields: st.fixed_dictionaries({}, optional=fields)  # noqa: E731 - a local shorthand
    sub = st.one_of(mapping, scalar)
    options = {
        "@path": st.one_of(path, sub),
        "@template": st.one_of(template, sub),
        "@literal": st.one_of(sub, json_value),
        "@excludeWhenNull": st.one_of(sub, json_value),
        "@oops": sub,
        "@if": st.one_of(opt(exists=sub, blank=sub, then=sub, **{"else": sub}), scalar),
        "@arrayPath": st.one_of(
            st.tuples(st.one_of(path, sub)).map(list),
            st.tuples(st.one_of(path, sub), st.one_of(st.just({}), mapping, json_value)).map(list),
            scalar,
        ),
        "@case": st.one_of(opt(operator=st.sampled_from(["lower", "upper", "UPPER", "", 1]), value=sub), scalar),
        "@replace": st.one_of(
            opt(pattern=st.sampled_from(["a", ".", " ", "A", "", "abcdefghijk", "$", "ß", 3]),
                replacement=st.sampled_from(["", "-", "$&", "$$", "$'", "$`", None, "x" * 11, 1]),
                value=sub, ignorecase=st.sampled_from([True, False, None, "yes"]),
                **{"global": st.sampled_from([True, False, None])},
                pattern2=st.sampled_from(["b", "A", "", None]), replacement2=st.sampled_from(["", "+", None])),
            scalar,
        ),  # fmt: skip
        "@json": st.one_of(opt(mode=st.sampled_from(["encode", "decode", "Encode", ""]), value=sub), scalar),
        "@flatten": st.one_of(
            opt(value=sub, separator=st.one_of(st.sampled_from([".", "_", "", "::"]), sub),
                omitArrays=st.sampled_from([True, False, [], 0])),
            scalar,
        ),  # fmt: skip
        "@merge": st.one_of(
            opt(direction=st.one_of(st.sampled_from(["left", "right", "LEFT", ""]), sub),
                objects=st.one_of(st.lists(st.one_of(mapping, json_value), max_size=3), sub)),
            scalar,
        ),  # fmt: skip
        "@transform": st.one_of(opt(apply=st.one_of(mapping, json_value), mapping=st.one_of(mapping, json_value)),
                                scalar),  # fmt: skip
        "@liquid": liquid,
    }
    return st.one_of([option.map(lambda o, n=name: {n: o}) for name, option in options.items()]).flatmap(
        lambda d: st.sampled_from([d, {**d, "_metadata": {"note": 1}}])
    )


mapping = st.deferred(
    lambda: st.one_of(
        directive(mapping),
        st.dictionaries(key, st.one_of(mapping, scalar), max_size=4),
        st.lists(st.one_of(mapping, scalar), max_size=3),
    )
)
top_mapping = st.one_of(
    st.dictionaries(key, st.one_of(mapping, scalar), min_size=1, max_size=5),
    directive(mapping),
    st.builds(lambda inner, rest: {"__segment_internal_directive": inner, **rest},
              directive(mapping), st.dictionaries(key, mapping, max_size=2)),  # fmt: skip
)
event = st.dictionaries(key, json_value, max_size=7)


def strict(value):
    """A value with every type made visible: 1, 1.0 and True differ; key order and undefined count."""
    if value is UNDEFINED:
        return ("undefined",)
    if isinstance(value, dict):
        return ("object", [(k, strict(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("array", [strict(v) for v in value])
    if isinstance(value, float) and value == 0:
        return ("float", str(value))  # -0.0 and 0.0
    return (type(value).__name__, value)


def outcome(fn, *args):
    try:
        return ("ok", strict(fn(*args)))
    except MappingError as err:
        return ("error", type(err).__name__, getattr(err, "js_name", None), str(err), getattr(err, "errors", None))
    except RecursionError:
        return ("recursion",)


def reference(mapping_doc, data):
    return outcome(interpret, copy.deepcopy(mapping_doc), copy.deepcopy(data))


PROPERTY = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(top_mapping, event, event)
def test_compiled_mapping_equals_the_reference_resolver(mapping_doc, first, second):
    expected = [reference(mapping_doc, first), reference(mapping_doc, second)]
    frozen = copy.deepcopy(mapping_doc)
    try:
        fn = compile_mapping(mapping_doc)
    except MappingError as err:
        # compiling validates: the reference fails the same way on any event
        failure = ("error", type(err).__name__, getattr(err, "js_name", None), str(err), getattr(err, "errors", None))
        assert expected == [failure, failure]
        return
    data = [copy.deepcopy(first), copy.deepcopy(second)]
    # the same closures, twice and on two events: no state may leak between calls
    got = [outcome(fn, data[0]), outcome(fn, data[1]), outcome(fn, data[0])]
    assert got == [expected[0], expected[1], expected[0]]
    assert data == [first, second], "the event was changed"
    assert strict(mapping_doc) == strict(frozen), "the mapping was changed"


@PROPERTY
@given(top_mapping, st.one_of(event, json_value))
def test_transform_equals_the_reference_resolver(mapping_doc, data):
    # including data that is not an object: the data check comes before validation, as in the runtime
    assert outcome(transform, copy.deepcopy(mapping_doc), copy.deepcopy(data)) == reference(mapping_doc, data)


def test_every_directive_has_a_validator_a_reference_and_a_compiled_form():
    assert set(BUILDERS) == set(DIRECTIVES) == set(_VALIDATORS)
    assert len(DIRECTIVES) == 13


@pytest.mark.parametrize("name", sorted(DIRECTIVES))
def test_no_directive_falls_back_to_the_reference_resolver(name, monkeypatch):
    # the compiled form of a directive never calls the reference resolver, even for invalid options
    import actions.mapping_kit.directives as directives

    samples = {
        "@if": {"exists": {"@path": "$.a"}, "then": {"@merge": {"direction": "right", "objects": [{"x": 1}]}}},
        "@case": {"operator": "upper", "value": {"@path": "$.a"}},
        "@replace": {"pattern": "a", "replacement": "b", "value": {"@path": "$.a"}},
        "@arrayPath": ["$.arr", {"v": {"@path": "$.x"}}],
        "@path": "$.a",
        "@template": "{{a}}!",
        "@literal": {"k": {"@path": "$.a"}},
        "@flatten": {"value": {"@path": "$.o"}, "separator": "."},
        "@json": {"mode": "encode", "value": {"@path": "$.o"}},
        "@merge": {"direction": "left", "objects": [{"@path": "$.o"}, {"b": {"@path": "$.a"}}]},
        "@transform": {"apply": {"o": {"@path": "$.o"}}, "mapping": {"k": {"@path": "$.o.x"}}},
        "@excludeWhenNull": {"@path": "$.o"},
        "@liquid": "{{ a | upcase }}",
    }
    for bad in (samples[name], {}, 7):  # valid, then failing when run or when validated
        mapping_doc = {"out": {name: bad}}
        data = {"a": "ab", "o": {"x": 1, "y": None}, "arr": [{"x": 2}]}
        expected = reference(mapping_doc, data)

        def forbidden(*_args):
            raise AssertionError("the compiled form called the reference resolver")

        with monkeypatch.context() as patch:
            patch.setattr(compile_module, "_cache", OrderedDict())  # compiled here, not taken from the cache
            patch.setattr(directives, "_resolve", forbidden)
            for impl in list(directives.DIRECTIVES):
                patch.setitem(directives.DIRECTIVES, impl, forbidden)
            got = outcome(lambda d: compile_mapping(mapping_doc)(d), data)
        assert got == expected


def test_equal_mappings_share_one_compiled_function():
    first = compile_mapping({"a": {"@path": "$.x"}, "n": 1})
    assert compile_mapping({"a": {"@path": "$.x"}, "n": 1}) is first
    # a different type or key order is a different mapping
    assert compile_mapping({"a": {"@path": "$.x"}, "n": 1.0}) is not first
    assert compile_mapping({"n": 1, "a": {"@path": "$.x"}}) is not first
    assert compile_mapping({"a": {"@path": "$.x"}, "n": True})({"x": 2}) == {"a": 2, "n": True}
    assert first({"x": 2}) == {"a": 2, "n": 1} and type(first({})["n"]) is int
