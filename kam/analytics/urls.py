from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("", views.key_accounts, name="key_accounts"),
    path("export.xlsx", views.key_accounts_export, name="export"),
    path("run/", views.run, name="run"),
    path("runs/<int:snapshot_id>/status/", views.snapshot_status, name="status"),
    path("concentration/", views.concentration, name="concentration"),
    path("settings/", views.config, name="settings"),
]
