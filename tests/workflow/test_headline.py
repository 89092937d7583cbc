"""The verdict sentence: long values are cut, and the figure with the SDK changes made is stated."""

from migrate.compare import HEADLINE_VALUE_CHARS, headline


def model(*, matched, outside, lost, pairs):
    variant = {
        "events": 200, "matched": matched, "parity": matched / 200, "parity_exact": matched / 400,
        "outside_mappings": {"events": outside}, "outcomes": {"lost": lost},
        "breakdowns": {"user_agent": {"events": 10, "pairs": pairs}},
    }
    return {"variants": {"recommended": variant}, "inputs": {}}


def test_long_values_are_cut_in_the_sentence():
    ua = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko)"
    out = headline(model(matched=100, outside=0, lost=0, pairs=[[ua, None, 10]]))
    assert ua not in out["sentence"]
    assert ua[:HEADLINE_VALUE_CHARS - 1] + "…" in out["sentence"]
    assert "user_agent (" in out["sentence"] and "→ (none))" in out["sentence"]


def test_sdk_only_differences_are_named_with_the_figure_they_would_give():
    out = headline(model(matched=20, outside=150, lost=5, pairs=[]))
    sentence = out["sentence"]
    assert sentence.startswith("With the recommended subscriptions, 10.0% of events (20 of 200)")
    assert "5 lose a record Classic sent" in sentence
    assert "150 differ only by the Amplitude SDK's device ids or sessions" in sentence
    assert "with that change, 85.0% would land with the same numbers" in sentence
    assert out["outside_mappings"] == 150


def test_no_sdk_clause_without_such_events():
    sentence = headline(model(matched=190, outside=0, lost=0, pairs=[]))["sentence"]
    assert "SDK" not in sentence and "no breakdown field changes" not in sentence
