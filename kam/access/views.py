from datetime import datetime

from auditlog.models import LogEntry
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from kam.core.exports import audited_export
from kam.core.forms import add_service_errors
from kam.core.pagination import paginate

from . import policy, selectors, services
from .forms import DepartmentForm, DeputyForm, TokenForm, UserCreateForm, UserEditForm
from .models import ApiToken, Department, Deputy, Role, User

EXPORT_LIMIT = 100_000


@method_decorator(ratelimit(key="ip", rate="20/m", method="POST", block=False), name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if getattr(request, "limited", False):
            messages.error(request, _("Too many login attempts. Wait a minute and try again."))
            return self.get(request)
        return super().post(request, *args, **kwargs)


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """django-axes' answer to a locked-out login: the login page with the reason, status 429."""
    minutes = round(float(settings.AXES_COOLOFF_TIME or 0) * 60)
    form = AuthenticationForm(request, data=None)
    message = (
        _(
            "Too many wrong passwords: this account is locked on this computer for %(minutes)s minutes. "
            "Wait and try again, or ask an administrator to unlock it."
        )
        % {"minutes": minutes}
        if minutes
        else _("Too many wrong passwords: this account is locked. Ask an administrator to unlock it.")
    )
    return render(
        request,
        "registration/login.html",
        {"form": form, "locked_out": message, "next": request.POST.get("next", "")},
        status=429,
    )


def _require(request: HttpRequest, perm: str) -> None:
    if not policy.can(request.user, perm):  # type: ignore[arg-type]
        raise PermissionDenied


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    new_token = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_token = services.api_token_issue(user=user, name=form.cleaned_data["name"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Token created. Copy it now: it will not be shown again."))
            form = TokenForm()
    tokens = user.api_tokens.all()
    return render(request, "access/profile.html", {"form": form, "tokens": tokens, "new_token": new_token})


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.api_token_revoke(token=token)
    messages.success(request, _("Token revoked."))
    return redirect("access:profile")


@login_required
def deputies(request: HttpRequest) -> HttpResponse:
    _require(request, "access.manage_deputies")
    actor: User = request.user  # type: ignore[assignment]
    form = DeputyForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            services.deputy_create(actor=actor, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Deputy named."))
            return redirect("access:deputies")
    flt = selectors.DeputyFilter.from_params(request.GET)
    page = paginate(request, selectors.deputy_list(actor, flt))
    return render(
        request,
        "access/deputies.html",
        {"form": form, "page": page, "flt": flt, "whens": _deputy_states(), "nav": "deputies"},
    )


def _deputy_states() -> dict[str, str]:
    return {"current": _("current"), "upcoming": _("upcoming"), "past": _("ended")}


def _stamp(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@login_required
@require_GET
def deputy_export(request: HttpRequest) -> HttpResponse:
    """The deputies list as Excel or CSV: the rows of the page with its filters, every page of them."""
    _require(request, "access.manage_deputies")
    actor: User = request.user  # type: ignore[assignment]
    flt = selectors.DeputyFilter.from_params(request.GET)
    states = _deputy_states()
    today = timezone.localdate()
    headers = [
        _("Absent KAM"),
        _("Absent KAM's department"),
        _("Deputy"),
        _("From"),
        _("Until"),
        _("State"),
        _("Reason"),
        _("Named by"),
        _("Named on"),
    ]
    rows = [
        [
            str(entry.absent),
            str(entry.absent.department or ""),
            str(entry.deputy),
            entry.starts_on,
            entry.ends_on,
            states[selectors.deputy_state(entry, today)],
            entry.reason,
            str(entry.created_by or ""),
            _stamp(entry.created_at),
        ]
        for entry in selectors.deputy_list(actor, flt).select_related("absent__department")[:EXPORT_LIMIT]
    ]
    return audited_export(
        request, model=Deputy, what="deputies", headers=headers, rows=rows, filename="deputies"
    )


@login_required
@require_POST
def deputy_end(request: HttpRequest, deputy_id: int) -> HttpResponse:
    _require(request, "access.manage_deputies")
    entry = get_object_or_404(selectors.deputies_visible_to(request.user), pk=deputy_id)  # type: ignore[arg-type]
    services.deputy_end(entry=entry)
    messages.success(request, _("Deputyship ended."))
    return redirect("access:deputies")


@login_required
def audit(request: HttpRequest) -> HttpResponse:
    _require(request, "access.view_audit")
    params = request.GET
    action = params.get("action", "")
    actor = params.get("actor", "")
    entries = selectors.audit_entries(
        actor_id=int(actor) if actor.isdigit() else None,
        action=int(action) if action.isdigit() else None,
        kind=params.get("kind", "") if params.get("kind") in ("view", "export") else "",
        model=params.get("model", "")[:100],
        since=parse_date(params.get("since", "") or "") if _valid_date(params.get("since")) else None,
        until=parse_date(params.get("until", "") or "") if _valid_date(params.get("until")) else None,
        search=params.get("q", "")[:100],
    )
    page = paginate(request, entries)
    return render(
        request,
        "access/audit.html",
        {
            "page": page,
            "actions": LogEntry.Action.choices,
            "actors": selectors.business_users(),
            "nav": "audit",
        },
    )


def _valid_date(raw: str | None) -> bool:
    try:
        return bool(raw) and parse_date(raw or "") is not None
    except ValueError:
        return False


@login_required
def users(request: HttpRequest) -> HttpResponse:
    _require(request, "access.manage_users")
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
        messages.success(request, _("User created."))
        return redirect("access:users")
    flt = selectors.UserFilter.from_params(request.GET)
    page = paginate(request, selectors.user_list(flt))
    return render(
        request,
        "access/users.html",
        {
            "form": form,
            "page": page,
            "flt": flt,
            "roles": Role.choices,
            "departments": Department.objects.order_by("name"),
            "nav": "users",
        },
    )


@login_required
@require_GET
def user_export(request: HttpRequest) -> HttpResponse:
    """The users list as Excel or CSV, with the page's filters and sorting; never a password or token."""
    _require(request, "access.manage_users")
    flt = selectors.UserFilter.from_params(request.GET)
    headers = [
        _("User name"),
        _("Last name"),
        _("First name"),
        _("Email"),
        _("Phone"),
        _("Role"),
        _("Administrator"),
        _("Department"),
        _("Active"),
        _("Last login"),
        _("Joined"),
    ]
    rows = [
        [
            person.username,
            person.last_name,
            person.first_name,
            person.email,
            person.phone,
            person.get_role_display(),
            _("yes") if person.is_staff else _("no"),
            str(person.department or ""),
            _("yes") if person.is_active else _("no"),
            _stamp(person.last_login),
            _stamp(person.date_joined),
        ]
        for person in selectors.user_list(flt)[:EXPORT_LIMIT]
    ]
    return audited_export(request, model=User, what="users", headers=headers, rows=rows, filename="users")


@login_required
def departments(request: HttpRequest) -> HttpResponse:
    _require(request, "access.manage_users")
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Department saved."))
        return redirect("access:departments")
    rows = Department.objects.select_related("head").annotate(people=Count("members"))
    return render(request, "access/departments.html", {"form": form, "departments": rows, "nav": "users"})


def _edit_admin_object(request: HttpRequest, form: forms.ModelForm, *, saved: str, back: str) -> HttpResponse:
    """The administrator's edit page of one user or department: save and go back, or show the errors."""
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, saved)
        return redirect(back)
    return render(request, "access/user_edit.html", {"form": form, "person": form.instance, "nav": "users"})


@login_required
def department_edit(request: HttpRequest, department_id: int) -> HttpResponse:
    _require(request, "access.manage_users")
    form = DepartmentForm(request.POST or None, instance=get_object_or_404(Department, pk=department_id))
    return _edit_admin_object(request, form, saved=_("Department saved."), back="access:departments")


@login_required
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    _require(request, "access.manage_users")
    form = UserEditForm(request.POST or None, instance=get_object_or_404(User, pk=user_id))
    return _edit_admin_object(request, form, saved=_("User saved."), back="access:users")
