from django.urls import path

from . import views

app_name = "promotions"
urlpatterns = [
    path("", views.promotion_list, name="list"),
    path("new/", views.promotion_new, name="new"),
    path("export/", views.promotion_export, name="export"),
    path("<int:promotion_id>/", views.promotion_detail, name="detail"),
    path("<int:promotion_id>/export/", views.participant_export, name="participant_export"),
    path("<int:promotion_id>/edit/", views.promotion_edit, name="edit"),
    path("<int:promotion_id>/clients/add/", views.participant_add, name="participant_add"),
    path(
        "<int:promotion_id>/clients/add-matching/",
        views.participant_add_matching,
        name="participant_add_matching",
    ),
    path(
        "<int:promotion_id>/clients/<int:client_id>/remove/",
        views.participant_remove,
        name="participant_remove",
    ),
]
