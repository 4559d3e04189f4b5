"""Dashboard widgets: each app may register a function that returns a rendered-ready widget or None."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

Widget = dict[str, Any]
_REGISTRY: list[Callable[[HttpRequest, Any], Widget | None]] = []


def register(
    builder: Callable[[HttpRequest, Any], Widget | None],
) -> Callable[[HttpRequest, Any], Widget | None]:
    _REGISTRY.append(builder)
    return builder


def widgets_for(request: HttpRequest, user: Any) -> list[Widget]:
    """Widgets are dicts with `template` and its context; None means nothing to show this user."""
    return [w for w in (builder(request, user) for builder in _REGISTRY) if w]
