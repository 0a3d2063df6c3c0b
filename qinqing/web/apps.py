from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "qinqing.web"
    label = "web"
