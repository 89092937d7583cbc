"""Emulator of the Segment "Amplitude (Classic)" destination: what Amplitude received for each event.

Modes: ``cloud`` (Segment's servers, HTTP API v1 requests), ``web`` (analytics.js integration driving the
Amplitude JS SDK), ``ios`` and ``android`` (the mobile integrations driving the Amplitude SDKs).

    settings, warnings = load_settings(obj, source="classic.json")
    emu = Emulator(settings, mode="cloud", options={"page_naming": "code2017"})
    out = emu.send(event)   # {"requests": [...], "records": [...] | None, "note": str | None, ...}

Every mode returns the wire requests and ``records`` None (the records Amplitude makes of them are derived
with ``migrate.canonical.records_from_requests``, the one normaliser): cloud mode the HTTP API requests,
device modes the Amplitude SDK's upload (``classic.sdk``), plus ``calls``, the SDK calls the integration
made.

Alias is the exception, as documented: with Enable Alias on, Segment forwards client-side and server-side
alias calls and processes all of them on its servers, so in every mode an alias becomes the cloud
``/usermap`` request (``records`` None, ``calls`` []), whatever the SDK integrations do with alias.
"""
from __future__ import annotations

from typing import Any

from .options import DEFAULTS, OPTIONS, OptionError, check_options
from .sdk import MOBILE_UPLOAD_URL, SDK_DEVICE_ID, WEB_UPLOAD_URL, decoded_upload, upload_request
from .settings import SETTINGS, ClassicSettings, SettingsError, load_settings, resolve

__all__ = ["load_settings", "Emulator", "SettingsError", "OptionError", "MODES", "OPTIONS", "DEFAULTS",
           "SETTINGS", "SDK_DEVICE_ID"]

MODES = ("cloud", "web", "ios", "android")
# Device modes: the SDK generates its own device id (SDK_DEVICE_ID marks it), which server-side data cannot know.


class Emulator:
    """Settings compiled once; ``send`` is called per event.

    ``upload_records``: None (the default), or a function making the record of one SDK event
    (``migrate.canonical.sdk_record``). Set, a device-mode upload comes back as its ``records``, the function
    applied to each event of the upload as read back from the upload's JSON body (`sdk.decoded_upload`), with
    no ``requests``: what ``migrate.canonical.records_from_requests`` makes of the request, without writing the
    body and reading it back (`compare` needs the records only). Where `decoded_upload` cannot promise the same
    values, the request is built as without it."""

    upload_records = None

    def __init__(self, settings: Any, mode: str = "cloud", options: dict | None = None):
        if mode not in MODES:
            raise SettingsError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if not isinstance(settings, ClassicSettings):
            settings, _ = load_settings(settings)
        try:
            self.options = check_options(options)
        except OptionError as exc:
            raise SettingsError(str(exc)) from None
        self.mode = mode
        self.settings = resolve(settings, mode, self.options["defaults"])
        from .cloud import compile_cloud, send_cloud

        if mode == "cloud":
            self._cfg = compile_cloud(self.settings, self.options)
            self._send = send_cloud
        else:
            # alias calls of every source are processed server-side (documented): the cloud path sends them
            self._server_cfg = compile_cloud(resolve(settings, "cloud", self.options["defaults"]), self.options)
            from importlib import import_module

            module = import_module(f"classic.{mode}")
            self._cfg = module.compile_device(self.settings, self.options)
            self._send = module.send_device

    def _upload_url(self, event: dict) -> str:
        if self.mode != "web":
            return MOBILE_UPLOAD_URL
        # the JS SDK uploads over https with forceHttps on, else with the page's own protocol
        page = event.get("context", {}).get("page") if isinstance(event.get("context"), dict) else None
        url = page.get("url") if isinstance(page, dict) else None
        if not self._cfg["init"].get("forceHttps") and isinstance(url, str) and url.lower().startswith("http:"):
            return "http" + WEB_UPLOAD_URL[len("https"):]
        return WEB_UPLOAD_URL

    def sdk_config(self) -> dict:
        """What the integration configures the SDK with at start-up (device modes; cloud: the endpoints)."""
        if self.mode == "cloud":
            return {k: v for k, v in self._cfg.items() if k in ("httpapi", "identify", "groupidentify",
                                                                 "usermap", "batch")}
        return dict(self._cfg["init"])

    def send(self, event: Any) -> dict:
        if not isinstance(event, dict):
            return {"requests": [], "records": [], "skipped": f"event is a {type(event).__name__}, not an object"}
        kind = event.get("type")
        if not isinstance(kind, str) or not kind:
            return {"requests": [], "records": [], "skipped": "event has no 'type'"}
        try:
            if self.mode == "cloud":
                requests, note = self._send(event, self._cfg)
                return {"requests": requests, "records": None, "note": note}
            if kind == "alias":
                from .cloud import send_cloud

                requests, note = send_cloud(event, self._server_cfg)
                return {"requests": requests, "records": None, "calls": [], "note": note}
            calls, events, note = self._send(event, self._cfg)
            if not events:
                if note is None:
                    note = "the SDK records nothing for this call (empty traits or properties)"
                return {"requests": [], "records": None, "calls": calls, "note": note}
            decoded = decoded_upload(events) if self.upload_records is not None else None
            if decoded is None:
                return {"requests": [upload_request(events, self._cfg["init"].get("apiKey"), self._upload_url(event))],
                        "records": None, "calls": calls, "note": note}
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            # malformed field shapes (e.g. a string where an object belongs): skip, never crash the stream
            return {"requests": [], "records": [], "skipped": f"cannot emulate this {kind} event: {exc}"}
        # outside the `try`, as the records of a request are made outside `send`
        record = self.upload_records
        return {"requests": [], "records": [record(e) for e in decoded if isinstance(e, dict)], "calls": calls,
                "note": note}
