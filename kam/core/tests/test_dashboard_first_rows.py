"""A widget's first rows and total: the count query is spent only when the list is full."""

from __future__ import annotations

import pytest

from kam.clients.models import Client
from kam.core.dashboard import first_rows

pytestmark = pytest.mark.django_db


def test_a_short_list_is_its_own_count(company, django_assert_num_queries):
    total = Client.objects.count()
    with django_assert_num_queries(1):
        rows, count = first_rows(Client.objects.order_by("pk"), total + 5)
    assert count == len(rows) == total


def test_a_full_list_counts_the_rest(company, django_assert_num_queries):
    total = Client.objects.count()
    assert total > 2
    with django_assert_num_queries(2):
        rows, count = first_rows(Client.objects.order_by("pk"), 2)
    assert [r.pk for r in rows] == list(Client.objects.order_by("pk").values_list("pk", flat=True)[:2])
    assert count == total
