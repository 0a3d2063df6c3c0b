from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "qinqing.audit"
    label = "audit"
