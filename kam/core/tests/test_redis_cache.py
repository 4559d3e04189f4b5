"""The ledger-versioned cache on Redis (KAM_REDIS_URL), as several gunicorn workers share it."""

from __future__ import annotations

import socket
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.test import override_settings

from kam.core import cache as ledger_cache
from kam.planning.selectors import Actuals

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/14"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis server at 127.0.0.1:6379")
def test_cached_figures_survive_the_round_trip_through_redis():
    redis_cache = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    with override_settings(CACHES=redis_cache):
        caches["default"].clear()
        calls = []

        def compute() -> dict[int, Actuals]:
            calls.append(1)
            return {7: Actuals(Decimal("1234.56"), 3, 1)}

        key = ("test.redis", "month", date(2026, 12, 1))
        first = ledger_cache.cached(key, compute)
        again = ledger_cache.cached(key, compute)
        assert first == again == {7: Actuals(Decimal("1234.56"), 3, 1)}
        assert calls == [1]  # the second read came from Redis
        assert caches["default"].get(ledger_cache.make_key(key)) == first
        caches["default"].clear()
