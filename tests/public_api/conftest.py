import pytest

from fake_segment_api import FakeSegmentApi
from migrate.public_api import SegmentClient
from segment_support import DATA, TOKEN, FakeClock, load


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def server(clock):
    fake = FakeSegmentApi(TOKEN, clock=clock, max_page_size=2)
    fake.add_destination(load("actions_destination.json"), load("existing_subscriptions.json"))
    fake.add_destination(load("classic_destination.json"))
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def make_client(server, clock):
    def make(**kwargs):
        options = {"base_url": server.url, "timeout": 2.0, "clock": clock, "sleep": clock.sleep,
                   "jitter": lambda: 1.0} | kwargs
        return SegmentClient(TOKEN, **options)

    return make


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def desired_path():
    return str(DATA / "desired_subscriptions.json")
