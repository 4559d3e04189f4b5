"""Every door of the site, from the URL resolver: so a new app's pages and API are covered without a list.

A door is one URL with its arguments filled in. `client_id` gets the client under test, `tab` every dossier
tab, `fmt` every format the pattern accepts, `year`/`month`/`period` a current value; other object ids get
an id that does not exist (the view must still refuse or 404, and leak nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

SKIP_PREFIXES = ("i18n/", "logout/", "admin/", "login/", "health/")
ARG = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\(\?P<(?P<rname>\w+)>(?P<rx>[^)]*)\)")


@dataclass(frozen=True)
class Door:
    route: str  # the pattern, e.g. "clients/<int:client_id>/edit/"
    url: str  # filled in
    name: str  # namespaced URL name
    is_api: bool


def patterns() -> Iterator[tuple[str, str, URLPattern]]:
    def walk(items, prefix: str, namespace: str | None):
        for p in items:
            if isinstance(p, URLResolver):
                ns = ":".join(x for x in (namespace, p.namespace) if x) or None
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
                yield prefix + str(p.pattern), name, p

    yield from walk(get_resolver().url_patterns, "", None)


def _route_to_url(route: str, values: dict[str, str]) -> str:
    def sub(m: re.Match) -> str:
        return values[m.group("name") or m.group("rname")]

    url = ARG.sub(sub, route)
    url = url.lstrip("^").rstrip("$").replace("\\.", ".")
    return "/" + url


def arg_names(route: str) -> list[str]:
    return [m.group("name") or m.group("rname") for m in ARG.finditer(route)]


def _choices(route: str, name: str) -> list[str]:
    for m in ARG.finditer(route):
        if m.group("rname") == name and m.group("rx"):
            return [c for c in m.group("rx").split("|") if re.fullmatch(r"[\w.-]+", c)]
    return []


def doors(client_id: int, tabs: list[str], *, only_client_doors: bool = True) -> list[Door]:
    """Doors that name a client (only_client_doors) or every door, with the client's id filled in."""
    today = timezone.localdate()
    found: list[Door] = []
    for route, name, _pattern in patterns():
        if route.startswith(SKIP_PREFIXES):
            continue
        names = arg_names(route)
        if only_client_doors and "client_id" not in names:
            continue
        variants: list[dict[str, str]] = [{}]
        for arg in names:
            if arg == "client_id":
                values = [str(client_id)]
            elif arg == "tab":
                values = tabs
            elif arg == "fmt":
                values = _choices(route, arg) or ["csv"]
            elif arg == "year":
                values = [str(today.year)]
            elif arg == "month":
                values = [today.strftime("%Y-%m")] if "str" in route else [str(today.month)]
            elif arg == "period":
                values = [today.strftime("%Y-%m")]
            elif arg in ("segment", "part", "token"):
                values = ["x"]
            else:
                values = ["987654"]
            variants = [{**v, arg: value} for v in variants for value in values]
        for filled in variants:
            found.append(Door(route, _route_to_url(route, filled), name, route.startswith("api/")))
    return found
