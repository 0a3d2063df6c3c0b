"""django-axes under a name the admin shows in the site's language."""

from axes.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AppConfig):  # type: ignore[misc]  # django-axes ships no types
    verbose_name = _("Login protection")
