from django.urls import path

app_name = "cockpit"
urlpatterns: list = []  # type: ignore[type-arg]
