"""Log Purchase (`logPurchase`): the order event with its total revenue, plus one "Product Purchased" event per
product. Used by the Order Completed preset."""

from __future__ import annotations

from . import fields as F
from .enrich import js_multiply, js_round, library_value, truthy, user_agent_layer
from .fields import field
from .framework import event_request
from .jsjson import UNDEFINED, js_string
from .log_event import _DROPPED as _LOG_EVENT_DROPPED
from .log_event import build_event, event_properties, options_of

SLUG = "logPurchase"
TITLE = "Log Purchase"
DESCRIPTION = (
    "Send purchase/revenue events to Amplitude. Sends one main event with the original event type and total "
    'revenue, plus additional "Product Purchased" events for each product in the order.'
)
DEFAULT_SUBSCRIPTION = 'type = "track"'

FIELDS: dict[str, dict] = {
    'trackRevenuePerProduct': field(
        'Track Revenue Per Product',
        'boolean',
        description='When enabled, track revenue with each product within the event. When disabled, track total revenue once for the event.',
        default=False,
    ),
    **F.EVENT_SCHEMA,
    'products': field(
        'Products',
        'object',
        description='The list of products purchased.',
        multiple=True,
        additional_properties=True,
        properties={
            'price': field(
                'Price',
                'number',
                description='The price of the item purchased. Required for revenue data if the revenue field is not sent. You can use negative values to indicate refunds.',
            ),
            'quantity': field(
                'Quantity',
                'integer',
                description='The quantity of the item purchased. Defaults to 1 if not specified.',
            ),
            'revenue': field(
                'Revenue',
                'number',
                description='Revenue = price * quantity. If you send all 3 fields of price, quantity, and revenue, then (price * quantity) will be used as the revenue value. You can use negative values to indicate refunds.',
                depends_on={
                    'match': 'any',
                    'conditions': [
                        {'fieldKey': 'price', 'operator': 'is', 'value': ''},
                        {'fieldKey': 'quantity', 'operator': 'is', 'value': ''},
                    ],
                },
            ),
            'productId': field(
                'Product ID',
                'string',
                description='An identifier for the item purchased. You must send a price and quantity or revenue with this field.',
            ),
            'revenueType': field(
                'Revenue Type',
                'string',
                description='The type of revenue for the item purchased. You must send a price and quantity or revenue with this field.',
            ),
        },
        default={
            '@arrayPath': [
                '$.properties.products',
                {
                    'price': {'@path': 'price'},
                    'revenue': {'@path': 'revenue'},
                    'quantity': {'@path': 'quantity'},
                    'productId': {'@path': 'productId'},
                    'revenueType': {'@path': 'revenueType'},
                },
            ],
        },
    ),
    "use_batch_endpoint": F.USE_BATCH_ENDPOINT,
    "userAgent": F.USER_AGENT,
    "userAgentParsing": F.USER_AGENT_PARSING,
    "includeRawUserAgent": F.INCLUDE_RAW_USER_AGENT,
    "utm_properties": F.UTM_PROPERTIES,
    "referrer": F.REFERRER,
    "min_id_length": F.MIN_ID_LENGTH,
    "userAgentData": F.USER_AGENT_DATA,
}

_DROPPED = _LOG_EVENT_DROPPED | frozenset(("products", "trackRevenuePerProduct"))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def revenue_properties(source: dict) -> dict:
    """getRevenueProperties: price x quantity beats an explicit revenue; no revenue (0 too) means no keys."""
    revenue = source.get("revenue", UNDEFINED)
    quantity = source.get("quantity", UNDEFINED)
    price = source.get("price", UNDEFINED)
    if _is_number(quantity) and _is_number(price):
        revenue = js_multiply(quantity, price)
    if not truthy(revenue):
        return {}
    out = {"revenue": revenue}
    revenue_type = source.get("revenueType", UNDEFINED)
    out["revenueType"] = "Purchase" if revenue_type is UNDEFINED or revenue_type is None else revenue_type
    if _is_number(quantity):
        out["quantity"] = js_round(quantity)
    if price is not UNDEFINED:
        out["price"] = price
    product_id = source.get("productId", UNDEFINED)
    if product_id is not UNDEFINED:
        out["productId"] = product_id
    return out


def perform(payload: dict, settings: dict, ctx=None) -> list[dict]:
    products = payload.get("products", UNDEFINED)
    if products is UNDEFINED:
        products = []
    per_product = truthy(payload.get("trackRevenuePerProduct", UNDEFINED))
    properties = event_properties(payload, _DROPPED)
    layer, holes = user_agent_layer(payload)
    library = library_value(payload.get("library2", UNDEFINED))
    main_revenue = {} if (products and per_product) else revenue_properties(payload)
    events = [build_event(layer, holes, properties, main_revenue, library)]
    insert_id = properties.get("insert_id", UNDEFINED)
    for product in products:
        tail = revenue_properties(product) if per_product and isinstance(product, dict) else {}
        event = {**properties, **tail, "event_properties": product, "event_type": "Product Purchased"}
        if truthy(insert_id):
            event["insert_id"] = f"{js_string(insert_id)}-{len(events) + 1}"
        if library is not UNDEFINED:
            event["library"] = library
        events.append(event)
    return [event_request(settings, payload, events, options_of(payload))]

