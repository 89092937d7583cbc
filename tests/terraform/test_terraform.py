"""Terraform in and out: Segment's provider resources and Git-sync folders.

Round trips (subscriptions -> HCL -> parsed back) on the translated and recommended sets of the bundled
example, the generated HCL against the provider's schema and a real HCL2 parser (python-hcl2, and the
terraform binary where installed), Git-sync reading and in-place writing, errors with file and line, secrets.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest
from click.testing import CliRunner

from migrate import terraform as tf
from migrate.cli import main
from migrate.compare import compare
from migrate.config import load_json_file
from migrate.errors import BadInput
from migrate.translate import translate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GITSYNC = EXAMPLES / "gitsync"
CLASSIC_ID = "64acf4667eac8c9dfe9d2b69"
ACTIONS_ID = "63dc1141d2f05944a19d6f9e"
CLASSIC_TF = GITSYNC / "destinations" / f"{CLASSIC_ID}.tf"

# segmentio/terraform-provider-segment, resource segment_destination_subscription (stated here on purpose,
# independently of migrate.terraform): required and optional arguments; id and action_slug are read-only.
REQUIRED = {"action_id", "destination_id", "enabled", "name", "settings", "trigger"}
OPTIONAL = {"model_id"}
TERRAFORM = shutil.which("terraform")


@pytest.fixture(scope="module")
def translated():
    return translate(load_json_file(str(EXAMPLES / "classic-settings.json"), "settings")).subscriptions


@pytest.fixture(scope="module")
def recommended():
    doc = load_json_file(str(EXAMPLES / "classic-settings.json"), "settings")
    model = compare(doc, [str(EXAMPLES / "events.jsonl")])
    subs = model["subscriptions"]["recommended"]
    assert subs != model["subscriptions"]["translated"], "the example should produce recommendations"
    return subs


def _same(original: list[dict], back: list[dict]) -> None:
    assert [s["name"] for s in back] == [s["name"] for s in original]
    for want, got in zip(original, back):
        assert got["actionSlug"] == want["partnerAction"], want["name"]
        assert got["trigger"] == want["subscribe"], want["name"]
        assert got["settings"] == want["mapping"], want["name"]
        assert got["enabled"] is want.get("enabled", True)


def _write(tmp_path, subs, **kwargs) -> Path:
    text, _ = tf.render_subscriptions(subs, **kwargs)
    path = tmp_path / "amplitude.tf"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("which", ["translated", "recommended"])
@pytest.mark.parametrize("destination_id", [None, ACTIONS_ID])
def test_round_trip_of_the_bundled_example(which, destination_id, request, tmp_path):
    subs = request.getfixturevalue(which)
    path = _write(tmp_path, subs, destination_id=destination_id)
    back = tf.load_subscriptions_document(str(path))
    _same(subs, back)
    if destination_id:
        assert {s["destinationId"] for s in back} == {destination_id}


@pytest.mark.parametrize("which", ["translated", "recommended"])
def test_generated_hcl_parses_and_uses_only_schema_attributes(which, request, tmp_path):
    subs = request.getfixturevalue(which)
    text, _ = tf.render_subscriptions(subs)
    doc = hcl2.loads(text)  # python-hcl2's own reading, independent of our evaluator
    resources = [(kind, body) for block in doc["resource"] for kind, named in block.items() for body in named.values()]
    assert len(resources) == len(subs)
    for kind, body in resources:
        assert kind.strip('"') == "segment_destination_subscription"
        attrs = {k for k in body if not k.startswith("__")}
        assert REQUIRED <= attrs <= REQUIRED | OPTIONAL, attrs
        assert body["settings"].startswith("${jsonencode(")
        assert "segment_destination_metadata.amplitude_actions" not in body["action_id"]  # via the local
        assert body["action_id"].startswith("${local.amplitude_action_ids[")
    data = [body for block in doc["data"] for named in block.values() for body in named.values()]
    assert [set(k for k in d if not k.startswith("__")) for d in data] == [{"id"}]
    # no action id is written literally: only the slug lookups and the catalog id of the destination
    for sub in subs:
        assert f'local.amplitude_action_ids["{sub["partnerAction"]}"]' in text


def test_settings_are_readable_one_key_per_line_in_a_stable_order(translated):
    text, _ = tf.render_subscriptions(translated)
    again, _ = tf.render_subscriptions(json.loads(json.dumps(translated)))
    assert text == again
    track = text.split('resource "segment_destination_subscription" "track_calls"')[1].split("\n}\n")[0]
    keys = [line.split("=")[0].strip().strip('"') for line in track.splitlines() if line.startswith('    "')]
    assert keys == sorted(translated[0]["mapping"])
    assert '"event_type" = { "@path" = "$.event" }' in track


AWKWARD = [{
    "name": "Awkward \"quotes\" ${not} %{a} \\ back",
    "partnerAction": "logEventV2",
    "subscribe": 'type = "track" and event = "A \\"b\\" ${c}"',
    "mapping": {
        "event_type": {"@template": "Viewed {{name}} ${x} $${y} %{if} %%{z} ${a\"b\\c} %{d\ne}"},
        "event_properties": {"multi\nline": "tab\there", "unicode": "é 漢字 😀", "ctrl": "\u0001\u007f"},
        "numbers": [0, -1, 1.5, -2.25, 1e-7, 12345678901234567890, 1.0],
        "empty": {}, "empty_list": [], "nothing": None, "flags": [True, False],
        "nested": [{"a": [{"b": {"c": "d"}}]}, "x"],
        "key with spaces and = signs": "v",
    },
    "enabled": False,
}]


def test_round_trip_of_awkward_values(tmp_path):
    path = _write(tmp_path, AWKWARD, destination_id=ACTIONS_ID)
    _same(AWKWARD, tf.load_subscriptions_document(str(path)))
    hcl2.loads(path.read_text(encoding="utf-8"))


def test_a_lone_surrogate_falls_back_to_a_json_string(tmp_path):
    subs = [{"name": "S", "partnerAction": "logEventV2", "subscribe": 'type = "track"',
             "mapping": {"event_type": "a\ud800b"}}]
    path = _write(tmp_path, subs)
    assert re.search(r'settings += "\{', path.read_text(encoding="utf-8"))
    _same(subs, tf.load_subscriptions_document(str(path)))


@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not installed")
def test_terraform_itself_formats_and_evaluates_the_output(translated, tmp_path):
    """terraform fmt finds nothing to change, and terraform's own jsonencode gives back every mapping."""
    subs = translated + [{**AWKWARD[0], "enabled": True}]
    path = _write(tmp_path, subs)
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    fmt = subprocess.run([TERRAFORM, "fmt", "-check", "-diff", str(path)], capture_output=True, text=True, env=env)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    # evaluate the settings and trigger expressions without the provider: one local per subscription
    text = path.read_text(encoding="utf-8")
    work = tmp_path / "eval"
    work.mkdir()
    locals_ = []
    for i, chunk in enumerate(text.split('resource "segment_destination_subscription"')[1:]):
        trigger = chunk.split("trigger", 1)[1].split("=", 1)[1].split("\n", 1)[0].strip()
        settings = chunk.split("  settings = ", 1)[1].rsplit("\n}", 1)[0]
        locals_.append(f"  t{i} = {trigger}\n  s{i} = {settings}\n")
    pairs = ", ".join(f"[local.t{i}, local.s{i}]" for i in range(len(subs)))
    (work / "main.tf").write_text("locals {\n" + "".join(locals_) + "}\n\n"
                                  f'output "pairs" {{\n  value = [{pairs}]\n}}\n', encoding="utf-8")
    for command in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        run = subprocess.run([TERRAFORM, *command], capture_output=True, text=True, cwd=work, env=env, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr
    run = subprocess.run([TERRAFORM, "output", "-json", "pairs"], capture_output=True, text=True, cwd=work,
                         env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    pairs = json.loads(run.stdout)
    assert len(pairs) == len(subs)
    for sub, (trigger, settings) in zip(subs, pairs):
        assert trigger == sub["subscribe"]
        assert json.loads(settings) == sub["mapping"]


# ------------------------------------------------------------------------------------------ reading

def test_classic_settings_from_a_gitsync_destination_file():
    doc = tf.load_settings_document(str(CLASSIC_TF))
    expected = load_json_file(str(EXAMPLES / "classic-settings.json"), "x")["data"]["destination"]["settings"]
    assert doc["data"]["destination"]["settings"] == expected
    assert doc["data"]["destination"]["id"] == CLASSIC_ID
    assert doc["data"]["destination"]["metadata"] == {"id": tf.CLASSIC_METADATA_ID}


def test_a_gitsync_folder_picks_the_classic_destination_or_the_one_named():
    assert tf.load_settings_document(str(GITSYNC))["data"]["destination"]["id"] == CLASSIC_ID
    actions = tf.load_settings_document(f"{GITSYNC}#{ACTIONS_ID}")
    assert actions["data"]["destination"]["settings"]["endpoint"] == "north_america"
    with pytest.raises(BadInput, match="no segment_destination matches 'nope'"):
        tf.load_settings_document(f"{GITSYNC}#nope")


def test_jsonencode_settings_and_a_secret_from_a_variable(tmp_path):
    path = tmp_path / "main.tf"
    path.write_text('''
variable "amplitude_api_key" {
  type      = string
  sensitive = true
}

resource "segment_destination" "amplitude" {
  name      = "Amplitude"
  enabled   = true
  source_id = "abc"
  metadata = {
    id = "54521fd525e721e32a72ee91"
  }
  settings = jsonencode({
    apiKey            = var.amplitude_api_key
    trackNamedPages   = false
    traitsToIncrement = ["logins"]
    "endpoint"        = "europe"
  })
}
''', encoding="utf-8")
    settings = tf.load_settings_document(str(path))["data"]["destination"]["settings"]
    assert settings == {"apiKey": tf.MASKED, "trackNamedPages": False, "traitsToIncrement": ["logins"],
                        "endpoint": "europe"}


def test_existing_subscriptions_of_a_gitsync_folder():
    subs = tf.load_existing(f"{GITSYNC}#{ACTIONS_ID}")
    assert [(s.name, s.slug) for s in subs] == [
        ("Track Calls", "logEventV2"), ("Order Completed Calls", "logPurchase"), ("Page Calls", "logEventV2"),
        ("Screen Calls", "logEventV2"), ("Identify Calls", "identifyUser")]
    assert subs[0].id == "aH2kLm9QpXr4TsV7wYz3Bc" and subs[0].destination_id == ACTIONS_ID
    import actions

    assert [s["name"] for s in actions.load_subscriptions(tf.load_subscriptions_document(str(GITSYNC)))] == [
        s.name for s in subs]


def test_subscriptions_of_several_destinations_need_a_selector(tmp_path):
    folder = tmp_path / "repo"
    shutil.copytree(GITSYNC, folder)
    src = next((folder / "destination_subscriptions").glob("*.tf"))
    (folder / "destination_subscriptions" / "otherdest_x.tf").write_text(
        src.read_text(encoding="utf-8").replace(ACTIONS_ID, "otherdest"), encoding="utf-8")
    with pytest.raises(BadInput, match="subscriptions of 2 destinations"):
        tf.load_existing(str(folder))
    assert len(tf.load_existing(f"{folder}#otherdest")) == 1


@pytest.mark.parametrize("text, line, reason", [
    ('resource "segment_destination" "a" {\n  name = "x"\n  settings = {\n', None, "not valid HCL"),
    ('resource "segment_destination" "a" {\n  name = = "x"\n}\n', 2, "not valid HCL"),
    ('resource "segment_destination" "a" {\n  metadata = { id = "54521fd525e721e32a72ee91" }\n'
     '  settings = var.settings\n}\n', 3, "needs a Terraform run"),
    ('resource "segment_destination" "a" {\n  settings = "{\\"apiKey\\": \\"sk_live_SECRET\\", oops}"\n}\n', 2,
     "is not a JSON string"),
    ('resource "segment_destination" "a" {\n  settings = "[1]"\n}\n', 2, "must be a JSON object"),
    ('resource "segment_destination" "a" {\n  settings = "{\\"apiKey\\": \\"sk_live_SECRET\n}\n', None,
     "not valid HCL"),
    ('resource "segment_destination" "a" {\n  settings = sk_live_SECRET_x "{}"\n}\n', 2, "not valid HCL"),
    ('resource "segment_destination" "a" {\n  settings = jsonencode({ a = local.x })\n}\n', 2,
     "settings.a is `local.x`"),
    ('resource "segment_source" "a" {\n  name = "x"\n}\n', None, "no `resource \"segment_destination\"`"),
])
def test_unreadable_settings_name_the_file_and_line(tmp_path, text, line, reason):
    path = tmp_path / "bad.tf"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput) as info:
        tf.load_settings_document(str(path))
    assert info.value.file == str(path)
    assert reason in info.value.reason
    if line is not None:
        assert info.value.line == line
    assert "SECRET" not in str(info.value)


def test_cli_reports_a_broken_file_with_exit_code_2(tmp_path):
    path = tmp_path / "broken.tf"
    path.write_text('resource "segment_destination" "a" {\n  settings = "{}"\n  name = \n}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["translate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:4:" in result.output or f"{path}:3:" in result.output
    assert "not valid HCL" in result.output


def test_a_subscription_with_an_unknown_action_expression(tmp_path):
    path = tmp_path / "s.tf"
    path.write_text('resource "segment_destination_subscription" "a" {\n  destination_id = "d"\n  name = "x"\n'
                    '  enabled = true\n  trigger = "type = \\"track\\""\n  action_id = var.action\n'
                    '  settings = jsonencode({})\n}\n', encoding="utf-8")
    with pytest.raises(BadInput) as info:
        tf.load_subscriptions_document(str(path))
    assert info.value.line == 6 and "names no Amplitude action" in info.value.reason


# ------------------------------------------------------------------------------------------ CLI

def test_compare_reads_the_gitsync_example_and_writes_terraform_beside_the_json(tmp_path):
    report = tmp_path / "report"
    result = CliRunner().invoke(main, ["compare", "--settings", str(CLASSIC_TF), "--report", str(report),
                                       str(EXAMPLES / "events.jsonl")])
    assert result.exit_code == 0, result.output
    recommended = json.loads((report / "recommended-subscriptions.json").read_text(encoding="utf-8"))
    _same(recommended, tf.load_subscriptions_document(str(report / "recommended-subscriptions.tf")))
    model = json.loads((report / "report.json").read_text(encoding="utf-8"))
    assert model["inputs"]["events"] > 0


def test_compare_with_gitsync_subscriptions_marks_replacements_with_import_blocks(tmp_path):
    report = tmp_path / "report"
    result = CliRunner().invoke(main, [
        "compare", "--settings", str(CLASSIC_TF), "--subscriptions", f"{GITSYNC}#{ACTIONS_ID}",
        "--report", str(report), str(EXAMPLES / "events.jsonl")])
    assert result.exit_code == 0, result.output
    text = (report / "recommended-subscriptions.tf").read_text(encoding="utf-8")
    blocks = tf.parse_file(report / "recommended-subscriptions.tf")
    imports = {b.attributes["id"] for b in blocks if b.kind == "import"}
    assert f"{ACTIONS_ID}:aH2kLm9QpXr4TsV7wYz3Bc" in imports and len(imports) == 5
    assert text.count("# Replaces the existing subscription") == 5
    assert f'destination_id = "{ACTIONS_ID}"' in text
    assert "replaces existing subscription 'Track Calls'" in result.output


def test_translate_format_terraform_with_existing_ids_from_a_public_api_backup(tmp_path):
    backup = tmp_path / "backup.json"
    backup.write_text(json.dumps({"destinationId": ACTIONS_ID, "subscriptions": [
        {"id": "sub123", "name": "Identify Calls", "actionSlug": "identifyUser", "actionId": "x",
         "trigger": 'type = "identify"', "enabled": True, "settings": {}}]}), encoding="utf-8")
    out = tmp_path / "subs.tf"
    result = CliRunner().invoke(main, ["translate", str(EXAMPLES / "classic-settings.json"), "--format", "terraform",
                                       "--existing", str(backup), "-o", str(out)])
    assert result.exit_code == 0, result.output
    blocks = tf.parse_file(out)
    assert [b.attributes["id"] for b in blocks if b.kind == "import"] == [f"{ACTIONS_ID}:sub123"]
    assert "replaces existing subscription 'Identify Calls' (id sub123" in result.output


def test_gitsync_layout_updates_replaced_files_in_place(tmp_path, translated):
    repo = tmp_path / "repo"
    shutil.copytree(GITSYNC, repo)
    before = sorted(p.name for p in (repo / "destination_subscriptions").iterdir())
    args = ["translate", str(repo / "destinations" / f"{CLASSIC_ID}.tf"), "-o", str(tmp_path / "subs.json"),
            "--terraform-layout", "gitsync", str(repo), "--destination-id", ACTIONS_ID]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    after = sorted(p.name for p in (repo / "destination_subscriptions").iterdir())
    assert set(before) <= set(after)  # replaced subscriptions keep their files
    subs = tf.load_existing(f"{repo}#{ACTIONS_ID}")
    names = [s.name for s in subs]
    assert len(names) == len(set(names))  # nothing duplicated
    by_name = {s.name: s for s in subs}
    for want in translated:
        got = by_name[want["name"]]
        assert (got.slug, got.trigger, got.settings) == (want["partnerAction"], want["subscribe"], want["mapping"])
    track = by_name["Track Calls"]
    assert track.id == "aH2kLm9QpXr4TsV7wYz3Bc" and Path(track.file).name == f"{ACTIONS_ID}_aH2kLm9QpXr4TsV7wYz3Bc.tf"
    assert "import {" in Path(track.file).read_text(encoding="utf-8")
    assert (repo / tf.GITSYNC_METADATA_FILE).exists()  # new subscriptions look their action up by slug
    # the presets the translation does not keep are named, with how to remove them
    assert "'Page Calls' (enabled) is not in the new set" in result.output and "git rm" in result.output
    # a second run changes nothing
    snapshot = {p: p.read_bytes() for p in repo.rglob("*.tf")}
    assert CliRunner().invoke(main, args).exit_code == 0
    assert {p: p.read_bytes() for p in repo.rglob("*.tf")} == snapshot


def test_gitsync_layout_needs_a_destination_id(tmp_path):
    result = CliRunner().invoke(main, ["translate", str(CLASSIC_TF), "-o", str(tmp_path / "s.json"),
                                       "--terraform-layout", "gitsync", str(tmp_path / "repo")])
    assert result.exit_code == 2 and "--destination-id" in result.output


def test_real_keys_read_from_terraform_are_never_printed(tmp_path):
    api_key, secret_key = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
    path = tmp_path / "classic.tf"
    settings = {"apiKey": api_key, "secretKey": secret_key, "trackNamedPages": True}
    path.write_text('resource "segment_destination" "amplitude" {\n'
                    '  metadata = { id = "54521fd525e721e32a72ee91" }\n'
                    f'  settings = {tf.hcl_string(json.dumps(settings))}\n}}\n', encoding="utf-8")
    runner = CliRunner()
    report = tmp_path / "report"
    outputs = [runner.invoke(main, ["translate", str(path), "--format", "terraform"]),
               runner.invoke(main, ["translate", str(path), "--log", str(tmp_path / "log.json")]),
               runner.invoke(main, ["compare", "--settings", str(path), "--report", str(report),
                                    str(EXAMPLES / "events.jsonl")])]
    # the run commands print requests: api_key is masked when the settings come from Terraform
    outputs += [runner.invoke(main, ["classic", "run", "--mode", mode, "--settings", str(path),
                                     str(EXAMPLES / "events.jsonl")]) for mode in ("cloud", "web", "ios")]
    actions_tf = tmp_path / "actions.tf"
    actions_tf.write_text(path.read_text(encoding="utf-8").replace("54521fd525e721e32a72ee91",
                                                                   "5f7dd6d21ad74f3842b1fc47"), encoding="utf-8")
    outputs.append(runner.invoke(main, ["actions", "run", "--settings", str(actions_tf),
                                        str(EXAMPLES / "events.jsonl")]))
    assert '"api_key"' in outputs[-1].output
    for result in outputs:
        assert result.exit_code == 0, result.output
        assert api_key not in result.output and secret_key not in result.output
    for file in list(report.iterdir()) + [tmp_path / "log.json"]:
        text = file.read_text(encoding="utf-8")
        assert api_key not in text and secret_key not in text, file


def test_actions_run_and_segment_plan_read_terraform_subscriptions(tmp_path):
    from migrate.public_api import load_subscriptions_file

    desired = load_subscriptions_file(f"{GITSYNC}#{ACTIONS_ID}")
    assert [d["action"] for d in desired][:2] == ["logEventV2", "logPurchase"]
    events = tmp_path / "e.jsonl"
    events.write_text(json.dumps({"type": "track", "event": "Signed Up", "userId": "user-1",
                                  "messageId": "m1", "timestamp": "2024-01-01T00:00:00Z"}) + "\n")
    # the Actions destination's own settings come from its segment_destination in the same folder
    result = CliRunner().invoke(main, ["actions", "run", "--settings", str(GITSYNC / "destinations" / f"{ACTIONS_ID}.tf"),
                                       "--subscriptions",
                                       f"{GITSYNC}#{ACTIONS_ID}", str(events)])
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout.splitlines()[0])
    assert [f["subscription"] for f in line["fired"]] == ["Track Calls"]


def test_compare_writes_the_recommended_set_into_a_gitsync_folder(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(GITSYNC, repo)
    result = CliRunner().invoke(main, [
        "compare", "--settings", str(repo / "destinations" / f"{CLASSIC_ID}.tf"),
        "--subscriptions", f"{repo}#{ACTIONS_ID}", "--terraform-layout", "gitsync", str(repo),
        "--destination-id", ACTIONS_ID, "--report", str(tmp_path / "report"), str(EXAMPLES / "events.jsonl")])
    assert result.exit_code == 0, result.output
    recommended = json.loads((tmp_path / "report" / "recommended-subscriptions.json").read_text(encoding="utf-8"))
    written = {s.name: s for s in tf.load_existing(f"{repo}#{ACTIONS_ID}")}
    assert len(written) == len(recommended) == 5  # the user's five subscriptions, changed in place
    for want in recommended:
        got = written[want["name"]]
        assert (got.trigger, got.settings) == (want["subscribe"], want["mapping"])
        assert got.id is not None  # same file, same import block
    assert "git sync: 5 subscription files updated in place, 0 created" in result.output


def test_the_snapshot_helper_reads_terraform_too(amplitude_records):
    records = amplitude_records(str(EXAMPLES / "events.jsonl"), settings=str(CLASSIC_TF),
                                subscriptions=f"{GITSYNC}#{ACTIONS_ID}")
    again = amplitude_records(str(EXAMPLES / "events.jsonl"), settings=str(EXAMPLES / "classic-settings.json"),
                              presets=True)
    assert records == again  # the Git-sync subscriptions are the presets; the settings the example's


@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not installed")
def test_gitsync_files_are_terraform_fmt_clean(tmp_path, translated):
    repo = tmp_path / "repo"
    shutil.copytree(GITSYNC, repo)
    result = tf.write_gitsync(translated, str(repo), ACTIONS_ID)
    assert result.updated and result.created
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1"}
    fmt = subprocess.run([TERRAFORM, "fmt", "-check", "-diff", "-recursive", str(repo)], capture_output=True,
                         text=True, env=env)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
