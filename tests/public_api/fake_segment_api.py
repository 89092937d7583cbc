"""A fake Segment Public API on 127.0.0.1 for tests, with fault injection.

It follows the documented endpoints and shapes: Bearer auth, `{"data": ...}` / `{"errors": [...]}`
envelopes, Alpha media type on subscription endpoints, flat create body, wrapped `{"input": ...}`
update body, 422 for validation failures, cursor pagination (`pagination.count`, `pagination.cursor`;
`pagination.next` absent on the last page).
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from local_server import LocalServer

MEDIA_ALPHA = "application/vnd.segment.v1alpha+json"
CREATE_KEYS = {"name", "actionId", "trigger", "enabled", "settings", "modelId"}
UPDATE_KEYS = {"name", "trigger", "enabled", "settings", "reverseETLModelId", "reverseETLSchedule"}


class FakeSegmentApi(LocalServer):
    def __init__(self, token: str = "sgp_test_TOKEN_0123456789", *, clock=None, max_page_size: int | None = None):
        self.token = token
        self.clock = clock or time.monotonic
        self.max_page_size = max_page_size
        self.destinations: dict[str, dict] = {}
        self.catalog: dict[str, dict] = {}
        self.subscriptions: dict[str, list[dict]] = {}
        self.faults: list[dict] = []
        self.log: list[dict] = []
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        self._stop = threading.Event()
        LocalServer.__init__(self, self._handler())

    def stop(self) -> None:
        self._stop.set()
        LocalServer.stop(self)

    # -- test set-up ----------------------------------------------------------------------------
    def add_destination(self, dest: dict, subscriptions: list[dict] | None = None) -> None:
        self.destinations[dest["id"]] = dest
        self.subscriptions[dest["id"]] = [self._stored(dest["id"], s) for s in subscriptions or []]

    def add_fault(self, method: str, path: str, *, status: int | None = None, headers: dict | None = None,
                  errors: list | None = None, body: str | None = None, delay: float | None = None,
                  commit: bool = False, times: int = 1) -> None:
        """Answer the next `times` matching requests with `status` (after `delay` seconds).

        `path` is a regex matched against the whole path. `commit=True` performs the request first and
        then answers with the fault (the server acted but the client sees a failure).
        """
        self.faults.append({"method": method, "path": re.compile(path), "status": status, "headers": headers or {},
                            "errors": errors, "body": body, "delay": delay, "commit": commit, "times": times})

    def state(self, destination_id: str) -> list[dict]:
        with self.lock:
            return copy.deepcopy(self.subscriptions[destination_id])

    @property
    def writes(self) -> list[dict]:
        return [r for r in self.log if r["method"] in ("POST", "PATCH", "DELETE")]

    # -- behaviour ------------------------------------------------------------------------------
    def _stored(self, destination_id: str, sub: dict) -> dict:
        actions = self.destinations[destination_id]["metadata"].get("actions", [])
        slug = next((a["slug"] for a in actions if a["id"] == sub["actionId"]), None)
        return {"id": sub.get("id") or f"sub{next(self._ids):04d}", "name": sub["name"], "actionId": sub["actionId"],
                "actionSlug": slug, "destinationId": destination_id, "enabled": sub["enabled"],
                "settings": sub.get("settings") or {}, "trigger": sub["trigger"]}

    def _take_fault(self, method: str, path: str) -> dict | None:
        with self.lock:
            for fault in self.faults:
                if fault["times"] > 0 and fault["method"] == method and fault["path"].fullmatch(path):
                    fault["times"] -= 1
                    return fault
        return None

    def handle(self, method: str, path: str, query: dict, headers: dict, raw: bytes) -> tuple[int, dict, dict]:
        auth = headers.get("authorization", "")
        if auth != f"Bearer {self.token}":
            return 401, {}, {"errors": [{"type": "unauthorized", "message": "Unauthorized"}]}
        accept = headers.get("accept", "")
        if not accept.startswith("application/vnd.segment.v1"):
            return 406, {}, {"errors": [{"type": "not-acceptable", "message": f"unsupported Accept {accept!r}"}]}
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return 400, {}, {"errors": [{"type": "bad-request", "message": "body is not JSON"}]}
        parts = path.strip("/").split("/")
        if parts[:1] == ["catalog"] and len(parts) == 3 and method == "GET":
            meta = self.catalog.get(parts[2])
            if meta is None:
                return 404, {}, _err("not-found", "destination metadata not found")
            return 200, {}, {"data": {"destinationMetadata": meta}}
        if parts[:1] != ["destinations"] or len(parts) < 2:
            return 404, {}, _err("not-found", "no such endpoint")
        dest = self.destinations.get(parts[1])
        if dest is None:
            return 404, {}, _err("not-found", f"destination {parts[1]} not found")
        if len(parts) == 2 and method == "GET":
            return 200, {}, {"data": {"destination": dest}}
        if len(parts) < 3 or parts[2] != "subscriptions":
            return 404, {}, _err("not-found", "no such endpoint")
        # Subscriptions are Alpha: the Alpha media type must be asked for and sent.
        if MEDIA_ALPHA not in accept:
            return 406, {}, _err("not-acceptable", "subscriptions need " + MEDIA_ALPHA)
        if body is not None and headers.get("content-type", "") != MEDIA_ALPHA:
            return 415, {}, _err("unsupported-media-type", "send " + MEDIA_ALPHA)
        with self.lock:
            subs = self.subscriptions[dest["id"]]
            if len(parts) == 3 and method == "GET":
                return self._list(subs, query)
            if len(parts) == 3 and method == "POST":
                return self._create(dest, subs, body)
            if len(parts) != 4:
                return 404, {}, _err("not-found", "no such endpoint")
            sub = next((s for s in subs if s["id"] == parts[3]), None)
            if sub is None:
                return 404, {}, _err("not-found", f"subscription {parts[3]} not found")
            if method == "GET":
                return 200, {}, {"data": {"subscription": sub}}
            if method == "PATCH":
                return self._update(sub, body)
            if method == "DELETE":
                subs.remove(sub)
                return 200, {}, {"data": {"status": "SUCCESS"}}
        return 405, {}, _err("method-not-allowed", method)

    def _list(self, subs, query):
        try:
            count = int(query.get("pagination.count", ["200"])[0])
            offset = int(base64.b64decode(query["pagination.cursor"][0]).decode()) if "pagination.cursor" in query \
                else 0
        except (ValueError, KeyError):
            return 422, {}, _err("validation", "bad pagination", field="pagination")
        if not 1 <= count <= 1000:
            return 422, {}, _err("validation", "pagination.count must be 1-1000", field="pagination.count")
        size = min(count, self.max_page_size or count)
        page = subs[offset:offset + size]
        pagination = {"current": _cursor(offset), "totalEntries": len(subs)}
        if offset + size < len(subs):
            pagination["next"] = _cursor(offset + size)
        if offset:
            pagination["previous"] = _cursor(max(0, offset - size))
        return 200, {}, {"data": {"subscriptions": copy.deepcopy(page), "pagination": pagination}}

    def _create(self, dest, subs, body):
        if not isinstance(body, dict):
            return 422, {}, _err("validation", "body must be an object")
        extra = set(body) - CREATE_KEYS
        if extra:
            return 422, {}, _err("validation", f"unknown keys {sorted(extra)}", field=sorted(extra)[0])
        for key, kind in (("name", str), ("actionId", str), ("trigger", str), ("enabled", bool)):
            if not isinstance(body.get(key), kind):
                return 422, {}, _err("validation", f"{key} is required", field=key)
        if body["actionId"] not in {a["id"] for a in dest["metadata"].get("actions", [])}:
            return 422, {}, _err("validation", "unknown actionId", field="actionId")
        sub = self._stored(dest["id"], body)
        subs.append(sub)
        return 200, {}, {"data": {"destinationSubscription": copy.deepcopy(sub)}}

    def _update(self, sub, body):
        if not isinstance(body, dict) or set(body) != {"input"} or not isinstance(body["input"], dict):
            return 422, {}, _err("validation", "body must be {\"input\": {...}}", field="input")
        extra = set(body["input"]) - UPDATE_KEYS
        if extra:
            return 422, {}, _err("validation", f"unknown keys {sorted(extra)}", field=sorted(extra)[0])
        sub.update(body["input"])
        return 200, {}, {"data": {"subscription": copy.deepcopy(sub)}}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _serve(self):
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                entry = {"method": self.command, "path": split.path, "query": parse_qs(split.query),
                         "headers": headers, "body": json.loads(raw) if raw else None, "t": fake.clock()}
                with fake.lock:
                    fake.log.append(entry)
                fault = fake._take_fault(self.command, split.path)
                acted = False
                if fault and fault["commit"]:  # act first, then answer late or wrongly
                    status, extra_headers, payload = fake.handle(self.command, split.path, entry["query"], headers, raw)
                    acted = True
                if fault and fault["delay"]:
                    fake._stop.wait(fault["delay"])
                if not acted and (fault is None or fault["status"] is None):
                    status, extra_headers, payload = fake.handle(self.command, split.path, entry["query"], headers, raw)
                if fault is not None and fault["status"] is not None:
                    status, extra_headers = fault["status"], fault["headers"]
                    payload = fault["body"] if fault["body"] is not None else {
                        "errors": fault["errors"] or [{"type": "injected", "message": f"injected {fault['status']}"}]}
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", MEDIA_ALPHA if "/subscriptions" in split.path
                                     else "application/vnd.segment.v1+json")
                    for k, v in extra_headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

        return Handler


def _cursor(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode()


def _err(kind: str, message: str, field: str | None = None) -> dict:
    err = {"type": kind, "message": message}
    if field:
        err["field"] = field
    return {"errors": [err]}
