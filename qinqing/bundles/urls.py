from django.urls import path

from qinqing.bundles import views

app_name = "bundles"
urlpatterns = [
    path("bundles/", views.index, name="index"),
    path("bundles/mine/", views.my_bundles, name="mine"),
    path("bundles/cases/<int:pk>/", views.progress_view, name="progress"),
    path("bundles/cases/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("bundles/<slug:code>/", views.guide, name="guide"),
    path("bundles/<slug:code>/apply/", views.apply, name="apply"),
    path("agent/", views.workbench, name="workbench"),
    path("agent/cases/<int:pk>/", views.prepare, name="prepare"),
    path("my/authorisations/", views.authorisations, name="authorisations"),
    path("my/authorisations/<int:pk>/revoke/", views.revoke, name="revoke"),
]
