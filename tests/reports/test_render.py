import json
import re
from html.parser import HTMLParser

import pytest

import reports
from report_model import FAKE_API_KEY, FAKE_SECRET_KEY, FAKE_TOKEN, XSS_IMG, XSS_SCRIPT, XSS_SVG, XSS_TEXTAREA

SECRETS = (FAKE_API_KEY, FAKE_SECRET_KEY, FAKE_TOKEN)
HOSTILE = (XSS_IMG, XSS_SCRIPT, XSS_TEXTAREA)


class _Page(HTMLParser):
    """Collects tags, attributes and text the way a browser's tokenizer sees them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.ids, self.text, self.attrs = [], set(), [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        self.ids.update(v for k, v in attrs if k == "id")

    def handle_data(self, data):
        self.text.append(data)


def parse(html):
    page = _Page()
    page.feed(html)
    page.close()
    page.all_text = "".join(page.text)
    return page


# ------------------------------------------------------------------------------------------------ HTML


def test_html_has_every_section_and_figure(make_report_model):
    html = reports.render_html(make_report_model())
    page = parse(html)
    for section in ("parity", "differences", "recommendations", "residuals", "detections",
                    "translation-log", "subscriptions", "inputs"):
        assert section in page.ids, section
    for name in ("presets", "translated", "recommended"):
        assert f"parity-{name}" in page.ids
        assert f"variant-{name}" in page.ids
    assert "41.2%" in page.all_text and "71.8%" in page.all_text and "96.4%" in page.all_text
    assert "Page event names differ" in page.all_text
    assert "Classic (1 records)" in page.all_text and "Actions (1 records)" in page.all_text
    # parity chart plus one category chart per variant with categories
    assert page.tags.count("svg") >= 4
    # the recommended subscriptions are copyable, exact JSON inside a read-only textarea
    textarea = re.search(r'<textarea[^>]*id="recommended-subscriptions"[^>]*>(.*?)</textarea>', html, re.S)
    assert textarea and "readonly" in textarea.group(0)
    import html as html_mod

    subs = json.loads(html_mod.unescape(textarea.group(1)))
    assert subs == make_report_model()["subscriptions"]["recommended"]


def test_html_is_self_contained_and_scriptless(make_report_model):
    html = reports.render_html(make_report_model(hostile=True))
    page = parse(html)
    assert "script" not in page.tags
    assert not any(k.startswith("on") for k, _ in page.attrs)
    assert not any(k in ("src", "srcset", "action", "formaction") for k, _ in page.attrs)
    assert all(v.startswith("#") for k, v in page.attrs if k == "href")
    csp = next(v for k, v in page.attrs if k == "content" and "default-src" in (v or ""))
    assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe-inline" not in csp
    assert "http://" not in html and "https://" not in html.replace("https://shop.example.com", "")


def test_style_hash_in_csp_matches_the_inline_stylesheet(make_report_model):
    import base64
    import hashlib

    html = reports.render_html(make_report_model())
    css = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    csp = next(v for k, v in parse(html).attrs if k == "content" and "default-src" in (v or ""))
    assert f"style-src 'sha256-{digest}'" in csp


def test_html_escapes_hostile_event_data(make_report_model):
    html = reports.render_html(make_report_model(hostile=True))
    for payload in HOSTILE:
        assert payload not in html, payload
    assert "<img" not in html
    assert "<script" not in html
    assert html.count("<textarea") == html.count("</textarea>") == 2
    page = parse(html)
    assert "img" not in page.tags and "script" not in page.tags
    # the payloads are still there, as text the reader can see
    for payload in HOSTILE:
        assert payload in page.all_text, payload


def test_html_escapes_markup_in_svg_labels(make_report_model):
    model = make_report_model()
    model["variants"]["translated"]["categories"][0]["title"] = XSS_SVG
    html = reports.render_html(model)
    assert "<svg onload" not in html
    assert parse(html).tags.count("svg") >= 4
    assert "&lt;/text&gt;&lt;/svg&gt;&lt;svg onload=" in html


def test_differing_paths_are_highlighted_on_both_sides():
    classic = [{"kind": "event", "event_type": "Viewed Home Page", "event_properties": {"name": "Home", "category": "Docs"}}]
    actions = [{"kind": "event", "event_type": "Viewed Home", "event_properties": {"name": "Home"}}]
    paths = ["root[0]['event_type']", "root[0]['event_properties']['category']"]
    c_lines = reports.record_lines(classic, paths)
    a_lines = reports.record_lines(actions, paths)
    assert [l["text"] for l in c_lines if l["hl"]] == ['"event_type": "Viewed Home Page",', '"category": "Docs"']
    assert [l["text"] for l in a_lines if l["hl"]] == ['"event_type": "Viewed Home",']
    # an added record is highlighted with its whole subtree
    added = reports.record_lines([{"a": 1}, {"kind": "usermap", "user_id": "x"}], ["root[1]"])
    assert [l["hl"] for l in added] == [False, False, False, False, True, True, True, True, False]
    # an unparsable path does not break rendering
    assert reports.record_lines([{"a": 1}], ["root[[["])[2] == {"indent": 2, "text": '"a": 1', "hl": False}


def test_dotted_paths_apply_to_every_record_and_notes_are_not_matched():
    records = [
        {"event_type": "Order Completed", "event_properties": {"order_id": "o1"}},
        {"event_type": "Product Purchased", "event_properties": {"products": [{"price": 1}, {"price": 2}]}},
    ]
    paths = ["event_properties.products[1].price", "event_type", "Track Calls: required field missing", "(record)"]
    lines = reports.record_lines(records, paths)
    assert [l["text"] for l in lines if l["hl"]] == [
        '"event_type": "Order Completed",', '"event_type": "Product Purchased",', '"price": 2']
    html = reports.render_html(_with_example_paths(paths))
    assert "Differing fields:" in html and "Notes:" in html
    assert "<code>event_properties.products[1].price</code>" in html
    assert '<span class="note">Track Calls: required field missing</span>' in html


def _with_example_paths(paths):
    from report_model import make

    model = make()
    model["variants"]["translated"]["categories"][0]["examples"][0]["paths"] = paths
    return model


def test_missing_optional_parts_render(make_report_model):
    model = {"parity": {"presets": 1.0, "translated": 1.0, "recommended": 1.0}}
    html = reports.render_html(model)
    assert "Parity" in html and "No recommendations." in html
    assert "100.0%" in html
    assert reports.render_markdown(model)
    assert reports.render_terminal(model)


def test_pct_never_rounds_up_to_perfect():
    assert reports.pct(0.9996) == "99.9%"
    assert reports.pct(1) == "100.0%"
    assert reports.pct(0.7184) == "71.8%"
    assert reports.pct(float("nan")) == "n/a"
    assert reports.pct(None) == "n/a"


# ------------------------------------------------------------------------------------------------ Markdown


def _outside_code(md):
    return re.sub(r"(`+).*?\1", "", md)


def test_markdown_summary(make_report_model):
    md = reports.render_markdown(make_report_model())
    assert "| Translated from your classic settings | **71.8%** | 359/500 |" in md
    assert "| Actions presets, unchanged | **41.2%** | 206/500 |" in md
    assert "### Recommended changes" in md and "71.8% → 83.4%" in md
    assert "`revenue_on_track` (14 events)" in md
    assert "Settings translation: 2 approximated, 1 default, 5 exact, 3 not migratable." in md


def test_markdown_escapes_hostile_data(make_report_model):
    model = make_report_model(hostile=True)
    model["recommendations"][1]["title"] = "ping @security-team | **[click](javascript:alert(1))**"
    md = reports.render_markdown(model)
    plain = _outside_code(md).replace("<sub>", "").replace("</sub>", "")
    assert "<" not in plain and ">" not in plain
    assert "&lt;/script&gt;&lt;script&gt;" in plain
    assert "@security" not in plain and "&#64;security\\-team" not in plain
    assert "\\[click\\]" in plain and "\\*\\*" in plain and "\\|" in plain
    # event names inside table cells: code spans with any "|" escaped keep the table intact
    for line in md.splitlines():
        if line.startswith("| "):
            assert len(re.findall(r"(?<!\\)\|", _outside_code(line))) in (4, 5), line


# ------------------------------------------------------------------------------------------------ JSON


def test_json_has_every_figure_and_top_level_parity(make_report_model):
    model = make_report_model()
    data = json.loads(reports.render_json(model))
    assert data["parity"] == {"presets": 0.412, "translated": 0.718, "recommended": 0.964}
    assert all(0 <= v <= 1 for v in data["parity"].values())
    assert data["variants"]["translated"]["by_event"] == model["variants"]["translated"]["by_event"]
    assert data["recommendations"][0]["change"] == model["recommendations"][0]["change"]
    assert len(data["variants"]["translated"]["categories"][0]["examples"]) == 1


def test_json_replaces_non_finite_numbers(make_report_model):
    model = make_report_model()
    model["variants"]["presets"]["by_event"][0]["parity"] = float("nan")
    text = reports.render_json(model)
    assert "NaN" not in text
    assert json.loads(text)["variants"]["presets"]["by_event"][0]["parity"] is None


def test_json_requires_the_parity_contract(make_report_model):
    model = make_report_model()
    del model["parity"]["recommended"]
    with pytest.raises(ValueError, match="recommended"):
        reports.render_json(model)
    with pytest.raises(ValueError, match="parity"):
        reports.render_json({})


# ------------------------------------------------------------------------------------------------ terminal


def test_terminal_summary_tables(make_report_model):
    text = reports.render_terminal(make_report_model())
    assert "500 events compared, 2 skipped" in text
    assert re.search(r"Translated from your classic settings\s+71\.8%\s+359/500", text)
    # the differences shown are those left with the recommended subscriptions, the variant of the verdict
    assert "Differences by impact (Translated + recommended changes)" in text
    assert "Revenue on plain track events" in text and "Classic adds 'id'" not in text
    assert "71.8% -> 83.4%" in text


def test_terminal_strips_control_sequences(make_report_model):
    model = make_report_model()
    model["variants"]["recommended"]["categories"][0]["events_by_name"] = {"\x1b[2J\x1b]0;owned\x07Signup": 500}
    text = reports.render_terminal(model)
    assert "\x1b" not in text and "\x07" not in text
    assert "Signup" in text


# ------------------------------------------------------------------------------------------------ secrets


def test_no_output_contains_a_secret(make_report_model, tmp_path):
    model = make_report_model(hostile=True)
    outputs = {
        "html": reports.render_html(model),
        "md": reports.render_markdown(model),
        "json": reports.render_json(model),
        "terminal": reports.render_terminal(model),
    }
    written = reports.render_all(model, tmp_path / "report")
    outputs.update({f"file:{k}": p.read_text(encoding="utf-8") for k, p in written.items()})
    for name, text in outputs.items():
        for secret in SECRETS:
            assert secret not in text, (name, secret)
    assert reports.MASK in outputs["json"]
    # the model itself is not modified
    assert model["translation_log"][0]["value"] == FAKE_API_KEY


def test_scrub_secrets_masks_by_key_anywhere():
    data = {
        "settings": {"apiKey": "k1-abcdef", "secretKey": "s1-abcdef", "endpoint": "europe"},
        "list": [{"API_KEY": "k2-abcdef"}, {"x-api-key": "k3-abcdef"}, {"Authorization": "Bearer zzzzzzzzzz"}],
        "deep": {"a": {"b": [{"access_token": "t1-abcdef", "refreshToken": {"v": "t2"}}]}},
        "empty": {"apiKey": "", "secretKey": None},
        "event_properties": {"tokens_used": 3, "keyword": "shoes", "forgot_password_step": "email"},
        "events_by_name": {"Token": 5, "Forgot Password": 2},
    }
    out = reports.scrub_secrets(data)
    text = json.dumps(out)
    for secret in ("k1-abcdef", "s1-abcdef", "k2-abcdef", "k3-abcdef", "zzzzzzzzzz", "t1-abcdef", '"t2"'):
        assert secret not in text, secret
    assert out["settings"]["endpoint"] == "europe"
    assert out["empty"] == {"apiKey": "", "secretKey": None}
    assert out["event_properties"] == data["event_properties"]
    assert out["events_by_name"] == {"Token": 5, "Forgot Password": 2}
    assert data["settings"]["apiKey"] == "k1-abcdef"


def test_scrub_secrets_masks_key_value_pairs_text_and_known_values():
    data = [
        {"key": "apiKey", "value": "abcd1234efgh", "status": "exact"},
        {"name": "Authorization", "value": "Basic dXNlcjpwYXNz"},
        {"key": "endpoint", "value": "north_america"},
        "POST api_key=abcd1234efgh&event=%7B%7D",
        'settings were {"secretKey": "zzzz9999"}',
        "header Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
        "the key live-key-42 leaked into a message",
        {"live-key-42": "as a dict key"},
    ]
    out = reports.scrub_secrets(data, known=["live-key-42"])
    text = json.dumps(out)
    for secret in ("abcd1234efgh", "dXNlcjpwYXNz", "zzzz9999", "eyJhbGciOiJIUzI1NiJ9", "live-key-42"):
        assert secret not in text, secret
    assert out[2]["value"] == "north_america"
    assert out[3].startswith("POST api_key=" + reports.MASK + "&event=")


# ------------------------------------------------------------------------------------------------ recommendations

def _recommendations(hostile=False):
    name = "Track <b>|Calls</b> `x`" if hostile else "Track Calls"
    base = {"rule": "library", "mode": "cloud", "title": 'library = "segment" as in Classic', "category": "platform_fields",
            "description": "d", "kind": "patch", "parity_before": 0.75, "parity_after": 0.75,
            "parity_exact_before": 0.07, "parity_exact_after": 0.07, "chart_events_before": 126,
            "chart_events_after": 126, "field_differences_before": 2190, "field_differences_after": 1755,
            "figures_moved": ["fields"], "kept": True}
    long_value = {"behavior": "use_mapping", "mapping": {"@path": "$.context.library.name" + "x" * 200}}
    rows = []
    for sub, figures in ((name, (290, 290, 29, 29, 290, 290)), ("Named Pages", (60, 60, 60, 60, 60, 60))):
        change = {"kind": "patch", "subscription": sub,
                  "changes": [{"field": "mapping.library2", "before": long_value, "after": {"behavior": "auto"}}]}
        rows.append({**base, "subscription": sub, "change": change, "changes": change["changes"],
                     "subscription_figures": dict(zip(("events", "changed", "chart_before", "chart_after",
                                                       "exact_before", "exact_after"), figures))})
    idle = {**base, "rule": "idfv", "title": "No idfv", "subscription": "Track Calls", "kept": False,
            "figures_moved": [], "subscription_figures": {},
            "changes": [{"field": "mapping.idfv", "before": {"@path": "$.context.device.id"}, "after": None}]}
    idle["change"] = {"kind": "patch", "subscription": "Track Calls", "changes": idle["changes"]}
    return rows + [idle]


def test_terminal_shows_each_subscription_with_its_figures_and_field_changes(make_report_model):
    model = make_report_model()
    model["recommendations"] = _recommendations()
    text = reports.render_terminal(model)
    section = text[text.index("Recommended changes"):]
    assert 'cloud: library = "segment" as in Classic [applied]' in section
    assert "differing fields (chart or breakdown, counted per event) 2190 -> 1755" in " ".join(section.split())
    track = next(line for line in section.splitlines() if line.strip().startswith("Track Calls"))
    assert re.search(r"Track Calls\s+290\s+29 -> 29\s+290 -> 290\s+library2: ", track)
    assert '-> {"behavior":"auto"}' in track and "…" in track and "x" * 60 not in track  # long values cut
    assert "Named Pages" in section and "Track Calls +1" not in section  # one row per subscription
    assert "No idfv [not applied: it moves no figure]" in section


def test_markdown_and_html_recommendations_per_subscription(make_report_model):
    model = make_report_model()
    model["recommendations"] = _recommendations(hostile=True)
    md = reports.render_markdown(model)
    assert "#### cloud: library \\= \"segment\" as in Classic (applied)" in md or "#### cloud: library" in md
    rows = [line for line in md.splitlines() if line.startswith("| ") and "library2" in line]
    assert len(rows) == 2 and all(len(re.findall(r"(?<!\\)\|", _outside_code(r))) == 5 for r in rows)
    assert "290; 290 → 290" not in md and "29 → 29; 290 → 290" in md
    plain = _outside_code(md)
    assert "<b>" not in plain and "&lt;b&gt;" in plain
    html = reports.render_html(model)
    assert "<b>|Calls</b>" not in html and "&lt;b&gt;|Calls&lt;/b&gt;" in html
    assert "not applied: it moves no figure" in html and "differ from Classic in chart numbers 29 → 29" in html


def test_a_long_value_is_cut_to_the_part_that_changed():
    merge = {"@merge": {"objects": [{"@path": "$.properties"}, {"country": {"@path": "$.__remove_key__"}}],
                        "direction": "right"}}
    after = {"@merge": {"objects": merge["@merge"]["objects"] + [{"event_id": {"@path": "$.__remove_key__"}}],
                        "direction": "right"}}
    rec = {"changes": [{"field": "mapping.event_properties", "before": merge, "after": after}]}
    (line,) = reports.change_lines(rec, 40)
    before, after_text = line.removeprefix("event_properties: ").split(" → ")
    assert before != after_text and '"event_id"' in after_text and len(after_text) <= 42
    assert reports.change_lines({"changes": [{"field": "mapping.idfv", "before": {"@path": "$.x"}, "after": None}]}) \
        == ['idfv: {"@path":"$.x"} → (removed)']


def test_recommendations_in_the_terminal_and_markdown_snapshot(make_report_model, snapshot):
    # the per-subscription layout a reviewer reads; update deliberately (pytest --snapshot-update)
    model = make_report_model()
    model["recommendations"] = _recommendations()
    text = reports.render_terminal(model)
    md = reports.render_markdown(model)
    assert text[text.index("Recommended changes"):text.index("Remaining differences")] == snapshot
    assert md[md.index("### Recommended changes"):md.index("### Remaining differences")] == snapshot


def test_device_mode_recommendation_leads_with_the_events_a_mapping_can_fix(make_report_model):
    model = make_report_model()
    model["recommendations"] = _recommendations()
    for r in model["recommendations"][:2]:
        r.update(mode="web", parity_before=0.018, parity_after=0.018, chart_events_before=269, chart_events_after=269,
                 mappable_chart_events_before=233, mappable_chart_events_after=128)
    html = reports.render_html(model)
    assert re.search(r'233 → <span class="up">128</span> <span class="small muted">events a mapping can fix', html)
    assert "of them, with a difference a mapping can close 233 → 128" in html


def test_render_all_writes_what_each_renderer_gives(make_report_model, tmp_path):
    # render_all masks the model once and builds one view for the three files; the terminal summary and
    # render_markdown build theirs without the examples' highlighted lines
    for hostile in (False, True):
        model = make_report_model(hostile=hostile)
        written = reports.render_all(model, tmp_path / str(hostile), secrets=["dev-secret-123456"])
        for fmt, render in (("json", reports.render_json), ("html", reports.render_html),
                            ("md", reports.render_markdown)):
            assert written[fmt].read_text(encoding="utf-8") == render(model, secrets=["dev-secret-123456"]), fmt


def test_render_all_and_terminal_is_render_all_and_render_terminal(make_report_model, tmp_path):
    # one masked copy for the three files and the terminal summary: the same files and text as the two calls
    for hostile in (False, True):
        model = make_report_model(hostile=hostile)
        secrets = ["dev-secret-123456"]
        files, text = reports.render_all_and_terminal(model, tmp_path / f"one-{hostile}", secrets=secrets)
        written = reports.render_all(model, tmp_path / f"two-{hostile}", secrets=secrets)
        assert text == reports.render_terminal(model, secrets=secrets)
        assert list(files) == list(written)
        for fmt, path in written.items():
            assert files[fmt].read_bytes() == path.read_bytes(), fmt


# reports.parse_deepdiff_path reads plain paths itself (without importing deepdiff): the same answers as
# deepdiff.path.parse_path, which stays the rule, for every path
from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_SEGMENTS = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(lambda i: f"[{i}]"),
    st.text(alphabet="0123456789", min_size=1, max_size=4).map(lambda d: f"[{d}]"),
    st.text(max_size=8).map(lambda k: f"['{k}']"),
    st.text(alphabet="ab_*.'\"[]\\ 0\U0001d1c0\n", max_size=6).map(lambda k: f"['{k}']"),
    st.text(max_size=8).map(lambda k: f'["{k}"]'),
    st.text(alphabet="ab_*.'\"[]\\ 0", max_size=6).map(lambda k: f".{k}"),
    st.text(max_size=3),
)


def _outcome(parse, path):
    try:
        return ("value", parse(path))
    except Exception as exc:  # noqa: BLE001 - the same failure is part of the same answer
        return ("error", type(exc))


@settings(max_examples=3000, deadline=None)
@given(st.lists(_SEGMENTS, max_size=6).map(lambda parts: "root" + "".join(parts)))
@example("root[0]['event_properties']['plan']")
@example("root[007]")
@example("root[0]['__private']")
@example("root[1]['*']")
@example("root[0]['a\U0001d1c0b']")
@example("root[0]['']")
def test_plain_deepdiff_paths_are_read_as_deepdiff_reads_them(path):
    from deepdiff.path import parse_path

    assert _outcome(reports.parse_deepdiff_path, path) == _outcome(lambda p: tuple(parse_path(p)), path)


def test_the_differs_paths_are_read_without_deepdiff():
    for path in ("root[0]['event_properties']['plan']", "root[3]", "root[0]['user_properties']['$set']['a b.c']"):
        assert reports._PLAIN_DEEPDIFF_PATH.fullmatch(path)


# report.json is written by reports.indented_json: the text json.dumps(_finite(model), indent=2,
# ensure_ascii=False) gives, for any value

_TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=6) | st.sampled_from(
    ["", "\ud800", "a\udfffb", '"\\\n\t\x00\x7f', "é€𝄞", "\u2028"])
_NUMBER = st.integers() | st.integers(min_value=-(10**30), max_value=10**30) | st.floats() | st.sampled_from(
    [float("nan"), float("inf"), float("-inf"), -0.0, 1e16, 1e-7, 2.5])
_KEY = _TEXT | st.integers(min_value=-5, max_value=10**20) | st.floats() | st.sampled_from([True, False, None])
_JSONISH = st.recursive(
    _TEXT | _NUMBER | st.sampled_from([True, False, None]),
    lambda inner: st.lists(inner, max_size=4) | st.lists(inner, max_size=3).map(tuple)
    | st.dictionaries(_KEY, inner, max_size=4),
    max_leaves=30,
)


def _dumps_rule(value):
    return json.dumps(reports._finite(value), indent=2, ensure_ascii=False)


@settings(max_examples=2000, deadline=None)
@given(_JSONISH)
@example({"a": [1, {"b": None}], "c": [], "d": {}, 1: 2.5, None: float("nan"), float("inf"): (True, False)})
@example([[[]], [{}], ""])
def test_indented_json_is_json_dumps_with_indent(value):
    assert _outcome(reports.indented_json, value) == _outcome(_dumps_rule, value)


@pytest.mark.parametrize("value", [{"a": {1, 2}}, [b"bytes"], {("tuple", "key"): 1}, {"a": object()}])
def test_indented_json_fails_where_json_dumps_fails(value):
    assert _outcome(reports.indented_json, value) == _outcome(_dumps_rule, value)


def test_report_json_of_the_sample_model_is_json_dumps(make_report_model):
    for hostile in (False, True):
        model = make_report_model(hostile=hostile)
        text = json.dumps(reports._finite(reports.scrub_secrets(model)), indent=2, ensure_ascii=False) + "\n"
        assert reports.render_json(model) == reports._SURROGATES.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# reports.record_lines, against the plain rule it was written from (every value through json.dumps, every path
# tried against every mark)

def _rule_record_lines(records, paths=()):
    marks = reports._parse_paths(paths)
    lines = []

    def matches(path, mark):
        if len(path) < len(mark):
            return False
        return all(m is reports.ANY_RECORD or p == m for p, m in zip(path, mark))

    def emit(value, path, depth, prefix, comma):
        hl = any(matches(path, m) for m in marks)
        if isinstance(value, dict) and value:
            lines.append({"indent": depth, "text": prefix + "{", "hl": hl})
            items = list(value.items())
            for i, (k, v) in enumerate(items):
                emit(v, path + (k,), depth + 1, reports._json_text(str(k)) + ": ", "," if i < len(items) - 1 else "")
            lines.append({"indent": depth, "text": "}" + comma, "hl": hl})
        elif isinstance(value, list) and value:
            lines.append({"indent": depth, "text": prefix + "[", "hl": hl})
            for i, v in enumerate(value):
                emit(v, path + (i,), depth + 1, "", "," if i < len(value) - 1 else "")
            lines.append({"indent": depth, "text": "]" + comma, "hl": hl})
        else:
            lines.append({"indent": depth, "text": prefix + reports._json_text(value, None) + comma, "hl": hl})

    emit(records if records is not None else [], (), 0, "", "")
    return lines


_RECORD_KEY = st.sampled_from(["event_type", "user_id", "a", "b", "0", "1", "$set"]) | st.integers(0, 2) | _TEXT
_RECORDS = st.recursive(
    _TEXT | _NUMBER | st.sampled_from([True, False, None]) | st.just(()),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_RECORD_KEY, inner, max_size=3),
    max_leaves=20,
)
_PATH_PART = st.integers(0, 2).map(lambda i: f"[{i}]") | st.sampled_from(
    ["event_type", "user_id", "a", "b", "0", "$set"]).map(lambda k: f"['{k}']")
_RECORD_PATH = st.one_of(
    st.lists(_PATH_PART, max_size=4).map(lambda parts: "root" + "".join(parts)),
    st.lists(st.sampled_from(["a", "b", "event_type", "user_id", "[0]", "[1]"]), min_size=1, max_size=3).map(
        lambda parts: ".".join(parts).replace(".[", "[")),
    st.sampled_from(["(record)", "error: x", "", "root[", "root[0]['a'"]),
)


@settings(max_examples=1500, deadline=None)
@given(_RECORDS, st.lists(_RECORD_PATH, max_size=4))
@example([{"event_type": "x", "user_id": "u", "p": {"a": [1, 2.5, None, True]}}], ["root[0]['p']['a'][1]", "user_id"])
def test_record_lines_are_the_plain_rule(records, paths):
    assert reports.record_lines(records, paths) == _rule_record_lines(records, paths)


# reports.pane_lines writes a records pane's lines as the template's loop over them wrote them (the rule, kept
# here): the same text for any lines, whatever their indent, highlight and characters
_PANE_LOOP = ('{% for l in lines %}<span class="i{{ [l.indent, 8]|min }}{% if l.hl %} hl{% endif %}">'
              '{{ l.text }}</span>{% endfor %}')
_PANE_LINES = st.lists(st.fixed_dictionaries({"indent": st.integers(0, 12), "hl": st.booleans(),
                                              "text": st.text(max_size=12) | st.sampled_from(
                                                  ['"<b>&amp;"', "'x'", "{", "},", "\u2028", "&lt;"])}),
                       max_size=8)


@settings(max_examples=300, deadline=None)
@given(_PANE_LINES)
def test_pane_lines_are_the_template_loop(lines):
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.ChainableUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["pane_lines"] = reports.pane_lines
    assert env.from_string("{{ lines|pane_lines }}").render(lines=lines) == env.from_string(_PANE_LOOP).render(
        lines=lines)


def test_pane_lines_of_the_example_report(make_report_model):
    html = reports.render_html(make_report_model(hostile=True))
    assert '<span class="i' in html
