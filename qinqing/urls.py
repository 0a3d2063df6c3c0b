from django.contrib import admin
from django.urls import include, path

from qinqing.api import api

admin.site.site_header = "亲清在线 · 管理后台"
admin.site.site_title = "亲清在线"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("qinqing.accounts.urls")),
    path("matters/", include("qinqing.catalog.urls")),
    path("", include("qinqing.cases.urls")),
    path("", include("qinqing.datahub.urls")),
    path("", include("qinqing.bundles.urls")),
    path("", include("qinqing.servicedesk.urls")),
    path("", include("qinqing.policies.urls")),
    path("", include("qinqing.cockpit.urls")),
    path("", include("qinqing.web.urls")),
]

handler500 = "qinqing.web.views.server_error"
