"""The client search has a trigram index on PostgreSQL (migration clients 0002); SQLite has none."""

from __future__ import annotations

import pytest
from django.db import connection

from kam.clients.models import Client

pytestmark = pytest.mark.django_db


def test_the_search_name_has_a_trigram_index_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL index")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'clients_client' AND indexname = %s",
            ["clients_client_search_name_trgm"],
        )
        (definition,) = cursor.fetchone()
    assert "gin_trgm_ops" in definition


def test_the_search_still_finds_a_fragment(company):
    found = Client.objects.search(company.alice_client.short_name[1:5].lower())
    assert company.alice_client in found
