"""CPU per request of the HTTP bridge from the ASGI server to Django's WSGI handler: a2wsgi vs core.wsgibridge.

    .venv/bin/python bench/bench_bridge.py [--n 5000] [--rounds 3] [--concurrency 4]

In-process: an asyncio loop drives each bridge with a small POST (a 2-byte JSON body, a 201 answer of 9
bytes, the floor's shape) at the given concurrency, into a WSGI app that only reads the body and answers;
what is measured is the bridge alone (process CPU, both the loop's and the pool threads'), medians of the
rounds, the two alternating. No server, no database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")

import django

django.setup()

from a2wsgi import WSGIMiddleware  # noqa: E402
from django.http import HttpResponse  # noqa: E402

from qinqing.core.wsgibridge import WSGIBridge  # noqa: E402

SCOPE = {"type": "http", "http_version": "1.1", "method": "POST", "scheme": "http", "path": "/api/v1/bench/floor",
         "raw_path": b"/api/v1/bench/floor", "query_string": b"", "root_path": "",
         "headers": [(b"host", b"127.0.0.1:8000"), (b"content-length", b"2"), (b"content-type", b"application/json"),
                     (b"authorization", b"Bearer abc")],
         "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}


def app(environ: dict[str, Any], start_response: Any) -> Any:
    environ["wsgi.input"].read()
    response = HttpResponse(b'{"id": 1}', status=201, content_type="application/json")
    start_response("201 Created", list(response.items()))
    return response


async def one(bridge: Any) -> None:
    messages = [{"type": "http.request", "body": b"{}", "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await bridge(SCOPE, receive, send)
    assert sent[0]["status"] == 201 and b"".join(m.get("body", b"") for m in sent[1:]) == b'{"id": 1}'


async def run(bridge: Any, n: int, concurrency: int) -> None:
    numbers = iter(range(n))

    async def worker() -> None:
        for _ in numbers:
            await one(bridge)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    bridges = {"a2wsgi (before)": WSGIMiddleware(app, workers=10), "core.wsgibridge": WSGIBridge(app, workers=10)}
    cpu: dict[str, list[float]] = {name: [] for name in bridges}
    for _ in range(args.rounds):
        for name, bridge in bridges.items():
            asyncio.run(run(bridge, 200, args.concurrency))  # warm the pool
            started = time.process_time()
            asyncio.run(run(bridge, args.n, args.concurrency))
            cpu[name].append((time.process_time() - started) / args.n * 1e6)
    print(f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}; n={args.n} x {args.rounds} rounds, "
          f"concurrency {args.concurrency}")
    base = statistics.median(cpu["a2wsgi (before)"])
    for name, values in cpu.items():
        median = statistics.median(values)
        print(f"{name:18} CPU per request: median {median:6.1f} µs ({', '.join(f'{v:.0f}' for v in values)}); "
              f"{median / base:.2f}× a2wsgi")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
