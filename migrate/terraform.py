"""Segment configuration as Terraform: read it, write it.

Teams that manage their workspace as code use Segment's Terraform provider (`segmentio/segment`), often through
Segment's Git sync, which keeps the workspace as Terraform files in a repository:

    destinations/<destination id>.tf                                   one `segment_destination` each
    destination_subscriptions/<destination id>_<subscription id>.tf    one `segment_destination_subscription` each

each with an `import` block whose id is `<destination id>` or `<destination id>:<subscription id>`.

Reading
    `load_settings_document(path)`: a `segment_destination` (classic settings); `settings` is a JSON string or
    `jsonencode({...})`. `load_subscriptions_document(path)`: every `segment_destination_subscription`, in the
    Public API shape (`name, actionSlug, trigger, enabled, settings`, plus `id` and `destinationId` when known).
    PATH is a `.tf` file or a folder (searched recursively, as a Git-sync repository is laid out); `PATH#ID`
    picks one destination by id or resource address when the files hold several.
    The HCL is parsed by python-hcl2 (a maintained HCL2 parser); only literal values and `jsonencode(...)` of
    literals are evaluated: anything that needs a Terraform run (a variable, a reference) is reported with its
    file and line rather than guessed.

Writing
    `render_subscriptions(...)`: `segment_destination_subscription` resources with `settings = jsonencode({...})`
    (one key per line, keys sorted, as Terraform itself orders them), `destination_id` from a variable or a given
    id and `action_id` looked up by slug in the provider's `segment_destination_metadata` data source, so no
    action id is hard-coded. Subscriptions that replace existing ones (same name and action) say so and get an
    `import` block when the existing id is known. `write_gitsync(...)` writes one file per subscription in Git
    sync's naming and updates the files of replaced subscriptions in place.

Schema facts (segmentio/terraform-provider-segment, docs/resources/destination_subscription.md and
internal/provider/destination_subscription_resource.go): required `action_id, destination_id, enabled, name,
settings (JSON string), trigger`; optional `model_id`; read-only `id, action_slug`; import id
`<destination_id>:<subscription_id>`. `segment_destination_metadata` (docs/data-sources/destination_metadata.md)
takes the catalog `id` and exposes `actions` with `id` and `slug`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from migrate.config import is_terraform_path  # noqa: F401 - part of this module's API
from migrate.config import split_selector as _split_selector
from migrate.errors import BadInput
from migrate.masking import MASK, is_secret_key

__all__ = [
    "SUBSCRIPTION_ATTRIBUTES",
    "TerraformBlock",
    "ExistingSubscription",
    "is_terraform_path",
    "parse_file",
    "load_settings_document",
    "load_subscriptions_document",
    "load_existing",
    "load_existing_any",
    "existing_from_json",
    "render_subscriptions",
    "resource_name",
    "write_gitsync",
    "hcl_string",
]

# The provider's segment_destination_subscription schema: what a configuration may set.
SUBSCRIPTION_ATTRIBUTES = frozenset({"action_id", "destination_id", "enabled", "name", "settings", "trigger",
                                     "model_id"})
SUBSCRIPTION = "segment_destination_subscription"
DESTINATION = "segment_destination"
CLASSIC_METADATA_ID = "54521fd525e721e32a72ee91"   # Amplitude (Classic) in Segment's catalog
ACTIONS_METADATA_ID = "5f7dd6d21ad74f3842b1fc47"   # Amplitude (Actions) in Segment's catalog
DESTINATION_VARIABLE = "amplitude_actions_destination_id"
METADATA_DATA = "amplitude_actions"
ACTION_IDS_LOCAL = "amplitude_action_ids"
GITSYNC_METADATA_FILE = "amplitude_actions_metadata.tf"
MASKED = MASK  # a secret Terraform reads from a variable: opaque, as a masked Git-sync value is


# ------------------------------------------------------------------------------------------ parsing

class Unevaluated:
    """An expression that needs a Terraform run (a variable, a reference, a function other than jsonencode)."""

    def __init__(self, text: str, line: int | None, literals: tuple[str, ...] = ()):
        self.text, self.line, self.literals = text, line, literals

    def __repr__(self) -> str:
        return f"Unevaluated({self.text!r})"


@dataclass
class TerraformBlock:
    kind: str                       # resource, data, import, variable, locals, ...
    labels: tuple[str, ...]
    attributes: dict[str, Any]      # name -> evaluated value or Unevaluated
    lines: dict[str, int]           # name -> line of the attribute
    file: str
    line: int

    @property
    def address(self) -> str:
        return ".".join(self.labels)


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadInput(str(path), None, f"{what} file not found") from None
    except UnicodeDecodeError:
        raise BadInput(str(path), None, f"{what} file is not UTF-8 text") from None
    except OSError as exc:
        raise BadInput(str(path), None, f"cannot read {what} file: {exc.strerror or exc}") from None


def parse_file(path: str | Path, what: str = "Terraform") -> list[TerraformBlock]:
    """The top-level blocks of one Terraform file; BadInput with file and line when it does not parse."""
    import hcl2
    from lark.exceptions import UnexpectedInput, LarkError

    path = Path(path)
    text = _read_text(path, what)
    try:
        tree = hcl2.parses_to_tree(text)
    except UnexpectedInput as exc:
        line = getattr(exc, "line", None)
        line = line if isinstance(line, int) and line > 0 else None
        col = getattr(exc, "column", None)
        where = f" (column {col})" if isinstance(col, int) and col > 0 else ""
        raise BadInput(str(path), line, f"{what} file is not valid HCL{where}: {_lark_reason(exc)}") from None
    except LarkError as exc:
        raise BadInput(str(path), None, f"{what} file is not valid HCL: {type(exc).__name__}") from None
    body = _child(tree, "body")
    blocks = []
    for node in _children(body, "block"):
        blocks.append(_block(node, str(path), text))
    return blocks


_TEXT_TOKENS = frozenset({"STRING_CHARS", "ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE", "HEREDOC_TEMPLATE",
                          "HEREDOC_TEMPLATE_TRIM", "TEMPLATE_STRING"})


def _lark_reason(exc) -> str:
    token = getattr(exc, "token", None)
    if token is not None and getattr(token, "type", None) == "$END":
        return "unexpected end of file (an unclosed brace, bracket or string?)"
    if token is not None:
        if getattr(token, "type", "") in _TEXT_TOKENS or len(str(token)) > 20:
            return "unexpected text here"  # never echo string contents: they may hold a key
        return f"unexpected {str(token)!r}"
    char = getattr(exc, "char", None)
    if char is not None:
        return f"unexpected character {char!r}"
    return "syntax error"


def _children(node, name: str):
    from lark import Tree

    return [c for c in node.children if isinstance(c, Tree) and c.data == name]


def _child(node, name: str):
    found = _children(node, name)
    return found[0] if found else None


def _trees(node):
    from lark import Tree

    return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def _line(node) -> int | None:
    meta = getattr(node, "meta", None)
    if meta is not None and not getattr(meta, "empty", True):
        return meta.line
    line = getattr(node, "line", None)
    return line if isinstance(line, int) else None


def _block(node, file: str, text: str) -> TerraformBlock:
    from lark import Token, Tree

    parts = []
    for c in node.children:
        if isinstance(c, Tree) and c.data == "body":
            break
        if isinstance(c, Tree) and c.data in ("identifier", "keyword", "literal_value"):
            parts.append(str(c.children[0]))
        elif isinstance(c, Tree) and c.data == "string":
            parts.append(_string(c, file, text))
        elif isinstance(c, Token):
            continue
    body = _child(node, "body")
    attributes, lines = {}, {}
    for attr in _children(body, "attribute"):
        name_node = attr.children[0]
        name = str(name_node.children[0])
        expr = attr.children[-1]
        attributes[name] = _evaluate(expr, file, text)
        lines[name] = _line(attr) or _line(node) or 0
    # nested blocks (e.g. `metadata { id = ... }` in older files) become object attributes
    for nested in _children(body, "block"):
        inner = _block(nested, file, text)
        attributes.setdefault(inner.kind, inner.attributes)
        lines.setdefault(inner.kind, inner.line)
    return TerraformBlock(parts[0] if parts else "", tuple(parts[1:]), attributes, lines, file, _line(node) or 0)


_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _unescape(raw: str, file: str, line: int | None) -> str:
    def one(m):
        code = m.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        if code in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[code]
        raise BadInput(file, line, f"unknown escape sequence \\{code} in a quoted string")

    return _ESCAPE.sub(one, raw)


def _string(node, file: str, text: str):
    """A quoted string's value; Unevaluated when it interpolates (`${...}`) or holds a directive (`%{...}`)."""
    from lark import Token, Tree

    out = []
    line = _line(node)
    for part in _children(node, "string_part"):
        piece = part.children[0]
        if isinstance(piece, Token):
            if piece.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                # $${x} is the literal text ${x}, %%{x} the literal %{x}; escapes inside still apply
                out.append(_unescape(str(piece)[1:], file, line))
            else:
                out.append(_unescape(str(piece), file, line))
        elif isinstance(piece, Tree):
            return Unevaluated(_source(node, text), line, _literals(node, file, text))
    return "".join(out)


def _heredoc(token, file: str, line: int | None):
    raw = str(token)
    trim = raw.startswith("<<-")
    first_nl = raw.index("\n")
    body = raw[first_nl + 1:]
    body = body[: body.rstrip().rfind("\n") + 1] if "\n" in body.rstrip() else ""
    if "${" in body.replace("$${", "") or "%{" in body.replace("%%{", ""):
        return Unevaluated(raw.strip(), line)
    lines = body.split("\n")
    if trim:
        indents = [len(s) - len(s.lstrip(" \t")) for s in lines if s.strip()]
        cut = min(indents) if indents else 0
        lines = [s[cut:] for s in lines]
    return "\n".join(lines).replace("$${", "${").replace("%%{", "%{")


def _source(node, text: str) -> str:
    meta = getattr(node, "meta", None)
    if meta is None or getattr(meta, "empty", True):
        return "<expression>"
    snippet = text[meta.start_pos:meta.end_pos]
    return " ".join(snippet.split())[:200]


def _literals(node, file: str, text: str) -> tuple[str, ...]:
    """Every plain string literal inside an expression (to find an action slug in a lookup expression)."""
    from lark import Tree

    found = []
    for sub in node.iter_subtrees_topdown():
        if isinstance(sub, Tree) and sub.data == "string":
            value = _string(sub, file, text)
            if isinstance(value, str):
                found.append(value)
    return tuple(found)


def _evaluate(node, file: str, text: str):
    """The value of a literal expression (strings, numbers, bools, null, objects, tuples, jsonencode/jsondecode of
    literals); Unevaluated for anything else."""
    from lark import Token, Tree

    if isinstance(node, Token):
        if node.type in ("HEREDOC_TEMPLATE", "HEREDOC_TEMPLATE_TRIM"):
            return _heredoc(node, file, node.line)
        return Unevaluated(str(node), node.line)
    kind = node.data
    subs = _trees(node)
    if kind in ("expr_term", "expression") and len(subs) == 1 and len(node.children) <= 3:
        # parentheses or a plain wrapper
        only = [c for c in node.children if not (isinstance(c, Token) and c.type in ("LPAR", "RPAR"))
                and not (isinstance(c, Tree) and c.data == "new_line_or_comment")]
        if len(only) == 1:
            return _evaluate(only[0], file, text)
    if kind == "expr_term" and len(node.children) == 1 and isinstance(node.children[0], Token):
        return _evaluate(node.children[0], file, text)
    if kind == "string":
        return _string(node, file, text)
    if kind == "heredoc_template" or kind == "heredoc_template_trim":
        return _heredoc(node.children[0], file, _line(node))
    if kind == "literal_value":
        return {"true": True, "false": False, "null": None}[str(node.children[0])]
    if kind == "int_lit":
        return int(str(node.children[0]))
    if kind == "float_lit":
        value = float(str(node.children[0]))
        return value if math.isfinite(value) else Unevaluated(str(node.children[0]), _line(node))
    if kind == "unary_op" and len(node.children) == 2 and str(node.children[0]) == "-":
        value = _evaluate(node.children[1], file, text)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
    if kind == "object":
        out = {}
        for elem in _children(node, "object_elem"):
            key_node = _child(elem, "object_elem_key")
            key_trees = _trees(key_node)
            key_expr = key_trees[0] if key_trees else key_node.children[0]
            key = _object_key(key_expr, file, text)
            value = _evaluate(_trees(elem)[-1], file, text)
            if isinstance(key, Unevaluated):
                return Unevaluated(_source(node, text), _line(node), _literals(node, file, text))
            out[key] = value
        return out
    if kind == "tuple":
        return [_evaluate(c, file, text) for c in _trees(node)]
    if kind == "function_call":
        name = str(_child(node, "identifier").children[0])
        args = _child(node, "arguments")
        values = [_evaluate(c, file, text) for c in _trees(args)] if args is not None else []
        if name in ("jsonencode", "jsondecode") and len(values) == 1 and not _has_unevaluated(values[0]):
            if name == "jsonencode":
                return _JsonEncoded(values[0])
            if isinstance(values[0], str):
                try:
                    return json.loads(values[0])
                except json.JSONDecodeError:
                    pass
        if name == "jsonencode" and len(values) == 1:
            return _JsonEncoded(values[0])  # keeps the references visible to the caller
    return Unevaluated(_source(node, text), _line(node), _literals(node, file, text))


def _object_key(node, file: str, text: str):
    from lark import Tree

    if isinstance(node, Tree) and node.data == "identifier":
        return str(node.children[0])
    if isinstance(node, Tree) and node.data == "expr_term":
        subs = _trees(node)
        if len(subs) == 1 and subs[0].data == "identifier":
            return str(subs[0].children[0])
    value = _evaluate(node, file, text)
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, Unevaluated) else Unevaluated(_source(node, text), _line(node))


class _JsonEncoded:
    """The value of `jsonencode(x)`: x itself (the settings attribute holds a JSON string of it)."""

    def __init__(self, value):
        self.value = value


def _has_unevaluated(value) -> bool:
    if isinstance(value, Unevaluated):
        return True
    if isinstance(value, dict):
        return any(_has_unevaluated(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unevaluated(v) for v in value)
    return False


def _files(base: Path, what: str) -> list[Path]:
    if base.is_dir():
        files = sorted(p for p in base.rglob("*.tf") if p.is_file() and ".terraform" not in p.parts)
        if not files:
            raise BadInput(str(base), None, f"no .tf files in this folder (expected {what} as Terraform)")
        return files
    return [base]


def _blocks(base: Path, what: str, resource_type: str | None = None,
            mentioning: str | None = None) -> list[TerraformBlock]:
    out = []
    wanted = re.compile(r'resource\s+"?' + re.escape(resource_type) + r'"?\s') if resource_type else None
    for file in _files(base, what):
        if wanted is not None and base.is_dir():
            # cheap pre-filter: a Git-sync repository has hundreds of files, most of other resource types or
            # of other destinations, and parsing is the slow part
            text = _read_text(file, what)
            if not wanted.search(text) or (mentioning and mentioning not in text):
                continue
        out.extend(parse_file(file, what))
    return out


def _imports(blocks: Iterable[TerraformBlock]) -> dict[str, str]:
    """Resource address -> import id, from `import { to = ..., id = "..." }` blocks."""
    out = {}
    for b in blocks:
        if b.kind != "import":
            continue
        to, ident = b.attributes.get("to"), b.attributes.get("id")
        if isinstance(to, Unevaluated) and isinstance(ident, str):
            out[to.text.replace(" ", "")] = ident
    return out


def _settings_value(block: TerraformBlock, what: str) -> dict:
    value = block.attributes.get("settings")
    line = block.lines.get("settings", block.line)
    where = f"{block.address}: settings"
    if value is None:
        return {}
    if isinstance(value, _JsonEncoded):
        value = value.value
    elif isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:  # the text itself may hold a secret: never echoed
            raise BadInput(block.file, line, f"{where} is not a JSON string: {exc.msg} (column {exc.colno})") \
                from None
    elif isinstance(value, Unevaluated):
        raise BadInput(block.file, line, f"{where} is `{_short(value.text)}`, which needs a Terraform run to "
                       f"evaluate; give the {what} as a JSON string or jsonencode({{...}}) of literal values")
    if not isinstance(value, dict):
        raise BadInput(block.file, line, f"{where} must be a JSON object, got {type(value).__name__}")
    return _resolve_references(value, block, line, where)


def _resolve_references(value, block: TerraformBlock, line: int, where: str, key: str | None = None):
    if isinstance(value, Unevaluated):
        if is_secret_key(key):
            return MASKED  # a secret from a variable: stays opaque, as a masked Git-sync value does
        raise BadInput(block.file, value.line or line, f"{where}.{key} is `{_short(value.text)}`, which needs a "
                       "Terraform run to evaluate; use a literal value")
    if isinstance(value, dict):
        return {k: _resolve_references(v, block, line, where, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_references(v, block, line, where, key) for v in value]
    return value


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def _literal(block: TerraformBlock, name: str):
    value = block.attributes.get(name)
    return None if isinstance(value, (Unevaluated, _JsonEncoded)) else value


def _destination_id(block: TerraformBlock, imports: dict[str, str]) -> str | None:
    ident = imports.get(block.address)
    if ident:
        return ident
    name = block.labels[-1] if block.labels else ""
    if name.startswith("id-"):
        return name[3:]
    stem = Path(block.file).stem
    if Path(block.file).parent.name == "destinations":
        return stem
    return None


# ------------------------------------------------------------------------------------ read: settings

def _select(candidates: list, selector: str | None, path: str, what: str, describe, matches):
    if selector is not None:
        chosen = [c for c in candidates if matches(c, selector)]
        if not chosen:
            raise BadInput(path, None, f"no {what} matches {selector!r}; found: "
                           + (", ".join(describe(c) for c in candidates) or "none"))
        return chosen
    return candidates


def load_settings_document(path: str, what: str = "classic settings", *,
                           metadata_id: str = CLASSIC_METADATA_ID) -> dict:
    """A Public API-shaped destination document (`{"data": {"destination": {...}}}`) from a `segment_destination`.

    PATH is a .tf file or a folder (a Git-sync repository: `destinations/<id>.tf`); `PATH#ID` selects by
    destination id or resource address. Without a selector the one destination of this kind (Amplitude
    (Classic) by default) is taken; several are an error that lists them.
    """
    base, selector = _split_selector(path)
    base_path = Path(base)
    if not base_path.exists():
        raise BadInput(base, None, f"{what} file not found")
    blocks = _blocks(base_path, what, DESTINATION)
    imports = _imports(blocks)
    dests = [b for b in blocks if b.kind == "resource" and b.labels[:1] == (DESTINATION,)]
    if not dests:
        raise BadInput(base, None, f"no `resource \"{DESTINATION}\"` block found (expected the {what} as a "
                       "Terraform segment_destination)")

    def describe(b):
        ident = _destination_id(b, imports)
        return f"{b.address}" + (f" (id {ident})" if ident else "") + f" in {b.file}"

    def matches(b, sel):
        return sel in (b.address, b.labels[-1], _destination_id(b, imports))

    chosen = _select(dests, selector, base, "segment_destination", describe, matches)
    if len(chosen) > 1:
        kind = [b for b in chosen if _metadata_id(b) == metadata_id]
        chosen = kind or chosen
    if len(chosen) > 1:
        raise BadInput(base, None, f"{len(chosen)} segment_destination resources; pick one with "
                       f"{base}#<destination id or resource address>: " + ", ".join(describe(b) for b in chosen))
    block = chosen[0]
    settings = _settings_value(block, what)
    dest = {"id": _destination_id(block, imports), "name": _literal(block, "name"),
            "enabled": _literal(block, "enabled"), "settings": settings}
    meta = _metadata_id(block)
    if meta:
        dest["metadata"] = {"id": meta}
    dest = {k: v for k, v in dest.items() if v is not None}
    return {"data": {"destination": dest}, "source": {"file": block.file, "line": block.line,
                                                       "address": block.address}}


def _metadata_id(block: TerraformBlock) -> str | None:
    meta = block.attributes.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("id"), str):
        return meta["id"]
    return None


# ------------------------------------------------------------------------------- read: subscriptions

@dataclass
class ExistingSubscription:
    """A subscription as the files (or the Public API) have it: what a new subscription may replace."""

    name: str
    slug: str | None
    action_id: str | None
    trigger: str
    enabled: bool
    settings: dict
    id: str | None = None
    destination_id: str | None = None
    address: str | None = None
    file: str | None = None
    line: int | None = None
    extra: dict = field(default_factory=dict)   # attributes kept as written (model_id...)

    def to_public_api(self) -> dict:
        out = {"name": self.name, "actionSlug": self.slug, "trigger": self.trigger, "enabled": self.enabled,
               "settings": self.settings}
        if self.action_id:
            out["actionId"] = self.action_id
        if self.id:
            out["id"] = self.id
        if self.destination_id:
            out["destinationId"] = self.destination_id
        return out


def _action_slugs() -> dict[str, frozenset]:
    import actions

    return {slug: frozenset(module.FIELDS) for slug, module in actions.ACTIONS.items()}


def _infer_slugs(subs: list[ExistingSubscription]) -> None:
    """Give literal action ids a slug: the action whose fields hold every mapping key of every subscription
    with that id (the smallest such action when several do). Segment stores a subscription's settings as a
    snapshot of the action's fields, so the key set identifies the action."""
    fields = _action_slugs()
    by_id: dict[str, set] = {}
    for s in subs:
        if s.slug is None and s.action_id:
            by_id.setdefault(s.action_id, set()).update(s.settings)
    resolved = {}
    for action_id, keys in by_id.items():
        fits = sorted((len(f), slug) for slug, f in fields.items() if keys <= f)
        if len(fits) == 1 or (len(fits) > 1 and fits[0][0] < fits[1][0] and keys):
            resolved[action_id] = fits[0][1]
    for s in subs:
        if s.slug is None and s.action_id in resolved:
            s.slug = resolved[s.action_id]


def _slug_from(value, known: Iterable[str]) -> str | None:
    known = set(known)
    if isinstance(value, str) and value in known:
        return value
    if isinstance(value, Unevaluated):
        found = [lit for lit in value.literals if lit in known]
        if len(set(found)) == 1:
            return found[0]
    return None


def _subscription(block: TerraformBlock, imports: dict[str, str]) -> ExistingSubscription:
    known = _action_slugs()
    where = block.address

    def need(name, kind):
        value = block.attributes.get(name)
        line = block.lines.get(name, block.line)
        if value is None:
            raise BadInput(block.file, block.line, f"{where}: missing `{name}`")
        if isinstance(value, (Unevaluated, _JsonEncoded)) or not isinstance(value, kind):
            shown = value.text if isinstance(value, Unevaluated) else type(value).__name__
            raise BadInput(block.file, line, f"{where}: `{name}` must be a literal {kind.__name__} "
                           f"(got `{_short(shown)}`)")
        return value

    name = need("name", str)
    trigger = need("trigger", str)
    enabled = need("enabled", bool) if "enabled" in block.attributes else True
    settings = _settings_value(block, "subscription settings")
    raw_action = block.attributes.get("action_id")
    if raw_action is None:
        raise BadInput(block.file, block.line, f"{where}: missing `action_id`")
    slug = _slug_from(raw_action, known)
    action_id = raw_action if isinstance(raw_action, str) and slug is None else None
    slug_attr = _literal(block, "action_slug")
    if slug is None and isinstance(slug_attr, str) and slug_attr in known:
        slug = slug_attr
    if slug is None and action_id is None:
        raise BadInput(block.file, block.lines.get("action_id", block.line),
                       f"{where}: action_id `{_short(getattr(raw_action, 'text', str(raw_action)))}` names no "
                       f"Amplitude action (expected a lookup by slug such as "
                       f"local.{ACTION_IDS_LOCAL}[\"logEventV2\"] or a literal action id)")
    import_id = imports.get(f"{SUBSCRIPTION}.{block.labels[-1]}") if len(block.labels) > 1 else None
    dest = _literal(block, "destination_id")
    sub_id = None
    if import_id and ":" in import_id:
        dest_from_import, sub_id = import_id.split(":", 1)
        dest = dest or dest_from_import
    extra = {k: v for k, v in block.attributes.items() if k == "model_id" and (v is None or isinstance(v, str))}
    return ExistingSubscription(name, slug, action_id, trigger, enabled, settings, sub_id,
                                dest if isinstance(dest, str) else None, block.address, block.file, block.line,
                                extra)


def load_existing(path: str) -> list[ExistingSubscription]:
    """Every segment_destination_subscription under PATH (`PATH#DESTINATION_ID` keeps one destination's)."""
    base, selector = _split_selector(path)
    base_path = Path(base)
    if not base_path.exists():
        raise BadInput(base, None, "subscriptions file not found")
    blocks = _blocks(base_path, "subscriptions", SUBSCRIPTION, mentioning=selector)
    imports = _imports(blocks)
    subs = [_subscription(b, imports) for b in blocks if b.kind == "resource" and b.labels[:1] == (SUBSCRIPTION,)]
    if selector is not None:
        subs = [s for s in subs if selector in (s.destination_id, s.address)]
        if not subs:
            raise BadInput(base, None, f"no segment_destination_subscription of destination {selector!r}")
    elif len({s.destination_id for s in subs if s.destination_id}) > 1:
        ids = sorted({s.destination_id for s in subs if s.destination_id})
        raise BadInput(base, None, f"subscriptions of {len(ids)} destinations ({', '.join(ids)}); pick one with "
                       f"{base}#<destination id>")
    _infer_slugs(subs)
    for s in subs:
        if s.slug is None:
            raise BadInput(s.file or base, s.line, f"{s.address}: cannot tell which Amplitude action the literal "
                           f"action_id {s.action_id!r} is (its settings keys fit no single action); write it as "
                           f"local.{ACTION_IDS_LOCAL}[\"<slug>\"] (see docs/terraform.md)")
    return subs


def load_subscriptions_document(path: str) -> list[dict]:
    """The subscriptions under PATH in the Public API shape (what every `--subscriptions` reader accepts).
    Disabled subscriptions are kept (with `enabled: false`): the readers decide what to do with them."""
    subs = load_existing(path)
    if not subs:
        raise BadInput(_split_selector(path)[0], None, f"no `resource \"{SUBSCRIPTION}\"` block found")
    return [s.to_public_api() for s in subs]


def _existing_from_api(destination_id: str, region: str, source: str) -> list[ExistingSubscription]:
    from migrate import public_api
    from migrate.errors import MigrateError

    if not destination_id:
        raise BadInput(source, None, "expected segment:<Actions destination id>")
    try:
        client = public_api.SegmentClient.from_env(region=region)
    except ValueError as exc:
        raise MigrateError(f"{source}: {exc}") from None
    items = client.list_subscriptions(destination_id)  # ApiError is a MigrateError: exit code 2 in the CLI
    return existing_from_json({"destinationId": destination_id, "subscriptions": items}, source)


def existing_from_json(doc, source: str) -> list[ExistingSubscription]:
    """Existing subscriptions with their ids from a Public API answer or a `segment apply` backup."""
    items = doc
    if isinstance(items, dict) and isinstance(items.get("data"), dict):
        items = items["data"]
    if isinstance(items, dict):
        items = items.get("subscriptions", items.get("destinationSubscriptions"))
    if not isinstance(items, list):
        raise BadInput(source, None, "expected a list of subscriptions (a Public API answer or a backup)")
    dest = doc.get("destinationId") if isinstance(doc, dict) else None
    out = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise BadInput(source, None, f"subscription #{i}: expected an object with a name")
        out.append(ExistingSubscription(
            item["name"], item.get("actionSlug") or item.get("partnerAction"), item.get("actionId"),
            item.get("trigger") or item.get("subscribe") or "", item.get("enabled", True) is not False,
            item.get("settings") or item.get("mapping") or {}, item.get("id"),
            item.get("destinationId") or dest))
    return out


PUBLIC_API_PREFIXES = {"segment:": "us", "segment-eu:": "eu"}


def load_existing_any(path: str) -> list[ExistingSubscription]:
    """Existing subscriptions from Terraform (a file or Git-sync folder), a Public API JSON document, or the
    Public API itself: `segment:DESTINATION_ID` (`segment-eu:` for EU workspaces; token in SEGMENT_TOKEN)."""
    for prefix, region in PUBLIC_API_PREFIXES.items():
        if path.startswith(prefix):
            return _existing_from_api(path[len(prefix):].strip(), region, path)
    if is_terraform_path(path):
        return load_existing(path)
    from migrate.config import load_json_file

    return existing_from_json(load_json_file(path, "existing subscriptions"), path)


# ------------------------------------------------------------------------------------------ writing

def hcl_string(value: str) -> str:
    """A quoted HCL string literal whose value is exactly `value` (templates escaped, not interpolated)."""
    out = ['"']
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    text = "".join(out)
    # ${ and %{ start templates in HCL: doubling the sigil makes them literal
    text = text.replace("${", "$${").replace("%{", "%%{")
    return text + '"'


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _representable(value) -> bool:
    """HCL strings are UTF-8: a lone surrogate (possible in JSON input) cannot be written as HCL text."""
    if isinstance(value, str):
        return not _LONE_SURROGATE.search(value)
    if isinstance(value, dict):
        return all(_representable(k) and _representable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_representable(v) for v in value)
    return True


def _hcl_scalar(value) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("a mapping holds a non-finite number, which JSON cannot carry")
        return repr(value) if value != int(value) or abs(value) >= 1e16 else f"{value:.1f}"
    if isinstance(value, str):
        return hcl_string(value)
    raise TypeError(f"cannot write {type(value).__name__} as HCL")


def _hcl_value(value, indent: int) -> list[str]:
    """Lines of an HCL expression for a JSON value; the first line continues the current one."""
    pad = "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return ["{}"]
        if len(value) == 1:
            (k, v), = value.items()
            inner = _hcl_value(v, indent + 1)
            if len(inner) == 1 and not isinstance(v, (dict, list)):
                return [f"{{ {hcl_string(str(k))} = {inner[0]} }}"]  # a directive such as { "@path" = "$.event" }
        lines = ["{"]
        items = [(hcl_string(str(k)), _hcl_value(v, indent + 1)) for k, v in sorted(value.items())]
        lines += _aligned(items, pad)
        lines.append("  " * indent + "}")
        return lines
    if isinstance(value, list):
        if not value:
            return ["[]"]
        rendered = [_hcl_value(v, indent + 1) for v in value]
        if all(len(r) == 1 for r in rendered) and sum(len(r[0]) + 2 for r in rendered) < 80:
            return ["[" + ", ".join(r[0] for r in rendered) + "]"]
        lines = ["["]
        for r in rendered:
            lines.append(pad + r[0])
            lines += r[1:]
            lines[-1] += ","
        lines.append("  " * indent + "]")
        return lines
    return [_hcl_scalar(value)]


def _aligned(items: list[tuple[str, list[str]]], pad: str) -> list[str]:
    """`key = value` lines with the equals signs aligned in runs of single-line values, as `terraform fmt` does."""
    lines: list[str] = []
    run: list[tuple[str, list[str]]] = []

    def flush():
        width = max((len(k) for k, _ in run), default=0)
        for k, v in run:
            lines.append(f"{pad}{k.ljust(width)} = {v[0]}")
        run.clear()

    for key, value in items:
        if len(value) == 1:
            run.append((key, value))
            continue
        flush()
        lines.append(f"{pad}{key} = {value[0]}")
        lines += value[1:]
    flush()
    return lines


def _settings_expression(settings: dict) -> list[str]:
    if not _representable(settings):
        # keep the JSON escape of a lone surrogate inside a JSON string: still exactly the same mapping
        from migrate.config import json_text

        return [hcl_string(json_text(settings))]
    body = _hcl_value(settings, 1)
    if body == ["{}"]:
        return ["jsonencode({})"]
    return ["jsonencode(" + body[0]] + body[1:-1] + [body[-1] + ")"]


def resource_name(name: str, taken: set[str]) -> str:
    """A stable Terraform resource name from a subscription name ("Track Calls" -> track_calls)."""
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "subscription"
    if not re.match(r"[a-z_]", base):
        base = "s_" + base
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _action_expression(slug: str) -> str:
    return f"local.{ACTION_IDS_LOCAL}[{hcl_string(slug)}]"


@dataclass
class Planned:
    """One subscription to write, with what it replaces."""

    sub: dict                   # runtime shape: name, partnerAction, subscribe, mapping, enabled
    resource: str
    replaces: ExistingSubscription | None = None


def _match(subs: list[dict], existing: list[ExistingSubscription], names: set[str] | None = None) -> list[Planned]:
    taken = set(names or ())
    pool = list(existing)
    for e in existing:  # existing resource names stay reserved
        if e.address and "." in e.address:
            taken.add(e.address.split(".", 1)[1])
    out = []
    for sub in subs:
        sub = _runtime(sub)
        match = None
        for e in pool:
            if e.name == sub["name"] and (e.slug is None or e.slug == sub["partnerAction"]):
                match = e
                break
        if match is not None:
            pool.remove(match)
            if match.address and match.address.startswith(SUBSCRIPTION + "."):
                resource = match.address.split(".", 1)[1]
            else:
                resource = resource_name(sub["name"], taken)
        else:
            resource = resource_name(sub["name"], taken)
        out.append(Planned(sub, resource, match))
    return out


def _runtime(sub: dict) -> dict:
    return {"name": sub["name"], "partnerAction": sub.get("partnerAction") or sub.get("actionSlug"),
            "subscribe": sub.get("subscribe", sub.get("trigger")), "mapping": sub.get("mapping", sub.get("settings")),
            "enabled": sub.get("enabled", True) is not False}


def _resource_lines(p: Planned, destination_expr: str, action_expr: str, *, gitsync: bool = False) -> list[str]:
    """The resource block. Git-sync files list the attributes alphabetically (as Segment writes them, so an
    in-place update changes only the lines that differ); otherwise the reading order: who, what, when, how."""
    sub = p.sub
    items = [("destination_id", [destination_expr]), ("name", [hcl_string(sub["name"])]),
             ("enabled", ["true" if sub["enabled"] else "false"]), ("action_id", [action_expr]),
             ("trigger", [hcl_string(sub["subscribe"])])]
    if p.replaces is not None and "model_id" in p.replaces.extra:
        model_id = p.replaces.extra["model_id"]
        items.append(("model_id", [hcl_string(model_id) if model_id else "null"]))
    settings = ("settings", _settings_expression(sub["mapping"] or {}))
    if gitsync:
        items = sorted(items + [settings])
    else:
        items.append(settings)
    return [f'resource "{SUBSCRIPTION}" "{p.resource}" {{'] + _aligned(items, "  ") + ["}"]


def _import_lines(p: Planned, destination_id: str | None) -> list[str]:
    e = p.replaces
    if e is None or not e.id:
        return []
    dest = e.destination_id or destination_id
    if not dest:
        return []
    return ["import {", f"  to = {SUBSCRIPTION}.{p.resource}", f"  id = {hcl_string(f'{dest}:{e.id}')}", "}", ""]


def _replace_comment(p: Planned) -> list[str]:
    e = p.replaces
    if e is None:
        return []
    what = f"# Replaces the existing subscription {json.dumps(e.name, ensure_ascii=False)}"
    if e.id:
        what += f" (id {e.id})"
    lines = [what + "."]
    if e.file:
        lines.append(f"# It is defined in {e.file}: remove it there (or write with --terraform-layout gitsync, "
                     "which updates that file in place).")
    return lines


def _metadata_lines(comment: bool = True) -> list[str]:
    lines = []
    if comment:
        lines.append("# Amplitude (Actions) in Segment's catalog: action ids are looked up by slug, never hard-coded.")
    lines += [f'data "segment_destination_metadata" "{METADATA_DATA}" {{',
              f"  id = {hcl_string(ACTIONS_METADATA_ID)}", "}", "",
              "locals {",
              f"  {ACTION_IDS_LOCAL} = {{ for a in data.segment_destination_metadata.{METADATA_DATA}.actions : "
              "a.slug => a.id }", "}"]
    return lines


def render_subscriptions(subs: list[dict], *, destination_id: str | None = None,
                         existing: Iterable[ExistingSubscription] = (), title: str | None = None) -> tuple[str, list]:
    """One Terraform file holding the subscriptions (runtime or Public API shape).

    Returns the text and the plan (which subscriptions replace which existing ones)."""
    existing = [e for e in existing if destination_id is None or e.destination_id in (None, destination_id)]
    planned = _match(subs, existing)
    lines = []
    if title:
        lines += [f"# {t}" for t in title.splitlines()]
        lines.append("")
    if destination_id is None:
        lines += [f'variable "{DESTINATION_VARIABLE}" {{',
                  '  description = "Id of the Amplitude (Actions) destination these subscriptions belong to."',
                  "  type        = string", "}", ""]
        dest_expr = f"var.{DESTINATION_VARIABLE}"
    else:
        dest_expr = hcl_string(destination_id)
    lines += _metadata_lines()
    for p in planned:
        lines.append("")
        lines += _replace_comment(p)
        lines += _import_lines(p, destination_id)
        lines += _resource_lines(p, dest_expr, _action_expression(p.sub["partnerAction"]))
    return "\n".join(lines) + "\n", planned


# ------------------------------------------------------------------------------------------ Git sync

@dataclass
class GitsyncResult:
    written: list[Path]
    updated: list[Path]
    created: list[Path]
    planned: list[Planned]
    left: list[ExistingSubscription]   # existing subscriptions of the destination the new set does not hold


def write_gitsync(subs: list[dict], directory: str, destination_id: str) -> GitsyncResult:
    """Write the subscriptions into a Git-sync repository folder: existing subscriptions of the destination with
    the same name and action are updated in place (same file, same resource, its import block kept); new ones
    get `destination_subscriptions/<destination id>_<resource name>.tf` (their id is only known once created)."""
    root = Path(directory)
    sub_dir = root / "destination_subscriptions"
    try:
        sub_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(str(sub_dir), None, f"cannot create the folder: {exc.strerror or exc}") from None
    existing = []
    files = sorted(sub_dir.glob(f"{destination_id}_*.tf"))
    if files:
        blocks = []
        for f in files:
            blocks.extend(parse_file(f, "subscriptions"))
        imports = _imports(blocks)
        existing = [_subscription(b, imports) for b in blocks
                    if b.kind == "resource" and b.labels[:1] == (SUBSCRIPTION,)]
        _infer_slugs(existing)
    planned = _match(subs, existing)
    replaced = {id(p.replaces) for p in planned if p.replaces is not None}
    result = GitsyncResult([], [], [], planned, [e for e in existing if id(e) not in replaced])
    needs_metadata = False
    for p in planned:
        e = p.replaces
        if e is not None and e.file:
            path = Path(e.file)
            action = hcl_string(e.action_id) if e.action_id else _action_expression(p.sub["partnerAction"])
            needs_metadata |= not e.action_id
            import_lines = _import_lines(p, destination_id) if e.id else []
            text = "\n".join(import_lines + _resource_lines(p, hcl_string(destination_id), action, gitsync=True)) \
                + "\n"
            result.updated.append(path)
        else:
            path = sub_dir / f"{destination_id}_{p.resource}.tf"
            needs_metadata = True
            text = "\n".join(_replace_comment(p) + _import_lines(p, destination_id)
                             + _resource_lines(p, hcl_string(destination_id),
                                               _action_expression(p.sub["partnerAction"]), gitsync=True)) + "\n"
            result.created.append(path)
        _write(path, text)
        result.written.append(path)
    if needs_metadata:
        path = root / GITSYNC_METADATA_FILE
        _write(path, "\n".join(_metadata_lines()) + "\n")
        result.written.append(path)
    return result


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BadInput(str(path), None, f"cannot write: {exc.strerror or exc}") from None
