from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest


def paginate(
    request: HttpRequest, queryset: QuerySet[Any], per_page: int = 50, count: int | None = None
) -> Page:
    """A page of results; a bad or too-large page number falls back to the nearest valid page.

    `count`: the number of rows when the caller knows it already (a cached count), saving the COUNT query.
    """
    paginator = Paginator(queryset, per_page)
    if count is not None:
        paginator.count = count  # Paginator.count is a cached_property: this value is used instead
    return paginator.get_page(request.GET.get("page"))
