from django.urls import URLPattern

app_name = "cockpit"
urlpatterns: list[URLPattern] = []

# Visit tasks (走访任务) and the enterprise portrait (企业画像).
from django.urls import path  # noqa: E402

from qinqing.cockpit import visits_views  # noqa: E402

urlpatterns += [
    path("cockpit/visits/", visits_views.visit_list_page, name="visits"),
    path("cockpit/visits/<int:visit_id>/", visits_views.visit_page, name="visit"),
    path("cockpit/enterprises/<str:uscc>/", visits_views.portrait_page, name="portrait"),
]
