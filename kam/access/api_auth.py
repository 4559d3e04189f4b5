from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja.security import HttpBearer

from .models import ApiToken, User, hash_token


def user_for_token(raw: str) -> User | None:
    if not raw or len(raw) > 200:
        return None
    found = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if found is None:
        return None
    # Touch at most once a minute: a write per request would serialise readers on SQLite.
    now = timezone.now()
    if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    return found.user


class ApiTokenMiddleware:
    """Resolve bearer tokens before the audit middleware runs, so API changes are logged with their actor."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        if request.path.startswith("/api/") and header[:7].lower() == "bearer ":
            user = user_for_token(header[7:].strip())
            if user is not None:
                request.user = user
                request.kam_token_user = user  # type: ignore[attr-defined]
        return self.get_response(request)


class TokenAuth(HttpBearer):
    """The API accepts only bearer tokens (no session cookies, so no CSRF to worry about)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        resolved = getattr(request, "kam_token_user", None)
        if resolved is not None:
            return resolved
        return user_for_token(token)
