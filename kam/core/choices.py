"""Labels of choice fields for pages that show many rows."""

from __future__ import annotations

from typing import Any

from django.db import models


def label(choices: type[models.Choices], value: Any) -> str:
    """The label of `value` among `choices` in the active language, or the value itself if unknown.

    Django's get_FOO_display builds a dict of every choice on each call, hashing each lazy label (one
    translation lookup per choice): a list page calling it twice per row spent an eighth of its
    rendering there. An enum lookup by value gives the same label.
    """
    try:
        return str(choices(value).label)
    except ValueError:
        return "" if value is None else str(value)
