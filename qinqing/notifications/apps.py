from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "qinqing.notifications"
    label = "notifications"
