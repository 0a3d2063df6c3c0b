from django.urls import path

from qinqing.web import signup, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("help/", views.help_page, name="help"),
    path("my/", views.desk, name="desk"),
    path("accounts/signup/", signup.signup, name="signup"),
    path("accounts/signup/verify/", signup.signup_verify, name="signup_verify"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views.read_notification, name="read_notification"),
]
