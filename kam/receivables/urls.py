from django.urls import path

from . import views

app_name = "receivables"
urlpatterns = [
    path("", views.aging, name="aging"),
    path("aging.xlsx", views.aging_export, name="aging_export"),
]
