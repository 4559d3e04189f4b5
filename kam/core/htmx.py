from django.http import HttpRequest


def htmx_target(request: HttpRequest) -> str | None:
    """The id of the element an htmx request will swap, or None for a full page load."""
    details = getattr(request, "htmx", None)
    return details.target if details else None
