"""Write examples/amplitude-export.zip: a hand-made Amplitude Export API archive for examples/events.jsonl.

    python examples/make_amplitude_export.py     # rewrites examples/amplitude-export.zip next to this file

It plays "what the team's Amplitude project holds" for the example day, as if Classic (cloud mode) had
named pages "Loaded <category> <name> Page", sent the OS name (not the browser name) as os_name for web
events, and sent no country from the locale (Amplitude looked the ip up). Rows are shaped like a real
export: gzipped JSON Lines per hour inside a folder named after the project id, Amplitude's own fields
(uuid, amplitude_id, server times...), export field names (version_name, ip_address, device_carrier,
revenue as "$revenue" in event_properties), user_properties as the user's merged state, $identify rows
for identify calls. A few events are missing (Amplitude never got them) and a few rows come from another
source, so the join has something to leave out.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import sys
import uuid
import zipfile
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

PROJECT_ID = "187520"
TRUTH = {"page_naming": "loaded", "user_agent": "os", "country": "ip"}
# A stand-in for Amplitude's ip lookup: the documentation ranges the example events use.
GEO = {"198.51.100.": "United States", "203.0.113.": "France", "192.0.2.": "United Kingdom"}
SEGMENT_SERVER_IP = "34.231.12.8"  # the address Amplitude sees when the sender gives no ip
RENAMED = {"app_version": "version_name", "carrier": "device_carrier", "ip": "ip_address"}
REVENUE = {"revenue": "$revenue", "price": "$price", "quantity": "$quantity", "productId": "$productId",
           "revenueType": "$revenueType"}


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def _state(states: dict, key: str, changes: dict) -> dict:
    state = states.setdefault(key, {})
    for op, values in (changes or {}).items():
        if not isinstance(values, dict):
            continue
        for k, v in values.items():
            if op == "$set":
                state[k] = v
            elif op == "$setOnce":
                state.setdefault(k, v)
            elif op == "$add" and isinstance(v, (int, float)) and isinstance(state.get(k, 0), (int, float)):
                state[k] = state.get(k, 0) + v
            elif op == "$unset":
                state.pop(k, None)
            else:
                state[k] = v
    return dict(state)


def export_rows(events, settings, *, truth=TRUTH, drop_every: int = 41, seed: int = 7) -> list[dict]:
    """The export rows Amplitude would hold for `events` sent by Classic with the `truth` options."""
    import classic
    from classic.facade import time_ms
    from migrate.canonical import records_from_requests

    rng = random.Random(seed)
    emulator = classic.Emulator(settings, mode="cloud", options=truth)
    states: dict = {}
    rows = []
    for n, event in enumerate(events):
        if drop_every and n % drop_every == drop_every - 1:
            continue  # never reached Amplitude
        out = emulator.send(event)
        records = out["records"] if out.get("records") is not None else records_from_requests(out["requests"])
        for rec in records:
            if rec.get("kind") not in ("event", "identify") or rec.get("rejected"):
                continue
            row = {"event_type": rec.get("event_type") if rec["kind"] == "event" else "$identify"}
            for key, value in rec.items():
                if key in ("kind", "time", "user_properties", "event_type", "insert_id"):
                    continue
                if key not in REVENUE:
                    row[RENAMED.get(key, key)] = value
            for key, name in REVENUE.items():  # the export shows revenue fields as $-properties
                if key in rec:
                    row.setdefault("event_properties", {})[name] = rec[key]
            ip = rec.get("ip") if isinstance(rec.get("ip"), str) and rec.get("ip") else SEGMENT_SERVER_IP
            row["ip_address"] = ip
            if "country" not in rec:
                row["country"] = next((c for prefix, c in GEO.items() if ip.startswith(prefix)), "United States")
            who = str(rec.get("user_id") or rec.get("device_id"))
            row["user_properties"] = _state(states, who, rec.get("user_properties"))
            row.setdefault("event_properties", {})
            row.setdefault("groups", {})
            ms = rec.get("time") or time_ms(event.get("timestamp"))
            if ms is None:
                continue  # Amplitude would stamp it with the upload time: nothing to join on
            row["client_event_time"] = row["event_time"] = _when(ms)
            upload = ms + rng.randint(200, 4000)
            row.update({
                "uuid": str(uuid.UUID(int=rng.getrandbits(128))), "amplitude_id": 10_000_000 + zlib.crc32(who.encode()) % 100_000,
                "event_id": len(rows) + 1, "app": int(PROJECT_ID), "$schema": 12, "$insert_id": None,
                "session_id": row.get("session_id", -1), "server_received_time": _when(upload),
                "server_upload_time": _when(upload), "client_upload_time": _when(upload),
                "processed_time": _when(upload + 900), "amplitude_event_type": None, "sample_rate": None,
                "is_attribution_event": False, "data": {"path": "/httpapi"}, "device_type": None,
            })
            rows.append(row)
    # rows of another source the Segment events do not cover
    base = rows[0]["event_time"] if rows else "2024-06-12 07:00:00.000000"
    start = datetime.strptime(base, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
    for i in range(3):
        t = start + timedelta(minutes=37 * (i + 1))
        rows.append({"event_type": "Email Opened", "user_id": f"crm-contact-{i:04d}", "device_id": None,
                     "event_time": t.strftime("%Y-%m-%d %H:%M:%S.%f"), "event_properties": {"campaign": "june"},
                     "user_properties": {}, "groups": {}, "library": "http/2.0", "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
                     "$insert_id": f"crm-{i}", "session_id": -1})
    return rows


def write_zip(rows: list[dict], path: Path) -> None:
    by_hour: dict[str, list[dict]] = {}
    for row in rows:
        hour = datetime.strptime(row["event_time"], "%Y-%m-%d %H:%M:%S.%f")
        by_hour.setdefault(f"{hour:%Y-%m-%d}_{hour.hour}", []).append(row)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for hour, items in sorted(by_hour.items()):
            text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in items)
            buf = io.BytesIO()
            with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
                gz.write(text.encode("utf-8"))
            info = zipfile.ZipInfo(f"{PROJECT_ID}/{PROJECT_ID}_{hour}#0.json.gz", date_time=(2024, 6, 13, 0, 0, 0))
            archive.writestr(info, buf.getvalue())


def main() -> None:
    import classic

    events = [json.loads(line) for line in (HERE / "events.jsonl").read_text(encoding="utf-8").splitlines() if line]
    doc = json.loads((HERE / "classic-settings.json").read_text(encoding="utf-8"))
    settings, _ = classic.load_settings(doc)
    rows = export_rows(events, settings)
    write_zip(rows, HERE / "amplitude-export.zip")
    print(f"wrote {len(rows)} rows to {HERE / 'amplitude-export.zip'}")


if __name__ == "__main__":
    main()
