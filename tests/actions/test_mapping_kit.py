"""Mapping-kit against the cases transcribed from the runtime's own tests (tests/cases/mapping_kit)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from actions.jsjson import UNDEFINED, dumps
from actions.mapping_kit import (
    MappingError,
    ValidationError,
    compile_mapping,
    fields_to_schema,
    interpret,
    remove_empty_values,
    remove_empty_values_schema,
    transform,
    validate_mapping,
)

CASES_DIR = Path(__file__).resolve().parent.parent / "cases" / "mapping_kit"


def _load(kind: str):
    cases = []
    for path in sorted(CASES_DIR.glob("*.json")):
        if path.name.startswith("fql-"):
            continue
        for index, case in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            is_rev = case.get("kind") == "removeEmptyValues"
            if (kind == "removeEmptyValues") == is_rev:
                title = case["source"].split("::")[-1].strip()[:60]
                cases.append(pytest.param(case, id=f"{path.stem}[{index}] {title}"))
    return cases


MAPPING_CASES = _load("transform")
REMOVE_EMPTY_CASES = _load("removeEmptyValues")


def js_equal(actual, expected) -> bool:
    """Equality of JSON values as JavaScript sees them: booleans are not numbers, 1 == 1.0."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, (int, float)):
        return isinstance(actual, (int, float)) and actual == expected
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and set(actual) == set(expected)
            and all(js_equal(actual[k], expected[k]) for k in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(js_equal(a, e) for a, e in zip(actual, expected))
        )
    return type(actual) is type(expected) and actual == expected


def as_json(value):
    """What the value looks like once serialised (undefined array slots become null)."""
    return json.loads(dumps(value))


def error_texts(err: Exception) -> list[str]:
    return [str(err)] + list(getattr(err, "errors", []))


def run(fn, case):
    """(result, None) or (None, error) for fn(mapping, payload)."""
    try:
        return fn(copy.deepcopy(case["mapping"]), copy.deepcopy(case["payload"])), None
    except MappingError as err:
        return None, err


def check_case(fn, case):
    result, err = run(fn, case)
    if "expected_error" in case:
        assert err is not None, f"expected error {case['expected_error']!r}, got {result!r}"
        assert any(case["expected_error"] in text for text in error_texts(err)), error_texts(err)
        if "expected_errors" in case:
            assert sorted(err.errors) == sorted(case["expected_errors"])
    else:
        assert err is None, f"unexpected error: {err}"
        assert not _contains_undefined_key(result)
        assert js_equal(as_json(result), case["expected"]), (result, case["expected"])


def _contains_undefined_key(value) -> bool:
    if isinstance(value, dict):
        return any(v is UNDEFINED or _contains_undefined_key(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_undefined_key(v) for v in value)
    return False


@pytest.mark.parametrize("case", MAPPING_CASES)
def test_reference_resolver_case(case):
    check_case(interpret, case)


@pytest.mark.parametrize("case", MAPPING_CASES)
def test_transform_case(case):
    check_case(transform, case)


@pytest.mark.parametrize("case", MAPPING_CASES)
def test_compiled_mapping_case(case):
    check_case(lambda mapping, payload: compile_mapping(mapping)(payload), case)


@pytest.mark.parametrize("case", MAPPING_CASES)
def test_compiled_equals_reference(case):
    expected, expected_err = run(interpret, case)
    try:
        fn = compile_mapping(copy.deepcopy(case["mapping"]))
        # twice: closures built once must not keep state between events
        first, second = fn(copy.deepcopy(case["payload"])), fn(copy.deepcopy(case["payload"]))
    except MappingError as err:
        assert expected_err is not None, f"compiled raised {err!r}, transform gave {expected!r}"
        assert type(err) is type(expected_err) and error_texts(err) == error_texts(expected_err)
        return
    assert expected_err is None, f"transform raised {expected_err!r}, compiled gave {first!r}"
    assert dumps(first) == dumps(expected) == dumps(second)
    assert js_equal(as_json(first), as_json(expected))


def test_case_files_are_all_loaded():
    # 442 transform cases and 14 removeEmptyValues cases were transcribed (spec section 6)
    assert len(MAPPING_CASES) == 442
    assert len(REMOVE_EMPTY_CASES) == 14


def _schema_to_field(schema: dict) -> dict | None:
    """The action field whose `fieldsToJsonSchema` is `schema`, or None when no field produces it."""
    types = schema.get("type")
    types = types if isinstance(types, list) else ([types] if types else [])
    if not types:
        return None  # fields always have a type (an enum-only schema is not produced)
    if "array" in types:
        item = _schema_to_field(schema["items"]) if schema.get("items") else None
        return None if item is None else {**item, "multiple": True}
    base = [t for t in types if t != "null"]
    field = {"type": base[0] if base else "null"}
    if "null" in types and base:
        field["allow_null"] = True
    if schema.get("enum"):
        field["choices"] = [v for v in schema["enum"] if v is not None]
    if schema.get("properties"):
        props = {k: _schema_to_field(v) for k, v in schema["properties"].items()}
        if None in props.values():
            return None
        field.update(properties=props, additional_properties=True)
    return field


def _not_reachable(case) -> str | None:
    schema = case["schema"]
    if case["is_root"] and set(case["value"]) - set(schema.get("properties") or {}):
        return ("keys without a field never reach removeEmptyValues in production: the runtime's "
                "removeAdditional drops them at the root")
    fields = {k: _schema_to_field(v) for k, v in (schema.get("properties") or {}).items()}
    if None in fields.values():
        return "no action field produces this schema (an array without items, or a schema without a type)"
    return None


@pytest.mark.parametrize("case", REMOVE_EMPTY_CASES)
def test_remove_empty_values_case(case):
    """Each transcribed case through the code the engine runs: `PayloadSchema.remove_empty_values` at the
    root, a field node's `rev` below it (framework.py), not a copy."""
    from actions.framework import _compile_node, compile_schema

    reason = _not_reachable(case)
    if reason:
        pytest.skip(reason)
    before = copy.deepcopy(case["value"])
    fields = {k: _schema_to_field(v) for k, v in case["schema"]["properties"].items()}
    if case["is_root"]:
        result = compile_schema(fields).remove_empty_values(case["value"])
    else:
        result = _compile_node({"type": "object", "properties": fields, "additional_properties": True}).rev(
            case["value"])
    assert js_equal(result, case["expected"])
    assert case["value"] == before  # the input is not modified
    # the reference port in mapping_kit agrees
    assert js_equal(remove_empty_values_schema(case["value"], case["schema"], case["is_root"]), case["expected"])


def test_remove_empty_values_cases_reaching_production():
    reachable = [p.values[0] for p in REMOVE_EMPTY_CASES if _not_reachable(p.values[0]) is None]
    assert len(reachable) == 11


# --- behaviour the engine relies on -------------------------------------------------------------

EVENT = {
    "type": "track",
    "event": "Product Viewed",
    "anonymousId": "anon-1",
    "properties": {"price": 9.5, "tags": ["a", "b"], "products": [{"productId": "p1", "price": 2.0}]},
    "context": {"device": {"id": None}, "page": {"referrer": ""}},
}


def test_output_never_shares_containers_with_the_event():
    mapping = {
        "props": {"@path": "$.properties"},
        "nested": {"p": {"@path": "$.properties"}},
        "literal": {"@literal": {"tags": {"@path": "$.properties.tags"}}},
        "items": {"@arrayPath": ["$.properties.products"]},
    }
    event = copy.deepcopy(EVENT)
    for out in (transform(mapping, event), compile_mapping(mapping)(event)):
        out["props"]["price"] = 0
        out["props"]["tags"].append("x")
        out["nested"]["p"].pop("products")
        out["literal"]["tags"].clear()
        out["items"][0]["productId"] = "changed"
    assert event == EVENT


def test_compiled_mapping_reused_across_events():
    fn = compile_mapping({"device_id": {"@if": {"exists": {"@path": "$.context.device.id"}, "then": {"@path": "$.context.device.id"}, "else": {"@path": "$.anonymousId"}}}})
    assert fn(EVENT) == {"device_id": "anon-1"}
    assert fn({"context": {"device": {"id": "d-1"}}}) == {"device_id": "d-1"}
    assert fn({}) == {}


def test_compiled_mapping_validates_once_at_compile_time():
    with pytest.raises(ValidationError) as info:
        compile_mapping({"a": {"@path": 1}, "b": {"@nope": 2}})
    assert info.value.errors == [
        "/a/@path should be a string or a mapping directive but it is a number.",
        "/b has an invalid directive: @nope.",
    ]
    assert info.value.js_name == "AggregateError"


def test_single_directive_error_is_not_aggregated():
    with pytest.raises(ValidationError) as info:
        validate_mapping({"@path": 1})
    assert str(info.value) == "/@path should be a string or a mapping directive but it is a number."
    assert info.value.js_name == "ValidationError"


def test_runtime_error_is_raised_only_when_reached():
    fn = compile_mapping({"x": {"@if": {"exists": {"@path": "$.a"}, "then": 1, "else": {"@path": {"@path": "$.b"}}}}})
    assert fn({"a": 0}) == {"x": 1}
    with pytest.raises(MappingError, match="@path: expected string, got undefined"):
        fn({})


def test_compiled_rejects_non_object_data():
    fn = compile_mapping({"a": 1})
    with pytest.raises(MappingError, match="data must be an object, got array"):
        fn([])
    assert fn() == {"a": 1}


def test_undefined_array_slots_stay_until_serialised():
    out = transform({"list": [{"@path": "$.a"}, {"@path": "$.nope"}]}, {"a": 1})
    assert out["list"][1] is UNDEFINED
    assert dumps(out) == '{"list":[1,null]}'


LOG_EVENT_FIELDS = {
    "user_id": {"type": "string", "allow_null": True},
    "event_type": {"type": "string", "required": True},
    "time": {"type": "datetime"},
    "event_properties": {"type": "object"},
    "price": {"type": "number"},
    "platform": {"type": "string"},
    "products": {
        "type": "object",
        "multiple": True,
        "properties": {"price": {"type": "number"}, "productId": {"type": "string"}},
        "additional_properties": True,
    },
    "library2": {
        "type": "object",
        "allow_null": True,
        "properties": {"behavior": {"type": "string", "choices": ["auto", "use_mapping"]}, "mapping": {"type": "string"}},
    },
    "use_batch_endpoint": {"type": "boolean"},
    "tags": {"type": "string", "multiple": True},
}


def test_fields_to_schema_matches_the_runtime_shape():
    schema = fields_to_schema(LOG_EVENT_FIELDS)
    props = schema["properties"]
    assert props["user_id"]["type"] == ["string", "null"]
    assert props["time"]["type"] == ["string", "number"]
    assert props["products"]["type"] == "array"
    assert props["products"]["items"]["properties"]["price"] == {"type": "number"}
    # a nested-object field's schema is spread over its own: allowNull's "null" is lost, as upstream
    assert props["library2"]["type"] == "object"
    assert props["library2"]["properties"]["behavior"]["enum"] == ["auto", "use_mapping"]
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}


def test_remove_empty_values_with_field_specs():
    payload = {
        "user_id": None,
        "event_type": "",
        "time": "",
        "event_properties": {"empty": "", "none": None},
        "price": None,
        "platform": "",
        "products": [{"price": None, "productId": ""}, None],
        "library2": None,
        "use_batch_endpoint": False,
        "tags": ["", None, "x"],
        "unknown": None,
    }
    before = copy.deepcopy(payload)
    assert remove_empty_values(payload, LOG_EVENT_FIELDS) == {
        "user_id": None,
        "event_properties": {"empty": "", "none": None},
        # items are filtered, not cleaned
        "products": [{"price": None, "productId": ""}],
        "use_batch_endpoint": False,
        "tags": ["", "x"],
        "unknown": None,
    }
    assert payload == before


PRESET_CASES = [
    pytest.param(case, id=case["source"].split("::")[-1].strip())
    for case in json.loads((CASES_DIR / "presets" / "logEventV2-defaults.json").read_text(encoding="utf-8"))
]


@pytest.mark.parametrize("case", PRESET_CASES)
def test_log_event_v2_default_mapping(case):
    # outputs recorded from the reference runtime for the action's own field defaults
    check_case(interpret, case)
    check_case(transform, case)
    check_case(lambda mapping, payload: compile_mapping(mapping)(payload), case)


# --- differential check against the pinned real runtime (tests/reference) ---------------------------

ORACLE_JS = r"""
const { transform } = require('@segment/actions-core')
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean)
const out = lines.map((line) => {
  const c = JSON.parse(line)
  try {
    const r = transform(c.mapping, c.payload)
    return { ok: r === undefined ? '__undefined__' : r }
  } catch (e) {
    if (e.name === 'AggregateError') return { errors: [...e].map((x) => x.message) }
    return { error: e.message }
  }
})
process.stdout.write(out.map((o) => JSON.stringify(o)).join('\n') + '\n')
"""

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"


def run_oracle(script: str, cases: list) -> list:
    import os
    import shutil
    import subprocess

    if shutil.which("node") is None or not (REFERENCE_DIR / "node_modules" / "@segment" / "actions-core").is_dir():
        if os.environ.get("CI"):
            pytest.fail("CI must run the reference runtime (tests/reference)", pytrace=False)
        pytest.skip("reference runtime not installed (cd tests/reference && npm ci --ignore-scripts)")
    proc = subprocess.run(
        ["node", "-e", script],
        cwd=REFERENCE_DIR,
        input="".join(json.dumps(c) + "\n" for c in cases),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(answers) == len(cases), proc.stderr[-2000:]
    return answers


def random_mappings(seed: int, count: int) -> list:
    """Mappings mixing every directive, valid and not, with payloads full of falsy values."""
    import random

    rng = random.Random(seed)
    keys = ["a", "b", "x", "n", "s", "o", "arr", "0", "1", "first name", "length", "$", "nope"]
    scalars = [None, 0, 1, -1, 2.5, 1e21, 1e-7, "", "0", " ", "x", "abc", "A.b", "{{a}}", "$&", "ÀÉ",
               "straße", True, False, "null", "NaN", "[1,2]", '{"k":1}']  # fmt: skip

    def path():
        p = ".".join(rng.choice(keys) for _ in range(rng.randint(0, 3)))
        return rng.choice(["$." + p, p, p + "[0]", "['first name']", "", "$.", "$", "a..b"])

    def value(depth=0):
        r = rng.random()
        if depth > 2 or r < 0.5:
            return rng.choice(scalars)
        if r < 0.75:
            return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 3))}
        return [value(depth + 1) for _ in range(rng.randint(0, 3))]

    def template():
        pieces = ["{{a}}", "{{ x }}", "{{}}", "{{ }}", "{{arr}}", "{{o}}", "{{$.a}}", "{{{s}}}", "}", "{", "Hi "]
        return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))

    def sub(depth):
        return mapping(depth + 1) if rng.random() < 0.6 else rng.choice(scalars)

    def directive(depth):
        name = rng.choice(["@path"] * 5 + ["@template"] * 2 + ["@if"] * 3 + ["@arrayPath"] * 2 + [
            "@literal", "@case", "@replace", "@json", "@flatten", "@merge", "@transform", "@excludeWhenNull", "@oops"])  # fmt: skip
        pick = rng.random
        if name == "@path":
            option = path() if pick() < 0.85 else sub(depth)
        elif name == "@template":
            option = template() if pick() < 0.85 else sub(depth)
        elif name in ("@literal", "@excludeWhenNull", "@oops"):
            option = sub(depth)
        elif name == "@if":
            option = {k: sub(depth) for k in ("exists", "blank", "then", "else") if pick() < 0.6}
        elif name == "@arrayPath":
            option = [path() if pick() < 0.8 else sub(depth)]
            if pick() < 0.8:
                option.append(rng.choice([{}, {"k": {"@path": path()}, "c": 1}, {"@path": path()}, mapping(depth + 1)]))
        elif name == "@case":
            option = {"operator": rng.choice(["lower", "upper", "UPPER", ""]), "value": rng.choice([{"@path": path()}, "MiXeD", "", 5])}
        elif name == "@replace":
            option = {"pattern": rng.choice(["a", ".", " ", "A", "", "abcdefghijk", "$"]),
                      "replacement": rng.choice(["", "-", "$&", "$$", "$'", "$`", None]),
                      "value": rng.choice([{"@path": path()}, "aAa.a", "", 5, True]),
                      "ignorecase": rng.choice([True, False]), "global": rng.choice([True, False])}  # fmt: skip
            if pick() < 0.3:
                option["pattern2"] = rng.choice(["b", "A", ""])
        elif name == "@json":
            option = {"mode": rng.choice(["encode", "decode", "Encode"]), "value": rng.choice([{"@path": path()}, sub(depth), 0])}
        elif name == "@flatten":
            option = {"value": rng.choice([{"@path": path()}, sub(depth)]), "separator": rng.choice([".", "_", ""])}
            if pick() < 0.3:
                option["omitArrays"] = rng.choice([True, False, []])
        elif name == "@merge":
            option = {"direction": rng.choice(["left", "right", "LEFT"]),
                      "objects": [rng.choice([{"@path": path()}, {"a": 1}, mapping(depth + 1)]) for _ in range(rng.randint(0, 3))]}  # fmt: skip
        else:
            option = {"apply": mapping(depth + 1), "mapping": mapping(depth + 1)}
        for key in ("mode", "direction", "operator", "separator"):
            if isinstance(option, dict) and key in option and pick() < 0.1:
                del option[key]
        return {name: option}

    def mapping(depth=0):
        r = rng.random()
        if depth > 3:
            return rng.choice(scalars)
        if r < 0.55:
            return directive(depth)
        if r < 0.9:
            return {rng.choice(keys): sub(depth) for _ in range(rng.randint(0, 4))}
        return [sub(depth) for _ in range(rng.randint(0, 3))]

    cases = []
    for _ in range(count):
        top = {k: mapping(1) for k in rng.sample(keys, rng.randint(1, 5))} if rng.random() < 0.85 else directive(0)
        payload = {k: value() for k in rng.sample(keys, rng.randint(0, 7))}
        cases.append({"mapping": top, "payload": payload})
    return cases


def ours(fn, case) -> dict:
    try:
        result = fn(copy.deepcopy(case["mapping"]), copy.deepcopy(case["payload"]))
    except ValidationError as err:
        return {"errors": err.errors} if err.aggregate else {"error": str(err)}
    except MappingError as err:
        return {"error": str(err)}
    return {"ok": "__undefined__" if result is UNDEFINED else as_json(result)}


@pytest.mark.reference
def test_random_mappings_match_the_reference_runtime():
    cases = random_mappings(seed=20240315, count=400)
    answers = run_oracle(ORACLE_JS, cases)
    for case, answer in zip(cases, answers):
        assert ours(interpret, case) == answer, json.dumps(case)
        assert ours(transform, case) == answer, json.dumps(case)
        assert ours(lambda m, p: compile_mapping(m)(p), case) == answer, json.dumps(case)
