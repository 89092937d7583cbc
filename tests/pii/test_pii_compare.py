"""`compare` on events carrying every kind of personal data: nothing of it reaches a report in clear by
default, while the findings (categories, counts, highlighted fields, what differs) stay exactly the same."""

import json
import re

import pytest
from click.testing import CliRunner

import reports
from migrate.cli import main
from pii_data import EVENTS, PERSONAL, SETTINGS, leaks

PSEUDONYM = re.compile(r"pii:[0-9a-f]{12}")


def run_compare(tmp_path_factory, *args) -> dict:
    out = tmp_path_factory.mktemp("report")
    result = CliRunner().invoke(main, ["compare", "--settings", str(SETTINGS), "--report", str(out),
                                       "--pii-key", "loyalty_number", *args, str(EVENTS)])
    assert result.exit_code == 0, result.output
    texts = {name: (out / name).read_text(encoding="utf-8") for name in ("report.html", "report.md", "report.json")}
    texts["terminal"] = result.output  # stdout and stderr
    subs = out / "recommended-subscriptions.json"  # none with --no-recommend
    return {"texts": texts, "model": json.loads(texts["report.json"]),
            "subscriptions": subs.read_text(encoding="utf-8") if subs.exists() else None}


@pytest.fixture(scope="module")
def masked(tmp_path_factory):
    return run_compare(tmp_path_factory)  # the default


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    return run_compare(tmp_path_factory, "--pii", "keep")


def test_kept_report_shows_the_personal_data(kept):
    # the test data reach the report: otherwise the masked run would prove nothing
    shown = leaks(kept["texts"]["report.json"])
    for kind in ("user id", "anonymous id", "previous id", "group id", "device id", "advertising id", "email",
                 "phone", "name", "birthday", "address", "ip", "location", "--pii-key loyalty_number"):
        assert set(PERSONAL[kind]) & set(shown), f"no {kind} in the --pii keep report"
    assert len(shown) >= 25
    assert leaks(kept["texts"]["report.html"])


@pytest.mark.parametrize("output", ["report.html", "report.md", "report.json", "terminal"])
def test_no_personal_value_in_clear_by_default(masked, output):
    assert leaks(masked["texts"][output]) == []


def test_masked_report_uses_pseudonyms_and_stays_readable(masked):
    text = masked["texts"]["report.json"]
    assert PSEUDONYM.search(text) and PSEUDONYM.search(masked["texts"]["report.html"])
    # event names, property names and non-personal values stay readable
    for readable in ("Order Completed", "Product Viewed", "screen: Checkout", "page: Settings", "user_properties",
                     "growth", "jackets", "Trail Jacket", "GBP", "United Kingdom", "London", "/account/",
                     "https://shop.example.com/account/"):
        assert readable in text, readable


def test_reports_say_which_mode(masked, kept):
    assert masked["model"]["privacy"]["mode"] == "mask"
    assert kept["model"]["privacy"]["mode"] == "keep"
    assert masked["model"]["privacy"]["extra_keys"] == ["loyalty_number"]
    assert "Personal data: pseudonymised" in masked["texts"]["report.html"]
    assert "Personal data: pseudonymised" in masked["texts"]["report.md"]
    assert "personal data: pseudonymised" in masked["texts"]["terminal"]
    for output in ("report.html", "report.md", "terminal"):
        assert "kept in clear" in kept["texts"][output].replace("\\", "")


def _categories(model):
    return {name: [(c["category"], c["count"], c["events_by_name"], [ex["paths"] for ex in c["examples"]])
                   for c in variant["categories"]]
            for name, variant in model["variants"].items()}


def test_findings_unchanged(masked, kept):
    m, k = masked["model"], kept["model"]
    assert _categories(m) == _categories(k)
    assert m["parity"] == k["parity"] and m["parity_exact"] == k["parity_exact"]
    assert [(d["kind"], d["count"]) for d in m["detections"]] == [(d["kind"], d["count"]) for d in k["detections"]]
    assert m["residuals"] == k["residuals"]
    assert m["recommendations"] == k["recommendations"]
    assert masked["subscriptions"] == kept["subscriptions"]


def _examples(model):
    for variant in model["variants"].values():
        for cat in variant["categories"]:
            yield from cat["examples"]


def test_highlighting_unchanged(masked, kept):
    pairs = list(zip(_examples(masked["model"]), _examples(kept["model"])))
    assert pairs
    for m, k in pairs:
        for side in ("classic", "actions"):
            lm, lk = reports.record_lines(m[side], m["paths"]), reports.record_lines(k[side], k["paths"])
            assert [(line["indent"], line["hl"]) for line in lm] == [(line["indent"], line["hl"]) for line in lk]
    marked = re.compile(r'class="i\d hl"')
    assert len(marked.findall(masked["texts"]["report.html"])) == len(marked.findall(kept["texts"]["report.html"]))


def _leaves(a, b, out):
    """Pair the scalars of two documents of the same shape."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for key in a:
            _leaves(a[key], b[key], out)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b):
            _leaves(x, y, out)
    else:
        out.append((json.dumps(a), json.dumps(b)))


def test_equal_values_stay_equal_and_differences_stay_visible(masked, kept):
    pairs = []
    for m, k in zip(_examples(masked["model"]), _examples(kept["model"])):
        _leaves(k["classic"], m["classic"], pairs)
        _leaves(k["actions"], m["actions"], pairs)
    forward, backward = {}, {}
    for raw, shown in pairs:
        assert forward.setdefault(raw, shown) == shown, f"{raw} got two pseudonyms"
        assert backward.setdefault(shown, raw) == raw, f"{shown} stands for two values"
    assert sum(1 for raw, shown in forward.items() if raw != shown) >= 15
    # the user_id example: Classic kept the short id, Actions dropped it; still a visible difference
    user_ids = [ex for ex in _examples(masked["model"]) if ex["paths"] == ["user_id"]]
    assert user_ids and PSEUDONYM.fullmatch(user_ids[0]["classic"][0]["user_id"])
    assert "user_id" not in user_ids[0]["actions"][0]


def test_recommendations_and_subscriptions_hold_no_event_data(kept):
    model = kept["model"]
    for section in (model["recommendations"], model["subscriptions"], model["residuals"], model["translation_log"]):
        assert leaks(json.dumps(section, ensure_ascii=False)) == []
    assert leaks(kept["subscriptions"]) == []


def test_same_salt_same_pseudonyms(tmp_path_factory):
    first = run_compare(tmp_path_factory, "--pii-salt", "correct horse battery staple", "--no-recommend")
    second = run_compare(tmp_path_factory, "--pii-salt", "correct horse battery staple", "--no-recommend")
    assert _categories(first["model"]) == _categories(second["model"])
    assert list(_examples(first["model"])) == list(_examples(second["model"]))
    assert "correct horse battery staple" not in "".join(first["texts"].values())
    assert "pii-salt" in first["model"]["privacy"]["key"]
