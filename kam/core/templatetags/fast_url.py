"""`{% url %}` for every template (TEMPLATES builtins), with the reversing of id routes learnt once.

Django's reverse() matches the route's patterns again on every call, about a hundred Python calls
each; a list page writes 50-200 links to the same few routes with different ids (9-14 % of the
clients list's and the plans page's time). The first link to a route, for each shape of arguments,
URL configuration, script prefix and language, is reversed with marker numbers in place of the
integer arguments; the result, cut at the markers, is the route's template, and later links fill in
their ids. The template is checked against reverse() when learnt; keyword arguments, arguments other
than numbers and strings, negative numbers and routes whose converters refuse or rewrite the markers
go through reverse() as before, so every URL is the one reverse() would give.
"""

from __future__ import annotations

from typing import Any

from django.template import Library, Node
from django.template.base import Parser, Token
from django.template.context import Context
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = Library()

_MARKER = 7_319_846_250  # an id no page holds: its digits mark where each integer argument goes
_UNLEARNABLE = ()
_UNSET = object()
_MAX_TEMPLATES = 10_000  # string arguments are part of the key: a bound, should a page vary them freely
_templates: dict[tuple[Any, ...], tuple[str, ...]] = {}


def _learn(view_name: str, args: list[Any], current_app: str | None) -> tuple[str, ...]:
    """The route's URL cut at each integer argument, or () when markers cannot stand in for them."""
    markers = [_MARKER + i for i in range(len(args))]
    try:
        url = reverse(
            view_name,
            args=[m if type(a) is int else a for m, a in zip(markers, args, strict=True)],
            current_app=current_app,
        )
    except NoReverseMatch:
        return _UNLEARNABLE
    parts = []
    rest = url
    for marker, arg in zip(markers, args, strict=True):
        if type(arg) is not int:
            continue
        head, found, rest = rest.partition(str(marker))
        if not found or str(marker) in rest:
            return _UNLEARNABLE
        parts.append(head)
    parts.append(rest)
    learnt = tuple(parts)
    # A converter may write small numbers otherwise than the markers (zero-padded, say): check the
    # template against reverse() for ones and for the link being written before trusting it.
    for sample in ([1 if type(a) is int else a for a in args], args):
        if _fill(learnt, sample) != reverse(view_name, args=sample, current_app=current_app):
            return _UNLEARNABLE
    return learnt


def _fill(parts: tuple[str, ...], args: list[Any]) -> str:
    numbers = [str(a) for a in args if type(a) is int]
    return "".join(part + number for part, number in zip(parts, numbers, strict=False)) + parts[-1]


def fast_reverse(view_name: str, args: list[Any], current_app: str | None = None) -> str:
    """reverse(view_name, args=args): the same URL, without matching the route's patterns each time."""
    numbers = [a for a in args if type(a) is int]  # not bool, not an enum
    if not numbers or min(numbers) < 0 or len(numbers) + sum(isinstance(a, str) for a in args) < len(args):
        return reverse(view_name, args=args, current_app=current_app)
    shape = tuple(None if type(a) is int else str(a) for a in args)  # a template's literal is a SafeString
    key = (view_name, shape, current_app, get_urlconf(), get_script_prefix(), get_language())
    parts = _templates.get(key)
    if parts is None:
        if len(_templates) >= _MAX_TEMPLATES:
            _templates.clear()
        parts = _templates[key] = _learn(view_name, args, current_app)
    if not parts:
        return reverse(view_name, args=args, current_app=current_app)
    return _fill(parts, args)


class FastURLNode(URLNode):
    def render(self, context: Context) -> str:
        if self.kwargs:
            return super().render(context)
        args = [arg.resolve(context) for arg in self.args]
        view_name = self.view_name.resolve(context)
        request = getattr(context, "request", None)
        current_app: Any = getattr(request, "current_app", _UNSET)  # as URLNode: the request's, else
        if current_app is _UNSET:  # the namespace of the view that answers it
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        url = ""
        try:
            url = fast_reverse(view_name, args, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser: Parser, token: Token) -> Node:
    node: URLNode = django_url(parser, token)
    return FastURLNode(node.view_name, node.args, node.kwargs, node.asvar)
