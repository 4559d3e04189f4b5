from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountPlansConfig(AppConfig):
    name = "kam.accountplans"
    label = "accountplans"
    verbose_name = _("Account plans")
