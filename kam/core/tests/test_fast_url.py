"""{% url %} with learnt route templates gives exactly the URLs reverse() gives, for every route."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.template import Context, Engine, Template
from django.urls import (
    NoReverseMatch,
    URLPattern,
    URLResolver,
    get_resolver,
    path,
    register_converter,
    reverse,
)
from django.utils.safestring import SafeString

from kam.core.templatetags import fast_url


class ZeroPadded:
    """A converter that writes small numbers otherwise than large ones (the markers): must not be learnt."""

    regex = "[0-9]{4,}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{value:04d}"


register_converter(ZeroPadded, "padded")


def _view(request: Any, **kwargs: Any) -> HttpResponse:  # pragma: no cover - never called
    return HttpResponse()


urlpatterns = [
    path("cards/<padded:number>/", _view, name="card"),
    path("items/<int:pk>/<str:tab>/<int:line>/", _view, name="item_line"),
]


def _routes(resolver: URLResolver, namespace: str = "") -> list[tuple[str, list[str]]]:
    """(name with namespace, converter names in order) of every named route below `resolver`."""
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _routes(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            converters = getattr(entry.pattern, "converters", {})
            found.append((namespace + entry.name, [type(c).__name__ for c in converters.values()]))
    return found


def test_every_route_of_the_project_gives_the_url_reverse_gives():
    routes = [(name, kinds) for name, kinds in _routes(get_resolver()) if "IntConverter" in kinds]
    assert len(routes) > 50  # the walk found the project's id routes
    for name, kinds in routes:
        for number in (0, 7, 123, 10**12, fast_url._MARKER):
            args: list[Any] = [number + i if k == "IntConverter" else "keyness" for i, k in enumerate(kinds)]
            try:
                expected = reverse(name, args=args)
            except NoReverseMatch:
                continue  # a route with more than one pattern under the name: not for positional ids
            assert fast_url.fast_reverse(name, args) == expected, (name, args)


def test_the_tag_writes_the_same_links_as_djangos(company):
    engine = Engine.get_default()
    assert "kam.core.templatetags.fast_url" in engine.builtins
    page = Template(
        "{% url 'clients:dossier' pk %}|{% url 'clients:dossier_tab' pk 'group' %}|"
        "{% url 'clients:dossier' pk as link %}[{{ link }}]|{% url 'clients:list' %}|"
        "{% url 'clients:export' fmt='csv' %}|{% url 'nowhere' pk as missing %}[{{ missing }}]"
    ).render(Context({"pk": company.alice_client.pk}))
    pk = company.alice_client.pk
    assert page == "|".join(
        [
            reverse("clients:dossier", args=[pk]),
            reverse("clients:dossier_tab", args=[pk, "group"]),
            f"[{reverse('clients:dossier', args=[pk])}]",
            reverse("clients:list"),
            reverse("clients:export", kwargs={"fmt": "csv"}),
            "[]",
        ]
    )
    with pytest.raises(NoReverseMatch):
        Template("{% url 'clients:dossier' -5 %}").render(Context())
    with pytest.raises(NoReverseMatch):
        Template("{% url 'nowhere' 5 %}").render(Context())


@pytest.mark.urls("kam.core.tests.test_fast_url")
def test_a_converter_that_pads_small_numbers_is_not_learnt():
    fast_url._templates.clear()
    for number in (12345, 5, 12):  # learnt first from a number as wide as the padding
        assert fast_url.fast_reverse("card", [number]) == reverse("card", args=[number])
    assert fast_url.fast_reverse("item_line", [3, "a b", 9]) == reverse("item_line", args=[3, "a b", 9])
    assert fast_url.fast_reverse("item_line", [4, "a b", 10]) == "/items/4/a%20b/10/"
    assert fast_url.fast_reverse("item_line", [5, SafeString("a b"), 11]) == "/items/5/a%20b/11/"
    learnt = {key[1] for key in fast_url._templates if key[0] == "item_line"}
    assert learnt == {(None, "a b", None)}  # a template's literal (SafeString) shares the plain string's
    with pytest.raises(NoReverseMatch):  # a bool is not an id: refused as reverse() refuses it
        fast_url.fast_reverse("item_line", [True, "a b", 1])
