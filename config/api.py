"""The JSON API: one NinjaAPI, one router per app, token auth, JSON errors everywhere."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from kam.access.api_auth import TokenAuth

api = NinjaAPI(
    title="kam API",
    version="1",
    auth=TokenAuth(),
    urls_namespace="api",
    description="Key Account Management. Authenticate with `Authorization: Bearer <token>` "
    "(create a token on your profile page).",
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


def _mount() -> None:
    from kam.clients.api import router as clients_router

    api.add_router("/clients", clients_router)


_mount()
