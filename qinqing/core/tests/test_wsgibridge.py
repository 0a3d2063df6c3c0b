"""Plain HTTP through the bridge answers as a2wsgi does, crossing to the worker thread once each way."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse, StreamingHttpResponse

from qinqing.core import wsgibridge
from qinqing.core.wsgibridge import SMALL_BODY, WSGIBridge


def _scope(method: str = "POST", path: str = "/echo/", body: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None,
           query: bytes = b"a=1&b=%E4%B8%AD") -> dict[str, Any]:
    sent = headers if headers is not None else [(b"content-length", str(len(body)).encode()),
                                               (b"content-type", b"application/json")]
    return {"type": "http", "http_version": "1.1", "method": method, "scheme": "http", "path": path,
            "raw_path": path.encode(), "query_string": query, "root_path": "",
            "headers": [(b"host", b"testserver"), (b"cookie", b"a=1"), (b"cookie", b"b=2"), *sent],
            "client": ("10.1.2.3", 51234), "server": ("127.0.0.1", 8000)}


def _call(app: Any, scope: dict[str, Any], body: bytes = b"", pieces: int = 1) -> tuple[list[dict[str, Any]], int]:
    """Run the ASGI app once; the messages it sent and how many times it waited on `receive`."""
    step = max(1, -(-len(body) // pieces))
    messages = [{"type": "http.request", "body": body[i:i + step], "more_body": i + step < len(body)}
                for i in range(0, max(len(body), 1), step)]
    sent: list[dict[str, Any]] = []
    received = 0

    async def receive() -> dict[str, Any]:
        nonlocal received
        received += 1
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent, received


def _answer(sent: list[dict[str, Any]]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert not sent[-1].get("more_body", False), "the answer ends"
    return start["status"], start["headers"], body


def _environ_app(seen: list[dict[str, Any]]) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        body = environ["wsgi.input"].read()
        seen.append({k: v for k, v in environ.items() if k not in ("wsgi.input", "wsgi.errors", "asgi.scope")})
        response = HttpResponse(body, status=207, content_type="text/plain; charset=utf-8")
        response["X-Echo"] = environ["PATH_INFO"]
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return response
    return app


@pytest.mark.parametrize("pieces", [1, 3])
def test_a_small_request_reaches_the_app_with_a2wsgis_environ_and_its_answer_comes_back_whole(pieces):
    body = '{"名称": "杭州滨江智联"}'.encode()
    ours: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    sent, _ = _call(WSGIBridge(_environ_app(ours)), _scope(body=body), body, pieces)
    expected, _ = _call(WSGIMiddleware(_environ_app(theirs)), _scope(body=body), body, pieces)
    assert ours == theirs and ours[0]["HTTP_COOKIE"] == "a=1,b=2" and ours[0]["REMOTE_ADDR"] == "10.1.2.3"
    assert _answer(sent) == _answer(expected) and _answer(sent)[2] == body
    assert len(sent) == 2, "the head and the whole body, nothing streamed"


def test_a_streamed_answer_comes_in_its_chunks():
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        response = StreamingHttpResponse(iter([b"one,", b"two,", b"three"]), content_type="text/csv")
        start_response("200 OK", list(response.items()))
        return response

    sent, _ = _call(WSGIBridge(app), _scope(method="GET", headers=[]))
    status, headers, body = _answer(sent)
    assert status == 200 and body == b"one,two,three" and (b"content-type", b"text/csv") in headers
    assert [m.get("body") for m in sent[1:-1]] == [b"one,", b"two,", b"three"]


def test_a_large_or_chunked_body_goes_through_a2wsgi(monkeypatch):
    seen: list[dict[str, Any]] = []
    big = b"x" * (SMALL_BODY + 1)
    bridge = WSGIBridge(_environ_app(seen))
    calls: list[str] = []
    real = bridge.fallback

    async def counted(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["path"])
        await real(scope, receive, send)

    monkeypatch.setattr(bridge, "fallback", counted)
    sent, _ = _call(bridge, _scope(path="/big/", body=big), big, pieces=4)
    assert _answer(sent)[2] == big
    chunked = [(b"transfer-encoding", b"chunked"), (b"content-type", b"text/plain")]
    sent, _ = _call(bridge, _scope(path="/chunked/", headers=chunked), b"abc")
    assert _answer(sent)[2] == b"abc"
    assert calls == ["/big/", "/chunked/"]


def test_a_client_gone_before_its_body_arrived_is_not_answered():
    seen: list[dict[str, Any]] = []

    async def run() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await WSGIBridge(_environ_app(seen))(_scope(body=b"{}"), receive, send)
        return sent

    assert asyncio.run(run()) == [] and seen == []


def _masked(body: bytes) -> bytes:
    return re.sub(rb'(csrfmiddlewaretoken" value="|nonce=")[^"]+', rb"\1", body)


@pytest.mark.django_db
def test_the_platforms_pages_and_api_answer_through_the_bridge_as_through_a2wsgi():
    django_app = get_wsgi_application()
    for method, path in (("GET", "/"), ("GET", "/api/v1/matters"), ("GET", "/no-such-page/")):
        scope = _scope(method=method, path=path, headers=[], query=b"")
        ours = _answer(_call(WSGIBridge(django_app), scope)[0])
        theirs = _answer(_call(WSGIMiddleware(django_app), scope)[0])
        drop = {b"x-request-id", b"date", b"set-cookie", b"content-length"}
        assert ours[0] == theirs[0], path
        # A page carries a fresh CSRF token each time: compare it with the tokens masked.
        assert _masked(ours[2]) == _masked(theirs[2]), path
        assert [h for h in ours[1] if h[0] not in drop] == [h for h in theirs[1] if h[0] not in drop], path
    assert wsgibridge.SMALL_BODY >= 64 * 1024
