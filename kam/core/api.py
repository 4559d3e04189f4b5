"""Building blocks every app's API router shares: error bodies, strict input, safe text, pagination."""

from __future__ import annotations

from typing import Annotated, Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination
from pydantic import AfterValidator, ConfigDict

MAX_PAGE_SIZE = 200


def _storable(value: str) -> str:
    """Refuse text that PostgreSQL and SQLite cannot store (NUL, lone surrogates)."""
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]
DbId = Annotated[int, Field(ge=1, le=2**53)]


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional(**constraints: Any) -> Any:
    """A PATCH field: it may be left out (nothing changes), but not sent as null unless its type says so."""
    return Field(None, json_schema_extra=_drop_default, **constraints)


class StrictIn(Schema):
    """Input that refuses unknown fields, so a typo is an error and not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class Message(Schema):
    message: str


class InvalidInput(Schema):
    message: str
    errors: Any = None


READ_ERRORS: dict[int, Any] = {401: Message, 404: Message, 422: InvalidInput, 429: Message}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 400: Message, 403: Message, 409: Message}


class KamPagination(PageNumberPagination):
    """Numbered pages of at most 200 items; the answer says where it is (count, page, page_size, pages)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int = Field(settings.KAM_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        page_size: int
        pages: int

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=settings.KAM_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE, **kwargs)

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        size = min(pagination.page_size, MAX_PAGE_SIZE)
        count = self._items_count(queryset)
        offset = (pagination.page - 1) * size
        return {
            "items": queryset[offset : offset + size],
            "count": count,
            "page": pagination.page,
            "page_size": size,
            "pages": max(1, -(-count // size)),
        }
