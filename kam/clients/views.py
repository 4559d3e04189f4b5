from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import User
from kam.core import audit
from kam.core.exports import audited_export
from kam.core.forms import add_service_errors
from kam.core.htmx import htmx_target
from kam.core.pagination import paginate

from . import dossier, selectors, services
from .forms import ClientForm, ReassignForm
from .models import Client, ClientStatus, Segment

EXPORT_LIMIT = 100_000


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    flt = selectors.ClientFilter.from_params(request.GET.dict())
    for problem in flt.errors:
        messages.warning(request, _("Filter ignored: %(problem)s") % {"problem": problem})
    # The rows show names, INN, region, segment, status, KAM and tags: the long texts stay in the database.
    clients = selectors.client_list(user, flt).defer("history", "needs", "plans", "decision_process")
    page = paginate(request, clients, settings.KAM_PAGE_SIZE)
    context = {
        "page": page,
        "flt": flt,
        "statuses": ClientStatus.choices,
        "segments": Segment.choices,
        "kams": selectors.kams_visible_to(user),
        "regions": selectors.regions_visible_to(user),
        "can_add": policy.can(user, "clients.add_client"),
        "nav": "clients",
    }
    template = (
        "clients/_client_rows.html" if htmx_target(request) == "client-rows" else "clients/client_list.html"
    )
    return render(request, template, context)


@login_required
def client_export(request: HttpRequest, fmt: str) -> HttpResponse:
    user = _user(request)
    flt = selectors.ClientFilter.from_params(request.GET.dict())
    clients = selectors.client_list(user, flt)[:EXPORT_LIMIT]
    headers = [
        _("Short name"),
        _("Legal name"),
        _("INN"),
        _("Region"),
        _("Segment"),
        _("Status"),
        _("KAM"),
        _("Department"),
        _("Price column"),
        _("Payment terms, days"),
        _("Credit limit"),
        _("Tags"),
    ]
    rows = [
        (
            c.short_name,
            c.legal_name,
            c.tax_number,
            c.region,
            c.get_segment_display(),
            c.get_status_display(),
            str(c.owner),
            str(c.department or ""),
            c.price_column,
            c.payment_terms_days,
            c.credit_limit,
            ", ".join(t.name for t in c.tags.all()),
        )
        for c in clients
    ]
    return audited_export(
        request,
        model=Client,
        what="clients",
        headers=headers,
        rows=rows,
        sheet=_("Clients"),
        fmt=fmt,
        filters=flt.as_params(),
    )


@login_required
def client_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not policy.can(user, "clients.add_client"):
        raise PermissionDenied
    form = ClientForm(request.POST or None)
    owners = selectors.kams_visible_to(user)
    owner_form = ReassignForm(request.POST or None, owners=owners, initial={"owner": user})
    if request.method == "POST" and form.is_valid() and owner_form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "tags_text"}
        try:
            client = services.client_create(
                owner=owner_form.cleaned_data["owner"], tags=form.tag_names(), **fields
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Client %(name)s created.") % {"name": client})
            return redirect("clients:dossier", client_id=client.pk)
    return render(
        request, "clients/client_form.html", {"form": form, "owner_form": owner_form, "nav": "clients"}
    )


@login_required
def client_edit(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = policy.get_client_for_user(user, client_id, "clients.change_client")
    form = ClientForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "tags_text"}
        try:
            services.client_update(client=client, tags=form.tag_names(), **fields)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("clients:dossier", client_id=client.pk)
    return render(request, "clients/client_form.html", {"form": form, "client": client, "nav": "clients"})


@login_required
def client_reassign(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = policy.get_client_for_user(user, client_id, "clients.reassign_client")
    form = ReassignForm(
        request.POST or None, owners=selectors.kams_visible_to(user), initial={"owner": client.owner}
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            try:
                services.client_reassign(client=client, new_owner=form.cleaned_data["owner"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("%(client)s now belongs to %(kam)s.")
                    % {"client": client, "kam": form.cleaned_data["owner"]},
                )
                return redirect("clients:dossier", client_id=client.pk)
    return render(request, "clients/client_reassign.html", {"form": form, "client": client, "nav": "clients"})


@login_required
def client_dossier(request: HttpRequest, client_id: int, tab: str = "overview") -> HttpResponse:
    user = _user(request)
    if tab not in dossier.TABS:
        raise Http404("No such tab")
    if not policy.can(user, "clients.view_dossier", Client.objects.filter(pk=client_id).first()):
        # Sales support and finance see requisites only, never the dossier.
        client = policy.get_client_for_user(user, client_id, "clients.view_requisites")
        return render(request, "clients/requisites.html", {"client": client, "nav": "clients"})
    client = policy.get_client_for_user(user, client_id, "clients.view_dossier")
    audit.record_view(user, client, request=request, what=tab)
    context = {
        "client": client,
        "tab": tab,
        "tabs": dossier.tab_labels(),
        "nav": "clients",
        "can_edit": policy.can(user, "clients.change_client", client),
        "can_reassign": policy.can(user, "clients.reassign_client", client),
        "can_see_sensitive": policy.can(user, "clients.view_sensitive", client),
    }
    context.update(dossier.tab_context(tab, request, client))
    return render(request, f"clients/dossier/{tab}.html", context)
