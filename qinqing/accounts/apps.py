from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "qinqing.accounts"
    verbose_name = _("Accounts and authorisations")
    label = "accounts"
