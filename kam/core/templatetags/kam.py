from decimal import Decimal
from typing import Any

from django import template
from django.http import QueryDict

from kam.access import policy
from kam.core import money

register = template.Library()


@register.filter
def rub(amount: Decimal | int | None) -> str:
    return money.format_money(amount)


@register.filter
def rub0(amount: Decimal | int | None) -> str:
    return money.format_money(amount, digits=0)


@register.filter
def kop(amount: int | None) -> str:
    """Integer kopecks from the analytics engine, shown in roubles without kopecks."""
    return money.format_money(amount, kopecks=True, digits=0)


@register.filter
def pct(share: Decimal | float | None, digits: int = 1) -> str:
    return money.format_percent(share, digits)


@register.filter
def num(value: Any, digits: int = 0) -> str:
    if isinstance(value, str):  # figures kept in JSON come back as strings
        try:
            value = Decimal(value)
        except ArithmeticError:
            return value
    return money.format_number(value, digits)


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (sorting and paging links keep filters)."""
    params: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + params.urlencode()


@register.simple_tag(takes_context=True)
def can(context: dict[str, Any], perm: str, obj: object | None = None) -> bool:
    return policy.can(context["request"].user, perm, obj)
