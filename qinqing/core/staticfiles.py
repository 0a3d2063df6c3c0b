"""Static files served in the request's own mode: synchronously under the WSGI handler, asynchronously under ASGI.

servestatic's middleware is async-only, so a synchronous middleware chain (how every plain HTTP
request is served, see `qinqing.asgi`) would cross into an event loop and back on every request,
static or not. This subclass keeps servestatic's file index, headers and compression and serves a
static file with servestatic's synchronous responder (as whitenoise does) when Django builds the
chain synchronously; under an ASGI handler it is servestatic's middleware unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from servestatic.middleware import ServeStaticMiddleware
from servestatic.responders import MissingFileError


class _StaticFileResponse(FileResponse):
    """Django's FileResponse without its own headers: servestatic's responder has set them all."""

    def set_headers(self, *args: Any, **kwargs: Any) -> None:
        pass


class StaticFilesMiddleware(ServeStaticMiddleware):  # type: ignore[misc]  # servestatic is untyped here
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[..., Any], settings: Any = django_settings) -> None:
        self._sync = not iscoroutinefunction(get_response)
        if not self._sync:
            super().__init__(get_response, settings)
            return

        async def never_called(request: HttpRequest) -> HttpResponseBase:
            raise AssertionError("the synchronous chain calls get_response directly")

        super().__init__(never_called, settings)
        self.get_response = get_response
        # servestatic marked the instance as a coroutine function; in a synchronous chain it is not.
        for marker in ("_is_coroutine", "_is_coroutine_marker"):
            self.__dict__.pop(marker, None)

    def __call__(self, request: HttpRequest) -> Any:
        if not self._sync:
            return super().__call__(request)
        static_file = self.find_file(request.path_info) if self.autorefresh else self.files.get(request.path_info)
        if static_file is not None:
            served = static_file.get_response(request.method or "GET", request.META)
            response = _StaticFileResponse(served.file or (), status=int(served.status))
            del response["content-type"]
            for key, value in served.headers:
                if value is not None:
                    response[key] = value
            return response
        if django_settings.DEBUG and request.path.startswith(django_settings.STATIC_URL):
            dirs = sorted(s.location for f in finders.get_finders() for s in getattr(f, "storages", {}).values())
            raise MissingFileError(f"ServeStatic did not find the file '{request.path}' within: {', '.join(dirs)}")
        return self.get_response(request)
