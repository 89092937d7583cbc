"""Write examples/events.jsonl: one day of a small shop's Segment traffic, deterministic.

    python examples/make_examples.py            # rewrites examples/events.jsonl next to this file

About thirty people visit the website or use the iOS/Android app; some sign up, sign in, add to cart and
order, a back-office server reports renewals and invoices. Every Segment call type appears (track with
and without revenue, Order Completed with products, page named/categorised/neither, screen, identify,
group, alias), users keep their ids, devices and locales across calls. A few events are there on purpose:
short user ids, an order with a "$"-string revenue, and two events whose names are HTML/script injection
attempts, so the report shows it renders untrusted names as inert text.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import uuid
from pathlib import Path

SEED = 20240612
DAY = dt.datetime(2024, 6, 12, 7, 0, tzinfo=dt.timezone.utc)
OUT = Path(__file__).with_name("events.jsonl")

FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Elif", "Farah", "Gustavo", "Hana", "Ivan", "Jonas", "Kenji", "Lea",
         "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tomás", "Uma", "Vera", "Wen", "Yusuf", "Zoë"]
LAST = ["Silva", "Becker", "Dubois", "Ivanov", "Yılmaz", "Khan", "Pereira", "Sato", "Novak", "Berg", "Tanaka",
        "Martin", "López", "Haddad", "Ali", "Patel", "Reed", "García", "Lind", "Ruiz"]
PLACES = [  # locale, timezone, city, region, country, lat, lng, ip prefix
    ("en-US", "America/New_York", "New York", "NY", "United States", 40.7128, -74.0060, "198.51.100."),
    ("en-US", "America/Los_Angeles", "San Francisco", "CA", "United States", 37.7749, -122.4194, "203.0.113."),
    ("en-GB", "Europe/London", "London", "England", "United Kingdom", 51.5072, -0.1276, "192.0.2."),
    ("de-DE", "Europe/Berlin", "Berlin", "Berlin", "Germany", 52.52, 13.405, "198.51.100."),
    ("fr-FR", "Europe/Paris", "Lyon", "Auvergne-Rhône-Alpes", "France", 45.764, 4.8357, "203.0.113."),
    ("pt-BR", "America/Sao_Paulo", "São Paulo", "SP", "Brazil", -23.5505, -46.6333, "192.0.2."),
    ("ja-JP", "Asia/Tokyo", "Tokyo", "Tokyo", "Japan", 35.6762, 139.6503, "198.51.100."),
]
BROWSERS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.6422.113 Mobile Safari/537.36",
]
IOS_DEVICES = [("iPhone15,2", "iPhone 14 Pro"), ("iPhone16,1", "iPhone 15 Pro"), ("iPhone14,7", "iPhone 14")]
ANDROID_DEVICES = [("Google", "Pixel 8"), ("samsung", "SM-S921B"), ("Xiaomi", "2201116SG")]
PRODUCTS = [
    ("sku-1001", "Trail Runner 3", "Shoes", 129.0), ("sku-1002", "Merino Crew Socks", "Accessories", 18.5),
    ("sku-1003", "Rain Shell Jacket", "Outerwear", 189.0), ("sku-1004", "Daypack 22L", "Bags", 74.99),
    ("sku-1005", "Insulated Bottle", "Accessories", 32.0), ("sku-1006", "Fleece Hoodie", "Tops", 89.0),
]
PAGES = [  # name, category, path
    ("Home", None, "/"), ("Pricing", "Marketing", "/pricing"), ("Product", "Catalog", "/p/trail-runner-3"),
    ("Search", "Catalog", "/search"), ("Cart", "Checkout", "/cart"), ("Getting Started", "Docs", "/docs/start"),
    (None, "Blog", "/blog/how-we-test"), (None, None, "/landing/summer-sale"),
]
SCREENS = ["Home", "Product Detail", "Cart", "Checkout", "Order Confirmation", "Settings"]
CAMPAIGNS = [
    {"name": "summer_sale", "source": "newsletter", "medium": "email"},
    {"name": "brand", "source": "google", "medium": "cpc", "term": "trail shoes"},
]
HOSTILE_NAMES = ["<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>"]


class Person:
    def __init__(self, rng: random.Random, i: int):
        self.rng = rng
        self.first, self.last = rng.choice(FIRST), rng.choice(LAST)
        self.platform = rng.choices(["web", "ios", "android"], [60, 22, 18])[0]
        self.place = rng.choice(PLACES)
        self.anonymous_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        # Two customers from an old import have 4-character ids (Amplitude rejects ids under 5 characters).
        self.user_id = f"{4800 + i}" if i in (3, 17) else f"usr_{rng.randrange(10**7):07d}"
        self.known = rng.random() < 0.55  # already signed up before today
        self.email = f"{self.first.lower()}.{self.last.lower()}{i}@example.com".encode("ascii", "ignore").decode()
        self.company = {"id": f"acct_{rng.randrange(10**5):05d}", "name": rng.choice(
            ["Northwind Outdoors", "Blue Fjord AS", "Kumo Labs", "Atelier Lumière", "Casa Verde Ltda"])}
        self.plan = rng.choice(["free", "plus", "team"])
        self.ua = rng.choice(BROWSERS)
        self.ip = self.place[7] + str(rng.randrange(2, 250))
        if self.platform == "ios":
            self.device = {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper(),
                           "manufacturer": "Apple", "model": rng.choice(IOS_DEVICES)[0], "type": "ios",
                           "name": "iPhone", "advertisingId": str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper(),
                           "adTrackingEnabled": rng.random() < 0.3}
        elif self.platform == "android":
            maker, model = rng.choice(ANDROID_DEVICES)
            self.device = {"id": f"{rng.getrandbits(64):016x}", "manufacturer": maker, "model": model,
                           "type": "android", "name": model,
                           "advertisingId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                           "adTrackingEnabled": rng.random() < 0.5}
        self.session_ms: int | None = None

    def context(self, page: dict | None = None, campaign: dict | None = None) -> dict:
        locale, tz, city, region, country, lat, lng, _ = self.place
        ctx: dict = {"ip": self.ip, "locale": locale, "timezone": tz}
        if self.platform == "web":
            ctx["library"] = {"name": "analytics.js", "version": "npm:next-1.70.0"}
            ctx["userAgent"] = self.ua
            ctx["page"] = page or {"path": "/", "url": "https://shop.example.com/", "title": "Trailhead Outfitters",
                                   "referrer": "", "search": ""}
            if campaign:
                ctx["campaign"] = campaign
        else:
            ios = self.platform == "ios"
            ctx["library"] = {"name": "analytics-ios" if ios else "analytics-android", "version": "4.1.8" if ios else "4.11.3"}
            ctx["app"] = {"name": "Trailhead", "version": "5.12.0", "build": "5120", "namespace": "com.example.trailhead"}
            ctx["device"] = dict(self.device)
            ctx["os"] = {"name": "iOS" if ios else "Android", "version": "17.5.1" if ios else "14"}
            ctx["network"] = {"carrier": self.rng.choice(["T-Mobile", "Vodafone", "Orange"]), "wifi": self.rng.random() < 0.6}
            ctx["screen"] = {"width": 393, "height": 852, "density": 3} if ios else {"width": 412, "height": 915, "density": 2.625}
            ctx["location"] = {"city": city, "region": region, "country": country, "latitude": lat, "longitude": lng}
        if self.known or self.signed_in:
            ctx["traits"] = self.traits()
        return ctx

    signed_in = False

    def traits(self) -> dict:
        return {"email": self.email, "name": f"{self.first} {self.last}", "plan": self.plan}


class Day:
    def __init__(self, seed: int = SEED):
        self.rng = random.Random(seed)
        self.events: list[dict] = []

    def emit(self, person: Person, ms: int, call: dict, page: dict | None = None, campaign: dict | None = None) -> None:
        ts = DAY + dt.timedelta(milliseconds=ms)
        event = {"messageId": self._message_id(person), "type": call.pop("type")}
        if person.known or person.signed_in:
            event["userId"] = person.user_id
        event["anonymousId"] = person.anonymous_id
        event.update(call)
        event["context"] = person.context(page, campaign)
        if person.platform == "web" and person.session_ms is not None:
            # the shop's own code passes its session start to Amplitude, as the Classic docs describe
            event["integrations"] = {"Amplitude": {"session_id": person.session_ms}}
        event["timestamp"] = _iso(ts)
        event["originalTimestamp"] = _iso(ts - dt.timedelta(milliseconds=self.rng.randrange(20, 900)))
        event["sentAt"] = _iso(ts + dt.timedelta(milliseconds=self.rng.randrange(50, 2000)))
        event["receivedAt"] = _iso(ts + dt.timedelta(milliseconds=self.rng.randrange(2000, 4000)))
        self.events.append(event)

    def _message_id(self, person: Person) -> str:
        if person.platform == "web":
            return f"ajs-next-{self.rng.getrandbits(96):024x}"
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def server(self, ms: int, user_id: str, call: dict) -> None:
        ts = DAY + dt.timedelta(milliseconds=ms)
        event = {"messageId": f"srv-{self.rng.getrandbits(64):016x}", "type": call.pop("type"), "userId": user_id}
        event.update(call)
        event["context"] = {"library": {"name": "analytics-python", "version": "2.3.2"}}
        event["timestamp"] = _iso(ts)
        event["receivedAt"] = _iso(ts + dt.timedelta(milliseconds=self.rng.randrange(100, 900)))
        self.events.append(event)


def _iso(ts: dt.datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _page_context(name, category, path, referrer) -> dict:
    title = " · ".join(x for x in (name, category) if x) or "Summer Sale"
    return {"path": path, "url": f"https://shop.example.com{path}", "title": f"{title} | Trailhead Outfitters",
            "referrer": referrer, "search": "?utm_source=newsletter" if "summer" in path else ""}


def visit(day: Day, person: Person, start: int) -> None:
    rng, ms = day.rng, start
    web = person.platform == "web"
    # the web session's start in epoch ms (sent as integrations.Amplitude.session_id)
    person.session_ms = int(DAY.timestamp() * 1000) + start if web else None
    campaign = rng.choice(CAMPAIGNS) if web and rng.random() < 0.3 else None
    referrer = rng.choice(["https://www.google.com/", "https://news.ycombinator.com/", ""])

    def step(lo=4_000, hi=90_000):
        nonlocal ms
        ms += rng.randrange(lo, hi)
        return ms

    def view(name, category, path):
        if web:
            props = {"path": path, "url": f"https://shop.example.com{path}", "referrer": referrer,
                     "title": f"{name or category or 'Summer Sale'} | Trailhead Outfitters", "search": ""}
            call = {"type": "page", "properties": props}
            if name:
                call["name"] = name
            if category:
                call["category"] = category
            day.emit(person, step(), call, _page_context(name, category, path, referrer), campaign)
        else:
            screen = {"Home": "Home", "Product": "Product Detail", "Cart": "Cart"}.get(name, "Home")
            day.emit(person, step(), {"type": "screen", "name": screen, "properties": {"name": screen}})

    def track(event, properties=None):
        day.emit(person, step(), {"type": "track", "event": event, "properties": properties or {}},
                 _page_context("Product", "Catalog", "/p/trail-runner-3", referrer) if web else None, campaign)

    if not web:
        track("Application Opened", {"from_background": rng.random() < 0.4, "version": "5.12.0", "build": "5120"})
    for name, category, path in rng.sample(PAGES, rng.randrange(2, 5)):
        view(name, category, path)
    if rng.random() < 0.5:
        track("Products Searched", {"query": rng.choice(["trail shoes", "rain jacket", "socks"])})
    picked = rng.sample(PRODUCTS, rng.randrange(1, 4))
    for sku, pname, category, price in picked:
        track("Product Viewed", {"product_id": sku, "name": pname, "category": category, "price": price,
                                 "currency": "USD", "brand": "Trailhead"})
    if not person.known and rng.random() < 0.6:
        # sign-up: alias the anonymous id, identify, associate the account
        person.signed_in = True
        day.emit(person, step(), {"type": "alias", "previousId": person.anonymous_id, "userId": person.user_id})
        track("Signed Up", {"method": rng.choice(["email", "google", "apple"]), "plan": person.plan})
    elif person.known:
        track("Signed In", {"method": rng.choice(["email", "google"])})
        person.signed_in = True
    if person.signed_in:
        traits = {**person.traits(), "created_at": "2023-11-02T10:15:00.000Z", "logins": rng.randrange(1, 80),
                  "first_seen": "2023-11-02", "company": person.company["name"],
                  "address": {"city": person.place[2], "country": person.place[4]}}
        day.emit(person, step(), {"type": "identify", "traits": traits})
        if rng.random() < 0.5:
            day.emit(person, step(), {"type": "group", "groupId": person.company["id"],
                                      "traits": {"name": person.company["name"], "account_type": "company", "plan": person.plan,
                                                 "employees": rng.choice([8, 40, 250]), "industry": "Retail"}})
    cart = [p for p in picked if rng.random() < 0.7]
    for sku, pname, category, price in cart:
        track("Product Added", {"product_id": sku, "sku": sku, "name": pname, "category": category, "price": price,
                                "quantity": 1, "cart_id": f"cart_{person.anonymous_id[:8]}"})
    if cart and person.signed_in and rng.random() < 0.75:
        items = [{"product_id": s, "sku": s, "name": n, "category": c, "price": p, "quantity": rng.choice([1, 1, 2])}
                 for s, n, c, p in cart]
        subtotal = round(sum(i["price"] * i["quantity"] for i in items), 2)
        track("Checkout Started", {"order_id": f"ord_{rng.randrange(10**6):06d}", "value": subtotal,
                                   "currency": "USD", "products": items})
        if rng.random() < 0.3:
            track("Coupon Applied", {"coupon_id": "SUMMER10", "discount": round(subtotal * 0.1, 2)})
        tax, shipping = round(subtotal * 0.08, 2), 0.0 if subtotal > 100 else 7.5
        order = {"order_id": f"ord_{rng.randrange(10**6):06d}", "affiliation": "Online Store",
                 "subtotal": subtotal, "tax": tax, "shipping": shipping, "total": round(subtotal + tax + shipping, 2),
                 "revenue": subtotal, "currency": "USD", "products": items}
        if rng.random() < 0.15:
            order["revenue"] = f"${subtotal:.2f}"  # seen in the wild: a formatted string
        track("Order Completed", order)
    if not web and rng.random() < 0.5:
        track("Application Backgrounded", {})


def build(seed: int = SEED) -> list[dict]:
    day = Day(seed)
    rng = day.rng
    people = [Person(rng, i) for i in range(32)]
    for i, person in enumerate(people):
        for visit_no in range(rng.choice([1, 1, 2])):
            visit(day, person, start=(i * 13 + visit_no * 290) * 60_000 + rng.randrange(60_000))
    # back office: renewals and invoices for existing customers (server library, no device)
    for person in [p for p in people if p.known][:12]:
        amount = {"free": 0, "plus": 9.99, "team": 49.0}[person.plan]
        day.server(rng.randrange(10 * 3_600_000), person.user_id,
                   {"type": "track", "event": "Subscription Renewed",
                    "properties": {"plan": person.plan, "revenue": amount, "currency": "USD", "interval": "month"}})
        day.server(rng.randrange(10 * 3_600_000), person.user_id,
                   {"type": "track", "event": "Invoice Paid",
                    "properties": {"invoice_id": f"in_{rng.randrange(10**8):08d}", "amount": amount, "currency": "USD"}})
    # two events whose names try to inject markup into whatever renders them
    web_people = [p for p in people if p.platform == "web"]
    day.emit(web_people[0], 9 * 3_600_000, {"type": "track", "event": HOSTILE_NAMES[0], "properties": {"note": HOSTILE_NAMES[1]}})
    day.emit(web_people[1], 9 * 3_600_000 + 5_000, {"type": "page", "name": HOSTILE_NAMES[1], "category": "Docs",
                                                     "properties": {"path": "/docs/x"}})
    day.events.sort(key=lambda e: (e["timestamp"], e["messageId"]))
    return day.events


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    events = build()
    with out.open("w", encoding="utf-8") as fh:
        for event in events:
            fh.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {len(events)} events to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
