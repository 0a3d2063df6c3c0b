"""A lean HTTP/1.1 load generator for the benchmarks: keep-alive connections on asyncio streams.

httpx costs about 2 ms of CPU per request; on this 2-core machine that is taken from the server under test
(the issue's figures name wrk, at 818 requests/s against httpx's 391/s on the bare floor, for the same
reason). This client writes each request as one `bytes` and reads the status line, the headers and a
`Content-Length` or chunked body: about a tenth of httpx's CPU. It answers with the same three things the
benchmark checks (`status_code`, `text`, `json()`), so a run validates every response as before.

Only what the benchmarks send: POST and GET with a body, to one host, no redirects, no TLS, no cookies.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit


class LeanError(OSError):
    """The connection failed or the answer was not HTTP/1.1 as expected."""


class LeanResponse:
    __slots__ = ("content", "status_code")

    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, request: bytes) -> LeanResponse:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise LeanError(f"not an HTTP/1.1 answer: {lines[0][:80]!r}")
        length, chunked, close = -1, False, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if chunked:
            body = bytearray()
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                body += await self.reader.readexactly(size + 2)
                del body[-2:]
            content = bytes(body)
        elif length >= 0:
            content = await self.reader.readexactly(length)
        else:
            content = await self.reader.read()
            close = True
        if close:
            self.writer.close()
            self.reader = None  # type: ignore[assignment]
        return LeanResponse(int(parts[1]), content)


class LeanClient:
    """`async with LeanClient(base, connections=8) as client: r = await client.post(url, content=…, headers=…)`."""

    def __init__(self, base_url: str, *, connections: int = 8, timeout: float = 60) -> None:
        split = urlsplit(base_url)
        self.host, self.port = split.hostname or "127.0.0.1", split.port or 80
        self.timeout = timeout
        self._idle: asyncio.LifoQueue[_Connection] = asyncio.LifoQueue()
        self._all: list[_Connection] = []
        self._limit = connections
        self._host_line = f"Host: {self.host}:{self.port}\r\n".encode()

    async def __aenter__(self) -> LeanClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for conn in self._all:
            if conn.reader is not None:
                conn.writer.close()

    async def _take(self) -> _Connection:
        if self._idle.empty() and len(self._all) < self._limit:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            conn = _Connection(reader, writer)
            self._all.append(conn)
            return conn
        return await self._idle.get()

    async def request(self, method: str, url: str, *, content: bytes = b"",
                      headers: dict[str, str] | None = None) -> LeanResponse:
        head = [f"{method} {url} HTTP/1.1\r\n".encode(), self._host_line,
                f"Content-Length: {len(content)}\r\n".encode()]
        head += [f"{name}: {value}\r\n".encode() for name, value in (headers or {}).items()]
        request = b"".join(head) + b"\r\n" + content
        conn = await self._take()
        try:
            async with asyncio.timeout(self.timeout):
                response = await conn.exchange(request)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            conn.writer.close()
            self._all.remove(conn)
            raise LeanError(f"{type(exc).__name__}: {exc}") from exc
        if conn.reader is None:
            self._all.remove(conn)
        else:
            self._idle.put_nowait(conn)
        return response

    async def post(self, url: str, *, content: bytes = b"", headers: dict[str, str] | None = None) -> LeanResponse:
        return await self.request("POST", url, content=content, headers=headers)

    async def get(self, url: str, headers: dict[str, str] | None = None) -> LeanResponse:
        return await self.request("GET", url, headers=headers)
