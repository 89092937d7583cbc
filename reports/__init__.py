"""Render a comparison report model as HTML, Markdown, JSON and a terminal summary.

The model is the plain dict built by the compare step (shape in the team brief). Event data inside it is
untrusted: every renderer escapes for its own medium (HTML autoescape, Markdown entity/backslash escapes,
control characters stripped for terminals), and every renderer first runs ``scrub_secrets`` so that an
apiKey, secretKey or token that slipped into the model never reaches an output.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
from json.encoder import encode_basestring as _json_string
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from tabulate import tabulate

from migrate.masking import MASK, redact

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "MASK",
    "VARIANTS",
    "render_all",
    "render_all_and_terminal",
    "render_html",
    "render_json",
    "render_markdown",
    "render_terminal",
    "scrub_secrets",
]

VARIANTS = ("presets", "translated", "recommended")
VARIANT_LABELS = {
    "presets": "Actions presets, unchanged",
    "translated": "Translated from your classic settings",
    "recommended": "Translated + recommended changes",
}
TEMPLATES = Path(__file__).parent / "templates"

# How much of the model goes on the page; report.json always holds everything.
MAX_EXAMPLES_PER_CATEGORY = 3
MAX_EVENT_ROWS = 40
MAX_NAMES_PER_CATEGORY = 6


# --------------------------------------------------------------------------------------------- secrets
# The one masking rule lives in migrate.masking; every renderer runs it over the whole model first.


def scrub_secrets(obj: Any, known: Iterable[str] = ()) -> Any:
    """A deep copy of ``obj`` with secrets masked by the project's one rule (``migrate.masking.redact``)."""
    return redact(obj, known)


# --------------------------------------------------------------------------------------------- helpers


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def pct(value: Any, digits: int = 1) -> str:
    """0.9734 -> '97.3%'; a missing or non-finite value -> 'n/a'."""
    num = _num(value)
    if num is None:
        return "n/a"
    text = f"{num * 100:.{digits}f}"
    # Never round a partial match up to a perfect score.
    if text == f"{100:.{digits}f}" and num < 1:
        text = f"{math.floor(num * 100 * 10**digits) / 10**digits:.{digits}f}"
    return text + "%"


def grade(value: Any) -> str:
    num = _num(value)
    if num is None:
        return "none"
    if num >= 0.99:
        return "good"
    if num >= 0.9:
        return "warn"
    return "bad"


def _json_text(value: Any, indent: int | None = 2) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str)


_LEAF_JSON = {type(None): lambda v: "null", bool: lambda v: "true" if v else "false", int: int.__repr__,
              str: _json_string}


def _leaf_json(value: Any) -> str:
    """``_json_text(value, None)``: plain strings, ints, booleans and None written directly."""
    fast = _LEAF_JSON.get(value.__class__)
    return fast(value) if fast is not None else _json_text(value, None)


def _subscriptions_text(subs: list) -> str:
    from migrate.config import json_text

    return json_text(subs, indent=2, width=100)


def _finite(obj: Any) -> Any:
    """JSON has no NaN/Infinity: such figures become null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


_DOTTED_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")
ANY_RECORD = object()  # wildcard for the record index of a path given relative to one record


def is_note(path: Any) -> bool:
    """Producers may put a message (an error, "(record)") among an example's paths; it is shown, not matched."""
    return not isinstance(path, str) or not path or ": " in path or path.startswith("(")


# A deepdiff path made only of list indexes and plainly quoted keys (root[0]['event_properties']['plan']), as
# the differ writes nearly all of them: read here, as deepdiff.path.parse_path reads it, without importing
# deepdiff; any other path goes to parse_path (tests/reports/test_render.py holds the two to the same answers).
_PLAIN_DEEPDIFF_PATH = re.compile(r"root(?:\[(?:0|[1-9][0-9]*)\]|\['[^'\"\\\[\]\x00-\x1f\x7f-\x9f\U0001d1c0]*'\])*")
_PLAIN_DEEPDIFF_PART = re.compile(r"\[([0-9]+)\]|\['([^']*)'\]")


def parse_deepdiff_path(path: str) -> tuple:
    """deepdiff.path.parse_path(path) as a tuple (its exceptions included)."""
    if _PLAIN_DEEPDIFF_PATH.fullmatch(path):
        return tuple(int(index) if index else key for index, key in _PLAIN_DEEPDIFF_PART.findall(path, 4))
    from deepdiff.path import parse_path

    return tuple(parse_path(path))


def _parse_paths(paths: Iterable[str]) -> list[tuple]:
    """Deepdiff paths over the record list (``root[0]['event_type']``) or dotted paths inside any one record
    (``event_properties.products[0].price``)."""
    parsed = []
    for path in paths or ():
        if is_note(path):
            continue
        if path.startswith("root"):
            try:
                parsed.append(parse_deepdiff_path(path))
            except Exception:  # an unparsable path is still listed in text; it just is not highlighted
                continue
        else:
            parts = [int(i) if i else key for i, key in _DOTTED_PART.findall(path)]
            parsed.append((ANY_RECORD, *parts))
    return parsed


def record_lines(records: Any, paths: Iterable[str] = ()) -> list[dict]:
    """Pretty-print ``records`` as JSON lines, marking lines inside any of the deepdiff ``paths``.

    Each line is ``{"indent": int, "text": str, "hl": bool}``; a line is highlighted when its value lies
    at or under a differing path (so an added key is marked together with its whole subtree).
    """
    marks = _parse_paths(paths)
    lines: list[dict] = []

    def marked(path: tuple) -> bool:
        for mark in marks:
            if len(path) >= len(mark):
                for p, m in zip(path, mark):
                    if not (m is ANY_RECORD or p == m):
                        break
                else:
                    return True
        return False

    def emit(value: Any, path: tuple, depth: int, prefix: str, comma: str, hl: bool) -> None:
        # `hl`: the parent's; a value under a marked one is marked too (its path has the mark's as a prefix)
        hl = hl or (bool(marks) and marked(path))
        if isinstance(value, dict) and value:
            lines.append({"indent": depth, "text": prefix + "{", "hl": hl})
            last = len(value) - 1
            for i, (k, v) in enumerate(value.items()):
                emit(v, path + (k,), depth + 1, _json_string(str(k)) + ": ", "," if i < last else "", hl)
            lines.append({"indent": depth, "text": "}" + comma, "hl": hl})
        elif isinstance(value, list) and value:
            lines.append({"indent": depth, "text": prefix + "[", "hl": hl})
            last = len(value) - 1
            for i, v in enumerate(value):
                emit(v, path + (i,), depth + 1, "", "," if i < last else "", hl)
            lines.append({"indent": depth, "text": "]" + comma, "hl": hl})
        else:
            lines.append({"indent": depth, "text": prefix + _leaf_json(value) + comma, "hl": hl})

    emit(records if records is not None else [], (), 0, "", "", False)
    return lines


def pane_lines(lines: Iterable[dict]) -> Any:
    """The inside of a records pane's ``<pre>`` in the HTML report, from `record_lines`: per line, a ``span`` of
    class ``iN`` (N the indent, at most 8) and ``hl`` when highlighted, holding the line's text, escaped. Written
    here rather than as a loop in the template: the same text, without a template call per attribute and
    filter on every line of every example."""
    from markupsafe import Markup, escape

    return Markup("".join([f'<span class="i{min(line["indent"], 8)}{" hl" if line["hl"] else ""}">'
                           f'{escape(line["text"])}</span>' for line in lines]))


def _bars(items: list[tuple[str, float, str, str]], *, width: int = 640, label_width: int = 250) -> dict:
    """Geometry for a horizontal SVG bar chart. items: (label, fraction 0..1, value text, css class)."""
    row, bar_h = 30, 18
    bar_w = width - label_width - 70
    rows = []
    for i, (label, frac, text, cls) in enumerate(items):
        frac = min(max(_num(frac) or 0.0, 0.0), 1.0)
        rows.append(
            {
                "label": label if len(label) <= 38 else label[:36] + "…",
                "full_label": label,
                "y": i * row + 6,
                "text_y": i * row + 6 + bar_h - 4,
                "w": round(bar_w * frac, 1),
                "value": text,
                "cls": cls,
            }
        )
    return {
        "width": width,
        "height": max(len(items), 1) * row + 8,
        "label_width": label_width,
        "bar_w": bar_w,
        "bar_h": bar_h,
        "rows": rows,
        "ticks": [{"x": round(label_width + bar_w * t, 1), "t": t} for t in (0, 0.25, 0.5, 0.75, 1)],
    }


# --------------------------------------------------------------------------------------------- view model


def _variants(model: dict, lines: bool = True) -> list[dict]:
    out = []
    for name in VARIANTS:
        variant = (model.get("variants") or {}).get(name)
        if variant is None:
            continue
        # most severe impact first (changes chart numbers, then breakdowns, then nothing), then most events
        categories = sorted(variant.get("categories") or [],
                            key=lambda c: (_IMPACT_RANK.get(c.get("impact"), 0), -(c.get("count") or 0),
                                           c.get("category", "")))
        events = variant.get("events") or 0
        cats = []
        for cat in categories:
            names = sorted((cat.get("events_by_name") or {}).items(), key=lambda kv: (-kv[1], kv[0]))
            examples = []
            for ex in (cat.get("examples") or [])[:MAX_EXAMPLES_PER_CATEGORY]:
                paths = list(ex.get("paths") or [])
                if lines:  # the HTML page shows the records line by line; the other outputs do not
                    examples.append(
                        {
                            **ex,
                            "paths": paths,
                            "classic_lines": record_lines(ex.get("classic"), paths),
                            "actions_lines": record_lines(ex.get("actions"), paths),
                        }
                    )
                else:
                    examples.append({**ex, "paths": paths})
            cats.append(
                {
                    "impact": "none" if cat.get("category") in ("wire_only", "error") else "chart",
                    **cat,
                    "names": names[:MAX_NAMES_PER_CATEGORY],
                    "more_names": max(len(names) - MAX_NAMES_PER_CATEGORY, 0),
                    "share": (cat.get("count") or 0) / events if events else 0.0,
                    "shown_examples": examples,
                    "more_examples": max(len(cat.get("examples") or []) - MAX_EXAMPLES_PER_CATEGORY, 0),
                }
            )
        by_event = sorted(
            variant.get("by_event") or [],
            key=lambda e: (_num(e.get("parity")) if _num(e.get("parity")) is not None else 2, -(e.get("events") or 0)),
        )
        top = max((c.get("count") or 0 for c in categories), default=0)
        out.append(
            {
                "name": name,
                "label": variant.get("label") or VARIANT_LABELS[name],
                "parity": variant.get("parity"),
                "parity_exact": variant.get("parity_exact"),
                "events": events,
                "matched": variant.get("matched"),
                "matched_exact": variant.get("matched_exact"),
                "outside_mappings": variant.get("outside_mappings") or {},
                "categories": cats,
                "chart": _bars(
                    [(c["title"] or c["category"], (c.get("count") or 0) / top if top else 0, str(c.get("count") or 0), "cat") for c in cats]
                )
                if cats
                else None,
                "by_event": by_event[:MAX_EVENT_ROWS],
                "more_events": max(len(by_event) - MAX_EVENT_ROWS, 0),
            }
        )
    return out


_IMPACT_RANK = {"chart": 0, "breakdown": 1, "none": 2}
IMPACT_TITLES = {
    "chart": "Changes numbers in charts",
    "breakdown": "Changes a breakdown dimension",
    "none": "No effect on analysis",
}
OUTCOME_TITLES = {
    "lost": "A record Classic sent is missing",
    "extra": "An extra record (new or duplicated)",
    "changed": "Sent, with chart numbers changed",
    "breakdown": "Same numbers, a breakdown dimension changes",
    "no_effect": "Differs only where analysis is unaffected",
    "identical": "Identical",
}
MAX_BREAKDOWN_ROWS = 20


def _pair_text(value: Any) -> str:
    return "(none)" if value is None else str(value)


def _focus(variants: list[dict], model: dict) -> dict | None:
    """The variant the verdict speaks about: the recommended set, else the compared subscriptions."""
    name = (model.get("verdict") or {}).get("variant")
    for wanted in (name, "recommended", "translated"):
        for v in variants:
            if v["name"] == wanted:
                return v
    return variants[0] if variants else None


def _view(model: dict, lines: bool = True) -> dict:
    """What the templates and the terminal summary read; `lines`: with what only the HTML page shows (the
    examples' records as highlighted lines, the subscriptions as JSON text)."""
    parity = model.get("parity") or {}
    exact = model.get("parity_exact") or {}
    variants = _variants(model, lines)
    labels = {v["name"]: v["label"] for v in variants}
    shown = {v["name"] for v in variants}
    parity_rows = [
        {"name": name, "label": labels.get(name, VARIANT_LABELS[name]), "value": parity.get(name),
         "exact": exact.get(name)}
        for name in VARIANTS
        if name in parity and (name in shown or not model.get("variants"))
    ]
    focus = _focus(variants, model)
    focus_model = ((model.get("variants") or {}).get(focus["name"]) or {}) if focus else {}
    outcomes = focus_model.get("outcomes") or {}
    events = focus_model.get("events") or 0
    outcome_rows = [{"key": k, "title": t, "events": outcomes.get(k, 0),
                     "share": (outcomes.get(k, 0) / events) if events else None}
                    for k, t in OUTCOME_TITLES.items() if k in outcomes]
    fields = focus_model.get("fields") or {}
    impact_rows = [{"impact": k, "title": IMPACT_TITLES[k],
                    "fields": [(f.get("field"), f.get("events")) for f in fields.get(k) or []]}
                   for k in ("chart", "breakdown", "none") if fields.get(k)]
    breakdowns = [
        {"field": f, "events": b.get("events", 0), "exact": b.get("pairs_exact", True),
         "pairs": [{"classic": _pair_text(p[0]), "actions": _pair_text(p[1]), "count": p[2]}
                   for p in b.get("pairs") or []]}
        for f, b in list((model.get("breakdowns") or {}).items())[:MAX_BREAKDOWN_ROWS]
    ]
    variant_names = [r["name"] for r in parity_rows]
    sources = [
        {**s, "cells": [(name, (s.get("parity") or {}).get(name), (s.get("parity_exact") or {}).get(name))
                        for name in variant_names]}
        for s in model.get("sources") or []
    ]
    subs = model.get("subscriptions") or {}
    inputs = {
        "events_files": [], "events": 0, "skipped": 0, "skipped_examples": [], "mode": "cloud",
        "settings_file": None, "subscriptions_file": None,
        **(model.get("inputs") or {}),
    }
    outside = model.get("outside_mappings") or {}
    return {
        "verdict": (model.get("verdict") or {}).get("sentence") or "",
        "focus": focus,
        "outcome_rows": outcome_rows,
        "impact_rows": impact_rows,
        "breakdowns": breakdowns,
        "more_breakdowns": max(len(model.get("breakdowns") or {}) - MAX_BREAKDOWN_ROWS, 0),
        "sources": sources,
        "variant_names": variant_names,
        "outside": outside,
        "recommend": (model.get("inputs") or {}).get("recommend", True),
        "modes": model.get("modes") or {},
        "m": {"generated_at": "", **model},
        "tool": {"name": "amplitude-migrate", "version": "", **(model.get("tool") or {})},
        "inputs": inputs,
        "parity_rows": parity_rows,
        "parity_chart": _bars([(r["label"], _num(r["value"]) or 0, pct(r["value"]), grade(r["value"])) for r in parity_rows]),
        "variants": variants,
        "translation_log": model.get("translation_log") or [],
        "log_counts": _count_by(model.get("translation_log") or [], "status"),
        "recommendations": model.get("recommendations") or [],
        "residuals": model.get("residuals") or [],
        "detections": model.get("detections") or [],
        # as in recommended-subscriptions.json: short objects on one line (the HTML page shows them; "" otherwise)
        "recommended_json": _subscriptions_text(subs.get("recommended") or []) if lines else "",
        "translated_json": _subscriptions_text(subs.get("translated") or []) if lines else "",
        "has_recommended": bool(subs.get("recommended")),
        "subscriptions_mode": subs.get("mode"),
    }


def _count_by(items: list[dict], key: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[str(item.get(key))] = counts.get(str(item.get(key)), 0) + 1
    return counts


# --------------------------------------------------------------------------------------------- renderers

_html_env: jinja2.Environment | None = None
_md_env: jinja2.Environment | None = None

# Compiled templates are kept beside the templates, as Python keeps a module's bytecode (and under the same
# rule: read when present, written unless sys.dont_write_bytecode), so a command that writes a report does not
# parse and compile the templates each time. One file per template and environment: a cache entry is used
# only when it was compiled from the same template text, by the same Jinja and Python versions and with this
# module's environment settings (its source is part of the checksum), otherwise it is compiled again and
# replaced. A directory that cannot be written just means no cache.
TEMPLATE_CACHE = TEMPLATES / "__pycache__"


def _template_cache(kind: str):
    from jinja2 import __version__ as jinja_version
    from jinja2.bccache import FileSystemBytecodeCache

    from actions.cachefile import write_whole

    try:
        own_source = Path(__file__).read_bytes()
    except OSError:
        return None  # no way to tell this module's settings apart: compile every time
    fingerprint = hashlib.sha256(own_source + f"|{jinja_version}|{kind}|".encode()).hexdigest()

    class TemplateCache(FileSystemBytecodeCache):
        def get_source_checksum(self, source: str) -> str:
            return hashlib.sha256((fingerprint + source).encode("utf-8", "surrogatepass")).hexdigest()

        def load_bytecode(self, bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:  # noqa: BLE001 - a damaged entry is compiled again
                bucket.reset()

        def dump_bytecode(self, bucket) -> None:
            write_whole(self._get_cache_filename(bucket), bucket.bytecode_to_string())

    return TemplateCache(str(TEMPLATE_CACHE), f"%s.{kind}.jinja2")


def _common(env: jinja2.Environment) -> jinja2.Environment:
    env.filters["pct"] = pct
    env.filters["rec_groups"] = recommendation_groups
    env.filters["change_lines"] = change_lines
    env.filters["sub_label"] = _subscription_label
    env.filters["sub_figures"] = subscription_figures_text
    env.filters["grade"] = grade
    env.filters["json_text"] = _json_text
    env.filters["pane_lines"] = pane_lines
    env.tests["note"] = is_note
    env.globals["VARIANT_LABELS"] = VARIANT_LABELS
    env.globals["IMPACT_TITLES"] = IMPACT_TITLES
    return env


def _get_html_env() -> jinja2.Environment:
    global _html_env
    if _html_env is None:
        import jinja2  # the HTML and Markdown reports need it; the terminal summary does not

        # autoescape=True regardless of template names: event data is untrusted.
        _html_env = _common(
            jinja2.Environment(
                loader=jinja2.FileSystemLoader(TEMPLATES),
                autoescape=True,
                # A producer that omits an optional figure gets a blank, not a crash.
                undefined=jinja2.ChainableUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                bytecode_cache=_template_cache("html"),
            )
        )
    return _html_env


def render_html(model: dict, *, secrets: Iterable[str] = ()) -> str:
    """A self-contained HTML page: inline CSS and SVG, no scripts, a CSP that forbids everything else."""
    return _html(_view(scrub_secrets(model, secrets)))


def _html(view: dict) -> str:
    view = dict(view)
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    # The CSP allows exactly this stylesheet (by hash): no script, no remote or inline-attribute style.
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    from markupsafe import Markup

    view["css"] = Markup(css)
    view["csp"] = (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    return _printable(_get_html_env().get_template("report.html").render(view))


# Markdown for pull-request comments: values are escaped by default through `finalize`.

class _Raw(str):
    """Markdown produced by our own filters; passes `finalize` unescaped."""


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~!])")


def md_escape(value: Any) -> str:
    if isinstance(value, _Raw):
        return value
    if value is None:
        return ""
    text = _strip_controls(str(value)).replace("\n", " ").replace("\r", " ")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "&#64;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(value: Any) -> _Raw:
    """Inline code span whose fence is longer than any backtick run inside."""
    # "|" would end a table cell even inside a code span (GFM), so it is escaped there too.
    text = _strip_controls(str(value)).replace("\n", " ").replace("|", "\\|")
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return _Raw(f"{fence}{pad}{text}{pad}{fence}")


def md_block(value: Any, lang: str = "json") -> _Raw:
    text = value if isinstance(value, str) else _json_text(value)
    text = _strip_controls(text, keep="\n")
    fence = "`" * max(3, max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    return _Raw(f"{fence}{lang}\n{text}\n{fence}")


def _get_md_env() -> jinja2.Environment:
    global _md_env
    if _md_env is None:
        import jinja2

        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=False,
            finalize=md_escape,
            undefined=jinja2.ChainableUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            bytecode_cache=_template_cache("md"),
        )
        _md_env = _common(env)
        env.filters["code"] = md_code
        env.filters["block"] = md_block
        env.filters["pct"] = lambda v, d=1: _Raw(pct(v, d))
    return _md_env


def render_markdown(model: dict, *, secrets: Iterable[str] = ()) -> str:
    """A short summary fit for a pull-request comment."""
    return _markdown(_view(scrub_secrets(model, secrets), lines=False))


def _markdown(view: dict) -> str:
    return _printable(_get_md_env().get_template("report.md").render(view))


def render_json(model: dict, *, secrets: Iterable[str] = ()) -> str:
    """Every figure of the model; top level carries ``parity: {presets, translated, recommended}``."""
    _check_json_model(model)
    return _json(scrub_secrets(model, secrets))


def _check_json_model(model: dict) -> None:
    if not isinstance(model.get("parity"), dict):
        raise ValueError("report model has no 'parity' object")
    missing = [k for k in VARIANTS if k not in model["parity"]]
    if missing:
        raise ValueError(f"report model parity lacks {', '.join(missing)}")


def _json(scrubbed: dict) -> str:
    text = indented_json(scrubbed) + "\n"
    return _SURROGATES.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def indented_json(obj: Any) -> str:
    """``json.dumps(_finite(obj), indent=2, ensure_ascii=False)``, written in one pass: with `indent` json.dumps
    takes its pure-Python encoder, which costs a report of a short run more than the run's own replay. Same
    text for every value, errors included (tests/reports/test_render.py holds the two together)."""
    out: list[str] = []
    _indented(obj, "\n", out)
    return "".join(out)


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, float):
        return float.__repr__(key) if math.isfinite(key) else ("NaN" if key != key else "Infinity" if key > 0
                                                               else "-Infinity")
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


def _indented(o: Any, nl: str, out: list) -> None:
    # plain dicts, lists and strings first (nearly every value); then the value tests of json's encoder, in its
    # order. Non-finite floats are null, as _finite makes them.
    t = type(o)
    if t is dict:
        if not o:
            out.append("{}")
            return
        inner = nl + "  "
        sep = "{" + inner
        for key, value in o.items():
            out.append(sep + _json_string(key if type(key) is str else _json_key(key)) + ": ")
            sep = "," + inner
            if type(value) is str:
                out.append(_json_string(value))
            else:
                _indented(value, inner, out)
        out.append(nl + "}")
    elif t is list:
        if not o:
            out.append("[]")
            return
        inner = nl + "  "
        sep = "[" + inner
        for value in o:
            out.append(sep)
            sep = "," + inner
            if type(value) is str:
                out.append(_json_string(value))
            else:
                _indented(value, inner, out)
        out.append(nl + "]")
    elif isinstance(o, str):
        out.append(_json_string(o))
    elif o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif isinstance(o, int):
        out.append(int.__repr__(o))
    elif isinstance(o, float):
        out.append(float.__repr__(o) if math.isfinite(o) else "null")
    elif isinstance(o, (list, tuple)):
        _indented(list(o), nl, out)  # a tuple or a list subclass: written as the plain list of its items
    elif isinstance(o, dict):
        _indented(dict(o), nl, out)  # a dict subclass: as the plain dict of its items, in order
    else:
        raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
# Lone surrogates: JSON input may carry them as escapes ("\\ud800"), but no UTF-8 file or terminal can hold
# them. Text renderers show U+FFFD; report.json writes them back as escapes, keeping the exact value.
_SURROGATES = re.compile("[\ud800-\udfff]")


def _printable(text: str) -> str:
    return _SURROGATES.sub("\ufffd", text)


def _strip_controls(text: str, keep: str = "") -> str:
    """Terminal escapes and bidi overrides in event names must not reach a terminal or a reviewer's eye."""
    return _CONTROLS.sub(lambda m: m.group(0) if m.group(0) in keep else "\ufffd", text)


def _cell(value: Any, limit: int = 60) -> str:
    text = _strip_controls(str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_terminal(model: dict, *, secrets: Iterable[str] = ()) -> str:
    """A plain-text summary (tables drawn by tabulate) for the compare command's output: the verdict first,
    then the figures, the differences by impact, and the rest."""
    return _terminal(scrub_secrets(model, secrets))


def _terminal(scrubbed: dict) -> str:
    """`render_terminal` of a model already masked."""
    import textwrap

    view = _view(scrubbed, lines=False)
    inputs = view["inputs"]
    out = []
    if view["verdict"]:
        out.append(textwrap.fill(_cell(view["verdict"], 2000), 110))
        out.append("")
    out.append(
        f"amplitude-migrate {_cell(view['tool'].get('version', ''))}: "
        f"{inputs.get('events', 0)} events compared, {inputs.get('skipped', 0)} skipped "
        f"({_cell(inputs.get('mode'))} mode)"
    )
    privacy = view["m"].get("privacy")
    if isinstance(privacy, dict):
        out.append(f"personal data: {_cell(privacy.get('summary') or privacy.get('personal_data'), 200)}")
    for line in (inputs.get("classic_side") or {}).get("lines") or ():  # calibrated / export-backed classic side
        out.append("classic side " + _printable(line))
    out.append("")
    out.append(
        tabulate(
            [[r["label"], pct(r["value"]), _matched(view, r["name"]), pct(r.get("exact"))]
             for r in view["parity_rows"]],
            headers=["Actions configuration", "chart parity", "same numbers", "exact parity"],
            tablefmt="simple",
        )
    )
    if view["sources"]:
        out.append("")
        out.append(
            tabulate(
                [[_cell(s.get("library"), 30), s.get("mode"), s.get("events")]
                 + [f"{pct(c)} / {pct(x)}" for _, c, x in s["cells"]] for s in view["sources"]],
                headers=["source library", "mode", "events"] + [f"{n} (chart / exact)" for n in view["variant_names"]],
                tablefmt="simple",
            )
        )
    focus = view["focus"]
    if focus and view["outcome_rows"]:
        out.append("")
        out.append(f"Events by what changes in Amplitude ({focus['label']}):")
        out.append(tabulate([[r["title"], r["events"], pct(r["share"])] for r in view["outcome_rows"] if r["events"]],
                            headers=["outcome", "events", "share"], tablefmt="simple"))
    if focus and focus["categories"]:
        out.append("")
        out.append(f"Differences by impact ({focus['label']}):")
        out.append(
            tabulate(
                [
                    [_cell(c.get("title") or c.get("category"), 42), IMPACT_TITLES.get(c.get("impact"), ""),
                     c.get("count", 0), _cell(", ".join(n for n, _ in c["names"][:3]), 40)]
                    for c in focus["categories"][:12]
                ],
                headers=["category", "impact", "events", "event names"],
                tablefmt="simple",
            )
        )
    split = view["m"].get("residual_split") or {}
    if split.get("chart_events_translated"):
        out.append("")
        text = f"Events that change chart numbers: {split['chart_events_translated']} with the translated subscriptions"
        if view["recommend"]:
            text += f", {split.get('closed_by_mappings', 0)} closed by the recommended mappings"
        text += (f"; left: {split.get('outside_mappings', 0)} need a change outside Segment's mappings, "
                 f"{split.get('other', 0)} for other reasons (Remaining differences).")
        out.append(textwrap.fill(text, 110))
    outside = view["outside"] or {}
    if outside.get("changes"):
        out.append("")
        out.append(f"Needs a change outside Segment's mappings: for {outside.get('events', 0)} events these are the "
                   "only chart-level differences.")
        for c in outside["changes"]:
            out.append(textwrap.fill(f"- {c.get('events')} events have this difference. {_cell(c.get('change'), 400)}", 110,
                                     subsequent_indent="  "))
    if view["breakdowns"]:
        out.append("")
        out.append("Breakdown fields that change:")
        out.append(
            tabulate(
                [[_cell(b["field"], 24), b["events"],
                  _cell("; ".join(f"{p['classic']} -> {p['actions']} ({p['count']})" for p in b["pairs"][:3]), 90)]
                 for b in view["breakdowns"][:12]],
                headers=["field", "events", "most frequent (classic -> actions)"],
                tablefmt="simple",
            )
        )
    if view["recommendations"]:
        out.append("")
        out.append(textwrap.fill(
            "Recommended changes, each verified by replaying your events (rule figures: the events of that mode, "
            "cumulative in this order; per subscription: the events that fired it, how many differ from Classic "
            "in chart numbers and in any stored field, before -> after; chart: not counting the Amplitude SDK's device ids "
            "and sessions, which no mapping reaches). Whole values: report.md, report.json.",
            110))
        for g in recommendation_groups(view["recommendations"]):
            out.append("")
            out.append(_cell(f"{g['mode'] + ': ' if g['mode'] else ''}{g['title']} [{g['status']}]", 160)
                       .replace("→", "->"))
            out.append(textwrap.fill(g["figures"].replace("→", "->"), 110, initial_indent="  ",
                                     subsequent_indent="  "))
            out.append(textwrap.indent(tabulate(
                [[_cell(_subscription_label(r), 64), *subscription_figures_text(r),
                  "\n".join(_cell(line, 180) for line in change_lines(r, 44)) or "(no field change)"]
                 for r in g["rows"]],
                headers=["subscription", "events", "chart differs", "any field differs", "field: before -> after"],
                tablefmt="simple").replace(" → ", " -> "), "  "))
    if view["residuals"]:
        out.append("")
        out.append("Remaining differences:")
        out.append(
            tabulate(
                [[r.get("mode", ""), _cell(r.get("category"), 30), r.get("count", 0), _cell(r.get("explanation"), 70)]
                 for r in view["residuals"]],
                headers=["mode", "category", "events", "why"],
                tablefmt="simple",
            )
        )
    if view["detections"]:
        out.append("")
        out.append("Detections:")
        out.append(
            tabulate(
                [[_cell(d.get("title"), 50), d.get("count", 0), _cell(d.get("detail"), 60)] for d in view["detections"]],
                headers=["check", "count", "detail"],
                tablefmt="simple",
            )
        )
    return _printable("\n".join(out) + "\n")


FIGURE_NAMES = {"mappable": "chart parity (what mappings can close)", "chart": "chart parity",
                "lost": "events losing a record", "exact": "exact parity", "errors": "events with delivery errors",
                "fields": "differing fields (chart or breakdown, counted per event)"}
CHANGE_VALUE_CHARS = 72  # a before/after value longer than this is cut in tables (report.json has it whole)


def change_value(value: Any, limit: int | None = CHANGE_VALUE_CHARS, *, absent: str = "(not set)") -> str:
    """A mapping value as compact JSON on one line, cut to `limit` characters (None: whole)."""
    if value is None:
        return absent
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    text = _strip_controls(text)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


DIFF_CONTEXT = 12  # characters kept on each side of the part that changed, when a long value is cut


def _changed_part(before: str, after: str, limit: int) -> tuple[str, str]:
    """Two long values cut to the part where they differ (with a little context), so that a change deep in a
    long mapping (an object appended to an @merge) stays visible: `…,{"event_id":…}]…`."""
    prefix = 0
    while prefix < min(len(before), len(after)) and before[prefix] == after[prefix]:
        prefix += 1
    suffix = 0
    while (suffix < min(len(before), len(after)) - prefix and before[-1 - suffix] == after[-1 - suffix]):
        suffix += 1
    start = prefix - DIFF_CONTEXT if prefix > 2 * DIFF_CONTEXT else 0

    def cut(text: str) -> str:
        end = min(len(text) - suffix + DIFF_CONTEXT, len(text))
        part = text[start:end]
        if len(part) > limit:
            part = part[: limit - 1] + "…"
        elif end < len(text):
            part += "…"
        return ("…" if start else "") + part

    return cut(before), cut(after)


def change_lines(r: dict, limit: int | None = CHANGE_VALUE_CHARS) -> list[str]:
    """One recommendation's field changes as "field: before → after" lines (mapping. prefix dropped); long
    values are cut to the part that changed."""
    out = []
    for c in r.get("changes") or []:
        name = str(c.get("field", "")).removeprefix("mapping.")
        cut = None if limit is None else limit * 2 if name == "subscribe" else limit  # a trigger is read whole
        before = change_value(c.get("before"), None)
        after = change_value(c.get("after"), None, absent="(removed)")
        if cut is not None and c.get("before") is not None and c.get("after") is not None and \
                max(len(before), len(after)) > cut:
            before, after = _changed_part(before, after, cut)
        else:
            before = change_value(c.get("before"), cut)
            after = change_value(c.get("after"), cut, absent="(removed)")
        out.append(f"{name}: {before} → {after}")
    return out


def recommendation_status(r: dict) -> str:
    """Why a rule was applied or not, in a few words, from the figures compare recorded."""
    neutral = r.get("neutral")
    if r.get("kept", True):
        if r.get("judged_with"):
            return f"applied with “{r['judged_with']}”, which needs it"
        if neutral:
            return f"applied: {neutral.get('figure')} {neutral.get('before')} → {neutral.get('after')}"
        return "applied"
    if neutral:
        return f"not applied: {neutral.get('figure')} does not improve ({neutral.get('before')} → {neutral.get('after')})"
    moved = r.get("figures_moved")
    if moved == []:
        return "not applied: it moves no figure"
    if moved:
        return f"not applied: {FIGURE_NAMES.get(moved[0], moved[0])} gets worse"
    return "not applied: it lowered parity"


def recommendation_figures(r: dict) -> str:
    """The rule's figures on the events of its mode (cumulative), the moved ones first."""
    parts = [f"chart parity {pct(r.get('parity_before'))} → {pct(r.get('parity_after'))}",
             f"exact parity {pct(r.get('parity_exact_before'))} → {pct(r.get('parity_exact_after'))}"]
    if "chart_events_before" in r:
        parts.append(f"events changing charts {r['chart_events_before']} → {r['chart_events_after']}")
    if r.get("mappable_chart_events_before") not in (None, r.get("chart_events_before")):
        # device modes: most events keep the SDK's device id, which no mapping reaches
        parts.append(f"of them, with a difference a mapping can close {r['mappable_chart_events_before']} → "
                     f"{r['mappable_chart_events_after']}")
    if isinstance(r.get("category_events_before"), int) and isinstance(r.get("category_events_after"), int):
        parts.append(f"events with {r.get('category')} differences {r['category_events_before']} → "
                     f"{r['category_events_after']}")
    moved = r.get("figures_moved") or []
    for key, name in (("lost", "lost_"), ("errors", "errors_"), ("fields", "field_differences_")):
        if key in moved and f"{name}before" in r:
            parts.append(f"{FIGURE_NAMES[key]} {r[name + 'before']} → {r[name + 'after']}")
    return "; ".join(parts)


def subscription_figures_text(r: dict) -> tuple[str, str, str]:
    """(events, chart differs before → after, any field differs before → after) of the events that fired
    the recommendation's subscription."""
    f = r.get("subscription_figures") or {}
    if not f:
        return "", "", ""
    return (str(f.get("events", 0)), f"{f.get('chart_before', 0)} → {f.get('chart_after', 0)}",
            f"{f.get('exact_before', 0)} → {f.get('exact_after', 0)}")


def recommendation_groups(recommendations: list[dict]) -> list[dict]:
    """The recommendations by rule and mode, in order: {"mode", "title", "description", "status", "kept",
    "figures", "rows"}, one row per subscription (a recommendation names exactly one)."""
    groups: list[dict] = []
    for r in recommendations:
        key = (r.get("mode"), r.get("rule") or r.get("title"))
        if not groups or groups[-1]["key"] != key:
            groups.append({"key": key, "mode": r.get("mode"), "title": r.get("title"),
                           "description": r.get("description"), "kept": r.get("kept", True) is not False,
                           "status": recommendation_status(r), "figures": recommendation_figures(r), "rows": []})
        groups[-1]["rows"].append(r)
    return groups


def _subscription_label(r: dict) -> str:
    name = str(r.get("subscription") or (r.get("change") or {}).get("subscription") or "")
    change = r.get("change") or {}
    if change.get("for_later_events"):
        return f"{name} (for events a later change routes here)"
    if change.get("kind") == "new_subscription":
        return f"{name} (new" + (f", copy of {change['copy_of']})" if change.get("copy_of") else ")")
    return name


def _matched(view: dict, name: str) -> str:
    variant = next((v for v in view["variants"] if v["name"] == name), None)
    if not variant:
        return ""
    return f"{variant.get('matched', 0)}/{variant.get('events', 0)}"


def render_all(model: dict, report_dir: str | Path, *, secrets: Iterable[str] = ()) -> dict[str, Path]:
    """Write report.html, report.md and report.json into ``report_dir``; return their paths by format."""
    report_dir = _made(report_dir)
    _check_json_model(model)
    return _render_all(scrub_secrets(model, secrets), report_dir)


def render_all_and_terminal(model: dict, report_dir: str | Path, *, secrets: Iterable[str] = ()
                            ) -> tuple[dict[str, Path], str]:
    """`render_all`, and the text `render_terminal` gives for the same model and secrets, from one masked
    copy (masking the whole model is most of the fixed cost of a report)."""
    report_dir = _made(report_dir)
    _check_json_model(model)
    scrubbed = scrub_secrets(model, secrets)
    return _render_all(scrubbed, report_dir), _terminal(scrubbed)


def _made(report_dir: str | Path) -> Path:
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    return report_dir


def _render_all(scrubbed: dict, report_dir: Path) -> dict[str, Path]:
    # what render_json, render_html and render_markdown write, from one masked copy and one view
    view = _view(scrubbed)
    written = {}
    for fmt, name, render in (
        ("json", "report.json", lambda: _json(scrubbed)),
        ("html", "report.html", lambda: _html(view)),
        ("md", "report.md", lambda: _markdown(view)),
    ):
        path = report_dir / name
        path.write_text(render(), encoding="utf-8")
        written[fmt] = path
    return written
