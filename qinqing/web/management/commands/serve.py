"""Start the platform: migrate, load demo data into an empty database, run the ASGI server and the worker.

On SIGTERM or SIGINT the server shuts down and the background worker is stopped with it: the
signal is forwarded, the worker is given `STOP_TIMEOUT` seconds, then killed. Nothing is left
running after `kill <pid>` of `qinqing serve`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

STOP_TIMEOUT = 10.0
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stopped(BaseException):
    """A stop signal arrived; a BaseException, so that no `except Exception` on the way swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGINT into `Stopped` while the block runs (the server restores these after its own)."""
    previous = {sig: signal.signal(sig, _raise_stopped) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def stop_children(children: Sequence[subprocess.Popen[bytes]], signum: int = signal.SIGTERM,
                  timeout: float = STOP_TIMEOUT) -> None:
    """Forward `signum` to each running child, wait up to `timeout` seconds in all, then kill what is left."""
    running = [child for child in children if child.poll() is None]
    for child in running:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signum)
    deadline = time.monotonic() + timeout
    for child in running:
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            child.wait(timeout=5)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the worker gets SIGTERM if the server dies without cleaning up (SIGKILL, a crash)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Command(BaseCommand):
    help = "Migrate, load the demo city when the database is empty, and serve site and API."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--no-demo", action="store_true", help="Do not load demo data.")
        parser.add_argument("--no-worker", action="store_true", help="Do not start the background worker.")

    def handle(self, *args: Any, **options: Any) -> None:
        children: list[subprocess.Popen[bytes]] = []
        stop_signal = signal.SIGTERM
        try:
            with stop_on_signals():
                self._serve(children, options)
        except Stopped as stopped:
            stop_signal = signal.Signals(stopped.signum)
        finally:
            stop_children(children, stop_signal)

    def _serve(self, children: list[subprocess.Popen[bytes]], options: dict[str, Any]) -> None:
        import uvicorn

        from qinqing.accounts.models import User

        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        self.stdout.write(f"数据目录 data directory: {settings.DATA_DIR}")
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_demo"] and not User.objects.exists():
            call_command("loaddemo", stdout=self.stdout)
        elif not options["no_demo"]:
            call_command("loaddemo", "--logins-only", stdout=self.stdout)
        if not options["no_worker"] and not settings.HUEY.get("immediate"):
            # An idle worker polls the queue at least once a second: a roster upload starts at once.
            children.append(subprocess.Popen(
                [sys.executable, "-m", "qinqing.cli", "run_huey", "--workers", "2", "--max-delay", "1",
                 "--flush-locks"],
                env=os.environ.copy(),
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            ))
        if options["workers"] == 1:  # the server runs in this process: build the assistant's index meanwhile
            from qinqing.servicedesk.assistant import warm

            warm()
        url = f"http://{options['host']}:{options['port']}"
        self.stdout.write(self.style.SUCCESS(f"亲清在线 running at {url}  (API {url}/api/v1/docs)"))
        self.stdout.flush()
        # uvicorn handles SIGTERM/SIGINT itself (graceful shutdown), then restores our handlers and
        # raises the signal again: `Stopped` then reaches `handle`, which stops the worker.
        # proxy_headers=False: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 (its
        # default FORWARDED_ALLOW_IPS), letting any local client choose its address. The platform
        # reads the header itself, only from QINQING_TRUSTED_PROXIES (qinqing/core/net.py).
        uvicorn.run(
            "qinqing.asgi:application", host=options["host"], port=options["port"],
            workers=options["workers"], log_level="warning", access_log=False, lifespan="off",
            proxy_headers=False, forwarded_allow_ips="",
            # Chat frames are short: compressing each copy of a message for every connected client cost more
            # CPU than it saved bytes (docs/performance.md, "Service desk").
            ws_per_message_deflate=False,
        )
