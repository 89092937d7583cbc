"""Subscription triggers (the FQL subset of the action runtime): lex, parse and match events.

A port of the runtime's token walk, not a grammar: the lexer's quirks (a closing quote glued to a word
opens a new string, `!=` needs a following space, `AND` is an identifier) and the parser's (no operator
precedence, the last `and`/`or` of a level wins, unknown fields are skipped, one level of parentheses)
decide which events a subscription receives, so they are reproduced as they are.

- `parse_fql(text)` returns the runtime's AST or raises `FQLError` (the runtime would answer
  "Invalid subscription" and match nothing; `FQLError.runtime_message` is its message).
- `compile_trigger(text)` returns fn(event) -> bool, parsed once.
- `matches(event, text_or_ast)` is the runtime's `validate`: False when the trigger does not parse.
"""

from __future__ import annotations

import math
import re
from collections import deque

from actions.jsjson import UNDEFINED, js_string
from actions.mapping_kit import js_property, truthy

__all__ = ["FQLError", "lex", "parse_fql", "compile_trigger", "matches", "evaluate"]

_TYPE_ERROR = "Cannot read properties of undefined (reading 'type')"


class FQLError(Exception):
    """A trigger the runtime cannot use. `runtime_message` is the text the runtime reports."""

    def __init__(self, message: str, runtime_message: str | None = None, trigger: str | None = None):
        super().__init__(message)
        self.runtime_message = runtime_message or message
        self.trigger = trigger


class _LexError(Exception):
    def __init__(self, message: str, position: int):
        super().__init__(message)
        self.position = position


# ---------------------------------------------------------------------------------------------------
# Lexer (fql-ts): character by character, with the same look-ahead and backing up

_EOS = "-1"  # the lexer's end-of-input marker; no real character equals it
_WHITESPACE = frozenset(" \t\n")
_DIGITS = frozenset("0123456789")
_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_MAX_LENGTH = 100000


def _is_terminator(c: str) -> bool:
    return c == _EOS or c in _WHITESPACE or c == "," or c == "]" or c == ")"


def _is_ident(c: str) -> bool:
    return c != _EOS and (c in _ALPHA or c in _DIGITS or c == "_" or c == "-" or c == "\\")


def _utf16(text: str) -> str:
    """JS strings are UTF-16: split astral characters into surrogate pairs so positions agree."""
    if all(ord(c) < 0x10000 for c in text):
        return text
    raw = text.encode("utf-16-le", "surrogatepass")
    return "".join(chr(int.from_bytes(raw[i : i + 2], "little")) for i in range(0, len(raw), 2))


def _from_utf16(text: str) -> str:
    if all(not 0xD800 <= ord(c) <= 0xDFFF for c in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


class _Lexer:
    def __init__(self, code: str):
        self.code = _utf16(code)
        self.pos = 0

    def next(self) -> tuple[str, bool]:
        if self.pos == len(self.code):
            return _EOS, True
        c = self.code[self.pos]
        self.pos += 1
        return c, False

    def peek(self) -> str:
        c, eos = self.next()
        if not eos:
            self.backup(1)
        return c

    def backup(self, count: int) -> None:
        for _ in range(count):
            if self.pos == 0:
                return
            self.pos -= 1

    def accept(self, text: str) -> bool:
        """Consume `text` if it follows and is followed by a terminator; else roll back."""
        chars = ""
        for _ in text:
            c, eos = self.next()
            chars += c
            if eos:
                return False  # upstream returns here without rolling back what it read
            if _is_terminator(c):
                break
        if text == chars and _is_terminator(self.peek()):
            return True
        self.backup(len(chars))
        return False

    def error(self, message: str):
        return _LexError(message, self.pos)

    def lex(self) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        while True:
            c, eos = self.next()
            if eos:
                tokens.append(("eos", "eos"))
                return tokens
            if c in _WHITESPACE:
                continue
            if c == "!":
                nxt = self.peek()
                if nxt in _ALPHA or nxt == "(":
                    tokens.append(("operator", "!"))
                    continue
            if c in _ALPHA or c in "!=><\\_":
                tokens.append(self.operator_or_conditional(c))
            elif c in _DIGITS or c == "-" or c == "+":
                tokens.append(self.number(c))
            elif c == '"' or c == "'":
                tokens.append(self.string(c))
            elif c in _PUNCTUATION:
                tokens.append(_PUNCTUATION[c])
            else:
                raise self.error(f'invalid character "{_from_utf16(c)}"')

    def string(self, quote: str) -> tuple[str, str]:
        text = ""
        while self.peek() != quote:
            c, eos = self.next()
            text += c
            if eos:
                raise self.error("unterminated string")
            if len(text) >= _MAX_LENGTH:
                raise self.error("unreasonable string length")
        # the closing quote is eaten only when a terminator follows; otherwise it opens the next string
        self.accept(quote)
        return ("string", quote + text + quote)

    def number(self, first: str) -> tuple[str, str]:
        text = ""
        coming = self.peek()
        decimal = False
        while coming in _DIGITS or coming == ".":
            c, _ = self.next()
            text += c
            if coming == ".":
                if _is_terminator(self.peek()):
                    raise self.error("unexpected terminator after decimal point")
                if decimal:
                    raise self.error("multiple decimal points in one number")
                decimal = True
            if len(text) >= _MAX_LENGTH:
                raise self.error("unreasonable number length")
            coming = self.peek()
        return ("number", first + text)

    def operator_or_conditional(self, first: str) -> tuple[str, str]:
        if first == "=":
            return ("operator", "=")
        if first == "!":
            if self.accept("="):
                return ("operator", "!=")
            raise self.error(f"expected '=' after '!', got '{_from_utf16(self.peek())}'")
        if first == "a":
            return ("conditional", "and") if self.accept("nd") else self.ident(first)
        if first == "o":
            return ("conditional", "or") if self.accept("r") else self.ident(first)
        if first == "n":
            return ("null", "null") if self.accept("ull") else self.ident(first)
        if first == "<" or first == ">":
            if self.accept("="):
                return ("operator", first + "=")
            return ("operator", first)
        return self.ident(first)

    def ident(self, first: str) -> tuple[str, str]:
        text = ""
        c = first
        while True:
            if c == "\\":  # escapes any next character
                if self.peek() == _EOS:
                    raise self.error("expected character after escape character, got EOS")
                c, _ = self.next()
            text += c
            if len(text) >= _MAX_LENGTH:
                raise self.error("unreasonable literal length")
            if not _is_ident(self.peek()):
                break
            c, _ = self.next()
        coming = self.peek()
        if not (_is_terminator(coming) or coming in (".", "(", "=", "!")):
            raise self.error(f"expected termination character after identifier, got {_from_utf16(coming)}")
        return ("ident", text)


_PUNCTUATION = {
    ".": ("dot", "."),
    "[": ("brackleft", "["),
    "]": ("brackright", "]"),
    ",": ("comma", ","),
    "(": ("parenleft", "("),
    ")": ("parenright", ")"),
}


def lex(text: str) -> list[tuple[str, str]]:
    """Tokens as (type, text) pairs, ending with ('eos', 'eos'); raises FQLError on a lexer error."""
    try:
        tokens = _Lexer(text).lex()
    except _LexError as err:
        raise FQLError(f"{err} at position {err.position}", _TYPE_ERROR, text) from None
    return [(kind, _from_utf16(value)) for kind, value in tokens]


def _normalize(tokens: list) -> list:
    """Merge `ident . ident` into one dotted identifier, left to right."""
    out: list = []
    i = 0
    while i < len(tokens):
        current = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if out and out[-1][0] == "ident" and current[0] == "dot" and nxt is not None and nxt[0] == "ident":
            previous = out.pop()
            out.append(("ident", previous[1] + current[1] + nxt[1]))
            i += 2
        else:
            out.append(current)
            i += 1
    return out


# ---------------------------------------------------------------------------------------------------
# Parser (parse-fql.ts): a walk over the tokens of one level

_CONDITION_TYPES = {
    "type": "event-type",
    "event": "event",
    "name": "name",
    "userId": "userId",
    "context": "event-context",
    "properties": "event-property",
    "traits": "event-trait",
}
# Looked up on a JS object literal, so inherited names are found too (and consume two tokens).
_PROTOTYPE_NAMES = frozenset(
    "constructor __defineGetter__ __defineSetter__ hasOwnProperty __lookupGetter__ __lookupSetter__ "
    "isPrototypeOf propertyIsEnumerable toString valueOf __proto__ toLocaleString".split()
)
_PREFIX_OF = {"event-property": "properties", "event-trait": "traits", "event-context": "context"}

_JS_NUMBER_RE = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_JS_WS = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def js_to_number(value) -> float:
    """`Number(value)` in JavaScript."""
    if value is True or value is False:
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if value is None:
        return 0.0
    if isinstance(value, str):
        text = value.strip(_JS_WS)
        if text == "":
            return 0.0
        if _JS_NUMBER_RE.fullmatch(text):
            return float(text.replace("Infinity", "inf"))
        lowered = text[:2].lower()
        for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
            if lowered == prefix:
                try:
                    return float(int(text[2:], base)) if text[2:] and "_" not in text else math.nan
                except ValueError:
                    return math.nan
        return math.nan
    return math.nan


def _token_value(token):
    kind, text = token
    if kind == "string":
        if text.startswith('"'):
            text = text[1:]
        if text.endswith('"'):
            text = text[:-1]
        return text
    if kind == "number":
        number = js_to_number(text)
        if number.is_integer() and abs(number) <= 2**53:
            return int(number)  # JS has one number type; keep the AST readable
        return number
    if kind == "ident" and text in ("true", "false"):
        return text == "true"
    return text


def _strip_prefix(name: str, prefix: str) -> str:
    return name[len(prefix) + 1 :] if name.startswith(prefix + ".") else name


def _field_condition(condition_type: str, ident: str, operator_token, value_token) -> dict:
    op = operator_token[1]
    raw = value_token[1]
    is_true = op == "=" and raw == "true"
    is_false = op == "=" and raw == "false"
    is_exists = op == "!=" and raw == "null"
    is_not_exists = op == "=" and raw == "null"
    if condition_type in ("event", "event-type"):
        return {"type": condition_type, "operator": op, "value": js_string(_token_value(value_token))}
    if condition_type in ("name", "userId"):
        if is_exists:
            return {"type": condition_type, "operator": "exists"}
        if is_not_exists:
            return {"type": condition_type, "operator": "not_exists"}
        if condition_type == "userId" and is_true:
            return {"type": condition_type, "operator": "is_true"}
        if condition_type == "userId" and is_false:
            return {"type": condition_type, "operator": "is_false"}
        return {"type": condition_type, "operator": op, "value": js_string(_token_value(value_token))}
    name = _strip_prefix(ident, _PREFIX_OF[condition_type])
    if is_exists:
        return {"type": condition_type, "name": name, "operator": "exists"}
    if is_not_exists:
        return {"type": condition_type, "name": name, "operator": "not_exists"}
    if is_true:
        return {"type": condition_type, "name": name, "operator": "is_true"}
    if is_false:
        return {"type": condition_type, "name": name, "operator": "is_false"}
    if op == "=" and value_token[0] == "number":
        return {"type": condition_type, "name": name, "operator": "number_equals", "value": _token_value(value_token)}
    if op == "!=" and value_token[0] == "number":
        return {"type": condition_type, "name": name, "operator": "number_not_equals", "value": _token_value(value_token)}
    return {"type": condition_type, "name": name, "operator": op, "value": _token_value(value_token)}


def _shift(tokens: deque):
    return tokens.popleft() if tokens else None


def _function_condition(function: str, nodes: list, tokens: deque, negate: bool) -> None:
    """`contains(field, value)` / `match(field, pattern)`; the separators are skipped unchecked."""
    _shift(tokens)
    field = _shift(tokens)
    if field is None:
        raise FQLError(f"{function}() is missing a 1st argument")
    _shift(tokens)
    value_token = _shift(tokens)
    if value_token is None:
        raise FQLError(f"{function}() is missing a 2nd argument")
    _shift(tokens)
    if function == "contains":
        operator = "not_contains" if negate else "contains"
        value = js_string(_token_value(value_token))
    elif value_token[1].endswith('*"'):
        operator = "not_starts_with" if negate else "starts_with"
        value = js_string(_token_value(value_token))[:-1]
    else:
        # without a trailing '*' the runtime drops the first character and tests the end
        operator = "not_ends_with" if negate else "ends_with"
        value = js_string(_token_value(value_token))[1:]
    name = field[1]
    if name in ("event", "name", "userId"):
        nodes.append({"type": name, "operator": operator, "value": value})
    for prefix, condition_type in (("properties", "event-property"), ("traits", "event-trait"), ("context", "event-context")):
        if name.startswith(prefix):
            nodes.append({"type": condition_type, "name": _strip_prefix(name, prefix), "operator": operator, "value": value})


def _parse(tokens: deque):
    nodes: list = []
    operator = "and"
    token = _shift(tokens)
    while token is not None and token[0] != "eos":
        kind, text = token
        if kind == "ident":
            start = text.split(".")[0]
            condition_type = _CONDITION_TYPES.get(start)
            if condition_type or start in _PROTOTYPE_NAMES:
                operator_token = _shift(tokens)
                if operator_token is None:
                    raise FQLError("Operator token is missing")
                value_token = _shift(tokens)
                if value_token is None:
                    raise FQLError("Value token is missing")
                if condition_type:
                    nodes.append(_field_condition(condition_type, text, operator_token, value_token))
            if text in ("contains", "match"):
                _function_condition(text, nodes, tokens, negate=False)
        if kind == "operator" and text == "!":
            if not tokens:
                raise FQLError("'!' ends the trigger", _TYPE_ERROR)
            if tokens[0][0] == "ident" and tokens[0][1] in ("contains", "match"):
                function = tokens.popleft()[1]
                _function_condition(function, nodes, tokens, negate=True)
        if kind == "parenleft":
            group: deque = deque()
            inner = _shift(tokens)
            while True:
                if inner is None:
                    raise FQLError(
                        "a '(' has no matching ')' at its level (the runtime does not support nested parentheses)",
                        _TYPE_ERROR,
                    )
                if inner[0] == "parenright":
                    break
                group.append(inner)
                inner = _shift(tokens)
            group.append(("eos", "eos"))
            nodes.append(_parse(group))  # may append None (empty group), as upstream
        if kind == "conditional":
            operator = text
        token = _shift(tokens)
    if len(nodes) > 1:
        return {"type": "group", "operator": operator, "children": nodes}
    return nodes[0] if nodes else None


_AST_CACHE: dict[str, dict] = {}


def parse_fql(text: str) -> dict:
    """The runtime's AST for a trigger (always a group at the top); raises FQLError."""
    if not isinstance(text, str) or text == "":
        raise FQLError("the trigger is empty or not a string", _TYPE_ERROR, text)
    cached = _AST_CACHE.get(text)
    if cached is not None:
        return cached
    try:
        ast = _parse(deque(_normalize(lex(text))))
    except FQLError as err:
        raise FQLError(str(err), err.runtime_message, text) from None
    if ast is None:
        raise FQLError(
            "no condition on a supported field (type, event, name, userId, "
            "properties.*, traits.*, context.*)",
            _TYPE_ERROR,
            text,
        )
    if ast.get("type") != "group":
        ast = {"type": "group", "operator": "and", "children": [ast]}
    if len(_AST_CACHE) > 1024:
        _AST_CACHE.clear()
    _AST_CACHE[text] = ast
    return ast


# ---------------------------------------------------------------------------------------------------
# Evaluation (validate.ts)

_PATH_RUN = re.compile(r"[^\[.\]]+")


def _event_field(event, key):
    if type(event) is dict:
        return event.get(key, UNDEFINED)
    if event is None:
        raise FQLError(f"Cannot read properties of null (reading '{key}')")
    return js_property(event, key) if truthy(event) else UNDEFINED


def _lookup(container, name: str):
    """`get` of destination-subscriptions: runs of characters other than . [ ] walked like JS `a && a[k]`."""
    if not name:
        return UNDEFINED
    keys = _PATH_RUN.findall(name)
    if not keys:
        raise FQLError("Cannot read properties of null (reading 'reduce')")
    value = container
    for key in keys:
        if type(value) is dict:
            value = value.get(key, UNDEFINED)
        elif not truthy(value):
            break
        else:
            value = js_property(value, key)
    return value


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _test(actual, operator: str, expected) -> bool:
    if operator == "=":
        return type(actual) is str and actual == js_string(expected)
    if operator == "!=":
        return not (type(actual) is str and actual == js_string(expected))
    if operator in ("number_equals", "number_not_equals", "<", "<=", ">", ">="):
        if not _is_number(actual):
            return False
        a, e = float(actual), js_to_number(expected)
        if operator == "number_equals":
            return a == e
        if operator == "number_not_equals":
            return a != e
        if operator == "<":
            return a < e
        if operator == "<=":
            return a <= e
        if operator == ">":
            return a > e
        return a >= e
    if operator in _STRING_TESTS:
        if type(actual) is not str:
            return False
        return _STRING_TESTS[operator](actual, js_string(expected))
    if operator == "exists":
        return actual is not UNDEFINED and actual is not None
    if operator == "not_exists":
        return actual is UNDEFINED or actual is None
    if operator == "is_true":
        return actual is True
    if operator == "is_false":
        return actual is False
    return False


_STRING_TESTS = {
    "contains": lambda a, e: e in a,
    "not_contains": lambda a, e: e not in a,
    "starts_with": lambda a, e: a.startswith(e),
    "not_starts_with": lambda a, e: not a.startswith(e),
    "ends_with": lambda a, e: a.endswith(e),
    "not_ends_with": lambda a, e: not a.endswith(e),
}
_CONTAINER_OF = {"event-property": "properties", "event-trait": "traits", "event-context": "context"}
_TOP_FIELD = {"event-type": "type", "event": "event", "name": "name", "userId": "userId"}


def _compile_node(node):
    """fn(event) -> bool for one AST node."""
    if node is None:

        def broken(event):
            raise FQLError(_TYPE_ERROR)

        return broken
    kind = node.get("type")
    if kind == "group":
        children = [_compile_node(child) for child in node.get("children", [])]
        operator = node.get("operator")
        if operator not in ("and", "or"):
            return lambda event: False
        # the same short-circuit evaluation as all() / any(), without a generator per event
        if len(children) == 1:
            (only,) = children
            return lambda event: bool(only(event))
        if len(children) == 2:
            first, second = children
            if operator == "and":
                return lambda event: bool(first(event)) and bool(second(event))
            return lambda event: bool(first(event)) or bool(second(event))
        if operator == "and":
            return lambda event: all(child(event) for child in children)
        return lambda event: any(child(event) for child in children)
    operator = node.get("operator")
    expected = node.get("value", UNDEFINED)
    if kind in _TOP_FIELD:
        key = _TOP_FIELD[kind]
        if operator in ("=", "!=") and type(expected) is str:
            # the preset triggers: plain string (in)equality on a top-level field
            equal = operator == "="

            def compare(event):
                actual = event.get(key, UNDEFINED) if type(event) is dict else _event_field(event, key)
                return (type(actual) is str and actual == expected) is equal

            return compare
        return lambda event: _test(_event_field(event, key), operator, expected)
    if kind in _CONTAINER_OF:
        container_key = _CONTAINER_OF[kind]
        name = node.get("name", "")
        return lambda event: _test(_lookup(_event_field(event, container_key), name), operator, expected)
    return lambda event: False


def _required_types(node) -> frozenset | None:
    """The `type` values an event must have for this node to match, or None when any type may match.

    Exact for the engine's dispatch: when an event's `type` is not in the set, the node is false (a leaf
    `type = "x"` is true only for the string "x"; `and` needs every child, `or` some child)."""
    if not isinstance(node, dict):
        return None
    kind = node.get("type")
    if kind == "group":
        operator = node.get("operator")
        if operator not in ("and", "or"):
            return frozenset()  # such a group never matches
        sets = [_required_types(child) for child in node.get("children", [])]
        if operator == "and":
            known = [s for s in sets if s is not None]
            if not known:
                return None
            out = known[0]
            for s in known[1:]:
                out = out & s
            return out
        if not sets or any(s is None for s in sets):
            return None if sets else frozenset()
        return frozenset().union(*sets)
    if kind == "event-type" and node.get("operator") == "=" and type(node.get("value")) is str:
        return frozenset((node["value"],))
    return None


_NUMERIC_OPERATORS = frozenset(("number_equals", "number_not_equals", "<", "<=", ">", ">="))


def _cannot_raise(node) -> bool:
    """True when evaluating the node on an object event never raises, whatever the event holds."""
    if not isinstance(node, dict):
        return False
    kind = node.get("type")
    if kind == "group":
        return all(_cannot_raise(child) for child in node.get("children", []))
    if kind in _CONTAINER_OF:
        name = node.get("name", "")
        if name and not _PATH_RUN.findall(name):
            return False
    elif kind not in _TOP_FIELD:
        return True  # never matches, never raises
    if node.get("operator") in _NUMERIC_OPERATORS:
        try:
            js_to_number(node.get("value", UNDEFINED))
        except Exception:
            return False
    return True


def trigger_types(text: str) -> frozenset | None:
    """The event types a trigger can match, None when not limited by type (or when skipping it could hide
    an error its evaluation raises). For an object event whose `type` is not in the set the trigger is
    false, so an engine may skip it. Raises FQLError when the trigger does not parse."""
    ast = parse_fql(text)
    if not _cannot_raise(ast):
        return None
    return _required_types(ast)


def _residual(node, event_type: str):
    """The node for object events whose `type` is the string `event_type`: True or False when that decides it,
    else a node without the tests of `type` that it decides (groups keep the order of their children)."""
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if kind == "event-type":  # reads the event's `type` only
        return bool(_compile_node(node)({"type": event_type}))
    if kind != "group":
        return node
    operator = node.get("operator")
    if operator not in ("and", "or"):
        return node
    decided = operator == "or"  # the child value that decides the group
    rest = []
    for child in node.get("children", []):
        child = _residual(child, event_type)
        if child is decided:
            return decided
        if child is not (not decided):
            rest.append(child)
    if not rest:
        return not decided
    return {**node, "children": rest}


def residual_trigger(text: str, event_type: str):
    """For a trigger whose `trigger_types` is not None (it cannot raise on an object event), what is left to
    test of an object event whose `type` is the string `event_type`: True (it matches), False (it does not)
    or fn(event) -> bool giving the trigger's answer for such events."""
    node = _residual(parse_fql(text), event_type)
    if node is True or node is False:
        return node
    return _compile_node(node)


def evaluate(ast: dict, event) -> bool:
    """The runtime's `validate(ast, event)` for an already parsed trigger."""
    if event is UNDEFINED:
        return False
    return _compile_node(ast)(event)


def compile_trigger(text: str):
    """fn(event) -> bool for a trigger; raises FQLError when the trigger does not parse."""
    check = _compile_node(parse_fql(text))

    def trigger(event) -> bool:
        if event is UNDEFINED:
            return False
        return check(event)

    return trigger


def matches(event, trigger) -> bool:
    """Does the event match? A trigger that does not parse matches nothing, as in the runtime."""
    if isinstance(trigger, str):
        try:
            ast = parse_fql(trigger)
        except FQLError:
            return False
    else:
        ast = trigger
        if not isinstance(ast, dict) or "error" in ast:
            return False
    return evaluate(ast, event)
