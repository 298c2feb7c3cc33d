import pytest
from django.core.cache import cache

from otc.accounts.throttling import _key


@pytest.fixture(autouse=True)
def _fresh_login_counters():
    """The test client always comes from 127.0.0.1, so the per-IP failure
    counter would carry from one test to the next; start each test at zero."""
    cache.delete(_key("ip", "127.0.0.1"))
    yield
    cache.delete(_key("ip", "127.0.0.1"))
