from django.urls import path

from qinqing.datahub import views

app_name = "datahub"
urlpatterns = [
    path("my/data/", views.my_data, name="my_data"),
]
