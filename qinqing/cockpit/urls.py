from django.urls import URLPattern, path, register_converter

from qinqing.cockpit import views


class RegionCode:
    """A region code: digits first (GB/T 2260 / statistical codes, building and unit codes below them)."""

    regex = r"[0-9][0-9A-Za-z_-]{0,23}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RegionCode, "region")

app_name = "cockpit"
urlpatterns: list[URLPattern] = [
    path("cockpit/", views.home, name="home"),
    path("cockpit/<region:code>/", views.node_page, name="node"),
    path("cockpit/<region:code>/screen/", views.screen_page, name="screen"),
    path("cockpit/<region:code>/screen.json", views.screen_data, name="screen_data"),
    path("cockpit/<region:code>/export.xlsx", views.export_all, name="export"),
    path("cockpit/<region:code>/export/<slug:table>.xlsx", views.export_table, name="export_table"),
]

# Visit tasks (走访任务) and the enterprise portrait (企业画像).
from django.urls import path  # noqa: E402

from qinqing.cockpit import visits_views  # noqa: E402

urlpatterns += [
    path("cockpit/visits/", visits_views.visit_list_page, name="visits"),
    path("cockpit/visits/<int:visit_id>/", visits_views.visit_page, name="visit"),
    path("cockpit/enterprises/<str:uscc>/", visits_views.portrait_page, name="portrait"),
]
