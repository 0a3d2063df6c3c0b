"""Chinese first: pages are 简体中文 unless the user switched; API clients may ask by Accept-Language."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from qinqing.core import logs, net


class RequestIdMiddleware:
    """Give each request an id: in every log record written meanwhile and in the `X-Request-ID` header.

    A proxy's `X-Request-ID` is kept only from a trusted proxy (`QINQING_TRUSTED_PROXIES`) and
    only when it is plain (letters, digits, `._:-`), so a client can neither forge nor inject one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.META.get("HTTP_X_REQUEST_ID", "") if net.peer_is_trusted_proxy(request) else ""
        request_id = logs.new_request_id(str(offered))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = logs.bind_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            logs.unbind_request_id(token)
        response["X-Request-ID"] = request_id
        return response


class ChineseFirstLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def _language(self, request: HttpRequest) -> str:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if chosen in self.supported:
            return chosen
        if request.path.startswith("/api/"):
            asked = translation.get_language_from_request(request)
            if asked in self.supported:
                return asked
        return settings.LANGUAGE_CODE

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = self._language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class RejectNulMiddleware:
    """Refuse NUL characters in paths, query strings and text bodies with a clear 400.

    No field of the platform may hold one, and PostgreSQL cannot store one in text or JSON.
    """

    _JSON_ESCAPE = b"\\u0000"
    _FORM_ESCAPE = b"%00"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def _has_nul(self, request: HttpRequest) -> bool:
        raw_path = request.path_info + "?" + request.META.get("QUERY_STRING", "")
        if "\x00" in raw_path or "%00" in raw_path:
            return True
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method in {"POST", "PUT", "PATCH"} and not content_type.startswith("multipart/"):
            try:
                body = request.body
            except Exception:  # too big or unreadable: the view answers that itself
                return False
            if b"\x00" in body:
                return True
            if content_type.startswith("application/x-www-form-urlencoded"):
                return self._FORM_ESCAPE in body
            return self._JSON_ESCAPE in body.lower()
        return False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._has_nul(request):
            message = str(translation.gettext("The request contains a NUL character, which no field accepts."))
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "bad_request", "detail": message, "errors": {}}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
