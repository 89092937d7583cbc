"""No secret from a settings file, the environment or a token reaches any output of any command.

Each command runs on fake secret values (settings with apiKey, secretKey and token; SEGMENT_TOKEN;
AMPLITUDE_API_KEY / AMPLITUDE_SECRET_KEY), on its success path and on an error path, and every output is
searched: standard output, standard error, and every file the command wrote. The search covers the values
themselves and the HTTP basic-auth form the engines derive from them. A command added to the CLI without a
case here fails `test_every_command_has_a_case`.
"""

import base64
import gzip
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrate.cli import main

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
for folder in ("public_api", "calibration"):  # the fake APIs live beside their own tests
    if str(TESTS / folder) not in sys.path:
        sys.path.insert(0, str(TESTS / folder))

from fake_export_api import FakeExportApi  # noqa: E402
from fake_segment_api import FakeSegmentApi  # noqa: E402
from segment_support import FakeClock, load  # noqa: E402

API_KEY = "fakeApiKey-SECRET-1a2b3c4d5e"
SECRET_KEY = "fakeSecretKey-SECRET-6f7a8b9c"
TOKEN = "fakeToken-SECRET-0d1e2f3a4b"
SEGMENT_TOKEN = "sgp_fake-SECRET-5c6d7e8f9a"
SALT = "fakeSalt-SECRET-pii-0123"
SECRETS = (API_KEY, SECRET_KEY, TOKEN, SEGMENT_TOKEN, SALT)
FORMS = SECRETS + tuple(base64.b64encode(f"{a}:{b}".encode()).decode()
                        for a, b in ((API_KEY, SECRET_KEY), (API_KEY, "")))

EVENTS = [json.loads(line) for line in (ROOT / "examples" / "events.jsonl").read_text().splitlines()[:40] if line]


@pytest.fixture
def inputs(tmp_path):
    """Input files (which hold the secrets) in in/; the commands run in out/, which must stay clean."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    classic = json.loads((ROOT / "examples" / "classic-settings.json").read_text())
    settings = classic["data"]["destination"]["settings"]
    settings.update({"apiKey": API_KEY, "secretKey": SECRET_KEY, "token": TOKEN})
    (src / "classic.json").write_text(json.dumps(classic))
    (src / "classic-plain.json").write_text(json.dumps(settings))
    (src / "actions.json").write_text(json.dumps({"apiKey": API_KEY, "secretKey": SECRET_KEY,
                                                  "endpoint": "north_america", "token": TOKEN}))
    # an event that carries the key too (a misconfigured source can send it as a property)
    events = EVENTS + [{"type": "track", "event": "Leaky", "userId": "u1", "messageId": "leak-1",
                        "properties": {"note": f"key={API_KEY}"}}]
    (src / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    (src / "events.jsonl.gz").write_bytes(gzip.compress((src / "events.jsonl").read_bytes()))
    # broken settings: the JSON error is on the line that holds the key, the type error in a key's neighbour
    (src / "broken.json").write_text('{\n  "apiKey": "' + API_KEY + '", "secretKey": "' + SECRET_KEY + '" oops\n}\n')
    (src / "wrong-type.json").write_text(json.dumps({"apiKey": API_KEY, "secretKey": SECRET_KEY, "token": TOKEN,
                                                     "endpoint": API_KEY, "trackAllPages": TOKEN}))
    (src / "export.jsonl").write_text(json.dumps({"event_type": "x", "user_id": "nobody", "$insert_id": "none",
                                                  "client_event_time": "2001-01-01 00:00:00.000"}) + "\n")
    return src, out


def _outputs(result, out: Path) -> dict[str, str]:
    texts = {"stdout": result.stdout, "stderr": result.stderr}
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        texts["exception"] = repr(result.exception)
    for path in sorted(out.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix in (".gz", ".zip"):
                continue  # the downloaded export is Amplitude's data, not ours
            texts[str(path.relative_to(out))] = data.decode("utf-8", "replace")
    return texts


def _assert_clean(texts: dict[str, str], case: str) -> None:
    leaks = [(name, secret) for name, text in texts.items() for secret in FORMS if secret in text]
    assert not leaks, f"{case}: secrets in {leaks}"


def _run(args, out, monkeypatch, env=None, obj=None):
    monkeypatch.chdir(out)
    return CliRunner().invoke(main, args, env=env, obj=obj)


def _local_cases(src: Path) -> dict[str, list[tuple[list, set]]]:
    ev = str(src / "events.jsonl")
    classic, plain, actions = str(src / "classic.json"), str(src / "classic-plain.json"), str(src / "actions.json")
    broken, wrong = str(src / "broken.json"), str(src / "wrong-type.json")
    return {
        "translate": [
            (["translate", classic, "-o", "subs.json", "--log", "log.json"], {0}),
            (["translate", plain], {0}),
            (["translate", classic, "--format", "terraform", "-o", "subs.tf"], {0}),
            (["translate", broken], {2}),
            (["translate", wrong], {2}),
        ],
        "compare": [
            (["compare", "--settings", classic, "--report", "report", "--pii-salt", SALT, "--fail-under", "100%",
              "--no-recommend", ev], {0, 1}),
            (["compare", "--settings", plain, "--pii", "keep", "-q", ev], {0}),
            (["compare", "--settings", broken, ev], {2}),
            (["compare", "--settings", wrong, ev], {2}),
        ],
        "classic run": [
            (["classic", "run", "--settings", classic, "-o", "classic.jsonl", "-q", ev], {0}),
            (["classic", "run", "--settings", plain, "--mode", "web", "-q", ev], {0}),
            (["classic", "run", "--settings", plain, "--pii", "mask", "--pii-salt", SALT, "-q",
              "-o", "masked.jsonl", ev], {0}),
            (["classic", "run", "--settings", broken, ev], {2}),
            (["classic", "run", "--settings", wrong, ev], {2}),
        ],
        "actions run": [
            (["actions", "run", "--settings", actions, "-o", "actions.jsonl", "-q", ev], {0}),
            (["actions", "run", "--settings", actions, "-q", str(src / "events.jsonl.gz")], {0}),
            (["actions", "run", "--settings", broken, ev], {2}),
            (["actions", "run", "--settings", wrong, ev], {2}),
        ],
        "calibrate": [
            (["calibrate", "--settings", classic, "--amplitude-export", str(ROOT / "examples" / "amplitude-export.zip"),
              "-o", "calibration.json", ev], {0, 2}),
            (["calibrate", "--settings", plain, "--amplitude-export", str(src / "export.jsonl"), ev], {2}),
            (["calibrate", "--settings", broken, "--amplitude-export", str(src / "export.jsonl"), ev], {2}),
        ],
    }


@pytest.mark.parametrize("command", ["translate", "compare", "classic run", "actions run", "calibrate"])
def test_local_commands_print_and_write_no_secret(inputs, monkeypatch, command):
    src, out = inputs
    for args, codes in _local_cases(src)[command]:
        result = _run(args, out, monkeypatch)
        case = " ".join(a.replace(str(src), "IN") for a in args)
        assert result.exit_code in codes, (case, result.exit_code, result.stderr, result.exception)
        _assert_clean(_outputs(result, out), case)


def test_run_outputs_keep_their_shape_with_secrets_masked(inputs, monkeypatch):
    src, out = inputs
    result = _run(["actions", "run", "--settings", str(src / "actions.json"), "-q", str(src / "events.jsonl")],
                  out, monkeypatch)
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    request = next(r for line in lines for f in line["fired"] for r in f["requests"])
    assert request["json"]["api_key"] == "••••••••" and request["json"]["events"]
    leaky = next(line for line in lines if line["messageId"] == "leak-1")
    assert "key=••••••••" in json.dumps(leaky, ensure_ascii=False)


@pytest.fixture
def segment(monkeypatch):
    clock = FakeClock()
    fake = FakeSegmentApi(SEGMENT_TOKEN, clock=clock)
    fake.add_destination(load("actions_destination.json"), load("existing_subscriptions.json"))
    fake.add_destination(load("classic_destination.json"))
    fake.start()
    yield fake, {"SEGMENT_TOKEN": SEGMENT_TOKEN, "SEGMENT_API_URL": fake.url}, \
        {"client_options": {"clock": clock, "sleep": clock.sleep}}
    fake.stop()


def test_segment_commands_print_and_write_no_token(inputs, monkeypatch, segment):
    src, out = inputs
    fake, env, obj = segment
    subs = str(TESTS / "public_api" / "data" / "desired_subscriptions.json")
    cases = [
        (["segment", "pull", "--destination-id", "dst_classic_0001", "-o", "classic.json"], {0}),
        (["segment", "plan", "--destination-id", "dst_actions_0001", "--subscriptions", subs, "--json"], {0}),
        (["segment", "apply", "--destination-id", "dst_actions_0001", "--subscriptions", subs, "--yes"], {0}),
        (["segment", "plan", "--destination-id", "no_such_destination", "--subscriptions", subs], {2}),
    ]
    for args, codes in cases:
        result = _run(args, out, monkeypatch, env=env, obj=obj)
        assert result.exit_code in codes, (args, result.exit_code, result.stderr, result.exception)
        _assert_clean(_outputs(result, out), " ".join(args))
    wrong = _run(["segment", "pull", "--destination-id", "dst_classic_0001"], out, monkeypatch,
                 env={**env, "SEGMENT_TOKEN": SEGMENT_TOKEN + "-wrong"}, obj=obj)
    assert wrong.exit_code == 2
    _assert_clean(_outputs(wrong, out), "segment pull (wrong token)")


def test_amplitude_export_prints_no_key(inputs, monkeypatch):
    src, out = inputs
    fake = FakeExportApi((ROOT / "examples" / "amplitude-export.zip").read_bytes(), api_key=API_KEY,
                         secret_key=SECRET_KEY)
    fake.start()
    try:
        env = {"AMPLITUDE_API_KEY": API_KEY, "AMPLITUDE_SECRET_KEY": SECRET_KEY, "AMPLITUDE_API_URL": fake.url}
        args = ["amplitude", "export", "--start", "20240612T00", "--end", "20240612T01", "-o", "export.zip"]
        ok = _run(args, out, monkeypatch, env=env)
        assert ok.exit_code == 0, (ok.stderr, ok.exception)
        _assert_clean(_outputs(ok, out), "amplitude export")
        refused = _run(args, out, monkeypatch, env={**env, "AMPLITUDE_SECRET_KEY": TOKEN})
        assert refused.exit_code == 2
        _assert_clean(_outputs(refused, out), "amplitude export (refused)")
    finally:
        fake.stop()


def test_every_command_has_a_case(inputs):
    def leaves(group, prefix=()):
        for name, cmd in group.commands.items():
            if hasattr(cmd, "commands"):
                yield from leaves(cmd, prefix + (name,))
            else:
                yield " ".join(prefix + (name,))

    covered = set(_local_cases(inputs[0])) | {"segment pull", "segment plan", "segment apply", "amplitude export"}
    assert set(leaves(main)) <= covered, set(leaves(main)) - covered
