"""Write examples/gitsync/: a small Segment Git-sync repository as Segment's Git sync lays one out.

    python examples/make_gitsync.py            # rewrites examples/gitsync/ next to this file

One classic Amplitude destination (the settings of examples/classic-settings.json, keys masked as Segment
masks them), one Amplitude (Actions) destination and its five preset subscriptions as a workspace that
connected Actions with the defaults has them: one file per resource, each with its `import` block, settings
as JSON strings, literal ids. The action ids are the ones one real workspace's export shows; the toolkit
never relies on them (it reads the action from the settings, and writes lookups by slug).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).with_name("gitsync")
HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

CLASSIC_ID = "64acf4667eac8c9dfe9d2b69"
ACTIONS_ID = "63dc1141d2f05944a19d6f9e"
SOURCE_ID = "qW3xR8tY2uI9oP1aS4dF"
# subscription ids and action ids as a Git-sync export shows them (opaque strings)
PRESET_IDS = {
    "Track Calls": ("aH2kLm9QpXr4TsV7wYz3Bc", "uhprCN3Pc9fjb89v4xDrfP"),
    "Order Completed Calls": ("bJ5nPq8RsTu2VwX6yZa4Cd", "cRSyn3B292uKfxrpKwHRDY"),
    "Page Calls": ("cK7oQr3StUv5WxY8zAb6De", "uhprCN3Pc9fjb89v4xDrfP"),
    "Screen Calls": ("dL9pRs4TuVw6XyZ2aBc8Ef", "uhprCN3Pc9fjb89v4xDrfP"),
    "Identify Calls": ("eM3qSt5UvWx7YzA9bCd2Fg", "9STyJcVfDee2NowS4DGdmW"),
}


def q(value: str) -> str:
    from migrate.terraform import hcl_string

    return hcl_string(value)


def compact(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def destination(dest_id: str, name: str, metadata_id: str, settings: dict, enabled: bool) -> str:
    return (
        "import {\n"
        f"  to = segment_destination.id-{dest_id}\n"
        f"  id = {q(dest_id)}\n"
        "}\n\n"
        f'resource "segment_destination" "id-{dest_id}" {{\n'
        f"  enabled = {str(enabled).lower()}\n"
        "  metadata = {\n"
        f"    id = {q(metadata_id)}\n"
        "  }\n"
        f"  name      = {q(name)}\n"
        f"  settings  = {q(compact(settings))}\n"
        f"  source_id = {q(SOURCE_ID)}\n"
        "}\n"
    )


def subscription(sub_id: str, action_id: str, sub: dict) -> str:
    address = f"id-{ACTIONS_ID}_{sub_id}"
    return (
        "import {\n"
        f"  to = segment_destination_subscription.{address}\n"
        f"  id = {q(f'{ACTIONS_ID}:{sub_id}')}\n"
        "}\n\n"
        f'resource "segment_destination_subscription" "{address}" {{\n'
        f"  action_id      = {q(action_id)}\n"
        f"  destination_id = {q(ACTIONS_ID)}\n"
        "  enabled        = true\n"
        "  model_id       = null\n"
        f"  name           = {q(sub['name'])}\n"
        f"  settings       = {q(compact(sub['mapping']))}\n"
        f"  trigger        = {q(sub['subscribe'])}\n"
        "}\n"
    )


def main() -> None:
    import actions

    classic = json.loads((HERE / "classic-settings.json").read_text(encoding="utf-8"))["data"]["destination"]
    (ROOT / "destinations").mkdir(parents=True, exist_ok=True)
    (ROOT / "destination_subscriptions").mkdir(parents=True, exist_ok=True)
    (ROOT / "destinations" / f"{CLASSIC_ID}.tf").write_text(destination(
        CLASSIC_ID, classic["name"], classic["metadata"]["id"], classic["settings"], True), encoding="utf-8")
    (ROOT / "destinations" / f"{ACTIONS_ID}.tf").write_text(destination(
        ACTIONS_ID, "Amplitude (Actions)", "5f7dd6d21ad74f3842b1fc47",
        {"apiKey": "••••••••••7d35", "endpoint": "north_america", "secretKey": "••••••••••1c1f"}, False),
        encoding="utf-8")
    for preset in actions.preset_subscriptions():
        sub_id, action_id = PRESET_IDS[preset["name"]]
        path = ROOT / "destination_subscriptions" / f"{ACTIONS_ID}_{sub_id}.tf"
        path.write_text(subscription(sub_id, action_id, preset), encoding="utf-8")


if __name__ == "__main__":
    main()
