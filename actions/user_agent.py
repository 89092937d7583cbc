"""User-agent parsing as the Amplitude (Actions) destination does it.

`parse_user_agent_properties` mirrors the destination's `user-agent.ts`; underneath, `parse_user_agent`
reproduces what the user-agent parser the runtime loads (@amplitude/ua-parser-js, Amplitude's fork of
ua-parser-js) reports for browser name/major, OS name/version and device vendor/model/type.

Two builds of the runtime are modelled (see docs/runtime-build.md):
* ``monorepo`` (default): the versions Segment's monorepo lock pins for @segment/action-destinations
  3.497.0, i.e. ua-parser-js 0.7.25 (UAParser.js 0.7.28 rules, strings cut at 255 units after trimming
  blanks at both ends). Segment's own unit tests (Mac user agents: no manufacturer, model "Mac OS")
  hold only with this version.
* ``npm``: what a plain ``npm install`` of the published package resolves today, ua-parser-js 0.7.33
  (Macintosh -> Apple/Macintosh, DuckDuckGo, HarmonyOS, Huawei Browser, Quest headsets, TVs by model;
  strings cut at 350 units after dropping leading blanks).
The rule tables are written once; the rules only one build has are marked ``_By(npm=..., monorepo=...)``.

The parser is an ordered list of rules per part (browser, os, device). Each part takes the FIRST rule
whose pattern matches anywhere in the string, so order is behaviour: a rule placed earlier wins even
when a later one would be "more right" (e.g. any UA containing "quest" is an Oculus headset). Only the
families that show up in real Segment traffic are modelled; the rest are listed in
.dev/readme/user_agent.md together with the reason.

Regex dialect notes (the reference engine is JavaScript):
* every pattern is compiled with re.ASCII | re.IGNORECASE, because JS `\\w`, `\\d`, `\\b` and `/i` are
  ASCII-only without the `u` flag;
* an empty capture counts as "absent" (the reference maps '' to undefined).
"""

from __future__ import annotations

import contextlib
import re
from contextvars import ContextVar
from functools import lru_cache

from .jsjson import js_string
from .user_agent_needs import NEEDS as _NEEDS

__all__ = [
    "BUILDS",
    "DEFAULT_BUILD",
    "PARSER_VERSIONS",
    "current_build",
    "parse_user_agent",
    "parse_user_agent_properties",
    "runtime_build",
]

BUILDS = ("monorepo", "npm")
DEFAULT_BUILD = "monorepo"
PARSER_VERSIONS = {"monorepo": "0.7.25", "npm": "0.7.33"}  # @amplitude/ua-parser-js per build

_BUILD: ContextVar[str] = ContextVar("amplitude_runtime_build", default=DEFAULT_BUILD)


def current_build() -> str:
    """The runtime build the engine models right now ('monorepo' unless runtime_build() says otherwise)."""
    return _BUILD.get()


@contextlib.contextmanager
def runtime_build(build: str):
    """Model another build of the runtime inside a with-block: ``with runtime_build("npm"): ...``."""
    if build not in BUILDS:
        raise ValueError(f"unknown runtime build {build!r}; choose one of: {', '.join(BUILDS)}")
    token = _BUILD.set(build)
    try:
        yield build
    finally:
        _BUILD.reset(token)


_FLAGS = re.ASCII | re.IGNORECASE
# UTF-16 code units; longer strings are cut: 0.7.33 drops leading blanks and keeps 350 units, 0.7.25 trims
# blanks at both ends and keeps 255.
_MAX_LEN = {"npm": 350, "monorepo": 255}

# JS `\s` (WhiteSpace + LineTerminator), used only when cutting over-long strings.
_JS_SPACE = "[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+"
_JS_LEADING_SPACE = re.compile("^" + _JS_SPACE)
_JS_TRAILING_SPACE = re.compile(_JS_SPACE + "\\Z")


# --------------------------------------------------------------------------------------------------
# Rule plumbing
#
# A field spec is one of:
#   int n            -> capture group n ('' or missing -> None)
#   "text"           -> that constant
#   (n, fn)          -> fn(group n) when the group is non-empty, else None
#   _Call(fn, n)     -> fn(group n) always (fn receives None for a missing group)


class _Call:
    __slots__ = ("fn", "group")

    def __init__(self, fn, group):
        self.fn, self.group = fn, group


def _group(m, n):
    # a field may name a group the pattern lacks (shared field map): that reads as absent
    return m.group(n) if n <= m.re.groups else None


def _field(spec, m):
    if isinstance(spec, int):
        return _group(m, spec) or None
    if isinstance(spec, str):
        return spec
    if isinstance(spec, _Call):
        return spec.fn(_group(m, spec.group))
    group, fn = spec
    value = _group(m, group)
    return fn(value) if value else None


class _By:
    """A rule or pattern that differs between builds; None = the build does not have it."""

    __slots__ = ("npm", "monorepo")

    def __init__(self, *, npm=None, monorepo=None):
        self.npm, self.monorepo = npm, monorepo

    def pick(self, build):
        return getattr(self, build)


def _pick(item, build):
    return item.pick(build) if isinstance(item, _By) else item


class _Rule:
    """One pattern of a part and its fields. The pattern is compiled when a string could match it: `needs` holds
    strings (lower-case ASCII) one of which every match contains (None: no such test), from `_required_text`;
    a string holding none of them (lower-cased) is not searched, so most rules are never compiled in a run."""

    __slots__ = ("pattern", "needs", "fields", "rx")

    def __init__(self, pattern: str, fields: tuple):
        self.pattern, self.fields, self.rx = pattern, fields, None
        self.needs = _NEEDS.get(pattern)

    def search(self, ua: str):
        rx = self.rx
        if rx is None:
            rx = self.rx = re.compile(self.pattern, _FLAGS)
        return rx.search(ua)


class _Tables:
    """{build: flat list of `_Rule`}, each build's list made when first used (a run models one build)."""

    __slots__ = ("entries", "compiled")

    def __init__(self, entries):
        self.entries = entries
        self.compiled: dict = {}

    def __getitem__(self, build: str) -> list:
        table = self.compiled.get(build)
        if table is None:
            if build not in BUILDS:
                raise KeyError(build)
            table = self.compiled[build] = _compile_rules(self.entries, build)
        return table


def _patterns(entries, build: str):
    """(pattern, fields) of a part's rules for `build`, in the order they are tried."""
    for entry in entries:
        entry = _pick(entry, build)
        if entry is None:
            continue
        patterns, fields = entry
        if isinstance(patterns, (str, _By)):
            patterns = (patterns,)
        for p in patterns:
            p = _pick(p, build)
            if p is not None:
                yield p, tuple(fields.items())


def _compile_rules(entries, build: str) -> list:
    return [_Rule(p, fields) for p, fields in _patterns(entries, build)]


def _rules(*entries):
    """entries: (pattern | tuple of patterns, {field: spec}), or _By of one -> {build: flat list of
    `_Rule`}. Flattening keeps the reference's order: patterns of one group are tried in order,
    then the next group's."""
    return _Tables(entries)


def _first(ua: str, rules) -> dict:
    low = None
    for rule in rules:
        needs = rule.needs
        if needs is not None:
            if low is None:
                low = ua.lower()
            for text in needs:
                if text in low:
                    break
            else:
                continue  # no match possible: the pattern is neither compiled nor searched
        m = rule.search(ua)
        if m:
            return {k: _field(spec, m) for k, spec in rule.fields}
    return {}


# --------------------------------------------------------------------------------------------------
# What a pattern's matches must contain
#
# `_required_text(pattern)` reads the pattern's parse tree: a tuple of lower-case ASCII strings one of which
# every match contains (as a part of the matched text, so of the string searched), or None when it finds no
# such set. A node whose matches are few known strings (literals, small classes of literals, alternatives and
# short fixed repeats of those, assertions as the empty string) is that set; in a sequence such sets are
# joined while the product stays small, and every run of them, or any mandatory part's own set, is a candidate;
# the candidate whose shortest string is the longest is kept. Lower-casing is exact here: the patterns are ASCII
# and compiled with re.ASCII | re.IGNORECASE, where a letter matches its two ASCII cases only, and str.lower()
# maps those two to the same letter and keeps a run of ASCII characters a run. `_NEEDS` holds the result for
# every pattern, as written out by `_needs_table_text()`; tests/actions/test_user_agent_needs.py derives it
# again and holds parsing with the test to parsing without it.

_PRODUCT_LIMIT = 64


def _required_text(pattern: str):
    import re._parser as sre_parse  # only to (re)derive the table

    def exact(items):
        """The set of strings a sequence matches, lower-cased, or None when not a small known set."""
        acc = {""}
        for op, av in items:
            part = exact_node(op, av)
            if part is None:
                return None
            acc = {a + b for a in acc for b in part}
            if len(acc) > _PRODUCT_LIMIT:
                return None
        return acc

    def exact_node(op, av):
        name = str(op)
        if name == "LITERAL":
            ch = chr(av)
            return {ch.lower()} if ch.isascii() else None
        if name == "AT":
            return {""}
        if name == "IN":
            out = set()
            for iop, iav in av:
                if str(iop) != "LITERAL" or not chr(iav).isascii():
                    return None
                out.add(chr(iav).lower())
            return out if len(out) <= 8 else None
        if name == "SUBPATTERN":
            return exact(av[3])
        if name == "BRANCH":
            out = set()
            for alt in av[1]:
                part = exact(alt)
                if part is None:
                    return None
                out |= part
            return out if len(out) <= _PRODUCT_LIMIT else None
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, inner = av
            if high > 3:
                return None
            part = exact(inner)
            if part is None:
                return None
            out = set()
            acc = {""}
            for n in range(high + 1):
                if n >= low:
                    out |= acc
                if n < high:
                    acc = {a + b for a in acc for b in part}
                    if len(acc) > _PRODUCT_LIMIT:
                        return None
            return out if len(out) <= _PRODUCT_LIMIT else None
        return None

    def required(items):
        """Strings one of which every match of the sequence contains, or None."""
        candidates = []
        acc = {""}
        for op, av in items:
            part = exact_node(op, av)
            if part is not None:
                joined = {a + b for a in acc for b in part}
                if len(joined) <= _PRODUCT_LIMIT:
                    acc = joined
                    continue
                candidates.append(acc)
                acc = part
                continue
            candidates.append(acc)
            acc = {""}
            candidates.append(required_node(op, av))
        candidates.append(acc)
        best = None
        for cand in candidates:
            if not cand or "" in cand:
                continue
            cand = _minimal(cand)
            key = (min(len(t) for t in cand), -len(cand))
            if best is None or key > best[0]:
                best = (key, cand)
        return None if best is None else best[1]

    def required_node(op, av):
        name = str(op)
        if name == "SUBPATTERN":
            return required(av[3])
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            return required(av[2]) if av[0] >= 1 else None
        if name == "ATOMIC_GROUP":
            return required(av)
        if name == "BRANCH":
            out = set()
            for alt in av[1]:
                part = required(alt)
                if part is None:
                    return None
                out |= part
            return _minimal(out)
        return None

    found = required(list(sre_parse.parse(pattern, _FLAGS)))
    return None if found is None else tuple(sorted(found))


def _minimal(texts) -> set:
    """`texts` without the strings that contain another one of them (the same test: one of them occurs)."""
    return {t for t in texts if not any(o != t and o in t for o in texts)}


def _all_patterns() -> list:
    out = []
    for table in (_BROWSER, _OS, _DEVICE):
        for build in BUILDS:
            out.extend(p for p, _ in _patterns(table.entries, build))
    return list(dict.fromkeys(out))


def _needs_table_text() -> str:
    """The `_NEEDS` table as written in actions/user_agent_needs.py."""
    lines = [
        '"""What a match of each user-agent pattern must contain (see actions/user_agent.py `_required_text`).',
        "",
        "Written by `actions.user_agent._needs_table_text()`; tests/actions/test_user_agent_needs.py checks it.",
        '"""',
        "",
        "NEEDS = {",
    ]
    for pattern in _all_patterns():
        lines.append(f"    {pattern!r}: {_required_text(pattern)!r},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _sub(pattern, repl):
    rx = re.compile(pattern, _FLAGS)
    return lambda s: rx.sub(repl, s)


_underscores_to_spaces = _sub("_", " ")
_underscores_to_dots = _sub("_", ".")


def _lookup(table):
    """Case-insensitive substring lookup: the first key one of whose markers occurs in the value.

    Keys are tried in the order a JS object enumerates them (integer-like keys first); '?' means
    "known to be unknown". No hit returns the value unchanged.
    """

    def fn(value):
        low = value.lower()
        for key, markers in table:
            if any(mk.lower() in low for mk in markers):
                return None if key == "?" else key
        return value

    return fn


# Windows "NT x.y" -> marketing name (enumeration order of the reference map: 7, 8, 10, 2000, then the rest).
_windows_version = _lookup(
    [
        ("7", ["NT 6.1"]),
        ("8", ["NT 6.2"]),
        ("10", ["NT 6.4", "NT 10.0"]),
        ("2000", ["NT 5.0"]),
        ("ME", ["4.90"]),
        ("NT 3.11", ["NT3.51"]),
        ("NT 4.0", ["NT4.0"]),
        ("XP", ["NT 5.1", "NT 5.2"]),
        ("Vista", ["NT 6.0"]),
        ("8.1", ["NT 6.3"]),
        ("RT", ["ARM"]),
    ]
)

# Safari before 3.0 had no Version/ token: the WebKit build tells the version. The last entry ("/")
# matches everything else and yields no version.
_old_safari_version = _lookup(
    [
        ("1.0", ["/8"]),
        ("1.2", ["/1"]),
        ("1.3", ["/3"]),
        ("2.0", ["/412"]),
        ("2.0.2", ["/416"]),
        ("2.0.3", ["/417"]),
        ("2.0.4", ["/419"]),
        ("?", ["/"]),
    ]
)


def _strip_leading_space(value):
    return _JS_LEADING_SPACE.sub("", value) if isinstance(value, str) else None


N, V = "name", "version"
VEN, MOD, TYP = "vendor", "model", "type"
MOBILE, TABLET, TV, CONSOLE, WEARABLE = "mobile", "tablet", "smarttv", "console", "wearable"


# --------------------------------------------------------------------------------------------------
# Browser

_BROWSER = _rules(
    # Chrome on iOS/Android branded tokens, Edge (desktop, iOS, Android) before anything Chrome-like
    (r"\b(?:crmo|crios)/([\w.]+)", {V: 1, N: "Chrome"}),
    (r"edg(?:e|ios|a)?/([\w.]+)", {V: 1, N: "Edge"}),
    # Opera (Presto and Mini), then the Blink-based OPR token
    (
        (
            r"(opera mini)/([-\w.]+)",
            r"(opera [mobiletab]{3,6})\b.+version/([-\w.]+)",
            r"(opera)(?:.+version/|[/ ]+)([\w.]+)",
        ),
        {N: 1, V: 2},
    ),
    (r"opios[/ ]+([\w.]+)", {V: 1, N: "Opera Mini"}),
    (r"\bopr/([\w.]+)", {V: 1, N: "Opera"}),
    # Browsers that report themselves as "Name/version" and whose name is taken verbatim
    (
        (
            r"(kindle)/([\w.]+)",
            r"(lunascape|maxthon|netfront|jasmine|blazer)[/ ]?([\w.]*)",
            r"(avant |iemobile|slim)(?:browser)?[/ ]?([\w.]*)",
            r"(ba?idubrowser)[/ ]?([\w.]+)",
            r"(?:ms|\()(ie) ([\w.]+)",
            _By(
                npm=r"(flock|rockmelt|midori|epiphany|silk|skyfire|ovibrowser|bolt|iron|vivaldi|iridium|phantomjs"
                r"|bowser|quark|qupzilla|falkon|rekonq|puffin|brave|whale|qqbrowserlite|qq|duckduckgo)/([-\w.]+)",
                monorepo=r"(flock|rockmelt|midori|epiphany|silk|skyfire|ovibrowser|bolt|iron|vivaldi|iridium|phantomjs"
                r"|bowser|quark|qupzilla|falkon|rekonq|puffin|brave|whale|qqbrowserlite|qq)/([-\w.]+)",
            ),
            r"(weibo)__([\d.]+)",
        ),
        {N: 1, V: 2},
    ),
    (r"(?:\buc? ?browser|(?:juc.+)ucweb)[/ ]?([\w.]+)", {V: 1, N: "UCBrowser"}),
    (
        (
            _By(npm=r"microm.+\bqbcore/([\w.]+)", monorepo=r"\bqbcore/([\w.]+)"),
            _By(npm=r"\bqbcore/([\w.]+).+microm"),
        ),
        {V: 1, N: "WeChat(Win) Desktop"},
    ),
    (r"micromessenger/([\w.]+)", {V: 1, N: "WeChat"}),
    (r"konqueror/([\w.]+)", {V: 1, N: "Konqueror"}),
    (r"trident.+rv[: ]([\w.]{1,9})\b.+like gecko", {V: 1, N: "IE"}),
    (r"yabrowser/([\w.]+)", {V: 1, N: "Yandex"}),
    (r"(avast|avg)/([\w.]+)", {N: (1, lambda s: s + " Secure Browser"), V: 2}),
    (r"\bfocus/([\w.]+)", {V: 1, N: "Firefox Focus"}),
    (r"\bopt/([\w.]+)", {V: 1, N: "Opera Touch"}),
    (r"coc_coc\w+/([\w.]+)", {V: 1, N: "Coc Coc"}),
    (r"dolfin/([\w.]+)", {V: 1, N: "Dolphin"}),
    (r"coast/([\w.]+)", {V: 1, N: "Opera Coast"}),
    (r"miuibrowser/([\w.]+)", {V: 1, N: "MIUI Browser"}),
    (r"fxios/([-\w.]+)", {V: 1, N: "Firefox"}),
    (r"\bqihu|(qi?ho?o?|360)browser", {N: "360 Browser"}),
    (
        _By(npm=r"(oculus|samsung|sailfish|huawei)browser/([\w.]+)", monorepo=r"(oculus|samsung|sailfish)browser/([\w.]+)"),
        {N: (1, lambda s: s + " Browser"), V: 2},
    ),
    (
        (r"(electron)/([\w.]+) safari", r"m?(qqbrowser|baiduboxapp|2345Explorer)[/ ]?([\w.]+)"),
        {N: 1, V: 2},
    ),
    _By(npm=(r"\[(linkedin)app\]", {N: 1})),
    # In-app browsers (WebViews of social apps)
    (r"((?:fban/fbios|fb_iab/fb4a)(?!.+fbav)|;fbav/([\w.]+);)", {N: "Facebook", V: 2}),
    ((r"safari (line)/([\w.]+)", r"\b(line)/([\w.]+)/iab", r"(chromium|instagram)[/ ]([-\w.]+)"), {N: 1, V: 2}),
    (r"\bgsa/([\w.]+) .*safari/", {V: 1, N: "GSA"}),
    (r"headlesschrome(?:/([\w.]+)| )", {V: 1, N: "Chrome Headless"}),
    (r" wv\).+(chrome)/([\w.]+)", {N: "Chrome WebView", V: 2}),
    (r"droid.+ version/([\w.]+)\b.+(?:mobile safari|safari)", {V: 1, N: "Android Browser"}),
    (r"(chrome|omniweb|arora|[tizenoka]{5} ?browser)/v?([\w.]+)", {N: 1, V: 2}),
    # Safari family: Version/ token first, then the pre-3.0 build-number form, then bare WebKit
    (
        _By(npm=r"version/([\w.,]+) .*mobile/\w+ (safari)", monorepo=r"version/([\w.]+) .*mobile/\w+ (safari)"),
        {V: 1, N: "Mobile Safari"},
    ),
    (
        _By(npm=r"version/([\w(.|,)]+) .*(mobile ?safari|safari)", monorepo=r"version/([\w.]+) .*(mobile ?safari|safari)"),
        {V: 1, N: 2},
    ),
    (r"webkit.+?(mobile ?safari|safari)(/[\w.]+)", {N: 1, V: (2, _old_safari_version)}),
    (r"(webkit|khtml)/([\w.]+)", {N: 1, V: 2}),
    # Gecko family and text browsers
    (
        (
            r"(icedragon|iceweasel|camino|chimera|fennec|maemo browser|minimo|conkeror|klar)[/ ]?([\w.+]+)",
            r"(seamonkey|k-meleon|icecat|iceape|firebird|phoenix|palemoon|basilisk|waterfox)/([-\w.]+)\Z",
            r"(firefox)/([\w.]+)",
            r"(mozilla)/([\w.]+) .+rv:.+gecko/\d+",
            r"(polaris|lynx|dillo|icab|doris|amaya|w3m|netsurf|sleipnir|obigo|mosaic|(?:go|ice|up)[. ]?browser)"
            r"[-/ ]?v?([\w.]+)",
        ),
        {N: 1, V: 2},
    ),
)

_NON_VERSION_CHARS = re.compile(r"[^\d.]", re.ASCII)


def _major(version):
    return _NON_VERSION_CHARS.sub("", version).split(".")[0] if isinstance(version, str) else None


# --------------------------------------------------------------------------------------------------
# Operating system

_OS = _rules(
    (r"microsoft (windows) (vista|xp)", {N: 1, V: 2}),
    (
        (
            r"(windows) nt 6\.2; (arm)",
            r"(windows (?:phone(?: os)?|mobile))[/ ]?([\d.\w ]*)",
            r"(windows)[/ ]?([ntce\d. ]+\w)(?!.+xbox)",
        ),
        {N: 1, V: (2, _windows_version)},
    ),
    (r"(win(?=3|9|n)|win 9x )([nt\d.]+)", {N: "Windows", V: (2, _windows_version)}),
    # iOS (also any CFNetwork/Darwin app UA), then macOS
    ((r"ip[honead]{2,4}\b(?:.*os ([\w]+) like mac|; opera)", r"cfnetwork/.+darwin"), {V: (1, _underscores_to_dots), N: "iOS"}),
    ((r"(mac os x) ?([\w. ]*)", r"(macintosh|mac_powerpc\b)(?!.+haiku)"), {N: "Mac OS", V: (2, _underscores_to_dots)}),
    # Android and the other mobile systems
    (_By(npm=r"droid ([\w.]+)\b.+(android[- ]x86|harmonyos)", monorepo=r"droid ([\w.]+)\b.+(android[- ]x86)"), {V: 1, N: 2}),
    (
        (
            r"(android|webos|qnx|bada|rim tablet os|maemo|meego|sailfish)[-/ ]?([\w.]*)",
            r"(blackberry)\w*/([\w.]*)",
            r"(tizen|kaios)[/ ]([\w.]+)",
            r"\((series40);",
        ),
        {N: 1, V: 2},
    ),
    (r"\(bb(10);", {V: 1, N: "BlackBerry"}),
    (r"mozilla/[\d.]+ \((?:mobile|tablet|tv|mobile; [\w ]+); rv:.+ gecko/([\w.]+)", {V: 1, N: "Firefox OS"}),
    ((r"web0s;.+rt(tv)", r"\b(?:hp)?wos(?:browser)?/([\w.]+)"), {V: 1, N: "webOS"}),
    (r"crkey/([\d.]+)", {V: 1, N: "Chromecast"}),
    (r"(cros) [\w]+ ([\w.]+\w)", {N: "Chromium OS", V: 2}),
    # Consoles, Linux distributions, Linux itself, BSDs
    (
        (
            r"(nintendo|playstation) ([wids345portablevuch]+)",
            r"(xbox); +xbox ([^);]+)",
            r"(mint)[/() ]?(\w*)",
            r"([kxln]?ubuntu|debian|suse|opensuse|gentoo|arch(?= linux)|slackware|fedora|mandriva|centos|pclinuxos"
            r"|red ?hat|zenwalk|linpus|raspbian|plan 9|minix|risc os|contiki|deepin|manjaro|elementary os|sabayon"
            r"|linspire)(?: gnu/linux)?(?: enterprise)?(?:[- ]linux)?(?:-gnu)?[-/ ]?(?!chrom|package)([-\w.]*)",
            r"(hurd|linux) ?([\w.]*)",
            r"\b([-frentopcghs]{0,5}bsd|dragonfly)[/ ]?(?!amd|[ix346]{1,2}86)([\w.]*)",
        ),
        {N: 1, V: 2},
    ),
)


# --------------------------------------------------------------------------------------------------
# Device (vendor, model, type)

_DEVICE = _rules(
    # Samsung: tablets by model prefix, then every SM-/GT-/SCH- model as a phone
    (
        _By(
            npm=r"\b(sch-i[89]0\d|shw-m380s|sm-[ptx]\w{2,4}|gt-[pn]\d{2,4}|sgh-t8[56]9|nexus 10)",
            monorepo=r"\b(sch-i[89]0\d|shw-m380s|sm-[pt]\w{2,4}|gt-[pn]\d{2,4}|sgh-t8[56]9|nexus 10)",
        ),
        {MOD: 1, VEN: "Samsung", TYP: TABLET},
    ),
    ((r"\b((?:s[cgp]h|gt|sm)-\w+|galaxy nexus)", r"samsung[- ]([-\w]+)", r"sec-(sgh\w+)"), {MOD: 1, VEN: "Samsung", TYP: MOBILE}),
    # Apple
    (r"((ipod|iphone)\d+,\d+)", {MOD: 1, VEN: "Apple", TYP: MOBILE}),
    (r"(ipad\d+,\d+)", {MOD: 1, VEN: "Apple", TYP: TABLET}),
    (r"\((ip(?:hone|od)[\w ]*);", {MOD: 1, VEN: "Apple", TYP: MOBILE}),
    (
        (r"\((ipad);[-\w),; ]+apple", r"applecoremedia/[\w.]+ \((ipad)", r"\b(ipad)\d\d?,\d\d?[;\]].+ios"),
        {MOD: 1, VEN: "Apple", TYP: TABLET},
    ),
    _By(npm=(r"(macintosh);", {MOD: 1, VEN: "Apple"})),  # 0.7.25: a Mac is no device
    # Huawei / Honor (model codes like ELE-L29, ANE-LX1; MatePad/MediaPad tablets)
    (r"\b((?:ag[rs][23]?|bah2?|sht?|btv)-a?[lw]\d{2})\b(?!.+d/s)", {MOD: 1, VEN: "Huawei", TYP: TABLET}),
    (
        (
            r"(?:huawei|honor)([-\w ]+)[;)]",
            _By(
                npm=r"\b(nexus 6p|\w{2,4}e?-[atu]?[ln][\dx][012359c][adn]?)\b(?!.+d/s)",
                monorepo=r"\b(nexus 6p|\w{2,4}-[atu]?[ln][01259x][012359][an]?)\b(?!.+d/s)",
            ),
        ),
        {MOD: 1, VEN: "Huawei", TYP: MOBILE},
    ),
    # Xiaomi: POCO, Redmi, Mi phones; Mi Pad
    (
        (
            r"\b(poco[\w ]+)(?: bui|\))",
            r"\b; (\w+) build/hm\1",
            r"\b(hm[-_ ]?note?[_ ]?(?:\d\w)?) bui",
            r"\b(redmi[\-_ ]?(?:note|k)?[\w_ ]+)(?: bui|\))",
            _By(
                npm=r"\b(mi[-_ ]?(?:a\d|one|one[_ ]plus|note lte|max|cc)?[_ ]?(?:\d?\w?)[_ ]?(?:plus|se|lite)?)(?: bui|\))",
                monorepo=r"\b(mi[-_ ]?(?:a\d|one|one[_ ]plus|note lte|max)?[_ ]?(?:\d?\w?)[_ ]?(?:plus|se|lite)?)(?: bui|\))",
            ),
        ),
        {MOD: (1, _underscores_to_spaces), VEN: "Xiaomi", TYP: MOBILE},
    ),
    (r"\b(mi[-_ ]?(?:pad)(?:[\w_ ]+))(?: bui|\))", {MOD: (1, _underscores_to_spaces), VEN: "Xiaomi", TYP: TABLET}),
    # BBK family: OPPO, Vivo, Realme
    (
        (
            r"; (\w+) bui.+ oppo",
            _By(
                npm=r"\b(cph[12]\d{3}|p(?:af|c[al]|d\w|e[ar])[mt]\d0|x9007|a101op)\b",
                monorepo=r"\b(cph[12]\d{3}|p(?:af|c[al]|d\w|e[ar])[mt]\d0|x9007)\b",
            ),
        ),
        {MOD: 1, VEN: "OPPO", TYP: MOBILE},
    ),
    ((r"vivo (\w+)(?: bui|\))", r"\b(v[12]\d{3}\w?[at])(?: bui|;)"), {MOD: 1, VEN: "Vivo", TYP: MOBILE}),
    (r"\b(rmx[12]\d{3})(?: bui|;|\))", {MOD: 1, VEN: "Realme", TYP: MOBILE}),
    # Motorola
    (
        (
            r"\b(milestone|droid(?:[2-4x]| (?:bionic|x2|pro|razr))?:?( 4g)?)\b[\w ]+build/",
            r"\bmot(?:orola)?[- ](\w*)",
            r"((?:moto[\w() ]+|xt\d{3,4}|nexus 6)(?= bui|\)))",
        ),
        {MOD: 1, VEN: "Motorola", TYP: MOBILE},
    ),
    (r"\b(mz60\d|xoom[2 ]{0,2}) build/", {MOD: 1, VEN: "Motorola", TYP: TABLET}),
    # LG
    (r"((?=lg)?[vl]k\-?\d{3}) bui| 3\.[-\w; ]{10}lg?-([06cv9]{3,4})", {MOD: 1, VEN: "LG", TYP: TABLET}),
    (
        (
            r"(lm(?:-?f100[nv]?|-[\w.]+)(?= bui|\))|nexus [45])",
            r"\blg[-e;/ ]+((?!browser|netcast|android tv)\w+)",
            r"\blg-?([\d\w]+) bui",
        ),
        {MOD: 1, VEN: "LG", TYP: MOBILE},
    ),
    # Lenovo tablets, Nokia
    ((r"(ideatab[-\w ]+)", r"lenovo ?(s[56]000[-\w]+|tab(?:[\w ]+)|yt[-\d\w]{6}|tb[-\d\w]{6})"), {MOD: 1, VEN: "Lenovo", TYP: TABLET}),
    ((r"(?:maemo|nokia).*(n900|lumia \d+)", r"nokia[-_ ]?([-\w.]*)"), {MOD: (1, _underscores_to_spaces), VEN: "Nokia", TYP: MOBILE}),
    # Google
    (r"(pixel c)\b", {MOD: 1, VEN: "Google", TYP: TABLET}),
    (r"droid.+; (pixel[\daxl ]{0,6})(?: bui|\))", {MOD: 1, VEN: "Google", TYP: MOBILE}),
    # Sony
    (
        _By(
            npm=r"droid.+ (a?\d[0-2]{2}so|[c-g]\d{4}|so[-gl]\w+|xq-a\w[4-7][12])(?= bui|\).+chrome/(?![1-6]{0,1}\d\.))",
            monorepo=r"droid.+ ([c-g]\d{4}|so[-l]\w+|xq-a\w[4-7][12])(?= bui|\).+chrome/(?![1-6]{0,1}\d\.))",
        ),
        {MOD: 1, VEN: "Sony", TYP: MOBILE},
    ),
    ((r"sony tablet [ps]", r"\b(?:sony)?sgp\w+(?: bui|\))"), {MOD: "Xperia Tablet", VEN: "Sony", TYP: TABLET}),
    # OnePlus
    ((r" (kb2005|in20[12]5|be20[12][59])\b", r"(?:one)?(?:plus)? (a\d0\d\d)(?: b|\))"), {MOD: 1, VEN: "OnePlus", TYP: MOBILE}),
    # Amazon Kindle Fire / Echo Show, Fire Phone
    ((r"(alexa)webm", r"(kf[a-z]{2}wi)( bui|\))", r"(kf[a-z]+)( bui|\)).+silk/"), {MOD: 1, VEN: "Amazon", TYP: TABLET}),
    (r"((?:sd|kf)[0349hijorstuw]+)( bui|\)).+silk/", {MOD: (1, lambda s: "Fire Phone " + s), VEN: "Amazon", TYP: MOBILE}),
    # BlackBerry
    (r"(playbook);[-\w),; ]+(rim)", {MOD: 1, VEN: 2, TYP: TABLET}),
    ((r"\b((?:bb[a-f]|st[hv])100-\d)", r"\(bb10; (\w+)"), {MOD: 1, VEN: "BlackBerry", TYP: MOBILE}),
    # Asus
    (r"(?:\b|asus_)(transfo[prime ]{4,10} \w+|eeepc|slider \w+|nexus 7|padfone|p00[cj])", {MOD: 1, VEN: "ASUS", TYP: TABLET}),
    (r" (z[bes]6[027][012][km][ls]|zenfone \d\w?)\b", {MOD: 1, VEN: "ASUS", TYP: MOBILE}),
    # HTC, ZTE, Alcatel & co: vendor named in the string
    (r"(nexus 9)", {MOD: 1, VEN: "HTC", TYP: TABLET}),
    (
        (
            r"(htc)[-;_ ]{1,2}([\w ]+(?=\)| bui)|\w+)",
            r"(zte)[- ]([\w ]+?)(?: bui|/|\))",
            _By(
                npm=r"(alcatel|geeksphone|nexian|panasonic|sony(?!-bra))[-_ ]?([-\w]*)",
                monorepo=r"(alcatel|geeksphone|nexian|panasonic|sony)[-_ ]?([-\w]*)",
            ),
        ),
        {VEN: 1, MOD: (2, _underscores_to_spaces), TYP: MOBILE},
    ),
    (r"droid.+; ([ab][1-7]-?[0178a]\d\d?)", {MOD: 1, VEN: "Acer", TYP: TABLET}),
    ((r"droid.+; (m[1-5] note) bui", r"\bmz-([-\w]{2,})"), {MOD: 1, VEN: "Meizu", TYP: MOBILE}),
    (r"\b(sh-?[altvz]?\d\d[a-ekm]?)", {MOD: 1, VEN: "Sharp", TYP: MOBILE}),
    (
        (
            r"(blackberry|benq|palm(?=\-)|sonyericsson|acer|asus|dell|meizu|motorola|polytron)[-_ ]?([-\w]*)",
            r"(hp) ([\w ]+\w)",
            r"(asus)-?(\w+)",
            r"(microsoft); (lumia[\w ]+)",
            r"(lenovo)[-_ ]?([-\w]+)",
            r"(jolla)",
            r"(oppo) ?([\w ]+) bui",
        ),
        {VEN: 1, MOD: 2, TYP: MOBILE},
    ),
    (
        (
            r"(archos) (gamepad2?)",
            r"(hp).+(touchpad(?!.+tablet)|tablet)",
            r"(kindle)/([\w.]+)",
            r"(nook)[\w ]+build/(\w+)",
            r"(dell) (strea[kpr\d ]*[\dko])",
            r"(le[- ]+pan)[- ]+(\w{1,9}) bui",
            r"(trinity)[- ]*(t\d{3}) bui",
            r"(gigaset)[- ]+(q\w{1,9}) bui",
            r"(vodafone) ([\w ]+)(?:\)| bui)",
        ),
        {VEN: 1, MOD: 2, TYP: TABLET},
    ),
    (r"(surface duo)", {MOD: 1, VEN: "Microsoft", TYP: TABLET}),
    (r"droid [\d.]+; (fp\du?)(?: b|\))", {MOD: 1, VEN: "Fairphone", TYP: MOBILE}),
    # Long tail of small vendors. Most key on "<model> b(uild)", which also catches other phones'
    # model strings, so they stay in this position even where the vendor itself is rare.
    *[
        (pattern, {MOD: 1, VEN: vendor, TYP: kind})
        for pattern, vendor, kind in (
            (r"(u304aa)", "AT&T", MOBILE),
            (r"\bsie-(\w*)", "Siemens", MOBILE),
            (r"\b(rct\w+) b", "RCA", TABLET),
            (r"\b(venue[\d ]{2,7}) b", "Dell", TABLET),
            (r"\b(q(?:mv|ta)\w+) b", "Verizon", TABLET),
            (r"\b(?:barnes[& ]+noble |bn[rt])([\w+ ]*) b", "Barnes & Noble", TABLET),
            (r"\b(tm\d{3}\w+) b", "NuVision", TABLET),
            (r"\b(k88) b", "ZTE", TABLET),
            (r"\b(nx\d{3}j) b", "ZTE", MOBILE),
            (r"\b(gen\d{3}) b.+49h", "Swiss", MOBILE),
            (r"\b(zur\d{3}) b", "Swiss", TABLET),
            (r"\b((zeki)?tb.*\b) b", "Zeki", TABLET),
        )
    ],
    ((r"\b([yr]\d{2}) b", r"\b(dragon[- ]+touch |dt)(\w{5}) b"), {VEN: "Dragon Touch", MOD: 2, TYP: TABLET}),
    (r"\b(ns-?\w{0,9}) b", {MOD: 1, VEN: "Insignia", TYP: TABLET}),
    (r"\b((nxa|next)-?\w{0,9}) b", {MOD: 1, VEN: "NextBook", TYP: TABLET}),
    (r"\b(xtreme\_)?(v(1[045]|2[015]|[3469]0|7[05])) b", {VEN: "Voice", MOD: 2, TYP: MOBILE}),
    (r"\b(lvtel\-)?(v1[12]) b", {VEN: "LvTel", MOD: 2, TYP: MOBILE}),
    (r"\b(ph-1) ", {MOD: 1, VEN: "Essential", TYP: MOBILE}),
    (r"\b(v(100md|700na|7011|917g).*\b) b", {MOD: 1, VEN: "Envizen", TYP: TABLET}),
    (r"\b(trio[-\w. ]+) b", {MOD: 1, VEN: "MachSpeed", TYP: TABLET}),
    (r"\btu_(1491) b", {MOD: 1, VEN: "Rotor", TYP: TABLET}),
    (r"(shield[\w ]+) b", {MOD: 1, VEN: "Nvidia", TYP: TABLET}),
    (r"(sprint) (\w+)", {VEN: 1, MOD: 2, TYP: MOBILE}),
    (r"(kin\.[onetw]{3})", {MOD: (1, lambda s: s.replace(".", " ")), VEN: "Microsoft", TYP: MOBILE}),
    # Consoles
    ((r"(ouya)", r"(nintendo) ([wids3utch]+)"), {VEN: 1, MOD: 2, TYP: CONSOLE}),
    (r"droid.+; (shield) bui", {MOD: 1, VEN: "Nvidia", TYP: CONSOLE}),
    (r"(playstation [345portablevi]+)", {MOD: 1, VEN: "Sony", TYP: CONSOLE}),
    (r"\b(xbox(?: one)?(?!; xbox))[); ]", {MOD: 1, VEN: "Microsoft", TYP: CONSOLE}),
    # Smart TVs and streaming sticks
    (r"smart-tv.+(samsung)", {VEN: 1, TYP: TV}),
    (r"hbbtv.+maple;(\d+)", {MOD: (1, lambda s: "SmartTV" + s), VEN: "Samsung", TYP: TV}),
    (r"(nux; netcast.+smarttv|lg (netcast\.tv-201\d|android tv))", {VEN: "LG", TYP: TV}),
    (r"(apple) ?tv", {VEN: 1, MOD: "Apple TV", TYP: TV}),
    (r"crkey", {MOD: "Chromecast", VEN: "Google", TYP: TV}),
    (r"droid.+aft(\w)( bui|\))", {MOD: 1, VEN: "Amazon", TYP: TV}),
    ((r"\(dtv[);].+(aquos)", _By(npm=r"(aquos-tv[\w ]+)\)")), {MOD: 1, VEN: "Sharp", TYP: TV}),
    _By(npm=(r"(bravia[\w ]+)( bui|\))", {MOD: 1, VEN: "Sony", TYP: TV})),
    _By(npm=(r"(mitv-\w{5}) bui", {MOD: 1, VEN: "Xiaomi", TYP: TV})),
    (
        (r"\b(roku)[\dx]*[)/]((?:dvp-)?[\d.]*)", r"hbbtv/\d+\.\d+\.\d+ +\([\w ]*; *(\w[^;]*);([^;]*)"),
        {VEN: _Call(_strip_leading_space, 1), MOD: _Call(_strip_leading_space, 2), TYP: TV},
    ),
    (r"\b(android tv|smart[- ]?tv|opera tv|tv; rv:)\b", {TYP: TV}),
    # Wearables (note: 0.7.33's Quest pattern also hits any UA containing "quest", e.g. "python-requests")
    (r"((pebble))app", {VEN: 1, MOD: 2, TYP: WEARABLE}),
    (r"droid.+; (glass) \d", {MOD: 1, VEN: "Google", TYP: WEARABLE}),
    _By(npm=(r"(quest( 2)?)", {MOD: 1, VEN: "Facebook", TYP: WEARABLE})),
    # Generic Android phones/tablets: the model is whatever precedes " Build" / ") AppleWebKit"
    (r"droid .+?; ([^;]+?)(?: bui|\) applew).+? mobile safari", {MOD: 1, TYP: MOBILE}),
    (r"droid .+?; ([^;]+?)(?: bui|\) applew).+?(?! mobile) safari", {MOD: 1, TYP: TABLET}),
    (r"\b((tablet|tab)[;/]|focus/\d(?!.+mobile))", {TYP: TABLET}),
    (
        _By(
            npm=r"(phone|mobile(?:[;/]| [ \w/.]*safari)|pda(?=.+windows ce))",
            monorepo=r"(phone|mobile(?:[;/]| safari)|pda(?=.+windows ce))",
        ),
        {TYP: MOBILE},
    ),
    (r"(android[-\w. ]{0,9});.+buil", {MOD: 1, VEN: "Generic"}),
)


# --------------------------------------------------------------------------------------------------
# Public API


def _utf16_len(s: str) -> int:
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


def _clip(ua: str, build: str) -> str:
    """The reference cuts over-long strings: 0.7.33 drops leading blanks and keeps 350 UTF-16 units,
    0.7.25 trims blanks at both ends and keeps 255."""
    limit = _MAX_LEN[build]
    if len(ua) <= limit // 2 or _utf16_len(ua) <= limit:
        return ua
    ua = _JS_LEADING_SPACE.sub("", ua)
    if build == "monorepo":
        ua = _JS_TRAILING_SPACE.sub("", ua)
    if ua.isascii():
        return ua[:limit]
    units = ua.encode("utf-16-le", "surrogatepass")[: 2 * limit]
    return units.decode("utf-16-le", "surrogatepass")


def parse_user_agent(user_agent: str, build: str | None = None) -> dict:
    """Browser, OS and device as the reference parser reports them (None where it reports undefined).

    Returns {"browser": {name, version, major}, "os": {name, version}, "device": {vendor, model, type}}.
    `build` defaults to the current one (see runtime_build). The result is cached and shared: treat it
    as read-only.
    """
    build = build or _BUILD.get()
    if build not in BUILDS:
        raise ValueError(f"unknown runtime build {build!r}; choose one of: {', '.join(BUILDS)}")
    return _parse(user_agent or "", build)


@lru_cache(maxsize=4096)
def _parse(user_agent: str, build: str) -> dict:
    ua = _clip(user_agent, build)
    b = _first(ua, _BROWSER[build])
    o = _first(ua, _OS[build])
    d = _first(ua, _DEVICE[build])
    version = b.get(V)
    return {
        "browser": {"name": b.get(N), "version": version, "major": _major(version)},
        "os": {"name": o.get(N), "version": o.get(V)},
        "device": {"vendor": d.get(VEN), "model": d.get(MOD), "type": d.get(TYP)},
    }


_KEYS = ("os_name", "os_version", "device_manufacturer", "device_model", "device_type")


def parse_user_agent_properties(user_agent, user_agent_data=None, build: str | None = None) -> dict:
    """The destination's parseUserAgentProperties: the five Amplitude device keys from a UA string.

    Empty or missing UA -> {}. Otherwise keys whose value would be undefined are left out.
    Quirks kept on purpose: os_version is the BROWSER major version, device_model falls back to the
    OS name, and userAgentData.platformVersion / .model (client hints) override both when present
    (JS `??`: only None/missing falls through; an empty string is kept).
    """
    if not user_agent:
        return {}
    if not isinstance(user_agent, str):  # the parser reads String(value)
        user_agent = js_string(user_agent)
    parsed = parse_user_agent(user_agent, build)
    browser, os_, device = parsed["browser"], parsed["os"], parsed["device"]
    uad = user_agent_data if isinstance(user_agent_data, dict) else {}

    def first(*values):
        for v in values:
            if v is not None:
                return v
        return None

    values = (
        first(os_["name"], browser["name"]),
        first(uad.get("platformVersion"), browser["major"]),
        device["vendor"],
        first(uad.get("model"), device["model"], os_["name"]),
        device["type"],
    )
    return {k: v for k, v in zip(_KEYS, values) if v is not None}
