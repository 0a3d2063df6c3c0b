from django.apps import AppConfig


class BundlesConfig(AppConfig):
    name = "qinqing.bundles"
    label = "bundles"
    verbose_name = "一件事"

    def ready(self) -> None:
        from qinqing.bundles import services
        from qinqing.cases.signals import case_closed

        case_closed.connect(services.on_case_closed, dispatch_uid="bundles.advance")
