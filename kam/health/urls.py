from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "health"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.health_list, name="list"),
    path("export/", views.health_export, name="export"),
    path("compute/", views.health_compute_all, name="compute_all"),
    path("runs/<int:run_id>/status/", views.run_status, name="status"),
    path("settings/", views.health_settings, name="settings"),
    path("<int:client_id>/", views.health_detail, name="detail"),
    path("<int:client_id>/compute/", views.health_compute_client, name="compute_client"),
]
