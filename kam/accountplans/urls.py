from django.urls import path

from . import views

app_name = "accountplans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("export/", views.plan_export, name="export"),
    path("review/", views.review, name="review"),
    path("new/", views.plan_create, name="create"),
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/strategy/", views.strategy_save, name="strategy"),
    path("<int:plan_id>/objectives/add/", views.objective_add, name="objective_add"),
    path("<int:plan_id>/swot/add/", views.swot_add, name="swot_add"),
    path("<int:plan_id>/goals/add/", views.goal_add, name="goal_add"),
    path("<int:plan_id>/actions/add/", views.action_add, name="action_add"),
    path("<int:plan_id>/<str:part>/<int:item_id>/edit/", views.part_edit, name="part_edit"),
    path("<int:plan_id>/<str:part>/<int:item_id>/delete/", views.part_delete, name="part_delete"),
    path("<int:plan_id>/submit/", views.plan_submit, name="submit"),
    path("<int:plan_id>/approve/", views.plan_approve, name="approve"),
    path("<int:plan_id>/return/", views.plan_return, name="return"),
    path("<int:plan_id>/versions/<int:number>/", views.version_detail, name="version"),
    path("<int:plan_id>/pdf/", views.plan_pdf, name="pdf"),
]
