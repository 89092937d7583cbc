"""Segment Public API: pull classic settings, plan and apply Actions subscriptions.

Facts encoded here (Segment Public API docs, OpenAPI 73.2.0):
- hosts: api.segmentapis.com (US), eu1.api.segmentapis.com (EU); `Authorization: Bearer <token>`;
- success bodies are `{"data": ...}`, failures `{"errors": [{type, message?, field?, data?}]}`;
- subscription endpoints are Alpha (`application/vnd.segment.v1alpha+json`), updates take a wrapped
  `{"input": {...}}` body while creates are flat, and writes are limited to 50 per minute;
- 429 carries `Retry-After` (seconds) or `errors[0].data.msBeforeNext`;
- lists use cursor pagination (`pagination.count`, `pagination.cursor`; the answer's `pagination.next`
  is absent on the last page);
- secrets come back masked (`"••••••••••7d35"`).

The plan is plain data (see `compute_plan`); `apply_plan` writes a backup first and returns a summary of
what was and was not applied, so a failure midway loses nothing.
"""

from __future__ import annotations

import collections
import email.utils
import json
import logging
import os
import random
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from migrate import errors as errors_mod
from migrate.masking import LOG_FILTER, MASK, is_masked, redact

__all__ = [
    "ApiError",
    "TransportError",
    "SubscriptionsFileError",
    "SegmentClient",
    "base_url_for",
    "pull_classic_settings",
    "find_masked",
    "load_subscriptions_file",
    "normalise_subscriptions",
    "resolve_actions",
    "compute_plan",
    "mapping_diff",
    "plan_for_destination",
    "apply_plan",
    "default_backup_path",
    "plan_lines",
    "summary_lines",
]

log = logging.getLogger(__name__)
log.addFilter(LOG_FILTER)  # messages masked by the one rule

BASE_URLS = {"us": "https://api.segmentapis.com", "eu": "https://eu1.api.segmentapis.com"}
MEDIA_V1 = "application/vnd.segment.v1+json"
MEDIA_ALPHA = "application/vnd.segment.v1alpha+json"
CLASSIC_METADATA_ID = "54521fd525e721e32a72ee91"
ACTIONS_METADATA_ID = "5f7dd6d21ad74f3842b1fc47"
WRITES_PER_MINUTE = 50
PAGE_SIZE = 200
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PATCH", "PUT", "DELETE"})
UPDATABLE_KEYS = ("trigger", "enabled", "settings")


class ApiError(errors_mod.ApiError):
    """The Public API refused a request (status, errors as in its `{"errors": [...]}` envelope)."""

    def __init__(self, status: int | None, errors: list[dict], *, method: str = "", path: str = ""):
        self.status = status
        self.errors = errors
        self.method = method
        self.path = path
        errors_mod.MigrateError.__init__(self, self._message())

    def _message(self) -> str:
        parts = []
        for err in self.errors:
            text = str(err.get("message") or err.get("type") or "error")
            if err.get("field"):
                text = f"{err['field']}: {text}"
            parts.append(text)
        where = f"{self.method} {self.path}".strip()
        status = f"HTTP {self.status}" if self.status is not None else "no response"
        return f"{where} failed ({status}): {'; '.join(parts) or 'no details'}"


class TransportError(ApiError):
    """No usable HTTP answer (timeout, connection refused or reset) after all retries."""


class SubscriptionsFileError(errors_mod.BadInput):
    """A subscriptions file is unusable: names the file, the line (JSON syntax) or item, and the reason."""


def base_url_for(region: str = "us", override: str | None = None) -> str:
    """The API root: an explicit override (a test server, a proxy) wins over the region table."""
    if override:
        return override.rstrip("/")
    try:
        return BASE_URLS[region.lower()]
    except KeyError:
        raise errors_mod.UsageError(f"unknown region {region!r}: use one of {', '.join(BASE_URLS)}") from None


class SegmentClient:
    """A small Public API client: auth, media types, pagination, retries and write pacing.

    `clock`, `sleep` and `jitter` are injectable so tests can check pacing and back-off without waiting.
    `on_wait(reason, seconds)` is told about every deliberate pause (rate limit, back-off, pacing).
    """

    def __init__(
        self,
        token: str,
        *,
        base_url: str = BASE_URLS["us"],
        timeout: float = 30.0,
        max_retries: int = 5,
        writes_per_minute: int = WRITES_PER_MINUTE,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        max_wait: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        on_wait: Callable[[str, float], None] | None = None,
        session: requests.Session | None = None,
    ):
        if not token:
            raise errors_mod.UsageError("a Segment Public API token is required (set SEGMENT_TOKEN)")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.writes_per_minute = writes_per_minute
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_wait = max_wait
        self.clock = clock
        self.sleep = sleep
        self.jitter = jitter
        self.on_wait = on_wait
        self._writes: collections.deque[float] = collections.deque()
        self.session = session or requests.Session()
        # An auth object (not a default header) so a ~/.netrc entry cannot replace the token.
        self.session.auth = _BearerAuth(token)
        _warn_if_cleartext(self.base_url)

    def __repr__(self) -> str:
        return f"SegmentClient(base_url={self.base_url!r})"

    @classmethod
    def from_env(cls, *, region: str = "us", api_url: str | None = None, **kwargs) -> "SegmentClient":
        token = os.environ.get("SEGMENT_TOKEN", "")
        if not token:
            raise errors_mod.UsageError("SEGMENT_TOKEN is not set: export a Public API token in SEGMENT_TOKEN")
        url = base_url_for(region, api_url or os.environ.get("SEGMENT_API_URL"))
        return cls(token, base_url=url, **kwargs)

    # -- transport ------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        body: Any = None,
        media_type: str = MEDIA_V1,
        reconcile: Callable[[], Any] | None = None,
        gone_ok: bool = False,
    ) -> Any:
        """Send one request and return the `data` member of the answer.

        Retries 429 (waiting `Retry-After`, else `msBeforeNext`, else back-off), 5xx and transport
        failures with exponential back-off. A POST may have taken effect even when its answer was a
        5xx or never came, so it is only retried after `reconcile()` (which looks for the created
        object) returned None; without `reconcile` such a POST is not retried. `gone_ok` makes a 404
        that follows an ambiguous attempt a success (a DELETE that did happen the first time).
        """
        method = method.upper()
        headers = {"Accept": media_type}
        data = None
        if body is not None:
            headers["Content-Type"] = media_type
            data = json.dumps(body)
        url = self.base_url + path
        ambiguous_before = False
        attempt = 0
        while True:
            attempt += 1
            if method in WRITE_METHODS:
                self._pace()
            try:
                resp = self.session.request(
                    method, url, params=params, data=data, headers=headers, timeout=self.timeout
                )
            except requests.RequestException as exc:
                reason = _transport_reason(exc)
                log.warning("%s %s: %s (attempt %d)", method, path, reason, attempt)
                status, errors = None, [{"type": "transport", "message": reason}]
                # A connect timeout means nothing reached the server; other failures may come after it acted.
                ambiguous = not isinstance(exc, requests.ConnectTimeout)
                retryable = True
                wait_reason = "back-off after " + reason
            else:
                status = resp.status_code
                log.debug("%s %s -> %d (attempt %d)", method, path, status, attempt)
                if 200 <= status < 300:
                    return self._data(resp, method, path)
                errors = self._errors(resp)
                if status == 404 and gone_ok and ambiguous_before:
                    return None
                ambiguous = status >= 500
                retryable = status == 429 or status >= 500
                wait_reason = "rate limited (429)" if status == 429 else f"back-off after HTTP {status}"

            unsafe = ambiguous and method not in IDEMPOTENT_METHODS
            if unsafe and reconcile is None:
                errors = errors + [{"type": "client", "message": "the request may or may not have been applied"}]
                raise self._error(status, errors, method, path)
            if not retryable or attempt > self.max_retries:
                if unsafe and (found := reconcile()) is not None:
                    return found
                raise self._error(status, errors, method, path)
            ambiguous_before = ambiguous_before or ambiguous
            delay = _retry_after(resp, errors) if status == 429 else None
            if delay is None:
                delay = self._backoff(attempt)
            if delay > self.max_wait:
                raise ApiError(status, errors + [{"type": "client", "message": (
                    f"the API asked to wait {delay:.0f}s, more than the {self.max_wait:.0f}s limit")}],
                    method=method, path=path)
            self._wait(wait_reason, delay)
            # Look only after the pause, so a slow server has had time to finish what it started.
            if unsafe and (found := reconcile()) is not None:
                return found

    @staticmethod
    def _error(status: int | None, errors: list[dict], method: str, path: str) -> ApiError:
        cls = TransportError if status is None else ApiError
        return cls(status, errors, method=method, path=path)

    def _data(self, resp: requests.Response, method: str, path: str) -> Any:
        try:
            payload = resp.json()
        except ValueError:
            raise ApiError(resp.status_code, [{"type": "client", "message": "answer is not JSON"}],
                           method=method, path=path) from None
        if not isinstance(payload, dict) or "data" not in payload:
            errors = payload.get("errors") if isinstance(payload, dict) else None
            raise ApiError(resp.status_code, errors or [{"type": "client", "message": "answer has no data"}],
                           method=method, path=path)
        return payload["data"]

    def _errors(self, resp: requests.Response) -> list[dict]:
        try:
            payload = resp.json()
        except ValueError:
            payload = None
        if isinstance(payload, dict) and isinstance(payload.get("errors"), list):
            errors = [e if isinstance(e, dict) else {"message": str(e)} for e in payload["errors"]]
        else:
            text = resp.text.strip()[:200]
            errors = [{"type": "http", "message": text or resp.reason or "no body"}]
        return [self._scrub(e) for e in errors]

    def _scrub(self, err: dict) -> dict:
        # An error body that echoes the request must not carry the token (or any credential) into our messages.
        token = getattr(self.session.auth, "_token", "")
        return redact(err, (token,))

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        # "Equal jitter": at least half the ceiling, so retries from many clients spread out.
        return ceiling / 2 + self.jitter() * ceiling / 2

    def _wait(self, reason: str, seconds: float) -> None:
        if seconds <= 0:
            return
        log.info("waiting %.1fs: %s", seconds, reason)
        if self.on_wait:
            self.on_wait(reason, seconds)
        self.sleep(seconds)

    def _pace(self) -> None:
        """Keep every 60-second window at or under `writes_per_minute` write attempts."""
        window = self._writes
        now = self.clock()
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= self.writes_per_minute:
            self._wait(f"pacing writes to {self.writes_per_minute}/minute", window[0] + 60 - now)
            now = self.clock()
            while window and window[0] <= now - 60:
                window.popleft()
        window.append(now)

    # -- endpoints ------------------------------------------------------------------------------
    def get_destination(self, destination_id: str) -> dict:
        data = self.request("GET", f"/destinations/{_seg(destination_id)}")
        return _member(data, "destination", "GET /destinations/{id}")

    def get_destination_metadata(self, metadata_id: str) -> dict:
        data = self.request("GET", f"/catalog/destinations/{_seg(metadata_id)}")
        return _member(data, "destinationMetadata", "GET /catalog/destinations/{id}")

    def list_subscriptions(self, destination_id: str) -> list[dict]:
        path = f"/destinations/{_seg(destination_id)}/subscriptions"
        return list(self.paginate(path, "subscriptions", media_type=MEDIA_ALPHA))

    def paginate(self, path: str, key: str, *, media_type: str = MEDIA_V1, count: int = PAGE_SIZE) -> Iterable[dict]:
        cursor = None
        seen = set()
        while True:
            params = {"pagination.count": count}
            if cursor:
                params["pagination.cursor"] = cursor
            data = self.request("GET", path, params=params, media_type=media_type)
            items = _member(data, key, "GET " + path)
            if not isinstance(items, list):
                raise ApiError(200, [{"type": "client", "message": f"'{key}' is not a list"}], method="GET", path=path)
            yield from items
            cursor = (data.get("pagination") or {}).get("next")
            if not cursor:
                return
            if cursor in seen:
                raise ApiError(200, [{"type": "client", "message": "pagination cursor repeats"}],
                               method="GET", path=path)
            seen.add(cursor)

    def create_subscription(self, destination_id: str, body: dict, *, reconcile=None) -> dict:
        data = self.request("POST", f"/destinations/{_seg(destination_id)}/subscriptions", body=body,
                            media_type=MEDIA_ALPHA, reconcile=reconcile)
        if isinstance(data, dict) and "destinationSubscription" in data:
            return data["destinationSubscription"]
        return data  # a reconciled subscription found by listing

    def update_subscription(self, destination_id: str, subscription_id: str, changes: dict) -> dict:
        data = self.request("PATCH", f"/destinations/{_seg(destination_id)}/subscriptions/{_seg(subscription_id)}",
                            body={"input": changes}, media_type=MEDIA_ALPHA)
        return _member(data, "subscription", "PATCH subscription")

    def delete_subscription(self, destination_id: str, subscription_id: str) -> None:
        self.request("DELETE", f"/destinations/{_seg(destination_id)}/subscriptions/{_seg(subscription_id)}",
                     media_type=MEDIA_ALPHA, gone_ok=True)


class _BearerAuth(AuthBase):
    """Adds `Authorization: Bearer <token>`; its repr never shows the token."""

    def __init__(self, token: str):
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return f"_BearerAuth({MASK})"


def _seg(value: str) -> str:
    if not value or "/" in value or value in (".", ".."):
        raise errors_mod.UsageError(f"invalid id {value!r}")
    return requests.utils.quote(value, safe="")


def _member(data: Any, key: str, what: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise ApiError(200, [{"type": "client", "message": f"{what}: answer has no '{key}'"}])
    return data[key]


def _transport_reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    return type(exc).__name__


def _retry_after(resp: requests.Response, errors: list[dict]) -> float | None:
    value = resp.headers.get("Retry-After")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    for err in errors:
        ms = (err.get("data") or {}).get("msBeforeNext") if isinstance(err.get("data"), dict) else None
        if isinstance(ms, (int, float)) and ms >= 0:
            return ms / 1000
    return None


def _warn_if_cleartext(base_url: str) -> None:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https"):
        raise errors_mod.UsageError(f"API URL must start with https:// (got {base_url!r})")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        log.warning("the API URL uses plain http to %s: the token would travel unencrypted", parts.hostname)


# -- pull ---------------------------------------------------------------------------------------
def find_masked(value: Any, path: str = "") -> list[str]:
    """Paths of string values Segment returned masked (`••••…7d35`); values are never reported."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += find_masked(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += find_masked(item, f"{path}[{i}]")
    elif is_masked(value):
        found.append(path)
    return found


def pull_classic_settings(client: SegmentClient, destination_id: str) -> tuple[dict, list[str]]:
    """The classic destination's settings as a plain object (what `translate`/`compare` read) + warnings."""
    dest = client.get_destination(destination_id)
    settings = dest.get("settings")
    if not isinstance(settings, dict):
        raise ApiError(200, [{"type": "client", "message": f"destination {destination_id} has no settings object"}])
    warnings = []
    meta = dest.get("metadata") or {}
    if meta.get("id") != CLASSIC_METADATA_ID and meta.get("slug") != "amplitude":
        warnings.append(
            f"destination {destination_id} is {meta.get('name') or meta.get('id') or 'unknown'!s}, "
            "not Amplitude (Classic): translate expects the classic destination's settings")
    masked = find_masked(settings)
    if masked:
        warnings.append(
            f"{', '.join(masked)} came back masked from Segment and stay masked in the output; "
            "the real values cannot be read through the API (supply the Amplitude key yourself where needed)")
    return settings, warnings


# -- subscriptions files ------------------------------------------------------------------------
def load_subscriptions_file(path: str) -> list[dict]:
    """Read a subscriptions file (runtime or Public API shape, or a backup written by `apply`), or Terraform
    segment_destination_subscription resources (a .tf file or Git-sync folder, PATH#DESTINATION_ID)."""
    from migrate import terraform

    if terraform.is_terraform_path(path):
        try:
            obj = terraform.load_subscriptions_document(path)
        except errors_mod.BadInput as exc:
            raise SubscriptionsFileError(exc.file, exc.line, exc.reason) from None
        return normalise_subscriptions(obj, source=path)
    try:
        with open(path, encoding="utf-8") as fh:
            obj = json.load(fh)
    except OSError as exc:
        raise SubscriptionsFileError(path, None, f"cannot read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise SubscriptionsFileError(path, exc.lineno, f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise SubscriptionsFileError(path, None, "nested too deeply to be subscriptions") from None
    from migrate.config import _too_deep, MAX_FILE_DEPTH

    if _too_deep(obj):
        raise SubscriptionsFileError(path, None, f"nested deeper than {MAX_FILE_DEPTH} levels; not subscriptions")
    return normalise_subscriptions(obj, source=path)


def normalise_subscriptions(obj: Any, *, source: str = "<subscriptions>") -> list[dict]:
    """Desired subscriptions as `{name, action, trigger, settings, enabled}` (action = slug or id).

    Accepts a list, `{"subscriptions": [...]}` (our backups) or the API envelope `{"data": {...}}`.
    Runtime shape: name, partnerAction, subscribe, mapping[, enabled]. Public API shape: name,
    actionSlug or actionId, trigger, settings, enabled. `enabled` defaults to true.
    """
    if isinstance(obj, dict) and isinstance(obj.get("data"), dict):
        obj = obj["data"]
    if isinstance(obj, dict) and "subscriptions" in obj:
        obj = obj["subscriptions"]
    if not isinstance(obj, list):
        raise SubscriptionsFileError(source, None, f"expected a JSON list of subscriptions, got {type(obj).__name__}")
    out, seen = [], {}
    for i, item in enumerate(obj, 1):
        where = f"item {i}"
        if not isinstance(item, dict):
            raise SubscriptionsFileError(source, None, f"{where}: expected an object, got {type(item).__name__}")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise SubscriptionsFileError(source, None, f"{where}: 'name' must be a non-empty string")
        where = f"{where} ({name!r})"
        action = item.get("actionSlug") or item.get("partnerAction") or item.get("actionId")
        if not isinstance(action, str) or not action:
            raise SubscriptionsFileError(
                source, None, f"{where}: needs 'partnerAction', 'actionSlug' or 'actionId'")
        trigger = item.get("trigger", item.get("subscribe"))
        if not isinstance(trigger, str) or not trigger.strip():
            raise SubscriptionsFileError(
                source, None, f"{where}: needs a trigger ('subscribe' or 'trigger', an FQL string)")
        settings = item.get("settings", item.get("mapping"))
        if not isinstance(settings, dict):
            raise SubscriptionsFileError(
                source, None, f"{where}: needs a mapping ('mapping' or 'settings', an object)")
        enabled = item.get("enabled", True)
        if not isinstance(enabled, bool):
            raise SubscriptionsFileError(source, None, f"{where}: 'enabled' must be true or false")
        key = (name, action)
        if key in seen:
            raise SubscriptionsFileError(source, None, f"{where}: same name and action as item {seen[key]}")
        seen[key] = i
        out.append({"name": name, "action": action, "actionId": item.get("actionId"),
                    "trigger": trigger, "settings": settings, "enabled": enabled, "item": i})
    return out


def resolve_actions(desired: list[dict], actions: list[dict], *, source: str = "<subscriptions>") -> list[dict]:
    """Give each desired subscription `actionId` and `actionSlug` from the destination's metadata."""
    by_id = {a["id"]: a for a in actions if a.get("id")}
    by_slug = {a["slug"]: a for a in actions if a.get("slug")}
    out = []
    for sub in desired:
        action = by_id.get(sub.get("actionId") or "") or by_slug.get(sub["action"]) or by_id.get(sub["action"])
        if action is None:
            known = ", ".join(sorted(by_slug)) or "none"
            raise SubscriptionsFileError(
                source, None, f"item {sub.get('item', '?')} ({sub['name']!r}): action {sub['action']!r} is not an "
                f"action of this destination (known slugs: {known})")
        out.append({k: v for k, v in sub.items() if k not in ("action", "item")}
                   | {"actionId": action["id"], "actionSlug": action.get("slug")})
    return out


# -- plan ---------------------------------------------------------------------------------------
def mapping_diff(old: dict | None, new: dict | None) -> list[dict]:
    """Field-level differences between two mappings: `{path, kind: added|removed|changed, old?, new?}`."""
    old, new = old or {}, new or {}
    diffs = []
    for key in list(old) + [k for k in new if k not in old]:
        if key not in new:
            diffs.append({"path": f"settings.{key}", "kind": "removed", "old": old[key]})
        elif key not in old:
            diffs.append({"path": f"settings.{key}", "kind": "added", "new": new[key]})
        elif not _same(old[key], new[key]):
            diffs.append({"path": f"settings.{key}", "kind": "changed", "old": old[key], "new": new[key]})
    return diffs


def _same(a: Any, b: Any) -> bool:
    """JSON equality: 1 equals 1.0 (as in JS), but true is not 1 (Python's bool is an int)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return type(a) is type(b) and a == b if not _is_number(a) or not _is_number(b) else a == b


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _changes(existing: dict, want: dict) -> list[dict]:
    diffs = []
    if not _same(existing.get("trigger"), want["trigger"]):
        diffs.append({"path": "trigger", "kind": "changed", "old": existing.get("trigger"), "new": want["trigger"]})
    if bool(existing.get("enabled")) != want["enabled"]:
        diffs.append({"path": "enabled", "kind": "changed", "old": existing.get("enabled"), "new": want["enabled"]})
    return diffs + mapping_diff(existing.get("settings"), want["settings"])


def compute_plan(destination_id: str, existing: list[dict], desired: list[dict], *, prune: bool = False) -> dict:
    """Compare existing subscriptions with desired ones (both resolved to action ids).

    Identity: a desired subscription matches an existing one with the same `name` and `actionId`. When
    several existing ones share that key, the one already equal to the desired state wins, else the first
    listed; the others are duplicates and are deleted. Matched → `update` (only the changed keys among trigger, enabled,
    settings) or `unchanged`; unmatched desired → `create`; unmatched existing → `delete`. A delete whose
    name is also desired under another action is a replacement (the action of a subscription cannot be
    changed in place) and is applied; any other delete is applied only with `prune`.
    Operations are ordered creates, updates, deletes, so the destination never has fewer subscriptions
    midway than before.
    """
    pool: dict[tuple, list[dict]] = collections.defaultdict(list)
    for sub in existing:
        pool[(sub.get("name"), sub.get("actionId"))].append(sub)
    desired_names = {d["name"] for d in desired}
    desired_keys = {(d["name"], d["actionId"]) for d in desired}
    creates, updates, unchanged = [], [], []
    for want in desired:
        candidates = pool.get((want["name"], want["actionId"])) or []
        if not candidates:
            body = {"name": want["name"], "actionId": want["actionId"], "trigger": want["trigger"],
                    "enabled": want["enabled"], "settings": want["settings"]}
            creates.append(_op("create", want, None, [], body, destination_id))
            continue
        match = next((c for c in candidates if not _changes(c, want)), candidates[0])
        candidates.remove(match)
        diffs = _changes(match, want)
        if not diffs:
            unchanged.append(_op("unchanged", want, match.get("id"), [], None, destination_id))
            continue
        changed_keys = {d["path"].split(".")[0] for d in diffs}
        body = {"input": {k: want[k] for k in UPDATABLE_KEYS if k in changed_keys}}
        updates.append(_op("update", want, match.get("id"), diffs, body, destination_id))
    deletes = []
    for left in pool.values():
        for sub in left:
            op = _op("delete", sub, sub.get("id"), [], None, destination_id)
            if (sub.get("name"), sub.get("actionId")) in desired_keys:
                op["reason"] = "duplicate of a desired subscription (same name and action)"
            elif sub.get("name") in desired_names:
                op["reason"] = "replaced by a subscription with the same name and another action"
            else:
                op["reason"] = "not in the desired subscriptions"
            # Duplicates and replacements would send the same events twice: they go without --prune.
            op["applies"] = prune or sub.get("name") in desired_names
            deletes.append(op)
    operations = creates + updates + deletes + unchanged
    counts = collections.Counter(op["op"] for op in operations)
    return {"destinationId": destination_id, "prune": prune, "operations": operations,
            "counts": {k: counts.get(k, 0) for k in ("create", "update", "delete", "unchanged")}}


def _op(kind: str, sub: dict, sub_id: str | None, diffs: list, body: dict | None, destination_id: str) -> dict:
    base = f"/destinations/{destination_id}/subscriptions"
    request = None
    if kind == "create":
        request = {"method": "POST", "path": base, "body": body}
    elif kind == "update":
        request = {"method": "PATCH", "path": f"{base}/{sub_id}", "body": body}
    elif kind == "delete":
        request = {"method": "DELETE", "path": f"{base}/{sub_id}"}
    op = {"op": kind, "name": sub.get("name"), "actionSlug": sub.get("actionSlug"), "actionId": sub.get("actionId"),
          "id": sub_id, "changes": diffs, "request": request, "applies": kind != "unchanged"}
    if kind == "create":
        op["subscription"] = body
    return op


def plan_for_destination(client: SegmentClient, destination_id: str, desired: list[dict], *,
                         source: str = "<subscriptions>", prune: bool = False) -> tuple[dict, list[dict], list[str]]:
    """Fetch the destination, its actions and subscriptions; return (plan, existing, warnings)."""
    dest = client.get_destination(destination_id)
    meta = dest.get("metadata") or {}
    warnings = []
    if meta.get("id") not in (None, ACTIONS_METADATA_ID) and meta.get("slug") != "actions-amplitude":
        warnings.append(
            f"destination {destination_id} is {meta.get('name') or meta.get('id')}, not Amplitude (Actions)")
    actions = meta.get("actions")
    if not actions and meta.get("id"):
        actions = client.get_destination_metadata(meta["id"]).get("actions")
    if not actions:
        raise ApiError(200, [{"type": "client", "message": f"destination {destination_id} lists no actions"}])
    resolved = resolve_actions(desired, actions, source=source)
    existing = client.list_subscriptions(destination_id)
    return compute_plan(destination_id, existing, resolved, prune=prune), existing, warnings


# -- apply --------------------------------------------------------------------------------------
def default_backup_path(destination_id: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    return f"segment-subscriptions-{destination_id}-{stamp}.json"


def write_backup(path: str, destination_id: str, existing: list[dict]) -> str:
    """Write the existing subscriptions; never overwrite an older backup (it may be the only one)."""
    doc = {"destinationId": destination_id, "takenAt": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "subscriptions": existing}
    candidate, n = path, 1
    while True:
        try:
            fh = open(candidate, "x", encoding="utf-8")
            break
        except FileExistsError:
            n += 1
            root, ext = os.path.splitext(path)
            candidate = f"{root}.{n}{ext or '.json'}"
    with fh:
        json.dump(doc, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    return candidate


def apply_plan(client: SegmentClient, plan: dict, existing: list[dict], *, backup_path: str,
               progress: Callable[[dict], None] | None = None,
               on_backup: Callable[[str], None] | None = None) -> dict:
    """Back up `existing`, then run the plan's applicable operations in order; stop at the first failure.

    Returns `{backup, applied, failed, not_applied, skipped, unchanged}`; `failed` is
    `{"operation", "error", "status"}` or None; `backup` is the file written, or None when there was
    nothing to apply (no write, so nothing to back up). Raises OSError only if the backup cannot be
    written, and then nothing was sent.
    """
    dest = plan["destinationId"]
    todo = [op for op in plan["operations"] if op["op"] != "unchanged" and op["applies"]]
    backup = write_backup(backup_path, dest, existing) if todo else None
    if backup and on_backup:
        on_backup(backup)
    summary = {"backup": backup, "applied": [], "failed": None, "not_applied": [],
               "skipped": [op for op in plan["operations"] if op["op"] != "unchanged" and not op["applies"]],
               "unchanged": [op for op in plan["operations"] if op["op"] == "unchanged"]}
    for i, op in enumerate(todo):
        try:
            if op["op"] == "create":
                created = client.create_subscription(dest, op["request"]["body"],
                                                     reconcile=lambda op=op: _find_created(client, dest, op))
                op = op | {"id": (created or {}).get("id")}
            elif op["op"] == "update":
                client.update_subscription(dest, op["id"], op["request"]["body"]["input"])
            else:
                client.delete_subscription(dest, op["id"])
        except ApiError as exc:
            summary["failed"] = {"operation": op, "error": str(exc), "status": exc.status}
            summary["not_applied"] = todo[i + 1:]
            return summary
        summary["applied"].append(op)
        if progress:
            progress(op)
    return summary


def _find_created(client: SegmentClient, destination_id: str, op: dict) -> dict | None:
    """After an ambiguous POST: the subscription it would have created, if it exists now."""
    want = op["request"]["body"]
    for sub in client.list_subscriptions(destination_id):
        if (sub.get("name"), sub.get("actionId")) == (want["name"], want["actionId"]) and not _changes(sub, want):
            return sub
    return None


# -- text rendering (the CLI prints these lines) -------------------------------------------------
SYMBOLS = {"create": "+", "update": "~", "delete": "-", "unchanged": "="}


def _short(value: Any, limit: int = 100) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plan_lines(plan: dict) -> Iterable[str]:
    c = plan["counts"]
    held = sum(1 for op in plan["operations"] if op["op"] == "delete" and not op["applies"])
    deletes = f"{c['delete']} to delete" + (f" ({held} only with --prune)" if held else "")
    yield (f"Plan for destination {plan['destinationId']}: {c['create']} to create, {c['update']} to update, "
           f"{deletes}, {c['unchanged']} unchanged")
    for op in plan["operations"]:
        label = f"{SYMBOLS[op['op']]} {op['op']:<9} {op['name']!r} ({op['actionSlug'] or op['actionId']})"
        if op["id"]:
            label += f" [id {op['id']}]"
        if op["op"] == "delete":
            label += f": {op['reason']}" + ("" if op["applies"] else " (applied only with --prune)")
        yield label
        if op["op"] == "create":
            sub = op["subscription"]
            yield f"    trigger: {sub['trigger']}"
            yield f"    enabled: {json.dumps(sub['enabled'])}"
            for key, value in sub["settings"].items():
                yield f"    settings.{key}: {_short(value)}"
        for d in op["changes"]:
            old = "(absent)" if "old" not in d else _short(d["old"])
            new = "(absent)" if "new" not in d else _short(d["new"])
            yield f"    {d['path']}: {old} -> {new}"


def summary_lines(summary: dict) -> Iterable[str]:
    if summary["backup"] is None:
        yield "Nothing to apply: no change was made and no backup was needed."
    yield (f"Applied {len(summary['applied'])} change(s); {len(summary['unchanged'])} unchanged; "
           f"{len(summary['skipped'])} skipped (deletes need --prune)")
    failed = summary["failed"]
    if failed:
        op = failed["operation"]
        yield f"FAILED: {op['op']} {op['name']!r} ({op['actionSlug']}): {failed['error']}"
        yield f"Not applied ({len(summary['not_applied'])}):"
        for op in summary["not_applied"]:
            yield f"  {SYMBOLS[op['op']]} {op['op']} {op['name']!r} ({op['actionSlug']})"
        yield "Nothing is lost: fix the cause and run the same command again (it only does what is left), " \
              "or restore with --subscriptions BACKUP --prune."
