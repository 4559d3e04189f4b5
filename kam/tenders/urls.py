from django.urls import path

from . import views

app_name = "tenders"
urlpatterns = [
    path("", views.tender_list, name="list"),
    path("new/", views.tender_new, name="new"),
    path("export/", views.tender_export, name="export"),
    path("calendar/", views.tender_calendar, name="calendar"),
    path("report/", views.tender_report, name="report"),
    path("feed/new/", views.feed_new, name="feed_new"),
    path("feed/revoke/", views.feed_revoke, name="feed_revoke"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
    path("<int:tender_id>/", views.tender_detail, name="detail"),
    path("<int:tender_id>/edit/", views.tender_edit, name="edit"),
    path("<int:tender_id>/status/", views.tender_status, name="status"),
    path("<int:tender_id>/lots/add/", views.lot_add, name="lot_add"),
    path("lots/<int:lot_id>/edit/", views.lot_edit, name="lot_edit"),
    path("lots/<int:lot_id>/result/", views.lot_result, name="lot_result"),
    path("lots/<int:lot_id>/delete/", views.lot_delete, name="lot_delete"),
    path("lots/<int:lot_id>/items/add/", views.item_add, name="item_add"),
    path("items/<int:item_id>/delete/", views.item_delete, name="item_delete"),
]
