"""The JSON API: one NinjaAPI, one router per app, token auth, JSON errors everywhere."""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from kam.access.api_auth import TokenAuth

DEFAULT_RATE = "600/m"


def _rate_key(group: str, request: HttpRequest) -> str:
    return f"user:{request.kam_api_user.pk}"  # type: ignore[attr-defined]


class RateLimitedTokenAuth(TokenAuth):
    """Bearer tokens, and at most KAM_API_RATE requests (default 600 a minute) per user."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = super().authenticate(request, token)
        if user is None:
            return None
        request.kam_api_user = user  # type: ignore[attr-defined]
        rate = getattr(settings, "KAM_API_RATE", DEFAULT_RATE)
        if is_ratelimited(request, group="kam.api", key=_rate_key, rate=rate, increment=True):
            raise Ratelimited()
        return user


api = NinjaAPI(
    title="kam API",
    version="1",
    auth=RateLimitedTokenAuth(),
    urls_namespace="api",
    # ninja is an installed app, so the docs page loads Swagger UI from /static/ninja/: no CDN.
    docs=Swagger(settings={"persistAuthorization": False}),
    description="Key Account Management. Authenticate with `Authorization: Bearer <token>` "
    "(create a token on your profile page). Lists are paginated (`page`, `page_size` up to 200); "
    "errors are JSON with a `message` (and `errors` for invalid input).",
)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"message": "Invalid input", "errors": detail}, status=422)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return api.create_response(request, {"message": "Invalid input", "errors": exc.errors}, status=422)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"message": "Not found"}, status=404)


@api.exception_handler(PermissionDenied)
def on_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"message": "You may not do this"}, status=403)


@api.exception_handler(Ratelimited)
def on_rate_limited(request: HttpRequest, exc: Ratelimited) -> HttpResponse:
    response = api.create_response(request, {"message": "Too many requests: slow down and retry"}, status=429)
    response["Retry-After"] = "60"
    return response


@api.exception_handler(IntegrityError)
def on_conflict(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # Two people saving the same thing at once: the database kept the first; nothing half-written.
    return api.create_response(request, {"message": "This conflicts with data saved meanwhile"}, status=409)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"message": "Authentication required: send a valid bearer token"}, status=401
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"message": str(exc)}, status=exc.status_code)


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    import logging

    logging.getLogger("kam.api").exception("Unexpected API error")
    return api.create_response(request, {"message": "Internal error; it has been logged"}, status=500)


LATER_ROUTERS = [
    ("/contracts", "kam.contracts.api"),
    ("/pipeline", "kam.pipeline.api"),
    ("/proposals", "kam.proposals.api"),
    ("/tenders", "kam.tenders.api"),
    ("/promotions", "kam.promotions.api"),
    ("/segments", "kam.segments.api"),
    ("/account-plans", "kam.accountplans.api"),
    ("/health", "kam.health.api"),
]


def _mount() -> None:
    from kam.access.api import router as access_router
    from kam.clients.api import competitors_router
    from kam.clients.api import router as clients_router

    api.add_router("/", access_router)
    api.add_router("/clients", clients_router)
    api.add_router("/competitors", competitors_router)
    from kam.receivables.api import router as receivables_router

    api.add_router("/receivables", receivables_router)
    from kam.orders.api import router as orders_router

    api.add_router("/orders", orders_router)
    # Later apps mount themselves: kam/<app>/api.py with a `router` is served at /api/<prefix>.
    import importlib
    import importlib.util

    for prefix, module in LATER_ROUTERS:
        if importlib.util.find_spec(module) is not None:
            api.add_router(prefix, importlib.import_module(module).router)


_mount()
