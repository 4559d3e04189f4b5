from django.urls import path

from . import views

app_name = "access"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("deputies/", views.deputies, name="deputies"),
    path("deputies/export/", views.deputy_export, name="deputy_export"),
    path("deputies/<int:deputy_id>/end/", views.deputy_end, name="deputy_end"),
    path("audit/", views.audit, name="audit"),
    path("users/", views.users, name="users"),
    path("users/export/", views.user_export, name="user_export"),
    path("users/<int:user_id>/", views.user_edit, name="user_edit"),
    path("departments/", views.departments, name="departments"),
    path("departments/<int:department_id>/", views.department_edit, name="department_edit"),
]
