"""Changes made on the dossier tabs: financials, needs and plans, stakeholders, relationships,
competitors and the account team.

Every change is a POST on a client the user may change (404 otherwise), goes through one service call
inside a transaction, and leaves the database as it was when it fails. A GET on an add/edit address
returns the form: the bare form for htmx (swapped in place), the whole tab with the form otherwise.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from kam.access import policy
from kam.access.models import User
from kam.core import audit
from kam.core.forms import add_service_errors

from . import dossier, services
from .forms_dossier import CompetitorPresenceForm, FinancialForm, RelationshipForm
from .models import Client, ClientCompetitor, FinancialIndicator, Relationship, Stakeholder

CHANGE = "clients.change_client"
REASSIGN = "clients.reassign_client"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _client(request: HttpRequest, client_id: int, perm: str = CHANGE) -> Client:
    return policy.get_client_for_user(_user(request), client_id, perm)


def _tab_url(client: Client, tab: str) -> str:
    return reverse("clients:dossier_tab", args=[client.pk, tab])


def _done(request: HttpRequest, client: Client, tab: str, message: str) -> HttpResponse:
    messages.success(request, message)
    url = _tab_url(client, tab)
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _show_form(
    request: HttpRequest,
    client: Client,
    tab: str,
    *,
    form: forms.BaseForm,
    partial: str,
    action: str,
    key: str,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """The form alone for htmx, else the whole tab with the form open (and its errors shown)."""
    if request.method == "GET":
        audit.record_view(_user(request), client, request=request, what=f"{tab} form")
    form_context = {"client": client, "form": form, "action": action, **(extra or {})}
    if getattr(request, "htmx", False):
        return render(request, partial, form_context)
    context = dossier.page_context(request, client, tab)
    context.update(dossier.tab_context(tab, request, client))
    context.update({key: form, f"{key}_action": action, **(extra or {})})
    return render(request, f"clients/dossier/{tab}.html", context)


def _call(form: forms.BaseForm, action: Any) -> bool:
    """Run one service call atomically; its ValidationError lands on the form. True when it worked."""
    try:
        with transaction.atomic():
            action()
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    return True


# ------------------------------------------------------------------ financials


@login_required
@require_http_methods(["GET", "POST"])
def financial_add(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = FinancialForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        year = form.cleaned_data["year"]
        if _call(
            form,
            lambda: services.financial_indicator_create(client=client, year=year, **form.figures()),
        ):
            return _done(request, client, "financials", _("Figures for %(year)s saved.") % {"year": year})
    action = reverse("clients:financial_add", args=[client.pk])
    return _show_form(
        request,
        client,
        "financials",
        form=form,
        partial="clients/dossier/_financial_form.html",
        action=action,
        key="financial_form",
    )


@login_required
@require_http_methods(["GET", "POST"])
def financial_edit(request: HttpRequest, client_id: int, indicator_id: int) -> HttpResponse:
    client = _client(request, client_id)
    indicator = get_object_or_404(FinancialIndicator, pk=indicator_id, client=client)
    form = FinancialForm(request.POST or None, client=client, instance=indicator)
    if request.method == "POST" and form.is_valid():
        year = form.cleaned_data["year"]
        if _call(
            form,
            lambda: services.financial_indicator_update(indicator=indicator, year=year, **form.figures()),
        ):
            return _done(request, client, "financials", _("Figures for %(year)s saved.") % {"year": year})
    action = reverse("clients:financial_edit", args=[client.pk, indicator_id])
    return _show_form(
        request,
        client,
        "financials",
        form=form,
        partial="clients/dossier/_financial_form.html",
        action=action,
        key="financial_form",
        extra={"editing": indicator},
    )


@login_required
@require_POST
def financial_delete(request: HttpRequest, client_id: int, indicator_id: int) -> HttpResponse:
    client = _client(request, client_id)
    indicator = get_object_or_404(FinancialIndicator, pk=indicator_id, client=client)
    with transaction.atomic():
        services.financial_indicator_delete(indicator=indicator)
    return _done(request, client, "financials", _("Figures for %(year)s deleted.") % {"year": indicator.year})


# ------------------------------------------------------------------ needs and plans


@login_required
@require_http_methods(["GET", "POST"])
def needs_edit(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = dossier.needs_form(client, request.POST or None)
    saved = (
        request.method == "POST"
        and form.is_valid()
        and _call(form, lambda: services.client_update(client=client, **form.cleaned_data))
    )
    if saved:
        return _done(request, client, "needs", _("Needs and plans saved."))
    return _show_form(
        request,
        client,
        "needs",
        form=form,
        partial="clients/dossier/_needs_form.html",
        action=reverse("clients:needs_edit", args=[client.pk]),
        key="needs_form",
    )


# ------------------------------------------------------------------ stakeholders


def _stakeholder_fields(form: forms.BaseForm) -> dict[str, Any]:
    # Only the fields the form has: a viewer without the right to private notes never sends or wipes them.
    return {name: form.cleaned_data[name] for name in form.fields}


@login_required
@require_http_methods(["GET", "POST"])
def stakeholder_add(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = dossier.stakeholder_form(request, client, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = _stakeholder_fields(form)
        if _call(form, lambda: services.stakeholder_save(client=client, **fields)):
            return _done(
                request, client, "stakeholders", _("%(name)s added.") % {"name": fields["full_name"]}
            )
    return _show_form(
        request,
        client,
        "stakeholders",
        form=form,
        partial="clients/dossier/_stakeholder_form.html",
        action=reverse("clients:stakeholder_add", args=[client.pk]),
        key="stakeholder_form",
    )


@login_required
@require_http_methods(["GET", "POST"])
def stakeholder_edit(request: HttpRequest, client_id: int, stakeholder_id: int) -> HttpResponse:
    client = _client(request, client_id)
    person = get_object_or_404(Stakeholder, pk=stakeholder_id, client=client)
    form = dossier.stakeholder_form(request, client, data=request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        fields = _stakeholder_fields(form)
        if _call(form, lambda: services.stakeholder_save(client=client, stakeholder=person, **fields)):
            return _done(
                request, client, "stakeholders", _("%(name)s saved.") % {"name": fields["full_name"]}
            )
    return _show_form(
        request,
        client,
        "stakeholders",
        form=form,
        partial="clients/dossier/_stakeholder_form.html",
        action=reverse("clients:stakeholder_edit", args=[client.pk, stakeholder_id]),
        key="stakeholder_form",
        extra={"editing": person},
    )


@login_required
@require_POST
def stakeholder_delete(request: HttpRequest, client_id: int, stakeholder_id: int) -> HttpResponse:
    client = _client(request, client_id)
    person = get_object_or_404(Stakeholder, pk=stakeholder_id, client=client)
    name = person.full_name
    services.stakeholder_delete(stakeholder=person)
    return _done(request, client, "stakeholders", _("%(name)s deleted.") % {"name": name})


# ------------------------------------------------------------------ relationship map


@login_required
@require_POST
def relationship_add(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = RelationshipForm(request.POST, client=client)
    if form.is_valid():
        data = form.cleaned_data
        if _call(
            form,
            lambda: services.relationship_create(
                client=client, source=data["source"], target=data["target"], kind=data["kind"]
            ),
        ):
            return _done(request, client, "map", _("Relationship added."))
    return _show_form(
        request,
        client,
        "map",
        form=form,
        partial="clients/dossier/_relationship_form.html",
        action=reverse("clients:relationship_add", args=[client.pk]),
        key="relationship_form",
    )


@login_required
@require_POST
def relationship_delete(request: HttpRequest, client_id: int, relationship_id: int) -> HttpResponse:
    client = _client(request, client_id)
    relation = get_object_or_404(Relationship, pk=relationship_id, client=client)
    with transaction.atomic():
        services.relationship_delete(relationship=relation)
    return _done(request, client, "map", _("Relationship removed."))


# ------------------------------------------------------------------ competitors


def _save_presence(
    request: HttpRequest, client: Client, form: CompetitorPresenceForm, presence: ClientCompetitor | None
) -> bool:
    competitor = form.existing_competitor()
    if competitor is None and not policy.can(_user(request), "clients.add_competitor"):
        form.add_error(
            "competitor_name", _("This competitor is not in the registry, and you may not add it.")
        )
        return False

    def save() -> None:
        # A new name enters the registry only if the whole row is saved.
        chosen = competitor or services.competitor_get_or_create(name=form.cleaned_data["competitor_name"])
        services.client_competitor_save(
            client=client, competitor=chosen, presence=presence, **form.fields_for_service()
        )

    return _call(form, save)


def _competitor_extra() -> dict[str, Any]:
    return {"competitor_names": dossier.competitor_names(), "price_levels": dossier.PRICE_LEVELS}


@login_required
@require_http_methods(["GET", "POST"])
def competitor_add(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = CompetitorPresenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _save_presence(request, client, form, None):
        return _done(
            request,
            client,
            "competitors",
            _("%(name)s recorded at this client.") % {"name": form.cleaned_data["competitor_name"]},
        )
    return _show_form(
        request,
        client,
        "competitors",
        form=form,
        partial="clients/dossier/_competitor_form.html",
        action=reverse("clients:competitor_add", args=[client.pk]),
        key="competitor_form",
        extra=_competitor_extra(),
    )


@login_required
@require_http_methods(["GET", "POST"])
def competitor_edit(request: HttpRequest, client_id: int, presence_id: int) -> HttpResponse:
    client = _client(request, client_id)
    presence = get_object_or_404(
        ClientCompetitor.objects.select_related("competitor"), pk=presence_id, client=client
    )
    form = CompetitorPresenceForm(request.POST or None, instance=presence)
    if request.method == "POST" and form.is_valid() and _save_presence(request, client, form, presence):
        return _done(request, client, "competitors", _("Saved."))
    return _show_form(
        request,
        client,
        "competitors",
        form=form,
        partial="clients/dossier/_competitor_form.html",
        action=reverse("clients:competitor_edit", args=[client.pk, presence_id]),
        key="competitor_form",
        extra={"editing": presence, **_competitor_extra()},
    )


@login_required
@require_POST
def competitor_delete(request: HttpRequest, client_id: int, presence_id: int) -> HttpResponse:
    client = _client(request, client_id)
    presence = get_object_or_404(
        ClientCompetitor.objects.select_related("competitor"), pk=presence_id, client=client
    )
    with transaction.atomic():
        services.client_competitor_delete(presence=presence)
    return _done(
        request,
        client,
        "competitors",
        _("%(name)s removed from this client.") % {"name": presence.competitor.name},
    )


# ------------------------------------------------------------------ account team (heads and the director)


@login_required
@require_POST
def team_add(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id, REASSIGN)
    form = dossier.team_form(request, client, request.POST)
    if form.is_valid():
        member = form.cleaned_data["user"]
        role = form.cleaned_data["role"]
        if _call(form, lambda: services.team_member_add(client=client, user=member, role=role)):
            return _done(
                request, client, "overview", _("%(name)s is now on the account team.") % {"name": member}
            )
    return _show_form(
        request,
        client,
        "overview",
        form=form,
        partial="clients/dossier/_team_form.html",
        action=reverse("clients:team_add", args=[client.pk]),
        key="team_form",
    )


@login_required
@require_POST
def team_remove(request: HttpRequest, client_id: int, user_id: int) -> HttpResponse:
    client = _client(request, client_id, REASSIGN)
    member = client.team.select_related("user").filter(user_id=user_id).first()
    if member is None:
        raise Http404("Not on the team")
    with transaction.atomic():
        services.team_member_remove(client=client, user=member.user)
    return _done(request, client, "overview", _("%(name)s left the account team.") % {"name": member.user})
