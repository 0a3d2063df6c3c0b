from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "qinqing.servicedesk"
    label = "servicedesk"
    verbose_name = _("亲清D小二")
