"""Choice labels for list pages: the same text as Django's get_FOO_display, in each language."""

from __future__ import annotations

import pytest
from django.db.models.base import Model
from django.utils import translation

from kam.clients.models import Client, ClientStatus, Segment
from kam.core.choices import label

djangos_label = Model._get_FIELD_display  # type: ignore[attr-defined]  # what get_FOO_display calls


@pytest.mark.parametrize("language", ["en", "ru"])
def test_client_labels_match_djangos_for_every_choice(language):
    with translation.override(language):
        for segment in Segment.values:
            for status in ClientStatus.values:
                client = Client(segment=segment, status=status)
                expected_segment = djangos_label(client, Client._meta.get_field("segment"))
                expected_status = djangos_label(client, Client._meta.get_field("status"))
                assert client.get_segment_display() == expected_segment
                assert client.get_status_display() == expected_status
    with translation.override("en"):
        english = Client(status=ClientStatus.ACTIVE).get_status_display()
    with translation.override("ru"):
        assert Client(status=ClientStatus.ACTIVE).get_status_display() not in ("", english)


def test_an_unknown_value_is_shown_as_it_is():
    assert label(ClientStatus, "archived-long-ago") == "archived-long-ago"
    assert label(ClientStatus, None) == ""
