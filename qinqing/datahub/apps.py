from django.apps import AppConfig


class DatahubConfig(AppConfig):
    name = "qinqing.datahub"
    label = "datahub"
