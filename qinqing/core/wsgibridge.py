"""Plain HTTP from the ASGI server to Django's WSGI handler with one crossing each way.

a2wsgi (decision 0005) hands every piece of a request between the event loop and the worker thread
separately: the body is pulled from the thread (`run_coroutine_threadsafe(receive())`), and the status,
each body chunk and the end are each pushed back through a queue, the thread waiting for the loop every
time. A small API request crossed five or six times. Here a request whose body is small (declared at
most `SMALL_BODY` bytes, the API's JSON and every form post) is read whole on the loop, run in the pool,
and a response that is not streaming comes back whole: one crossing there, one back. Anything else
(a large upload, a streamed download or export) goes through a2wsgi exactly as before.

The environ is a2wsgi's own (`build_environ`), with the body as a `BytesIO`.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from a2wsgi import WSGIMiddleware
from a2wsgi.wsgi import build_environ
from django.http import HttpResponseBase

SMALL_BODY = 256 * 1024  # bytes: read whole on the event loop before the request goes to a thread

Message = dict[str, Any]


class _Whole:
    """What the thread hands back: the status line, the headers and the body of a finished response."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


class WSGIBridge:
    """An ASGI application serving a WSGI one; `fallback` (a2wsgi) for large bodies and streamed answers."""

    def __init__(self, app: Callable[..., Iterable[bytes]], workers: int = 10) -> None:
        self.app = app
        self.fallback = WSGIMiddleware(app, workers=workers)
        self.executor: ThreadPoolExecutor = self.fallback.executor  # one pool for both paths

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Any], send: Callable[[Message], Any]) -> None:
        if scope["type"] != "http" or not _small(scope):
            await self.fallback(scope, receive, send)  # type: ignore[arg-type]
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        loop = asyncio.get_running_loop()
        environ: dict[str, Any] = build_environ(scope, io.BytesIO(b"".join(chunks)))  # type: ignore[arg-type,assignment]
        context = contextvars.copy_context()
        answer = await loop.run_in_executor(self.executor, lambda: context.run(self._run, environ, loop, send))
        if answer is not None:
            await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
            await send({"type": "http.response.body", "body": answer.body})

    def _run(self, environ: dict[str, Any], loop: asyncio.AbstractEventLoop,
             send: Callable[[Message], Any]) -> _Whole | None:
        """In a pool thread: the whole response, or None when it was streamed to `send` from here."""
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            if exc_info is not None and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [int(status.split(" ", 1)[0]),
                          [(name.strip().encode("latin1").lower(), value.strip().encode("latin1"))
                           for name, value in headers]]
            return lambda chunk: _push(loop, send, {"type": "http.response.body", "body": chunk, "more_body": True})

        iterable = self.app(environ, start_response)
        try:
            if isinstance(iterable, HttpResponseBase) and not iterable.streaming:
                body = b"".join(iterable)
                return _Whole(started[0], started[1], body)
            # Streamed (a file, an export): each chunk to the client as it comes, as a2wsgi does.
            head_sent = False
            for chunk in iterable:
                if not head_sent:
                    _push(loop, send, {"type": "http.response.start", "status": started[0], "headers": started[1]})
                    head_sent = True
                _push(loop, send, {"type": "http.response.body", "body": chunk, "more_body": True})
            if not head_sent:
                _push(loop, send, {"type": "http.response.start", "status": started[0], "headers": started[1]})
            _push(loop, send, {"type": "http.response.body", "body": b""})
            return None
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()


def _push(loop: asyncio.AbstractEventLoop, send: Callable[[Message], Any], message: Message) -> None:
    asyncio.run_coroutine_threadsafe(send(message), loop).result()


def _small(scope: dict[str, Any]) -> bool:
    """Whether the request declares a body of at most SMALL_BODY bytes (no body counts; chunked does not)."""
    length = None
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return False
        elif name == b"transfer-encoding":
            return False
    return length is None or 0 <= length <= SMALL_BODY
