from django.urls import path, re_path

from . import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_create, name="create"),
    re_path(r"^export\.(?P<fmt>xlsx|csv)$", views.order_export, name="export"),
    re_path(r"^products/export\.(?P<fmt>xlsx|csv)$", views.product_export, name="product_export"),
    path("settings/", views.order_settings, name="settings"),
    path("queue/", views.queue, name="queue"),
    path("approvals/", views.approvals, name="approvals"),
    path("products/", views.products, name="products"),
    path("products/import/", views.price_import, name="price_import"),
    path("products/new/", views.product_edit, name="product_create"),
    path("products/<int:product_id>/", views.product_edit, name="product_edit"),
    path("analysis/", views.analysis, name="analysis"),
    re_path(r"^analysis/export\.(?P<fmt>xlsx|csv)$", views.analysis, name="analysis_export"),
    path("<int:order_id>/", views.order_detail, name="detail"),
    path("<int:order_id>/update/", views.order_update, name="update"),
    path("<int:order_id>/lines/", views.line_add, name="line_add"),
    path("<int:order_id>/lines/<int:line_id>/remove/", views.line_remove, name="line_remove"),
    path("<int:order_id>/submit/", views.order_submit, name="submit"),
    path("<int:order_id>/decide/", views.approval_decide, name="decide"),
    path("<int:order_id>/move/", views.order_move, name="move"),
    path("<int:order_id>/return/", views.order_return, name="return"),
    path("<int:order_id>/act/", views.order_act, name="act"),
]
