from django.urls import path

from qinqing.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.search, name="search"),
    path("<str:code>/", views.guide, name="guide"),
]
