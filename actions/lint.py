"""Trigger lint: triggers the runtime accepts but that are almost certainly mistakes.

The engine runs every trigger as the runtime does (see fql.py); this module only reads a trigger and
says what looks wrong, so a user can fix it before deploying:

- a condition without a value (`type = `): the runtime takes the next token, usually its end-of-input
  marker, and compares with the literal "eos";
- a condition that can never match: an unknown event type (`type = "Track"`), `type = "track" and
  type = "page"`, an ordering test on a text field (`event > 5`), an operator the runtime does not know
  (`==`), an ordering test with a non-numeric string (`properties.price > "ten"`);
- a comparison of a number with a string (`properties.price > "10"`: the string is converted, and only
  numeric values match);
- a field the runtime does not read (`foo = "x" and type = "track"`): that condition is ignored.
"""

from __future__ import annotations

import math

from actions.fql import FQLError, _CONDITION_TYPES, _PROTOTYPE_NAMES, _normalize, js_to_number, lex, parse_fql

__all__ = ["lint_trigger", "lint_subscriptions", "SEGMENT_TYPES"]

SEGMENT_TYPES = frozenset({"track", "page", "screen", "identify", "group", "alias"})
_ORDERING = frozenset({"<", "<=", ">", ">="})
_KNOWN_OPERATORS = frozenset({"=", "!=", "<", "<=", ">", ">=", "number_equals", "number_not_equals", "contains",
                              "not_contains", "starts_with", "not_starts_with", "ends_with", "not_ends_with",
                              "exists", "not_exists", "is_true", "is_false"})
_VALUE_KINDS = frozenset({"string", "number", "ident", "null"})
_TEXT_FIELDS = {"event-type": "type", "event": "event", "name": "name"}
_FIELDS_HELP = "type, event, name, userId, properties.*, traits.*, context.*"


def _field_known(name: str) -> bool:
    return name.split(".")[0] in _CONDITION_TYPES


def _token_walk(tokens: list, missing: set) -> list[str]:
    """Problems visible in the token stream: missing values, unknown fields (`missing` collects the
    literals the runtime compares with in place of a missing value)."""
    out = []
    i = 0
    n = len(tokens)
    while i < n:
        kind, text = tokens[i]
        if kind == "ident" and text in ("contains", "match"):
            field = tokens[i + 2] if i + 2 < n else None
            if field is not None and field[0] == "ident" and not _field_known(field[1]):
                out.append(f"{text}() on {field[1]!r}: not a field the runtime reads ({_FIELDS_HELP}); "
                           "the condition is ignored")
            i += 6
            continue
        if kind == "ident":
            start = text.split(".")[0]
            if start in _CONDITION_TYPES or start in _PROTOTYPE_NAMES:
                op = tokens[i + 1] if i + 1 < n else ("eos", "eos")
                value = tokens[i + 2] if i + 2 < n else ("eos", "eos")
                if op[0] == "operator" and value[0] not in _VALUE_KINDS:
                    missing.add("eos" if value[0] in ("eos", "parenright") else value[1])
                if op[0] != "operator":
                    out.append(f"{text!r} is followed by {op[1]!r}, not by an operator (=, !=, <, >...): the runtime "
                               f"reads {op[1]!r} as the operator and the condition never matches")
                elif value[0] == "operator" and op[1] == "=" and value[1] == "=":
                    out.append(f"'{text} ==' is not FQL (write '{text} = ...'): the runtime compares {text} with "
                               "the literal '=', so the condition matches nothing")
                elif value[0] not in _VALUE_KINDS:
                    seen = "eos" if value[0] in ("eos", "parenright") else value[1]
                    out.append(f"'{text} {op[1]}' has no value: the runtime compares {text} with the literal "
                               f"{seen!r}, so the condition matches nothing")
                i += 3
                continue
            if text not in ("true", "false", "null") and i + 1 < n and tokens[i + 1][0] == "operator":
                out.append(f"{text!r} is not a field the runtime reads ({_FIELDS_HELP}): the condition "
                           f"'{text} {tokens[i + 1][1]} ...' is ignored")
                i += 3
                continue
        i += 1
    return out


def _nodes(ast):
    if not isinstance(ast, dict):
        return
    yield ast
    for child in ast.get("children") or ():
        yield from _nodes(child)


def _ast_walk(ast: dict, skip_values: set) -> list[str]:
    """Problems visible in the runtime's AST: conditions that can never match, number vs string."""
    out = []
    for node in _nodes(ast):
        kind = node.get("type")
        op = node.get("operator")
        value = node.get("value")
        if kind == "group":
            if op == "and":
                for field_kind, label in (("event-type", "type"), ("event", "event"), ("name", "name")):
                    wanted = {c.get("value") for c in node.get("children") or ()
                              if isinstance(c, dict) and c.get("type") == field_kind and c.get("operator") == "="}
                    if len(wanted) > 1:
                        shown = " and ".join(f"{label} = {v!r}" for v in sorted(map(str, wanted)))
                        out.append(f"'{shown}' can never match: one event has one {label}")
            continue
        name = node.get("name")
        where = f"{_PREFIX.get(kind, '')}{name}" if name is not None else _TEXT_FIELDS.get(kind, kind)
        if op not in _KNOWN_OPERATORS:
            out.append(f"operator {op!r} on {where} is not one the runtime knows (=, !=, <, <=, >, >=): the "
                       "condition never matches")
            continue
        if kind == "event-type" and op == "=" and value not in SEGMENT_TYPES and value not in skip_values:
            hint = " (types are lowercase)" if isinstance(value, str) and value.lower() in SEGMENT_TYPES else ""
            out.append(f"type = {value!r} can never match: Segment's types are "
                       f"{', '.join(sorted(SEGMENT_TYPES))}{hint}")
        if kind in _TEXT_FIELDS and op in _ORDERING | {"number_equals", "number_not_equals"}:
            out.append(f"'{_TEXT_FIELDS[kind]} {op} {value}' can never match: {_TEXT_FIELDS[kind]} is text and "
                       "the runtime compares only numbers this way")
        elif kind in _PREFIX and op in _ORDERING and isinstance(value, str) and value not in skip_values:
            # (only here does the AST keep the quotes' meaning: top-level values are always strings)
            number = js_to_number(value)
            if math.isnan(number):
                out.append(f"'{where} {op} \"{value}\"' can never match: the runtime compares numbers and "
                           f"\"{value}\" is not one")
            else:
                out.append(f"'{where} {op} \"{value}\"' compares a number with a string: the runtime converts "
                           f"\"{value}\" to {value.strip()} and only numeric values match (a value sent as a "
                           "string never does); write the number without quotes")
    return out


_PREFIX = {"event-property": "properties.", "event-trait": "traits.", "event-context": "context."}


def lint_trigger(text) -> list[str]:
    """Warnings for one trigger (empty when it looks right or does not parse: a parse error is not a lint)."""
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        tokens = _normalize(lex(text))
        ast = parse_fql(text)
    except (FQLError, RecursionError):
        return []
    missing: set = set()
    warnings = _token_walk(tokens, missing)
    for w in _ast_walk(ast, missing):
        if w not in warnings:
            warnings.append(w)
    return warnings


def lint_subscriptions(subscriptions) -> list[str]:
    """One line per warning, naming the subscription and its trigger."""
    out = []
    for index, sub in enumerate(subscriptions or (), start=1):
        if not isinstance(sub, dict):
            continue
        trigger = sub.get("subscribe", sub.get("trigger"))
        name = sub.get("name") or f"subscription #{index}"
        for warning in lint_trigger(trigger):
            out.append(f"subscription {name!r}: trigger {trigger!r}: {warning}")
    return out
