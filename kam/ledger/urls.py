from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("", views.imports, name="imports"),
    path("upload/", views.upload, name="upload"),
    path("imports/<int:batch_id>/", views.batch, name="batch"),
    path("imports/<int:batch_id>/status/", views.batch_status, name="batch_status"),
    path("imports/<int:batch_id>/columns/", views.mapping, name="mapping"),
    path("imports/<int:batch_id>/errors.csv", views.batch_errors, name="batch_errors"),
]
