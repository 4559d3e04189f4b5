from django.urls import path

from . import views

app_name = "segments"
urlpatterns = [
    path("", views.segment_list, name="list"),
    path("<str:segment>/", views.segment_detail, name="detail"),
    path("<str:segment>/export/", views.segment_export, name="export"),
    path("<str:segment>/proposals/add/", views.proposal_add, name="proposal_add"),
    path("proposals/<int:proposal_id>/decide/", views.proposal_decide, name="proposal_decide"),
]
