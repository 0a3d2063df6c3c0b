"""Chinese first: pages are 简体中文 unless the user switched; API clients may ask by Accept-Language."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from qinqing.core import kept, logs, net


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
            with kept.request_memo():  # the kept copies' versions are read at most once per request
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


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _holds_surrogate(value: Any) -> bool:
    """Tell whether any string (key or value) of a parsed JSON document holds a lone surrogate."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_holds_surrogate(k) or _holds_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_surrogate(v) for v in value)
    return False


class RejectNulMiddleware:
    """Refuse text no field can hold with a clear 400: NUL characters and lone UTF-16 surrogates.

    NUL is looked for in paths, query strings, text bodies and the text fields of multipart forms
    (not in uploaded files, which may be binary); PostgreSQL cannot store one in text or JSON.
    A lone surrogate (JSON `"\\ud800"`) is not a character at all: it cannot be encoded as UTF-8,
    hashed, stored or shown.
    """

    _JSON_ESCAPE = b"\\u0000"
    _FORM_ESCAPE = b"%00"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def _problem(self, request: HttpRequest) -> str:
        raw_path = request.path_info + "?" + request.META.get("QUERY_STRING", "")
        if "\x00" in raw_path or "%00" in raw_path:
            return "nul"
        if request.method not in {"POST", "PUT", "PATCH", "DELETE"}:
            return ""
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("multipart/"):
            return self._multipart_problem(request)
        try:
            body = request.body
        except Exception:  # too big or unreadable: the view answers that itself
            return ""
        if b"\x00" in body:
            return "nul"
        if content_type.startswith("application/x-www-form-urlencoded"):
            return "nul" if self._FORM_ESCAPE in body else ""
        if self._JSON_ESCAPE in body.lower():
            return "nul"
        if _SURROGATE_ESCAPE.search(body):
            try:
                document = json.loads(body)
            except ValueError:
                return ""  # not JSON: the view says so
            if _holds_surrogate(document):
                return "surrogate"
        return ""

    def _multipart_problem(self, request: HttpRequest) -> str:
        try:
            fields, files = request.POST, request.FILES
        except Exception:  # unparseable or too big: the view answers that itself
            return ""
        for key, values in fields.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return "nul"
        for _field, uploads in files.lists():
            if any("\x00" in (getattr(upload, "name", "") or "") for upload in uploads):
                return "nul"
        return ""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = self._problem(request)
        if problem:
            if problem == "nul":
                message = str(translation.gettext("The request contains a NUL character, which no field accepts."))
            else:
                message = str(translation.gettext(
                    "The request contains an unpaired surrogate (such as \\ud800), which is not valid text."))
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "bad_request", "detail": message, "errors": {}}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
