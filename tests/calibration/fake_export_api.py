"""A stand-in for Amplitude's Export API on 127.0.0.1: basic auth, `GET /api/2/export?start=&end=`, a zip
body, and scripted failures (400 too large, 404 no data, 504 timeout, 429 with Retry-After)."""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from local_server import LocalServer

API_KEY = "test-api-key-0123"
SECRET_KEY = "test-secret-key-4567"


class FakeExportApi(LocalServer):
    def __init__(self, body: bytes, *, api_key: str = API_KEY, secret_key: str = SECRET_KEY):
        self.body = body
        self.expected = "Basic " + base64.b64encode(f"{api_key}:{secret_key}".encode()).decode()
        self.script: list[tuple[int, dict]] = []  # answers to give before the normal one
        self.log: list[dict] = []
        self.lock = threading.Lock()
        LocalServer.__init__(self, self._handler())

    def fail(self, status: int, times: int = 1, headers: dict | None = None) -> None:
        self.script.extend([(status, headers or {})] * times)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                with fake.lock:
                    fake.log.append({"path": parts.path, "query": query,
                                     "authorization": self.headers.get("Authorization")})
                    scripted = fake.script.pop(0) if fake.script else None
                if parts.path != "/api/2/export":
                    return self._send(404, b"not found", "text/plain")
                if self.headers.get("Authorization") != fake.expected:
                    return self._send(401, b"Invalid API key", "text/plain")
                if scripted is not None:
                    status, headers = scripted
                    return self._send(status, f"error {status}".encode(), "text/plain", headers)
                if "start" not in query or "end" not in query:
                    return self._send(400, b"missing start or end", "text/plain")
                return self._send(200, fake.body, "application/zip")

        return Handler
