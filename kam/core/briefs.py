"""Sections of the meeting brief contributed by each module (orders, receivables, contracts, claims…).

The brief page (kam/activities) shows what exists now; a module that lands later registers its section
here from its AppConfig.ready(), and the brief gains it without the brief's code changing.
A builder returns a dict with at least `template` (rendered with the dict as `section`) and `title`,
or None when it has nothing to say for this client and user. Builders must apply the access rules
(e.g. no margins for roles that may not see them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Section = dict[str, Any]
Builder = Callable[[Any, Any], Section | None]  # (client, user) -> section
_BUILDERS: list[tuple[int, str, Builder]] = []


def register(order: int, name: str) -> Callable[[Builder], Builder]:
    """Register a brief section; `order` sorts sections on the page (lower first)."""

    def wrap(builder: Builder) -> Builder:
        _BUILDERS[:] = [b for b in _BUILDERS if b[1] != name]
        _BUILDERS.append((order, name, builder))
        _BUILDERS.sort(key=lambda b: b[0])
        return builder

    return wrap


def sections_for(client: Any, user: Any) -> list[Section]:
    sections = []
    for _order, name, builder in _BUILDERS:
        section = builder(client, user)
        if section:
            section.setdefault("name", name)
            sections.append(section)
    return sections


def registered_names() -> list[str]:
    return [name for _order, name, _builder in _BUILDERS]
