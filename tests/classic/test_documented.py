"""Classic as its documentation states it, in every connection mode.

* "Segment will forward both client-side and server-side alias events. All alias events are processed on
  Segment's servers" (Enable Alias): an alias gives the same /usermap request in every mode.
* "An Order Completed event from mobile using our bundled Amplitude integration will work the same as our
  standard track event": iOS and Android log it like any other track (revenue by the revenue rules, no
  Product Purchased), whatever Track Revenue Per Product says.
"""
import copy

import pytest

from classic import MODES, Emulator

ALIAS = {"type": "alias", "userId": "user-00456", "previousId": "user-00123", "messageId": "m-1",
         "timestamp": "2024-03-01T12:00:00.000Z"}
ORDER = {"type": "track", "event": "Order Completed", "userId": "user-00001", "anonymousId": "anon-00001",
         "messageId": "m-2", "timestamp": "2024-03-01T12:00:00.000Z",
         "properties": {"orderId": "o-1", "revenue": 25, "currency": "USD",
                        "products": [{"productId": "p-1", "price": 19, "quantity": 1},
                                     {"productId": "p-2", "price": 3, "quantity": 2}]}}


@pytest.mark.parametrize("endpoint", ["", "europe"])
@pytest.mark.parametrize("mode", MODES)
def test_alias_is_the_server_side_usermap_in_every_mode(mode, endpoint):
    settings = {"apiKey": "fake-api-key-0001", "sendAlias": True, "endpoint": endpoint}
    cloud = Emulator(settings, mode="cloud").send(ALIAS)
    out = Emulator(settings, mode=mode).send(ALIAS)
    assert len(cloud["requests"]) == 1 and cloud["requests"][0]["url"].endswith("/usermap")
    assert out["requests"] == cloud["requests"]
    assert out["records"] is None  # derived from the requests, like cloud mode
    off = Emulator({**settings, "sendAlias": False}, mode=mode).send(ALIAS)
    assert off["requests"] == [] and not off["records"]
    assert off["note"] == "alias is not sent: Enable Alias (sendAlias) is off"


@pytest.mark.parametrize("per_product", [False, True])
@pytest.mark.parametrize("mode", ["ios", "android"])
def test_mobile_order_completed_is_a_standard_track(mode, per_product):
    emu = Emulator({"apiKey": "fake-api-key-0001", "trackRevenuePerProduct": per_product}, mode=mode)
    from migrate.canonical import records_from_requests

    order = records_from_requests(emu.send(ORDER)["requests"])  # the SDK's upload, as Amplitude reads it
    other = copy.deepcopy(ORDER)
    other["event"] = "Checkout Finished"
    track = records_from_requests(emu.send(other)["requests"])
    assert [r["event_type"] for r in order] == ["Order Completed", "revenue_amount"]
    assert "Product Purchased" not in {r.get("event_type") for r in order}
    renamed = [{**r, "event_type": "Order Completed"} if r["event_type"] == "Checkout Finished" else r for r in track]
    assert order == renamed
    revenue = order[1]
    assert (revenue["revenue"], revenue["price"], revenue["quantity"]) == (25, 25, 1)


@pytest.mark.parametrize("mode", ["cloud", "web"])
def test_server_and_web_order_completed_expand_products(mode):
    # the documented Order Completed behaviour: "only available for data originating from a server or web source"
    from migrate.canonical import records_from_requests

    out = Emulator({"apiKey": "fake-api-key-0001"}, mode=mode).send(ORDER)
    assert out["records"] is None  # every mode: derived from the requests
    records = records_from_requests(out["requests"])
    assert [r["event_type"] for r in records].count("Product Purchased") == 2
