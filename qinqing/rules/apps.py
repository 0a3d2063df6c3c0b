from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RulesConfig(AppConfig):
    name = "qinqing.rules"
    verbose_name = _("Approval rules")
    label = "rules"
