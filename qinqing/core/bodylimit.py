"""Refuse a request body over its limit before anything reads it: 413 with a clear message.

Two doors, one rule (`body_limit`): `BodyLimitASGI` wraps the ASGI application, so that under
uvicorn a declared Content-Length over the limit is answered before Django spools the body, and a
body streamed without one is cut off as soon as it passes the limit; `BodyLimitMiddleware` does
the same check inside Django for WSGI servers and the test client.

Limits: the data hub's batch import takes `QINQING_DATAHUB_MAX_IMPORT_BYTES`; a multipart upload
`QINQING_MAX_REQUEST_BYTES`; any other body `DATA_UPLOAD_MAX_MEMORY_SIZE`, which Django itself
applies when the body is read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_IMPORT_BYTES = 50 * 1024 * 1024
_IMPORT_PATH = re.compile(r"^/api/v1/datahub/[^/]+/records/?$")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]


def body_limit(path: str, content_type: str) -> int:
    """The largest body a request to `path` of this content type may carry, in bytes."""
    if _IMPORT_PATH.match(path):
        return int(getattr(settings, "QINQING_DATAHUB_MAX_IMPORT_BYTES", DEFAULT_MAX_IMPORT_BYTES))
    if content_type.lower().startswith("multipart/"):
        return int(getattr(settings, "QINQING_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES))
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or DEFAULT_MAX_REQUEST_BYTES)


def declared_length(value: str | None) -> int | None:
    """The Content-Length as a number; None when absent; -1 when it is not a number."""
    if value is None or value == "":
        return None
    value = value.strip()
    return int(value) if value.isdigit() else -1


def _message(limit: int) -> str:
    return _("请求体过大：最多 %(mb)s MB。") % {"mb": f"{limit / (1024 * 1024):g}"}


def too_large(path: str, limit: int) -> HttpResponse:
    """413 for a body over the limit: the API's error shape for /api/, a short text otherwise."""
    message = _message(limit)
    response: HttpResponse
    if path.startswith("/api/"):
        response = JsonResponse({"code": "too_large", "detail": message, "errors": {}}, status=413)
    else:
        response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    response["Connection"] = "close"
    return response


def bad_length(path: str) -> HttpResponse:
    message = _("Content-Length 无效。")
    if path.startswith("/api/"):
        return JsonResponse({"code": "bad_request", "detail": message, "errors": {}}, status=400)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


class BodyLimitMiddleware:
    """Inside Django: refuse by the declared Content-Length before the body is parsed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = declared_length(request.META.get("CONTENT_LENGTH"))
        if declared == -1:
            return bad_length(request.path)
        limit = body_limit(request.path, request.META.get("CONTENT_TYPE", ""))
        if declared is not None and declared > limit:
            return too_large(request.path, limit)
        return self.get_response(request)


class BodyLimitASGI:
    """Around the ASGI application: answer 413 before the body is read, or as soon as it passes the limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        path = str(scope.get("path") or "")
        declared = declared_length(headers.get("content-length"))
        if declared == -1:
            await _answer(send, lambda: bad_length(path))
            return
        limit = body_limit(path, headers.get("content-type", ""))
        if declared is not None and declared > limit:
            await _answer(send, lambda: too_large(path, limit))
            return
        received = 0
        cut_off = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, cut_off
            message = await receive()
            if message.get("type") == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    cut_off = True
                    return {"type": "http.disconnect"}  # Django stops reading and answers nothing
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message.get("type") == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, limited_receive, tracking_send)
        if cut_off and not started:
            await _answer(send, lambda: too_large(path, limit))


async def _answer(send: Send, make: Callable[[], HttpResponse]) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        response = make()
    body = response.content
    await send({
        "type": "http.response.start", "status": response.status_code,
        "headers": [(b"content-type", response["Content-Type"].encode("latin-1")),
                    (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
                    (b"x-content-type-options", b"nosniff")],
    })
    await send({"type": "http.response.body", "body": body})

