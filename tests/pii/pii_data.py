"""The personal data in data/events.jsonl, and how to look for it in an output."""

import html
import json
from pathlib import Path
from urllib.parse import quote, quote_plus

import reports

DATA = Path(__file__).parent / "data"
SETTINGS = DATA / "classic-settings.json"
EVENTS = DATA / "events.jsonl"

# Every personal value in data/events.jsonl, by kind (where it sits in the events in the comment).
PERSONAL = {
    "user id": ["uid-7Q4XK2M9", "uid-H4NS-2201", "uid7"],  # userId (uid7: a short id, detected as such)
    "anonymous id": ["anon-4b1f9e2c-77aa", "anon-c0ffee-9d8e"],
    "previous id": ["prev-anon-31337-beef"],
    "group id": ["grp-AcmeOutdoor-5521"],
    "device id": ["D3V1CE-5F2A-4C1B-9E77-A1B2C3D4E5F6"],  # context.device.id
    "advertising id": ["AD1D-7E3F-4A2B-8C9D-0E1F2A3B4C5D"],  # context.device.advertisingId
    "email": ["zoe.quartermain@example.org", "hans.vogelsang@example.de",
              "pat.okonkwo@example.com"],  # traits, context.traits, properties, products[].gift_recipient_email
    "phone": ["+44 20 7946 0958", "+49 30 901820", "+1 415 555 0199"],
    "name": ["Zoë Quartermain", "Zoë", "Quartermain", "Hans", "Vogelsang", "zquartermain", "Zoë's iPhone"],
    "birthday": ["1987-03-14"],
    "address": ["17 Larkspur Crescent", "EC1V 9HX", "Kastanienallee 12", "10435"],
    "ip": ["203.0.113.77", "198.51.100.23"],
    "location": ["51.5321337", "-0.1054329", "52.5388121", "13.4103497"],  # context.location
    "--pii-key loyalty_number": ["LOY-99887766"],
}
RAW = [v for values in PERSONAL.values() for v in values]


def spellings(value: str) -> set[str]:
    """How a value can appear in the outputs: as is, escaped for HTML, Markdown or JSON, URL-encoded."""
    md = reports.md_escape(value)
    return {value, html.escape(value), md, html.escape(md), json.dumps(value)[1:-1],
            json.dumps(value, ensure_ascii=False)[1:-1], quote(value, safe=""), quote_plus(value)}


def leaks(text: str) -> list[str]:
    return [v for v in RAW if any(s in text for s in spellings(v))]
