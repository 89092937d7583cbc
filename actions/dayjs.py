"""Date handling of the Amplitude (Actions) runtime: dayjs on Node (V8), clock zone UTC.

The monorepo lock pins dayjs 1.10.7; a plain npm install gets 1.11.x. Both parse identically for what the
destination calls (`dayjs.utc(v)`, `.isValid()`, `.valueOf()`): between them only format tokens and
`utcOffset` changed. tests/cases/dayjs/corpus.json is recorded from 1.10.7 and was equal under 1.11.23.

What the runtime does with a date-ish value, and what this module reproduces:
* `dayjs.utc(v).isValid()` / `.valueOf()` guard and convert `time` and `session_id`   -> is_valid, utc_ms
* `formatSessionId(v)` (convert-timestamp.ts)                                         -> format_session_id
* the `date-like` JSON-schema format of actions-core (checked on strings only)         -> is_date_like

How dayjs reads a value:
* null -> invalid; undefined -> now; a number (or boolean) -> epoch ms, truncated toward zero;
* a string that does NOT end in "Z"/"z" and matches dayjs's own pattern
  (YYYY[-/]M[-/]D[T ]h:m:s.ms with every part optional after the year) -> Date.UTC(parts), with
  JavaScript's overflow rules (month 13 = January next year, day 0 = last day of the previous month,
  years 0-99 = 1900-1999, only the first three fraction digits, read as an integer: ".5" is 5 ms).
  That is why the all-digit string "1629213675449" reads as year 1629, month 21, day 36, ...;
* any other string -> `new Date(string)`, i.e. V8's date parser: the ES5 ISO format first, then its
  legacy heuristics (RFC 2822, "Aug 17 2021", "8/17/2021", time zone names, am/pm, ...).
  `_v8_parse` reproduces that parser; strings without a zone are read as UTC because the runtime's
  clock zone is UTC (documented assumption).
"""

from __future__ import annotations

import math
import re
import time as _time
from functools import lru_cache

from .jsjson import UNDEFINED, js_number, js_string

__all__ = ["is_valid", "utc_ms", "format_session_id", "is_date_like"]

NAN = float("nan")
_MAX_TIME = 8.64e15  # ECMAScript TimeClip bound (ms)
_MS_PER_DAY = 86_400_000

# dayjs's REGEX_PARSE. JS `\s` is wider than ASCII and JS `$` (no m flag) means end of input only.
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_DAYJS_PARSE = re.compile(
    r"^(\d{4})[-/]?(\d{1,2})?[-/]?(\d{0,2})[Tt" + _JS_SPACE + r"]*(\d{1,2})?:?(\d{1,2})?:?(\d{1,2})?[.:]?(\d+)?\Z",
    re.ASCII,
)
_DIGITS = re.compile(r"[0-9]+\Z")
# Strings that could equal String(Number(s)) (the canonical JS spelling of a number).
_CANONICAL_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?(?:e[+-][0-9]+)?|Infinity)\Z|NaN\Z")


# --------------------------------------------------------------------------------------------------
# ECMAScript date arithmetic (proleptic Gregorian, exact integers)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of year-month(1..12)-day(1..31)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _raw_date(year: int, month0: int, day: int, h: int = 0, mi: int = 0, s: int = 0, ms: int = 0):
    """MakeDate(MakeDay(year, month0, day), MakeTime(h, mi, s, ms)) before TimeClip; None when MakeDay fails."""
    if not -1_000_000 <= year <= 1_000_000:
        return None
    year += month0 // 12
    month0 %= 12
    days = _days_from_civil(year, month0 + 1, 1) + day - 1
    return days * _MS_PER_DAY + h * 3_600_000 + mi * 60_000 + s * 1000 + ms


def _make_date(year: int, month0: int, day: int, h: int = 0, mi: int = 0, s: int = 0, ms: int = 0) -> float:
    raw = _raw_date(year, month0, day, h, mi, s, ms)
    return NAN if raw is None else _time_clip(raw)


def _time_clip(t) -> float | int:
    if isinstance(t, float):
        if math.isnan(t) or math.isinf(t):
            return NAN
        if abs(t) > _MAX_TIME:
            return NAN
        return int(t)  # toward zero; -0 becomes 0
    return t if abs(t) <= _MAX_TIME else NAN


def _date_utc(year: int, month0: int, day: int, h: int, mi: int, s: int, ms: int) -> float:
    """Date.UTC with integer arguments (years 0-99 mean 1900-1999)."""
    if 0 <= year <= 99:
        year += 1900
    return _make_date(year, month0, day, h, mi, s, ms)


# --------------------------------------------------------------------------------------------------
# V8's date string parser (what `new Date(string)` / Date.parse do in the runtime)

_END, _NUM, _SYM, _WS, _WORD, _UNKNOWN, _INVALID = range(7)
_K_INVALID, _K_MONTH, _K_ZONE, _K_TIME_SEP, _K_AMPM = range(5)

# (3-letter lower-case prefix padded with NUL, kind, value). Words longer than 3 letters only match
# month names ("August", "Sept", even "Mayday").
_KEYWORDS = (
    *((m, _K_MONTH, i) for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)),
    ("am\0", _K_AMPM, 0),
    ("pm\0", _K_AMPM, 12),
    ("ut\0", _K_ZONE, 0),
    ("utc", _K_ZONE, 0),
    ("z\0\0", _K_ZONE, 0),
    ("gmt", _K_ZONE, 0),
    ("cdt", _K_ZONE, -5),
    ("cst", _K_ZONE, -6),
    ("edt", _K_ZONE, -4),
    ("est", _K_ZONE, -5),
    ("mdt", _K_ZONE, -6),
    ("mst", _K_ZONE, -7),
    ("pdt", _K_ZONE, -7),
    ("pst", _K_ZONE, -8),
    ("t\0\0", _K_TIME_SEP, 0),
)
_NONE = None
# JS WhiteSpace plus the ASCII line breaks. U+2028/U+2029 are line terminators but the date reader
# takes them as letters (they are >= "A" and not WhiteSpace), so they glue to words.
_WHITESPACE = frozenset("\t\n\v\f\r \u00a0\u1680\u202f\u205f\u3000\ufeff") | frozenset(
    map(chr, range(0x2000, 0x200B))
)
_MAX_DIGITS = 9  # digits beyond the 9th are read but ignored


def _keyword(prefix: str, length: int):
    for key, kind, value in _KEYWORDS:
        if key == prefix and (length <= 3 or kind == _K_MONTH):
            return kind, value
    return _K_INVALID, 0


class _Tokens:
    """Scanner with one token of look-ahead. Tokens are tuples (tag, a, b):
    number (value, length), symbol (char), word (keyword kind, value, length), whitespace, unknown, end."""

    __slots__ = ("s", "i", "n", "peek")

    def __init__(self, s: str):
        end = s.find("\0")  # the reader stops at NUL
        self.s = s if end < 0 else s[:end]
        self.i = 0
        self.n = len(self.s)
        self.peek = self._scan()

    def next(self):
        tok = self.peek
        self.peek = self._scan()
        return tok

    def skip(self, ch: str) -> bool:
        if self.peek[0] == _SYM and self.peek[1] == ch:
            self.peek = self._scan()
            return True
        return False

    def _scan(self):
        s, i, n = self.s, self.i, self.n
        if i >= n:
            return (_END,)
        ch = s[i]
        if "0" <= ch <= "9":
            j = i
            while j < n and "0" <= s[j] <= "9":
                j += 1
            self.i = j
            k = i
            while k < j and s[k] == "0":  # leading zeros do not use up significant digits
                k += 1
            return (_NUM, int(s[k:min(j, k + _MAX_DIGITS)] or "0"), j - i)
        if ch in ":-+.)":
            self.i = i + 1
            return (_SYM, ch)
        if ch >= "A" and ch not in _WHITESPACE:
            j = i
            while j < n and s[j] >= "A" and s[j] not in _WHITESPACE:
                j += 1
            self.i = j
            prefix = "".join(chr(ord(c) | 0x20) for c in s[i:min(j, i + 3)]).ljust(3, "\0")
            kind, value = _keyword(prefix, j - i)
            return (_WORD, kind, value, j - i)
        if ch in _WHITESPACE:
            self.i = i + 1
            return (_WS,)
        if ch == "(":
            depth = 0
            j = i
            while True:
                if s[j] == ")":
                    depth -= 1
                elif s[j] == "(":
                    depth += 1
                j += 1
                if depth <= 0 or j >= n:
                    break
            self.i = j
            return (_UNKNOWN,)
        self.i = i + 1
        return (_UNKNOWN,)


def _is_num(tok, length=None) -> bool:
    return tok[0] == _NUM and (length is None or tok[2] == length)


def _is_sign(tok) -> bool:
    return tok[0] == _SYM and tok[1] in "+-"


def _is_z(tok) -> bool:
    return tok[0] == _WORD and tok[1] == _K_ZONE and tok[3] == 1 and tok[2] == 0


def _millis(tok) -> int:
    """First three significant digits of a fraction, from its value and digit count."""
    value, length = tok[1], tok[2]
    if length == 1:
        return value * 100
    if length == 2:
        return value * 10
    if length > 3:
        return value // 10 ** (min(length, _MAX_DIGITS) - 3)
    return value


class _State:
    __slots__ = ("day", "named_month", "iso", "time", "hour_offset", "tz_sign", "tz_hour", "tz_min")

    def __init__(self):
        self.day = []
        self.named_month = _NONE
        self.iso = False
        self.time = []
        self.hour_offset = _NONE
        self.tz_sign = self.tz_hour = self.tz_min = _NONE

    def set_zone(self, hours: int):
        self.tz_sign = -1 if hours < 0 else 1
        self.tz_hour = abs(hours)
        self.tz_min = 0

    def time_add(self, n: int) -> bool:
        if len(self.time) < 4:
            self.time.append(n)
            return True
        return False

    def time_add_final(self, n: int) -> bool:
        if not self.time_add(n):
            return False
        self.time.extend([0] * (4 - len(self.time)))
        return True

    def time_expecting(self, n: int) -> bool:
        k = len(self.time)
        return (k == 1 and 0 <= n <= 59) or (k == 2 and 0 <= n <= 59) or (k == 3 and 0 <= n <= 999)

    def tz_expecting(self, n: int) -> bool:
        return self.tz_hour is not _NONE and self.tz_min is _NONE and 0 <= n <= 59

    def tz_is_utc(self) -> bool:
        return self.tz_hour == 0 and self.tz_min == 0


def _parse_es5(sc: _Tokens, st: _State):
    """The ISO (ES5 date-time string) attempt. Returns the first token it could not use, (_END,) when the
    whole string was ISO, or (_INVALID,) when the string is definitely no date."""
    if _is_sign(sc.peek):
        sign_tok = sc.next()
        if not _is_num(sc.peek, 6):
            return sign_tok
        year = sc.next()[1]
        if sign_tok[1] == "-" and year == 0:
            return sign_tok
        st.day.append(-year if sign_tok[1] == "-" else year)
    elif _is_num(sc.peek, 4):
        st.day.append(sc.next()[1])
    else:
        return sc.next()
    if sc.skip("-"):
        if not (_is_num(sc.peek, 2) and 1 <= sc.peek[1] <= 12):
            return sc.next()
        st.day.append(sc.next()[1])
        if sc.skip("-"):
            if not (_is_num(sc.peek, 2) and 1 <= sc.peek[1] <= 31):
                return sc.next()
            st.day.append(sc.next()[1])
    peek = sc.peek
    if not (peek[0] == _WORD and peek[1] == _K_TIME_SEP):
        if peek[0] != _END:
            return sc.next()
    else:
        sc.next()
        if not (_is_num(sc.peek, 2) and 0 <= sc.peek[1] <= 24):
            return (_INVALID,)
        hour_24 = sc.peek[1] == 24
        st.time.append(sc.next()[1])
        if not sc.skip(":"):
            return (_INVALID,)
        if not (_is_num(sc.peek, 2) and sc.peek[1] <= 59 and not (hour_24 and sc.peek[1] > 0)):
            return (_INVALID,)
        st.time.append(sc.next()[1])
        if sc.skip(":"):
            if not (_is_num(sc.peek, 2) and sc.peek[1] <= 59 and not (hour_24 and sc.peek[1] > 0)):
                return (_INVALID,)
            st.time.append(sc.next()[1])
            if sc.skip("."):
                if not _is_num(sc.peek) or (hour_24 and sc.peek[1] > 0):
                    return (_INVALID,)
                st.time.append(_millis(sc.next()))
        if _is_z(sc.peek):
            sc.next()
            st.set_zone(0)
        elif _is_sign(sc.peek):
            st.tz_sign = 1 if sc.next()[1] == "+" else -1
            if _is_num(sc.peek, 4):
                hm = sc.next()[1]
                hour, minute = divmod(hm, 100)
                if not (hour <= 23 and minute <= 59):
                    return (_INVALID,)
                st.tz_hour, st.tz_min = hour, minute
            else:
                if not (_is_num(sc.peek, 2) and sc.peek[1] <= 23):
                    return (_INVALID,)
                st.tz_hour = sc.next()[1]
                if not sc.skip(":"):
                    return (_INVALID,)
                if not (_is_num(sc.peek, 2) and sc.peek[1] <= 59):
                    return (_INVALID,)
                st.tz_min = sc.next()[1]
        if sc.peek[0] != _END:
            return (_INVALID,)
    if st.tz_hour is _NONE and not st.time:
        st.set_zone(0)  # date-only ISO forms are UTC
    st.iso = True
    return (_END,)


def _parse_legacy(sc: _Tokens, st: _State, tok) -> bool:
    has_number = bool(st.day)
    while tok[0] != _END:
        tag = tok[0]
        if tag == _NUM:
            has_number = True
            n = tok[1]
            if sc.skip(":"):
                if sc.skip(":"):
                    if st.time:
                        return False
                    st.time += [n, 0]
                else:
                    if not st.time_add(n):
                        return False
                    if sc.peek[0] == _SYM and sc.peek[1] == ".":
                        sc.next()
            elif sc.skip(".") and st.time_expecting(n):
                st.time_add(n)
                if not _is_num(sc.peek):
                    return False
                st.time_add_final(_millis(sc.next()))
            elif st.tz_expecting(n):
                st.tz_min = n
            elif st.time_expecting(n):
                st.time_add_final(n)
                peek = sc.peek
                if not (peek[0] in (_END, _WS) or _is_z(peek) or _is_sign(peek)):
                    return False
            else:
                if len(st.day) >= 3:
                    return False
                st.day.append(n)
                sc.skip("-")
        elif tag == _WORD:
            kind, value = tok[1], tok[2]
            if kind == _K_AMPM and st.time:
                st.hour_offset = value
            elif kind == _K_MONTH:
                st.named_month = value
                sc.skip("-")
            elif kind == _K_ZONE and has_number:
                st.set_zone(value)
            else:
                if has_number or _is_num(sc.peek):
                    return False  # words after the first number, or glued to it, are not allowed
        elif _is_sign(tok) and (st.tz_is_utc() or st.time):
            st.tz_sign = 1 if tok[1] == "+" else -1
            n = length = 0
            if _is_num(sc.peek):
                _, n, length = sc.next()
            has_number = True
            if sc.peek[0] == _SYM and sc.peek[1] == ":":
                st.tz_hour, st.tz_min = n, _NONE
            elif length in (1, 2):
                st.tz_hour, st.tz_min = n, 0
            elif length in (3, 4):
                st.tz_hour, st.tz_min = divmod(n, 100)
            else:
                return False
        elif (_is_sign(tok) or (tag == _SYM and tok[1] == ")")) and has_number:
            return False
        tok = sc.next()
    return True


def _compose(st: _State) -> float:
    # day: missing parts default to 1; the order of numbers is guessed from their values
    if not st.day:
        return NAN
    comp = st.day + [1] * (3 - len(st.day))
    year = 0
    if st.named_month is _NONE:
        if st.iso or not 1 <= comp[0] <= 31:
            year, month, day = comp
        else:
            month, day, year = comp
    else:
        month = st.named_month
        if not 1 <= comp[0] <= 31:
            year, day = comp[0], comp[1]
        else:
            day, year = comp[0], comp[1]
    if not st.iso:
        if 0 <= year <= 49:
            year += 2000
        elif 50 <= year <= 99:
            year += 1900
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return NAN
    # time: missing parts are 0; am/pm needs an hour of 0-12; 24:00:00.000 is allowed
    hour, minute, second, ms = st.time + [0] * (4 - len(st.time))
    if st.hour_offset is not _NONE:
        if not 0 <= hour <= 12:
            return NAN
        hour = hour % 12 + st.hour_offset
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59 and 0 <= ms <= 999):
        if (hour, minute, second, ms) != (24, 0, 0, 0):
            return NAN
    offset = 0
    if st.tz_sign is not _NONE:
        total = (st.tz_hour or 0) * 3600 + (st.tz_min or 0) * 60
        if total > 2**30 - 1:
            return NAN
        offset = -total if st.tz_sign < 0 else total
    # no zone: local time, and the runtime's clock zone is UTC
    raw = _raw_date(year, month - 1, day, hour, minute, second, ms)
    return NAN if raw is None else _time_clip(raw - offset * 1000)


@lru_cache(maxsize=4096)
def _v8_parse(s: str) -> float:
    sc = _Tokens(s)
    st = _State()
    tok = _parse_es5(sc, st)
    if tok[0] == _INVALID:
        return NAN
    if not _parse_legacy(sc, st, tok):
        return NAN
    return _compose(st)


# --------------------------------------------------------------------------------------------------
# dayjs


# The everyday ISO form with a zone, in plain ranges: computed directly (event times are mostly unique,
# so the cache rarely helps them). Anything unusual takes the full parser below.
_ISO_FAST = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,3}))?)?"
    r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))\Z"
)


def _iso_fast(s: str):
    m = _ISO_FAST.match(s)
    if not m:
        return None
    y, mo, d, h, mi, sec, frac, sign, tzh, tzm = m.groups()
    mo, d, h, mi, sec = int(mo), int(d), int(h), int(mi), int(sec or 0)
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h <= 23 and mi <= 59 and sec <= 59):
        return None
    offset = 0
    if sign:
        tzh, tzm = int(tzh), int(tzm)
        if tzh > 23 or tzm > 59:
            return None
        offset = (tzh * 60 + tzm) * (60_000 if sign == "+" else -60_000)
    ms = int(frac.ljust(3, "0")) if frac else 0
    return _time_clip(_raw_date(int(y), mo - 1, d, h, mi, sec, ms) - offset)


@lru_cache(maxsize=8192)
def _string_ms(s: str) -> float:
    fast = _iso_fast(s)
    if fast is not None:
        return fast
    if not s.endswith(("Z", "z")):
        m = _DAYJS_PARSE.match(s)
        if m:
            y, mo, d, h, mi, sec, frac = m.groups()
            month0 = int(mo) - 1 if mo else 0  # JS: d[2] - 1 || 0
            return _date_utc(
                int(y), month0, int(d) if d else 1, int(h or 0), int(mi or 0), int(sec or 0),
                int((frac or "0")[:3]),
            )
    return _v8_parse(s)


def utc_ms(value) -> int | float:
    """dayjs.utc(value).valueOf(): epoch milliseconds (int) or float('nan') when invalid."""
    if value is None:
        return NAN
    if value is UNDEFINED:
        return int(_time.time() * 1000)
    if isinstance(value, str):
        return _string_ms(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return _time_clip(float(value) if isinstance(value, float) or abs(value) > 2**53 else value)
    # other objects: `new Date(obj)` reads String(obj) with the date parser (dayjs's own pattern is skipped)
    return _v8_parse(js_string(value))


def is_valid(value) -> bool:
    """dayjs.utc(value).isValid()."""
    t = utc_ms(value)
    return t == t


def format_session_id(value) -> int | float:
    """formatSessionId (convert-timestamp.ts): an all-digit string is Number(string); anything else is
    dayjs.utc(value).valueOf() (a number stays as it is: dayjs keeps numbers as epoch ms)."""
    if isinstance(value, str) and _DIGITS.match(value):
        n = int(value)
        if n <= 2**53:
            return n
        try:
            return int(float(n))  # rounded to the nearest double, as Number() does
        except OverflowError:
            return math.inf
    return utc_ms(value)


def _js_number_of_canonical(s: str) -> float | None:
    """Number(s) when String(Number(s)) === s (s is JS's own spelling of a number), else None."""
    if not _CANONICAL_NUMBER.match(s):
        return None
    n = float(s)
    return n if js_number(n) == s else None


def is_date_like(value) -> bool:
    """actions-core's `date-like` format: strings only (other types are not checked and pass).

    A string that is the canonical spelling of a number is read as unix SECONDS (valid when the
    instant is representable); any other string is valid when dayjs can parse it.
    """
    if not isinstance(value, str):
        return True
    n = _js_number_of_canonical(value)
    if n is not None:
        return not math.isnan(n) and not math.isinf(n) and abs(n * 1000.0) <= _MAX_TIME
    return is_valid(value)
