from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "qinqing.catalog"
    label = "catalog"
