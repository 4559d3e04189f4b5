from django.urls import path

from . import views

app_name = "activities"
urlpatterns = [
    path("", views.week, name="week"),
    path("month/", views.month, name="month"),
    path("plan/", views.plan_set, name="plan_set"),
    path("new/", views.activity_new, name="new"),
    path("punctuality/", views.punctuality, name="punctuality"),
    path("<int:activity_id>/", views.activity_detail, name="detail"),
    path("<int:activity_id>/edit/", views.activity_edit, name="edit"),
    path("<int:activity_id>/start/", views.activity_start, name="start"),
    path("<int:activity_id>/complete/", views.activity_complete, name="complete"),
    path("<int:activity_id>/cancel/", views.activity_cancel, name="cancel"),
    path("<int:activity_id>/checklist/", views.activity_checklist, name="checklist"),
    path("<int:activity_id>/brief/", views.brief, name="brief"),
    path("<int:activity_id>/brief.pdf", views.brief_pdf, name="brief_pdf"),
    path("feed/new/", views.feed_new, name="feed_new"),
    path("feed/<int:token_id>/revoke/", views.feed_revoke, name="feed_revoke"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
    path("feedback/<int:client_id>/add/", views.feedback_add, name="feedback_add"),
]
