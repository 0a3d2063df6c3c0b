from django.apps import AppConfig


class BundlesConfig(AppConfig):
    name = "qinqing.bundles"
    label = "bundles"
    verbose_name = "一件事"
