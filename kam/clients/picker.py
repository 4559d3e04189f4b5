"""Choosing a client in a form when there may be 100,000 of them: a search box and a short result list.

Usage in a form::

    client = ClientPickerField(label=_("Client"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = visible_clients(user)

The page shows a search box (name ``<field>__q``) that asks ``/clients/pick/`` for at most
``PICK_LIMIT`` matching clients the user may see, and a list box (``<select name="<field>">``) to
choose from. The list box never holds more than the current choice and the last results, so a
form renders in constant time whatever the number of clients. Validation is Django's own: the
chosen id must be in the field's queryset (the user's visible clients).

In a browser test: ``page.fill("input[name=client__q]", "Romashka")`` then
``page.select_option("select[name=client]", label=...)``.
"""

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_ratelimit.decorators import ratelimit

from kam.access import policy

from .models import Client

PICK_LIMIT = 20


def client_label(client: Client) -> str:
    return f"{client.short_name} · {client.tax_number}" if client.tax_number else client.short_name


class ClientPickerWidget(forms.Select):
    template_name = "clients/widgets/client_picker.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices: Any = []

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        selected = self._selected_client(value)
        widget = context["widget"]
        widget["search_name"] = f"{name}__q"
        widget["pick_url"] = reverse("clients:pick")
        widget["selected"] = selected
        widget["selected_label"] = client_label(selected) if selected else ""
        widget["required"] = self.is_required
        return context

    def _selected_client(self, value: Any) -> Client | None:
        if value in (None, "") or isinstance(value, list | tuple):
            return None
        queryset = getattr(self.choices, "queryset", None)
        if queryset is None:
            return None
        try:
            return queryset.filter(pk=int(value)).first()
        except (TypeError, ValueError):
            return None

    def optgroups(self, name: str, value: Any, attrs: dict[str, Any] | None = None) -> list[Any]:
        return []  # only the chosen client is rendered, by the template


class ClientPickerField(forms.ModelChoiceField):
    widget = ClientPickerWidget
    default_error_messages = {
        "invalid_choice": _("Choose a client from the search results."),
    }

    def __init__(self, queryset: QuerySet[Client] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _("Type part of the name or the INN, then pick from the list."))
        super().__init__(queryset if queryset is not None else Client.objects.none(), **kwargs)


def search_term(request: HttpRequest) -> str:
    """The box is named after its field (``client__q``, ``other__q``); ``q`` works too."""
    for key in request.GET:
        if key == "q" or key.endswith("__q"):
            return str(request.GET.get(key, "")).strip()[:100]
    return ""


@login_required
@ratelimit(key="user", rate="120/m", block=True)
def pick(request: HttpRequest) -> HttpResponse:
    term = search_term(request)
    clients: list[Client] = []
    if term:
        matches = Client.objects.search(term).only("id", "short_name", "tax_number")
        visible = policy.visible_clients(request.user, matches)  # type: ignore[arg-type]
        clients = list(visible.order_by("short_name", "id")[:PICK_LIMIT])
    options = [(client.pk, client_label(client)) for client in clients]
    return render(
        request,
        "clients/widgets/client_picker_options.html",
        {"options": options, "term": term, "limit": PICK_LIMIT},
    )
