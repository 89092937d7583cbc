"""What a reader of report.html needs to read the recommendations and differences right."""

import re

import reports


def _rec_blocks(html: str) -> list[str]:
    return re.findall(r'<div class="rec">(.*?)</div>\s*(?=<div class="rec">|</section>)', html, flags=re.S)


def test_recommendation_shows_its_category_counts_and_a_neutral_delta(make_report_model):
    model = make_report_model()
    rec = model["recommendations"][0]
    rec.update(parity_before=0.5, parity_after=0.5, category_events_before=347, category_events_after=0, kept=True)
    block = _rec_blocks(reports.render_html(model))[0]
    assert "347 → 0" in block
    assert 'class="same"' in block and 'class="up"' not in block  # unchanged parity is not painted green
    assert "none of its differences changes chart numbers" in block
    assert "not applied" not in block


def test_dropped_recommendation_is_marked_not_applied(make_report_model):
    model = make_report_model()
    rec = model["recommendations"][1]
    rec.update(parity_before=0.834, parity_after=0.80, kept=False)
    block = _rec_blocks(reports.render_html(model))[1]
    assert "not applied: it lowered parity" in block and 'class="down"' in block


def test_wire_only_category_says_it_does_not_count(make_report_model):
    model = make_report_model()
    variant = model["variants"]["translated"]
    variant["categories"].append({"category": "wire_only", "title": "Wire-protocol-only", "count": 3,
                                  "events_by_name": {"Song Played": 3}, "explanation": "", "examples": []})
    html = reports.render_html(model)
    heading = re.search(r'id="translated-wire_only">\s*<h4>(.*?)</h4>', html, flags=re.S).group(1)
    assert "not counted in parity" in heading
