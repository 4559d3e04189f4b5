from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kam.access.views import LoginView
from kam.core import views as core_views

from .api import api

urlpatterns = [
    path("", core_views.home, name="home"),
    path("health/", core_views.health, name="health"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("access/", include("kam.access.urls")),
    path("clients/", include("kam.clients.urls")),
    path("ledger/", include("kam.ledger.urls")),
    path("analysis/", include("kam.analytics.urls")),
    path("plans/", include("kam.planning.urls")),
    path("schedule/", include("kam.activities.urls")),
    path("orders/", include("kam.orders.urls")),
    path("receivables/", include("kam.receivables.urls")),
    path("contracts/", include("kam.contracts.urls")),
    path("pipeline/", include("kam.pipeline.urls")),
    path("proposals/", include("kam.proposals.urls")),
    path("tenders/", include("kam.tenders.urls")),
    path("promotions/", include("kam.promotions.urls")),
    path("segments/", include("kam.segments.urls")),
    path("account-plans/", include("kam.accountplans.urls")),
    path("account-health/", include("kam.health.urls")),
    path("reports/", include("kam.core.urls_reports")),
    path("api/", api.urls),
]

if settings.DEBUG:  # pragma: no cover
    from django.contrib import admin

    urlpatterns.append(path("admin/", admin.site.urls))
