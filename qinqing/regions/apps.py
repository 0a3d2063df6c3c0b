from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "qinqing.regions"
    label = "regions"
