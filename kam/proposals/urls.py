from django.urls import path, re_path

from . import views

app_name = "proposals"
urlpatterns = [
    path("", views.proposal_list, name="list"),
    path("new/", views.proposal_create, name="create"),
    re_path(r"^export\.(?P<fmt>xlsx|csv)$", views.proposal_export, name="export"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_edit, name="template_create"),
    path("templates/<int:template_id>/", views.template_edit, name="template_edit"),
    path("letterhead/", views.letterhead_edit, name="letterhead"),
    path("<int:proposal_id>/", views.proposal_detail, name="detail"),
    path("<int:proposal_id>/pdf/", views.proposal_pdf, name="pdf"),
    path("<int:proposal_id>/update/", views.proposal_update, name="update"),
    path("<int:proposal_id>/lines/", views.line_add, name="line_add"),
    path("<int:proposal_id>/lines/<int:position>/", views.line_change, name="line_change"),
    path("<int:proposal_id>/lines/<int:position>/remove/", views.line_remove, name="line_remove"),
    path("<int:proposal_id>/revise/", views.proposal_revise, name="revise"),
    path("<int:proposal_id>/send/", views.proposal_send, name="send"),
    path("<int:proposal_id>/accept/", views.proposal_accept, name="accept"),
    path("<int:proposal_id>/reject/", views.proposal_reject, name="reject"),
    path("<int:proposal_id>/order/", views.proposal_make_order, name="make_order"),
]
