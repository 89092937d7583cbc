"""Terraform output with the existing subscription ids read through the Public API (`--existing segment:ID`)."""

from pathlib import Path

from click.testing import CliRunner

from segment_support import TOKEN
from migrate import terraform as tf
from migrate.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEST = "dst_actions_0001"


def test_replaced_subscriptions_get_import_blocks_with_the_ids_from_the_api(server, tmp_path):
    out = tmp_path / "subs.tf"
    env = {"SEGMENT_TOKEN": TOKEN, "SEGMENT_API_URL": server.url}
    result = CliRunner().invoke(main, ["translate", str(EXAMPLES / "classic-settings.json"), "--format",
                                       "terraform", "--existing", f"segment:{DEST}", "-o", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output and TOKEN not in out.read_text(encoding="utf-8")
    blocks = tf.parse_file(out)
    imports = {b.attributes["to"].text: b.attributes["id"] for b in blocks if b.kind == "import"}
    assert imports == {"segment_destination_subscription.track_calls": f"{DEST}:sub_track",
                       "segment_destination_subscription.identify_calls": f"{DEST}:sub_identify"}
    # the destination of the existing subscriptions is the one written
    subs = [b for b in blocks if b.kind == "resource"]
    assert {b.attributes["destination_id"] for b in subs} == {DEST}
    assert "replaces existing subscription 'Track Calls' (id sub_track" in result.output


def test_without_a_token_the_error_says_so(server, tmp_path):
    result = CliRunner().invoke(main, ["translate", str(EXAMPLES / "classic-settings.json"), "--format",
                                       "terraform", "--existing", f"segment:{DEST}"],
                                env={"SEGMENT_TOKEN": "", "SEGMENT_API_URL": server.url})
    assert result.exit_code == 2
    assert "SEGMENT_TOKEN is not set" in result.output
