"""The pseudonymiser on its own: which keys are personal, free text, field/value shapes, keys and salts."""

import json

import pytest

from migrate.pii import PiiPolicy, Pseudonymiser, is_personal_key, protect_report


@pytest.fixture
def p():
    return Pseudonymiser.from_salt("test salt")


@pytest.mark.parametrize("key, ancestors", [
    ("user_id", ()), ("userId", ("properties",)), ("anonymousId", ()), ("previousId", ()), ("groupId", ()),
    ("device_id", ()), ("advertisingId", ("context", "device")), ("idfa", ()), ("adid", ()),
    ("email", ("context", "traits")), ("customer_email", ("properties",)), ("phone", ()), ("firstName", ()),
    ("last_name", ()), ("birthday", ()), ("address", ()), ("postalCode", ("address",)), ("street", ()),
    ("ip", ("context",)), ("ip_address", ()), ("latitude", ("context", "location")), ("location_lng", ()),
    ("name", ("context", "traits")), ("name", ("user_properties", "$set")), ("id", ("traits",)),
    ("id", ("context", "device")), ("classic_device_id", ()), ("groups", ()), ("group_value", ()),
])
def test_personal_keys(key, ancestors):
    assert is_personal_key(key, ancestors)


@pytest.mark.parametrize("key, ancestors", [
    ("event_type", ()), ("name", ("properties",)), ("name", ("properties", "products")), ("id", ("products",)),
    ("product_id", ()), ("order_id", ()), ("plan", ("traits",)), ("price", ()), ("category", ()),
    ("city", ()), ("country", ()), ("region", ()), ("url", ()), ("path", ()), ("zip_included", ()),
    ("name", ("group_properties",)), ("messageId", ()), ("insert_id", ()),
])
def test_readable_keys(key, ancestors):
    assert not is_personal_key(key, ancestors)


def test_extra_keys_any_spelling():
    p = Pseudonymiser(extra_keys=["loyalty_number"])
    out = p.scrub({"properties": {"LoyaltyNumber": "LOY-1", "nested": [{"loyalty-number": 7}]}, "plan": "x"})
    assert out["properties"]["LoyaltyNumber"].startswith("pii:")
    assert out["properties"]["nested"][0]["loyalty-number"].startswith("pii:")
    assert out["plan"] == "x"


def test_equal_values_equal_pseudonyms_types_kept_apart(p):
    assert p.pseudonym("abc") == p.pseudonym("abc")
    assert p.pseudonym("abc") != p.pseudonym("abd")
    assert p.pseudonym("123") != p.pseudonym(123)
    assert p.pseudonym(1.5) != p.pseudonym("1.5")


def test_keys_and_salts():
    assert Pseudonymiser.from_salt("a").pseudonym("x") == Pseudonymiser.from_salt("a").pseudonym("x")
    assert Pseudonymiser.from_salt("a").pseudonym("x") != Pseudonymiser.from_salt("b").pseudonym("x")
    # no salt: a random key per run, so pseudonyms cannot be looked up from a previous report
    assert Pseudonymiser().pseudonym("x") != Pseudonymiser().pseudonym("x")


def test_personal_objects_keep_their_shape(p):
    out = p.scrub({"traits": {"address": {"street": "1 Main St", "postalCode": "12345", "city": "Springfield",
                                          "country": "US"}, "plan": "pro"}})
    address = out["traits"]["address"]
    assert list(address) == ["street", "postalCode", "city", "country"]
    assert address["street"].startswith("pii:") and address["postalCode"].startswith("pii:")
    assert (address["city"], address["country"], out["traits"]["plan"]) == ("Springfield", "US", "pro")


def test_raw_values_inside_strings(p):
    doc = {
        "user_id": "usr_9383625",
        "properties": {
            "url": "https://x.example/users/usr_9383625/orders?email=jane%40x.example&plan=pro",
            "referrer": "https://mail.example/?u=usr_9383625",
            "note": "contact jane.doe@corp.example or usr_9383625x",  # not the id: a longer token
            "usr_9383625": True,  # even as a key
        },
    }
    out = p.scrub(doc)
    uid = out["user_id"]
    props = out["properties"]
    assert props["url"] == f"https://x.example/users/{uid}/orders?email={p.pseudonym('jane@x.example')}&plan=pro"
    assert props["referrer"] == f"https://mail.example/?u={uid}"
    assert props["note"] == f"contact {p.pseudonym('jane.doe@corp.example')} or usr_9383625x"
    assert props[uid] is True
    assert "usr_9383625/" not in json.dumps(out)


def test_json_text_and_form_bodies(p):
    line = {"requests": [{"form": {"api_key": "k", "identification": json.dumps(
        {"user_id": "someone-1", "user_properties": {"email": "a@b.example", "lat": 52.1, "plan": "pro"}})}}]}
    text = p.scrub(line)["requests"][0]["form"]["identification"]
    parsed = json.loads(text)
    assert parsed["user_id"] == p.pseudonym("someone-1")
    assert parsed["user_properties"]["email"] == p.pseudonym("a@b.example")
    assert parsed["user_properties"]["lat"] == p.pseudonym(52.1)
    assert parsed["user_properties"]["plan"] == "pro"


def test_field_value_shapes(p):
    doc = {
        "ids": [{"field": "userId", "value": "abc", "reason": "shorter than 5 characters"}],
        "peak": [{"field": "device_id", "id": "dev-9", "peak_eps": 41}],
        "breakdown": {"path": "context.device.id", "pairs": [["d-1", "d-2", 3], [12345, None, 1]], "count": 4},
        "readable": {"path": "event_properties.plan", "pairs": [["free", "pro", 2]]},
    }
    out = p.scrub(doc)
    assert out["ids"][0] == {"field": "userId", "value": p.pseudonym("abc"), "reason": "shorter than 5 characters"}
    assert out["peak"][0] == {"field": "device_id", "id": p.pseudonym("dev-9"), "peak_eps": 41}
    assert out["breakdown"]["pairs"] == [[p.pseudonym("d-1"), p.pseudonym("d-2"), 3], [p.pseudonym(12345), None, 1]]
    assert out["breakdown"]["count"] == 4
    assert out["readable"] == doc["readable"]


def test_tables_under_a_personal_key_keep_their_counts(p):
    out = p.scrub({"device_id": [["d-1", "d-2", 3], ["d-3", 17, 1]], "location": {"latitude": [52, 13]},
                   "user_id": {"top": [{"value": "u-1", "count": 2}]}})
    assert out["device_id"] == [[p.pseudonym("d-1"), p.pseudonym("d-2"), 3], [p.pseudonym("d-3"), p.pseudonym(17), 1]]
    assert out["location"]["latitude"] == [p.pseudonym(52), p.pseudonym(13)]  # a value, not a table row
    assert out["user_id"]["top"][0] == {"value": p.pseudonym("u-1"), "count": 2}


def test_placeholders_and_empty_values_stay(p):
    out = p.scrub({"userId": "anonymous", "anonymousId": "", "device_id": None, "user_id": "null",
                   "idfa": "00000000-0000-0000-0000-000000000000", "email": True})
    assert out == {"userId": "anonymous", "anonymousId": "", "device_id": None, "user_id": "null",
                   "idfa": "00000000-0000-0000-0000-000000000000", "email": True}


def test_short_values_replaced_only_as_whole_strings(p):
    out = p.scrub({"user_id": "ab1", "other": "ab1", "text": "tab1 and ab1x", "event": "Signed In"})
    assert out["other"] == out["user_id"] == p.pseudonym("ab1")
    assert out["text"] == "tab1 and ab1x"


def test_protect_report_leaves_configuration_alone():
    model = {
        "variants": {"translated": {"categories": [{"category": "user_id", "count": 1, "examples": [
            {"messageId": "m1", "paths": ["user_id"], "classic": [{"user_id": "u-12345"}], "actions": [{}]}]}]}},
        "subscriptions": {"recommended": [{"mapping": {"user_id": {"@path": "$.userId"}}}]},
        "recommendations": [{"change": {"patch": {"user_id": {"@path": "$.userId"}}}}],
        "translation_log": [{"key": "userId", "value": "x-setting"}],
    }
    out = protect_report(model, PiiPolicy())
    example = out["variants"]["translated"]["categories"][0]["examples"][0]
    assert example["classic"][0]["user_id"].startswith("pii:") and example["paths"] == ["user_id"]
    for section in ("subscriptions", "recommendations", "translation_log"):
        assert out[section] == model[section]
    assert out["privacy"]["mode"] == "mask" and "random" in out["privacy"]["key"]
    kept = protect_report(model, PiiPolicy("keep"))
    assert kept["variants"] == model["variants"] and kept["privacy"]["mode"] == "keep"
    assert "privacy" not in model  # the input model is not modified


def test_policy_never_describes_the_salt():
    policy = PiiPolicy(salt="s3cret-salt-value", extra_keys=("member_no",))
    assert "s3cret-salt-value" not in repr(policy) + json.dumps(policy.describe())
    with pytest.raises(ValueError):
        PiiPolicy("hide")


def test_raw_values_found_in_texts_of_every_length(p):
    # the texts are searched only for the values no longer than them: a value as long as the text, one
    # character shorter, and one longer (not searched) give what a search of every value gives
    ids = {f"u{'x' * n}{n}": n for n in range(4, 14)}
    doc = {"users": [{"user_id": v} for v in ids], "texts": [v for v in ids] + [f"<{v}>" for v in ids]
           + [v[:-1] for v in ids] + [" ".join(ids)]}
    out = p.scrub(doc)
    aliases = {v: p.pseudonym(v) for v in ids}
    texts = out["texts"]
    n = len(ids)
    assert texts[:n] == [aliases[v] for v in ids]
    assert texts[n:2 * n] == [f"<{aliases[v]}>" for v in ids]
    assert texts[2 * n:3 * n] == [v[:-1] for v in ids]  # a shorter text holds no value
    assert texts[3 * n] == " ".join(aliases[v] for v in ids)
    assert p.scrub(doc) == out  # texts remembered within one scrub, not across
