from django.urls import path

from . import views

app_name = "planning"
urlpatterns = [
    path("", views.plans, name="plans"),
    path("kam/<int:kam_id>/<str:period>/", views.plan_edit, name="plan_edit"),
    path(
        "department/<int:department_id>/<str:period>/",
        views.department_plan_edit,
        name="department_plan_edit",
    ),
    path("statement/", views.statement_mine, name="statement_mine"),
    path("statement/<int:kam_id>/<str:month>/", views.statement, name="statement"),
    path("statement/<int:kam_id>/<str:month>/xlsx/", views.statement_xlsx, name="statement_xlsx"),
    path("statement/<int:kam_id>/<str:month>/pdf/", views.statement_pdf, name="statement_pdf"),
    path("commission-rules/", views.commission_rules, name="commission_rules"),
]
