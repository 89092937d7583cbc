"""Compilation: a mapping becomes plain Python closures once, with the static work done then.

`_compile(node, out)` returns fn(payload). With out=False fn returns the raw value the runtime's
`resolve` returns (may contain UNDEFINED, may share containers with the payload). With out=True the
node sits where only `removeUndefined` will look at it, so fn returns removeUndefined(raw) directly:
fresh containers, no undefined object values. That skips a final pass over the output.

Every directive has a builder here; errors the runtime raises while resolving (bad options, wrong
types) are raised by the closure at the same point, with the same message.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import sys
import threading
import types
from collections import OrderedDict
from pathlib import Path

from actions.cachefile import write_whole
from actions.jsjson import UNDEFINED

from .directives import (
    _apply_json,
    _apply_replace,
    _change_case,
    _check_json,
    _check_liquid_length,
    _check_merge,
    _check_merge_objects,
    _check_replace,
    _check_transform,
    _clean_nulls,
    _flatten_object,
    _flatten_settings,
    _liquid_environment,
    _liquid_render,
    _object_assign,
    _replace_settings,
)
from .paths import _DOUBLE, _TRIPLE, _path_keys, _placeholder_text, _walk, get_path, render_template
from .validate import _mapping_to_process, _validate
from .values import (
    _CONTAINERS,
    MappingError,
    _check_data,
    _directive_name,
    _is_directive,
    _js_entries,
    _js_equal_empty_string,
    _js_trim,
    _remove_undefined,
    js_property,
    real_type,
    truthy,
)


def _js_ordered(value):
    """A fresh copy of a JSON value whose objects have JavaScript's key order (integer-like keys first)."""
    if isinstance(value, dict):
        return {key: _js_ordered(item) for key, item in _js_entries(value)}
    if isinstance(value, list):
        return [_js_ordered(item) for item in value]
    return value


def _const(value, out: bool):
    """A node without directives: the resolver rebuilds it on each call, in JavaScript key order."""
    if not isinstance(value, (dict, list)):
        return lambda payload: value
    snapshot = _remove_undefined(_js_ordered(value))
    if out:
        return lambda payload: _remove_undefined(snapshot)
    return lambda payload: snapshot


def _has_directive(value) -> bool:
    if isinstance(value, dict):
        if _is_directive(value):
            return True
        return any(_has_directive(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_directive(v) for v in value)
    return False


def _compile(node, out: bool):
    if isinstance(node, dict):
        if _is_directive(node):
            name = _directive_name(node)
            builder = BUILDERS.get(name)
            if builder is None:
                return _fail(f"{name} is not a valid directive, got undefined")
            return builder(node[name], out)
        if not _has_directive(node):
            return _const(node, out)
        return _compile_object(node, out)
    if isinstance(node, list):
        if not _has_directive(node):
            return _const(node, out)
        fns = [_compile(v, out) for v in node]
        return lambda payload: [fn(payload) for fn in fns]
    return lambda payload: node


def _finish(fn, out: bool):
    """Wrap a raw-producing fn for an output position."""
    if not out:
        return fn

    def clean(payload):
        value = fn(payload)
        return _remove_undefined(value) if isinstance(value, _CONTAINERS) else value

    return clean


def _fail(message: str):
    """A closure raising the error the runtime raises when it reaches this node."""

    def fail(payload):
        raise MappingError(message)

    return fail


def _options_error(check, opts) -> str | None:
    """The message of an option check that does not depend on the event (None when the options pass)."""
    try:
        check(opts)
    except MappingError as err:
        return str(err)
    return None


_MAX_LOOKUP_DEPTH = 12  # deeper prefixes are looked up one line each (no more nested blocks)


def _path_step(value, key):
    """One step of a path walk from a value that is not a plain object."""
    return js_property(value, key) if truthy(value) else value


class _ObjectCodegen:
    """Generate one straight-line function for an object node of a mapping.

    Preset mappings are dozens of `@path` fields sharing prefixes (`context.device.*`): every distinct
    prefix is looked up once, at the top of the function (lookups are pure and cannot fail). Nested
    plain objects, `@literal` and `@if` are emitted inline, in JS key order, with lazy `@if` branches;
    any other directive is a call to its compiled closure at the same place.
    """

    def __init__(self, root_fields: dict | None = None, root_object: bool = False):
        # root_fields: {key: (classes kept as they are, test of other values kept, slow step)} of the
        # action's payload schema, to fuse removeEmptyValues into the outermost object (see `_fused`);
        # root_object: the function is only ever called with the mapping's data, a dict (`_check_data`)
        self.root_fields = root_fields
        self.root_object = root_object
        self.namespace = {
            "U": UNDEFINED,
            "C": _CONTAINERS,
            "clean": _remove_undefined,
            "step": _path_step,
            "walk": _walk_prefixes,
            "blank": _js_equal_empty_string,
        }
        self.body: list[str] = []
        self.prefixes: dict[tuple, str] = {(): "payload"}
        self.children: dict[tuple, list[tuple]] = {}  # prefix -> its longer prefixes one key longer
        self.key_names: dict[tuple, str] = {}  # prefix -> the name bound to its last key
        self.constants: dict[str, object] = {}  # names bound to a scalar constant of the mapping
        self.objects: set[str] = set()  # names holding a plain object built here (never undefined)
        # per object built here: [(key, name of its source, how it is stored)], how being "path" (stored when
        # not undefined, a container cleaned), "constant" (always stored) or None (anything else)
        self.shapes: dict[str, list] = {}
        self.count = 0
        # keys whose null values the next nested object built leaves out: the sub-fields of the root field it
        # is built for, whose removeEmptyValues drops nulls (plain strings, `framework._fast_object`)
        self.drop_null: frozenset = frozenset()

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def bind(self, value, prefix: str) -> str:
        name = self.fresh(prefix)
        self.namespace[name] = value
        return name

    def path(self, keys: tuple) -> str:
        """The name holding the value at `keys`; every prefix gets one name, looked up in `head`."""
        if keys in self.prefixes:
            return self.prefixes[keys]
        self.path(keys[:-1])
        name = self.fresh("p")
        self.prefixes[keys] = name
        self.key_names[keys] = self.bind(keys[-1], "k")
        self.children.setdefault(keys[:-1], []).append(keys)
        return name

    def head(self) -> list[str]:
        """The lookups of every prefix used, parents first (lookups are pure and cannot fail)."""
        lines: list[str] = []
        self.lookups((), 1, lines)
        return lines

    def descendants(self, keys: tuple) -> list[tuple]:
        out = []
        for child in self.children.get(keys, ()):
            out.append(child)
            out.extend(self.descendants(child))
        return out

    def lookups(self, keys: tuple, depth: int, lines: list[str]) -> None:
        """The lookups below prefix `keys`: one type test of a parent for all its children, the usual
        case (a plain object) as `.get`, a missing parent (its whole subtree is missing) as one
        assignment, any other parent through `walk` (the runtime's steps, as `step` takes them)."""
        below = self.descendants(keys)
        if not below:
            return
        pad = "    " * depth
        if (len(below) == 1 and (keys or not self.root_object)) or depth > _MAX_LOOKUP_DEPTH:  # a line each
            for child in below:
                parent, name, key = self.prefixes[child[:-1]], self.prefixes[child], self.key_names[child]
                lines.append(f"{pad}{name} = {parent}.get({key}, U) if type({parent}) is dict "
                             f"else {parent} if {parent} is U else step({parent}, {key})")
            return
        parent = self.prefixes[keys]
        if not keys and self.root_object:  # the data: an object (a dict, whose properties `.get` gives)
            for child in self.children[keys]:
                lines.append(f"{pad}{self.prefixes[child]} = {parent}.get({self.key_names[child]}, U)")
                self.lookups(child, depth, lines)
            return
        lines.append(f"{pad}if type({parent}) is dict:")
        for child in self.children[keys]:
            lines.append(f"{pad}    {self.prefixes[child]} = {parent}.get({self.key_names[child]}, U)")
            self.lookups(child, depth + 1, lines)
        names = [self.prefixes[child] for child in below]
        if keys:  # (the root is an object, or at least never undefined)
            lines.append(f"{pad}elif {parent} is U:")
            lines.append(f"{pad}    {' = '.join(names)} = U")
        index = {keys: 0, **{child: i for i, child in enumerate(below, start=1)}}
        spec = self.bind(tuple((index[child[:-1]], child[-1]) for child in below), "w")
        lines.append(f"{pad}else:")
        lines.append(f"{pad}    {', '.join(names)} = walk({parent}, {spec})")

    def emit(self, line: str, depth: int) -> None:
        self.body.append("    " * depth + line)

    def node(self, value, out: bool, depth: int, into: str | None = None) -> str:
        """Emit code computing `value`; return the name holding it (`into` when the value is computed by
        an expression the name can take directly)."""
        if isinstance(value, dict) and _is_directive(value):
            name = _directive_name(value)
            option = value[name]
            if name == "@path" and isinstance(option, str):
                source = self.path(_path_keys(option.replace("$.", "", 1)) or ())
                if not out:
                    return source
                result = into or self.fresh("x")
                self.emit(f"{result} = clean({source}) if isinstance({source}, C) else {source}", depth)
                return result
            if name == "@literal":
                return self.node(option, out, depth)
            if name == "@arrayPath" and isinstance(option, list) and option and isinstance(option[0], str):
                # the root looked up with the other paths; `_b_array_path`'s steps on it
                source = self.path(_path_keys(option[0].replace("$.", "", 1)) or ())
                shape = option[1] if len(option) > 1 else UNDEFINED
                if isinstance(shape, dict) and len(shape) > 0:
                    items = self.bind(_array_items(_compile(shape, out)), "f")
                    result = into or self.fresh("x")
                    self.emit(f"{result} = {items}({source}) if isinstance({source}, C) else {source}", depth)
                    return result
                if not out:
                    return source
                result = into or self.fresh("x")
                self.emit(f"{result} = clean({source}) if isinstance({source}, C) else {source}", depth)
                return result
            if name == "@if" and isinstance(option, dict) and (
                truthy(option.get("exists", UNDEFINED)) or truthy(option.get("blank", UNDEFINED))
            ):
                return self.branch(option, out, depth)
        elif isinstance(value, dict) and _has_directive(value):
            root_fields, self.root_fields = self.root_fields, None  # only the outermost object
            drop_null, self.drop_null = self.drop_null, frozenset()  # only this object
            result = self.fresh("r")
            self.emit(f"{result} = {{}}", depth)
            if root_fields is not None:
                self.emit("sl = []", depth)
            else:
                self.objects.add(result)
                self.shapes[result] = shape = []
            for key, child in _js_entries(value):
                entry = root_fields.get(key) if root_fields is not None else None
                if out and entry is not None and entry[0] and str in entry[0] and _plain_path(child):
                    # a string-valued field straight from the event: kept as it is unless empty
                    source = self.path(_path_keys(child["@path"].replace("$.", "", 1)) or ())
                    self.prepared_path(result, self.bind(key, "o"), source, entry, depth)
                    continue
                if out and entry is not None and _plain_path(child):
                    # any other field straight from the event: nothing to do when the event lacks it (the
                    # usual case), tested before anything else
                    source = self.path(_path_keys(child["@path"].replace("$.", "", 1)) or ())
                    self.emit(f"if {source} is not U:", depth)
                    cleaned = self.fresh("x")
                    self.emit(f"{cleaned} = clean({source}) if isinstance({source}, C) else {source}", depth + 1)
                    self.prepared(result, self.bind(key, "o"), cleaned, entry, depth + 1, defined=True)
                    continue
                if out and root_fields is None and _plain_path(child):
                    # (cleaning a container never gives undefined)
                    source = self.path(_path_keys(child["@path"].replace("$.", "", 1)) or ())
                    if key in drop_null:  # (removed by the root field's removeEmptyValues in any case)
                        self.emit(f"if {source} is not U and {source} is not None: {result}[{self.bind(key, 'o')}] = "
                                  f"clean({source}) if isinstance({source}, C) else {source}", depth)
                        shape.append((key, source, "path or null"))
                        continue
                    self.emit(f"if {source} is not U: {result}[{self.bind(key, 'o')}] = "
                              f"clean({source}) if isinstance({source}, C) else {source}", depth)
                    shape.append((key, source, "path"))
                    continue
                if root_fields is not None and entry is not None and isinstance(child, dict) and out:
                    allowed = getattr(entry[1], "allowed", None)
                    if allowed is not None:
                        self.drop_null = frozenset(allowed)
                source = self.node(child, out, depth)
                self.drop_null = frozenset()
                out_key = self.bind(key, "o")
                if root_fields is not None:
                    self.prepared(result, out_key, source, entry, depth)
                elif out and source not in self.objects and source not in self.constants:
                    self.emit(f"if {source} is not U: {result}[{out_key}] = {source}", depth)
                    shape.append((key, source, None))
                else:
                    self.emit(f"{result}[{out_key}] = {source}", depth)
                    shape.append((key, source, "constant" if source in self.constants else None))
            if root_fields is not None:
                return f"{result}, sl"
            return result
        elif value is None or isinstance(value, (str, int, float)):
            name = self.bind(value, "c")
            self.constants[name] = value
            return name
        fn = self.bind(_compile(value, out), "f")
        result = self.fresh("x")
        self.emit(f"{result} = {fn}(payload)", depth)
        return result

    def prepared(self, result: str, out_key: str, source: str, entry, depth: int, defined: bool = False) -> None:
        """Store one root value as the schema's removeEmptyValues stage would keep it (the same steps as
        `PayloadSchema._remove_empty`): values of kept classes and values passing the kept-value test
        as they are, the rest through the slow step, which also records the key for validation.
        `defined`: the code runs only when the value is not undefined."""
        if entry is None:
            return  # not a field of the action: removed at the root (the value is still resolved)
        classes, test, slow = entry
        if source in self.constants:  # a constant of the mapping: its class is known now
            value = self.constants[source]
            if value.__class__ in classes:
                if value.__class__ is not str or value != "":
                    self.emit(f"{result}[{out_key}] = {source}", depth)
                return
            classes = ()
        elif source not in self.objects and not defined:
            self.emit(f"if {source} is not U:", depth)
            depth += 1
        fc = self.bind(classes, "fc") if classes else None
        inline = self.unchanged_inline(source, test) if test is not None else None
        if inline is None:
            ft = f"{self.bind(test, 'ft')}({source})" if test is not None else None
        else:  # (False: the test fails for every object this node builds)
            ft = inline or None
        slow_call = f"{self.bind(slow, 'fs')}({result}, {out_key}, {source}, sl)"
        store = f"{result}[{out_key}] = {source}"
        if fc is not None and str in classes:  # an empty string is removed
            self.emit(f"cx = {source}.__class__", depth)
            self.emit(f"if cx in {fc}:", depth)
            self.emit(f"    if cx is not str or {source}: {store}", depth)
            if ft is not None:
                self.emit(f"elif {ft}: {store}", depth)
            self.emit(f"else: {slow_call}", depth)
        elif fc is not None or ft is not None:
            keep = [f"{source}.__class__ in {fc}"] if fc is not None else []
            if ft is not None:
                keep.append(ft)
            self.emit(f"if {' or '.join(keep)}: {store}", depth)
            self.emit(f"else: {slow_call}", depth)
        else:
            self.emit(slow_call, depth)

    def unchanged_inline(self, source: str, test):
        """For an object built here, the schema's test that it needs no change (`framework._fast_object`)
        as an expression over the values it was built from: its keys are known now, only the classes (and
        choices) of the values looked up are left to test. False when the test fails for every object the
        node can build, None when it cannot be written out (then the test is called)."""
        allowed = getattr(test, "allowed", None)
        shape = self.shapes.get(source)
        if allowed is None or shape is None:
            return None
        terms = []
        for key, value, how in shape:
            if key not in allowed:
                if not test.additional:
                    return False
                continue
            choices = allowed[key]
            if how == "constant":
                constant = self.constants[value]
                if constant.__class__ is not str or (choices is not None and constant not in choices):
                    return False
            elif how == "path" or how == "path or null":
                # (a cleaned container is no string: the class of the looked-up value tells; a null was left out)
                missing = f"{value} is U or {value} is None" if how == "path or null" else f"{value} is U"
                if choices is None:
                    terms.append(f"({missing} or {value}.__class__ is str)")
                else:
                    terms.append(f"({missing} or {value}.__class__ is str and {value} in "
                                 f"{self.bind(choices, 'ch')})")
            else:
                return None
        return " and ".join(terms) or "True"

    def prepared_path(self, result: str, out_key: str, source: str, entry, depth: int) -> None:
        """`node` then `prepared` for a root field mapped by a plain `@path` whose schema keeps strings as
        they are: undefined (the usual value: most fields are missing from an event) is tested first, then
        an exact `str`, without `clean` (strings are no containers) and without the class lookup; any other
        value takes the general steps, in a helper (less code to compile per field)."""
        self.emit(f"if {source} is not U:", depth)  # (most fields of a mapping are missing from an event)
        self.emit(f"    if {source}.__class__ is str:", depth)
        self.emit(f"        if {source}: {result}[{out_key}] = {source}", depth)
        self.namespace["store"] = _store_prepared
        self.emit(f"    else: store({result}, {out_key}, {source}, {self.bind(entry, 'e')}, sl)", depth)

    def branch(self, option: dict, out: bool, depth: int) -> str:
        use_exists = option.get("exists", UNDEFINED) is not UNDEFINED
        test = self.node(option["exists"] if use_exists else option["blank"], False, depth)
        condition = f"{test} is not U and {test} is not None"
        if not use_exists:
            condition += f" and not blank({test})"
        result = self.fresh("b")
        self.emit(f"if {condition}:", depth)
        for present, branch in ((option.get("then", UNDEFINED) is not UNDEFINED, "then"),
                                (truthy(option.get("else", UNDEFINED)), "else")):
            if branch == "else":
                self.emit("else:", depth)
            source = self.node(option[branch], out, depth + 1, into=result) if present else "U"
            if source != result:
                self.emit(f"{result} = {source}", depth + 1)
        return result

    def build(self, value, out: bool):
        result = self.node(value, out, 1)
        source = "\n".join(["def build(payload):", *self.head(), *self.body, f"    return {result}"])
        exec(_code_for(source), self.namespace)  # noqa: S102 - code generated above
        return self.namespace["build"]


# Generated source -> its code object. The source holds only the shape of a node: every key, path and
# constant is a name bound in the namespace of one build, so mappings that differ in such values, and the
# same nested object inside different mappings, compile once per process; each build still gets its own
# function over its own namespace (nothing is shared but the immutable code).
_CODE_CACHE_SIZE = 1024
_code_cache: OrderedDict[str, object] = OrderedDict()
compile_counts = {"code": 0, "code_hits": 0, "code_read": 0}  # generated functions compiled / taken from the
# cache / read from CODE_CACHE

# Generated code is also kept on disk, as Python keeps a module's bytecode and under the same rule (read when
# present, written unless sys.dont_write_bytecode, nothing when the folder cannot be written), so that each
# command and each worker process does not compile again what an earlier one compiled. One file per generated
# source, named by the source's SHA-256, the interpreter's bytecode version and optimization level; it holds a
# checksum of the rest, the source itself (compared on reading) and the marshalled code. A file that does not pass
# every check is ignored (and replaced when written again); files are written whole under a name of their own,
# then renamed.
CODE_CACHE = Path(__file__).resolve().parent / "__pycache__" / "mappings"
_CODE_TAG = b"amplitude-migrate mapping code 1|" + importlib.util.MAGIC_NUMBER


def _code_path(source_bytes: bytes) -> Path:
    # (compiled under -O / -OO: another name, as Python's own bytecode has)
    opt = f".opt-{sys.flags.optimize}" if sys.flags.optimize else ""
    return CODE_CACHE / f"{hashlib.sha256(source_bytes).hexdigest()}.{sys.implementation.cache_tag}{opt}.code"


def _stored_code(source: str):
    """The code object stored for `source`, or None (no entry, or one that fails a check)."""
    try:
        source_bytes = source.encode("utf-8", "surrogatepass")
        data = _code_path(source_bytes).read_bytes()
    except (OSError, ValueError):
        return None
    try:
        head = len(_CODE_TAG)
        if data[:head] != _CODE_TAG or hashlib.sha256(data[head + 32 :]).digest() != data[head : head + 32]:
            return None
        stored_source, code = marshal.loads(data[head + 32 :])
    except Exception:  # noqa: BLE001 - a damaged entry is compiled again
        return None
    if stored_source != source_bytes or type(code) is not types.CodeType:
        return None
    return code


def _store_code(source: str, code) -> None:
    if sys.dont_write_bytecode:
        return
    try:
        source_bytes = source.encode("utf-8", "surrogatepass")
        body = marshal.dumps((source_bytes, code))
    except ValueError:
        return
    write_whole(_code_path(source_bytes), _CODE_TAG + hashlib.sha256(body).digest() + body)


def _code_for(source: str):
    code = _code_cache.get(source)
    if code is not None:
        _code_cache.move_to_end(source)
        compile_counts["code_hits"] += 1
        return code
    code = _stored_code(source)
    if code is None:
        code = compile(source, "<mapping>", "exec", dont_inherit=True)
        compile_counts["code"] += 1
        _store_code(source, code)
    else:
        compile_counts["code_read"] += 1
    _code_cache[source] = code
    if len(_code_cache) > _CODE_CACHE_SIZE:
        _code_cache.popitem(last=False)
    return code


def _store_prepared(out: dict, key, value, entry, sl: list) -> None:
    """What `_ObjectCodegen.prepared` emits for one root value that is not UNDEFINED, as a function;
    `entry` is the field's (classes kept as they are, test of other values kept, slow step)."""
    classes, test, slow = entry
    if isinstance(value, _CONTAINERS):
        value = _remove_undefined(value)
    cls = value.__class__
    if cls in classes:
        if cls is not str or value != "":
            out[key] = value
    elif test is not None and test(value):
        out[key] = value
    else:
        slow(out, key, value, sl)


def _walk_prefixes(value, spec: tuple) -> list:
    """The values at a parent's longer prefixes when the parent is not a plain object: `spec` lists
    (index of the parent, key) in order, index 0 being `value` itself; each step as the generated
    lookups take it."""
    values = [value]
    for parent, key in spec:
        value = values[parent]
        values.append(value.get(key, UNDEFINED) if type(value) is dict
                      else value if value is UNDEFINED else _path_step(value, key))
    del values[0]
    return values


def _array_items(shape_fn):
    """`@arrayPath`'s items of a root that is a container: the shape of each item (an object: one item)."""
    return lambda root: [shape_fn(item) for item in (root if isinstance(root, list) else [root])]


def _plain_path(value) -> bool:
    """A `{"@path": "$.a.b"}` node (what `node` reads as a lookup)."""
    return (isinstance(value, dict) and _is_directive(value) and _directive_name(value) == "@path"
            and isinstance(value["@path"], str))


def _compile_object(node: dict, out: bool):
    if getattr(_closures_only, "on", False):
        return _object_closure(node, out)
    return _ObjectCodegen().build(node, out)


_closures_only = threading.local()  # `on` while `compile_closures` builds (in this thread)


def _object_closure(node: dict, out: bool):
    """What `_ObjectCodegen` generates for a plain object with directives, as closures: every field in JS
    key order, undefined values left out where `out`."""
    fields = [(key, _compile(child, out)) for key, child in _js_entries(node)]
    if out:

        def build(payload):
            result = {}
            for key, fn in fields:
                value = fn(payload)
                if value is not UNDEFINED:
                    result[key] = value
            return result

        return build
    return lambda payload: {key: fn(payload) for key, fn in fields}


def compile_closures(mapping):
    """`compile_mapping(mapping)` built of closures only, with no generated code to compile: cheaper to build,
    slower per call (for a mapping that may run on a few events only). Not cached."""
    _closures_only.on = True
    try:
        return _compile_mapping(mapping)
    finally:
        _closures_only.on = False


_fused_cache: OrderedDict[tuple, object] = OrderedDict()


def compile_prepared(mapping, schema, text: str | None = None):
    """fn(data) giving exactly `schema.prepare(compile_mapping(mapping)(data))`, with removeEmptyValues
    fused into the generated code of the mapping's outermost object (no intermediate payload, no second
    pass over it); None when the mapping's root is not a plain object with directives (then the two
    stages run one after the other). `schema` is an `actions.framework.PayloadSchema`; `text`, when
    given, is `repr(mapping)`."""
    key = (repr(mapping) if text is None else text, id(schema))
    fn = _fused_cache.get(key)
    if fn is not None:
        _fused_cache.move_to_end(key)
        return fn[0]
    to_process = _mapping_to_process(mapping)
    _validate(to_process, [])
    if not (isinstance(to_process, dict) and not _is_directive(to_process) and _has_directive(to_process)):
        fn = None
    else:
        build = _ObjectCodegen(schema.root_steps(), root_object=True).build(to_process, True)
        finish = schema.finish
        required = schema.required

        def fn(data=UNDEFINED):
            if data is UNDEFINED:
                data = {}
            if type(data) is not dict:
                _check_data(data)
            out, slow = build(data)
            if not slow and out.keys() >= required:  # nothing for `finish` to check
                return out
            return finish(out, slow)

    _fused_cache[key] = (fn, schema)  # the schema is kept alive with its id
    if len(_fused_cache) > _CACHE_SIZE:
        _fused_cache.popitem(last=False)
    return fn


def _b_path(option, out):
    if isinstance(option, str):
        keys = _path_keys(option.replace("$.", "", 1))
        if out:

            def path_out(payload):
                value = _walk(payload, keys)
                return _remove_undefined(value) if isinstance(value, _CONTAINERS) else value

            return path_out
        return lambda payload: _walk(payload, keys)
    inner = _compile(option, False)

    def dynamic(payload):
        path = inner(payload)
        if not isinstance(path, str):
            raise MappingError(f"@path: expected string, got {real_type(path)}")
        return get_path(payload, path.replace("$.", "", 1))

    return _finish(dynamic, out)


def _compile_template(template: str):
    """Pre-split a template whose first (triple-brace) pass has nothing to replace."""
    if _TRIPLE.search(template):
        return lambda payload: render_template(template, payload)
    parts = []
    pos = 0
    for match in _DOUBLE.finditer(template):
        if match.start() > pos:
            parts.append(template[pos : match.start()])
        parts.append(_path_keys(_js_trim(match.group(1))) or ())
        pos = match.end()
    if pos < len(template):
        parts.append(template[pos:])
    if not any(isinstance(p, tuple) for p in parts):
        return lambda payload: template

    def render(payload):
        if payload is UNDEFINED:
            payload = {}
        chunks = []
        for part in parts:
            if type(part) is str:
                chunks.append(part)
            else:
                value = _walk(payload, part or None)
                chunks.append(value if type(value) is str else _placeholder_text(value))
        return "".join(chunks)

    return render


def _b_template(option, out):
    if isinstance(option, str):
        return _compile_template(option)
    inner = _compile(option, False)

    def dynamic(payload):
        template = inner(payload)
        if not isinstance(template, str):
            raise MappingError(f"@template: expected string, got {real_type(template)}")
        return render_template(template, payload)

    return dynamic


def _b_literal(option, out):
    return _compile(option, out)


def _b_if(opts, out):
    if not isinstance(opts, dict):

        def not_object(payload):
            raise MappingError('@if requires an object with an "exists" key')

        return not_object
    if not truthy(opts.get("exists", UNDEFINED)) and not truthy(opts.get("blank", UNDEFINED)):

        def missing(payload):
            raise MappingError('@if requires an "exists" key or a "blank" key')

        return missing
    use_exists = opts.get("exists", UNDEFINED) is not UNDEFINED
    test = _compile(opts["exists"] if use_exists else opts["blank"], False)
    has_then = opts.get("then", UNDEFINED) is not UNDEFINED
    then_fn = _compile(opts["then"], out) if has_then else None
    else_fn = _compile(opts["else"], out) if truthy(opts.get("else", UNDEFINED)) else None

    def run(payload):
        value = test(payload)
        if use_exists:
            condition = value is not UNDEFINED and value is not None
        else:
            condition = value is not UNDEFINED and value is not None and not _js_equal_empty_string(value)
        if condition:
            return then_fn(payload) if then_fn is not None else UNDEFINED
        return else_fn(payload) if else_fn is not None else UNDEFINED

    return run


def _b_array_path(data, out):
    if not isinstance(data, list):
        message = f"@arrayPath expected array, got {real_type(data)}"

        def not_array(payload):
            raise MappingError(message)

        return not_array
    path = data[0] if len(data) > 0 else UNDEFINED
    shape = data[1] if len(data) > 1 else UNDEFINED
    if isinstance(path, str):
        keys = _path_keys(path.replace("$.", "", 1))

        def root_fn(payload):
            return _walk(payload, keys)

    else:
        root_fn = _compile(path, False)
    shape_fn = _compile(shape, out) if isinstance(shape, dict) and len(shape) > 0 else None

    def run(payload):
        root = root_fn(payload)
        if shape_fn is not None and isinstance(root, _CONTAINERS):
            return [shape_fn(item) for item in (root if isinstance(root, list) else [root])]
        if out and isinstance(root, _CONTAINERS):
            return _remove_undefined(root)
        return root

    return run


def _b_case(opts, out):
    if not isinstance(opts, dict):
        return _fail('@case requires an object with a "operator" key')
    if not truthy(opts.get("operator", UNDEFINED)):
        return _fail('@case requires a "operator" key')
    operator = opts["operator"]
    if not truthy(opts.get("value", UNDEFINED)):
        return lambda payload: UNDEFINED
    value_fn = _compile(opts["value"], False)
    return _finish(lambda payload: _change_case(value_fn(payload), operator), out)


def _b_replace(opts, out):
    message = _options_error(_check_replace, opts)
    if message is not None:
        return _fail(message)
    settings = _replace_settings(opts)
    if not truthy(opts.get("value", UNDEFINED)):
        return lambda payload: UNDEFINED
    value_fn = _compile(opts["value"], False)
    return lambda payload: _apply_replace(value_fn(payload), settings)


def _b_exclude_when_null(value, out):
    inner = _compile(value, False)

    def run(payload):
        resolved = inner(payload)
        if resolved is None:
            return UNDEFINED
        return _clean_nulls(resolved)

    return _finish(run, out)


def _b_json(opts, out):
    message = _options_error(_check_json, opts)
    if message is not None:
        return _fail(message)
    mode = opts["mode"]
    value_fn = _compile(opts["value"], False)
    return _finish(lambda payload: _apply_json(mode, value_fn(payload)), out)


def _b_transform(opts, out):
    message = _options_error(_check_transform, opts)
    if message is not None:
        return _fail(message)
    try:
        apply_fn = compile_mapping(opts["apply"])
    except MappingError as err:  # validation of `apply` happens when the directive runs
        failure = err

        def invalid(payload):
            _check_data(payload)
            raise failure

        return invalid
    mapping_fn = _compile(opts["mapping"], out)
    return lambda payload: mapping_fn(apply_fn(payload))


def _b_merge(opts, out):
    message = _options_error(_check_merge, opts)
    if message is not None:
        return _fail(message)
    direction_fn = _compile(opts["direction"], False)
    objects = opts.get("objects", UNDEFINED)
    objects_error = _options_error(_check_merge_objects, objects)
    if objects_error is not None:

        def bad_objects(payload):
            direction_fn(payload)  # resolved (and may fail) before the objects are checked
            raise MappingError(objects_error)

        return bad_objects
    object_fns = [_compile(item, False) for item in objects]

    def merge(payload):
        direction = direction_fn(payload)
        resolved = [fn(payload) for fn in object_fns]
        if direction == "left":
            resolved.reverse()
        return _object_assign(resolved)

    return _finish(merge, out)


def _b_flatten(opts, out):
    message = _options_error(_flatten_settings, opts)
    if message is not None:
        return _fail(message)
    separator_fn = _compile(opts["separator"], False)
    value_fn = _compile(opts.get("value", UNDEFINED), False)
    omit_arrays = truthy(opts.get("omitArrays", UNDEFINED))

    def flatten(payload):
        separator = separator_fn(payload)
        if not isinstance(separator, str):
            raise MappingError("@flatten requires a string separator")
        result: dict = {}
        _flatten_object(value_fn(payload), "", separator, omit_arrays, result)
        return result

    return _finish(flatten, out)


def _b_liquid(template, out):
    if not isinstance(template, str):
        return _fail("liquid template value must be a string")
    if template == "":
        return lambda payload: ""
    message = _options_error(_check_liquid_length, template)
    if message is not None:
        return _fail(message)
    try:
        parsed = _liquid_environment().from_string(template)
    except MappingError as err:
        return _fail(str(err))
    except Exception as err:  # a syntax error: raised when the directive is reached, as the runtime does
        return _fail(str(err))

    def render(payload):
        return _liquid_render(parsed, payload)

    return render


BUILDERS = {
    "@path": _b_path,
    "@template": _b_template,
    "@literal": _b_literal,
    "@if": _b_if,
    "@arrayPath": _b_array_path,
    "@case": _b_case,
    "@replace": _b_replace,
    "@excludeWhenNull": _b_exclude_when_null,
    "@json": _b_json,
    "@transform": _b_transform,
    "@merge": _b_merge,
    "@flatten": _b_flatten,
    "@liquid": _b_liquid,
}


_CACHE_SIZE = 512
_cache: OrderedDict[str, object] = OrderedDict()


def compile_mapping(mapping):
    """Validate once and return fn(data) giving exactly `transform(mapping, data)`.

    The function holds no state and no reference to `mapping`, so equal mappings share one: compare builds
    an engine per recommendation, each with mostly the same subscriptions. Equal means the same `repr`
    (same keys in the same order, same types: 1, 1.0 and True differ).
    """
    key = repr(mapping)
    fn = _cache.get(key)
    if fn is not None:
        _cache.move_to_end(key)
        return fn
    fn = _compile_mapping(mapping)
    _cache[key] = fn
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return fn


def _compile_mapping(mapping):
    to_process = _mapping_to_process(mapping)
    _validate(to_process, [])
    fn = _compile(to_process, True)

    def apply(data=UNDEFINED):
        if data is UNDEFINED:
            data = {}
        if type(data) is not dict:
            _check_data(data)
        return fn(data)

    return apply
