"""A URL conf with one view that fails, for the tests of error logging."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom for the error log test")


urlpatterns = [path("crash/", crash), path("", include("qinqing.urls"))]
