from django.urls import path

from qinqing.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("help/", views.help_page, name="help"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views.read_notification, name="read_notification"),
]
