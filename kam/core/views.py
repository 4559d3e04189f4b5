from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from kam.access import policy
from kam.access import selectors as access_selectors
from kam.access.models import Role, User
from kam.clients.models import ClientStatus


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What needs the user's attention today, by role."""
    user: User = request.user  # type: ignore[assignment]
    today = timezone.localdate()
    counts = {"total": 0, "active": 0}
    if user.role != Role.NONE:
        # Two counts, each from an index alone; one pass with COUNT(...) FILTER reads every row
        # (5 + 4 ms against 43-81 ms at 100,000 clients on PostgreSQL).
        clients = policy.visible_clients(user)
        counts = {"total": clients.count(), "active": clients.filter(status=ClientStatus.ACTIVE).count()}
    deputising_for, my_deputies = access_selectors.deputyships_today(user)
    context: dict[str, Any] = {
        "nav": "home",
        "today": today,
        "client_count": counts["total"],
        "active_count": counts["active"],
        "deputising_for": deputising_for,
        "my_deputies": my_deputies,
        "no_business_role": user.role == Role.NONE,
    }
    from kam.core import dashboard  # widgets that the apps register

    context["widgets"] = dashboard.widgets_for(request, user) if user.role != Role.NONE else []
    return render(request, "core/home.html", context)


def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
