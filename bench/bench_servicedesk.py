"""Benchmark of the D小二 desk: WebSocket delivery under many clients, and SLA breach detection lag.

    PYTHONPATH=. .venv/bin/python bench/bench_servicedesk.py [--clients 1000] [--per-chat 10] [--messages 3]
                                                             [--open-items 10000] [--timed 20]

1. Delivery: a fresh SQLite data directory, `qinqing serve --no-worker` (uvicorn, one process,
   InMemoryChannelLayer) on a free port; `--clients` WebSocket clients logged in as the demo
   enterprises, `--per-chat` on each conversation. On every conversation one client sends
   `--messages` messages (each waits for its ack: stored before acknowledged); every client records
   when each sequence number arrives. Reported: delivery latency (send → receipt on every other
   client of the conversation) p50/p99/max, and lost or duplicated sequences per client (each must
   see every sequence exactly once, catch-up included).
2. Breach detection: `--open-items` open work orders due in 1–24 h (bulk inserted), plus `--timed`
   chats whose deadline is a few seconds away; a Huey worker (`run_huey`) fires each chat's precise
   timer. Reported: detection lag (escalation row time − due_at) p50/max, and one safety-net sweep's
   duration over all open items.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: str) -> dict[str, str]:
    return {**os.environ, "QINQING_DATA_DIR": data_dir, "QINQING_SERVICE_OPENS": "00:00",
            "QINQING_SERVICE_CLOSES": "23:59:59", "QINQING_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}


def _django(data_dir: str) -> None:
    os.environ.update(_env(data_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
    import django

    django.setup()


def _sessions(count: int) -> list[tuple[int, str, int]]:
    """Open `count` conversations across the demo enterprises; return (conversation id, session cookie)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from qinqing.accounts.models import User
    from qinqing.servicedesk.services import chat

    users = list(User.objects.filter(kind="enterprise").order_by("pk"))
    cookies: dict[int, str] = {}
    out = []
    for index in range(count):
        user = users[index % len(users)]
        if user.pk not in cookies:
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            cookies[user.pk] = store.session_key or ""
        conversation = chat.open_conversation(user=user)
        chat.ask_for_human(conversation=conversation, user=user)  # a D小二 chat, not the assistant's turn
        conversation.refresh_from_db()
        out.append((conversation.pk, cookies[user.pk], conversation.last_seq))
    return out


def _stored_duplicates(conversation_ids: list[int]) -> int:
    """Messages stored more than once (a resent client_id must return the first, never store a second)."""
    from django.db.models import Count

    from qinqing.servicedesk.models import Message

    rows = (Message.objects.filter(conversation_id__in=conversation_ids, author_kind="enterprise")
            .values("conversation_id", "text").annotate(n=Count("pk")).filter(n__gt=1))
    return sum(row["n"] - 1 for row in rows)


class _Server:
    """`qinqing serve --no-worker` on a port; stop (SIGTERM: uvicorn's graceful shutdown) and start again."""

    def __init__(self, port: int, data_dir: str, workers: int, cprofile: str = "") -> None:
        self.port, self.data_dir, self.workers = port, data_dir, workers
        # cProfile of the server's main thread (the event loop; ORM calls run in other threads), written at stop.
        self.cprofile = cprofile
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, *(["-m", "cProfile", "-o", self.cprofile] if self.cprofile else []),
             "-m", "qinqing.cli", "serve", "--port", str(self.port), "--no-worker",
             "--workers", str(self.workers)],
            env=_env(self.data_dir), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while time.perf_counter() - started < 1200:  # migrate and load the demo: minutes on a busy machine
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return time.perf_counter() - started
            except OSError:
                time.sleep(0.25)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


async def _deliver(server: _Server, chats: list[tuple[int, str, int]], per_chat: int, messages: int,
                   interval: float, restart: bool, profile: str = "") -> dict[str, Any]:
    """Every client must see every sequence once, across a restart; senders resend unacknowledged messages
    with the same client_id (the server returns the stored one), receivers catch up by sequence."""
    import random

    import websockets

    port = server.port
    sent_at: dict[tuple[int, int], float] = {}
    deliveries: list[tuple[int, int, float]] = []
    seen: list[tuple[int, dict[int, int]]] = []
    first_seq: dict[int, int] = {}
    acked = 0
    reconnects = 0
    restart_window: list[float] = []  # [stopped at, clients may connect again at]
    total = len(chats) * messages
    half = asyncio.Event()

    async def client(cid: int, cookie: str, sender: bool, ready: asyncio.Event, go: asyncio.Event) -> None:
        nonlocal acked, reconnects
        counts: dict[int, int] = {}
        seen.append((cid, counts))
        expected = first_seq[cid] + messages
        last = first_seq[cid]
        next_message = 0
        first_connect = True
        rng = random.Random(cid)

        def note(message: dict[str, Any], live: bool) -> None:
            """Count every frame of a sequence; the client keeps the first (the protocol drops the rest)."""
            nonlocal last
            seq = message["seq"]
            if seq <= first_seq[cid]:
                return
            counts[seq] = counts.get(seq, 0) + 1
            if counts[seq] > 1:
                return
            last = max(last, seq)
            if live and not sender:
                deliveries.append((cid, seq, time.perf_counter()))

        while last < expected or (sender and next_message < messages):
            try:
                async with websockets.connect(
                        f"ws://127.0.0.1:{port}/ws/conversations/{cid}/",
                        additional_headers={"Cookie": f"sessionid={cookie}", "Origin": f"http://127.0.0.1:{port}"},
                        open_timeout=120, max_queue=None) as ws:
                    if not first_connect:
                        reconnects += 1
                    # The catch-up protocol: everything after the last sequence this client holds
                    # (as the page's script does on every (re)connect).
                    await ws.send(json.dumps({"type": "catch_up", "after": last}))
                    while True:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=120))
                        if frame["type"] == "catch_up":
                            for message in frame["messages"]:
                                if message["seq"] not in counts:  # asked for: not a redundant frame
                                    note(message, False)
                            break
                        if frame["type"] == "message":
                            note(frame["message"], True)
                    if first_connect:
                        first_connect = False
                        ready.set()
                        await go.wait()
                    while sender and next_message < messages:
                        await asyncio.sleep(interval * (0.5 + rng.random()) if interval else 0)
                        t0 = time.perf_counter()
                        client_id = f"b{cid}-{next_message}"
                        await ws.send(json.dumps({"type": "message", "text": f"压测{next_message}",
                                                  "client_id": client_id}))
                        while True:
                            frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=120))
                            if frame["type"] == "message":
                                note(frame["message"], True)
                            elif frame["type"] == "ack" and frame.get("client_id") == client_id:
                                sent_at.setdefault((cid, frame["seq"]), t0)
                                next_message += 1
                                acked += 1
                                if acked >= total // 2:
                                    half.set()
                                break
                            elif frame["type"] == "error":
                                raise RuntimeError(frame)
                    while last < expected:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=120))
                        if frame["type"] == "message":
                            note(frame["message"], True)
            except (TimeoutError, OSError, websockets.exceptions.WebSocketException):
                await asyncio.sleep(0.5 + rng.random())  # the server is restarting: reconnect, catch up

    tasks = []
    readies = []
    go = asyncio.Event()
    for cid, cookie, last_seq in chats:
        first_seq[cid] = last_seq  # the greeting and the hand-over notice
        for index in range(per_chat):
            ready = asyncio.Event()
            readies.append(ready)
            tasks.append(asyncio.create_task(client(cid, cookie, index == 0, ready, go)))
            await asyncio.sleep(0.002)
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=600)
    profiler = None
    if profile and server.process is not None:
        # py-spy samples the server while the messages flow (collapsed stacks, summarised by --profile).
        profiler = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
                                     str(server.process.pid), "--format", "raw", "--rate", "200", "--nonblocking",
                                     "--threads", "--output", profile], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        await asyncio.sleep(2)
    started = time.perf_counter()
    go.set()
    restart_s = None
    if restart:
        await half.wait()
        restart_window.append(time.perf_counter())
        await asyncio.to_thread(server.stop)
        restart_s = await asyncio.to_thread(server.start)
        restart_window.append(time.perf_counter())
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=1800)
    elapsed = time.perf_counter() - started
    if profiler is not None:
        profiler.send_signal(2)  # SIGINT: py-spy writes what it sampled
        profiler.wait(timeout=60)
    steady = sorted(1000 * (at - sent_at[(cid, seq)]) for cid, seq, at in deliveries if (cid, seq) in sent_at
                    and not (restart_window and sent_at[(cid, seq)] <= restart_window[-1]
                             and at >= restart_window[0]))
    lost = sum(1 for cid, counts in seen for seq in range(first_seq[cid] + 1, first_seq[cid] + 1 + messages)
               if counts.get(seq, 0) == 0)
    redundant = sum(n - 1 for _cid, counts in seen for n in counts.values() if n > 1)
    extra = sum(1 for cid, counts in seen for seq in counts if seq > first_seq[cid] + messages)
    stored = await asyncio.to_thread(_stored_duplicates, [cid for cid, _cookie, _last in chats])

    def pct(q: float) -> float:
        return round(steady[int(q * (len(steady) - 1))], 1) if steady else float("nan")

    return {"clients": len(tasks), "messages": total, "live_deliveries_timed": len(steady),
            "p50_ms": pct(0.5), "p99_ms": pct(0.99), "max_ms": round(steady[-1], 1) if steady else None,
            "lost": lost, "stored_twice": stored, "unexpected_seqs": extra,
            "redundant_frames_dropped": redundant, "reconnects": reconnects,
            "restart_s": round(restart_s, 1) if restart_s else None, "wall_s": round(elapsed, 1),
            "msgs_per_s": round(total / elapsed, 1)}


def bench_delivery(args: argparse.Namespace, data_dir: str) -> dict[str, Any]:
    server = _Server(args.port or _free_port(), data_dir, args.server_workers, args.cprofile)
    try:
        server.start()
        _django(data_dir)
        chats = _sessions(args.clients // args.per_chat)
        return asyncio.run(_deliver(server, chats, args.per_chat, args.messages, args.interval, args.restart,
                                     args.profile))
    finally:
        server.stop()


def bench_breaches(args: argparse.Namespace, data_dir: str) -> dict[str, Any]:
    import datetime as dt

    from django.utils import timezone

    from qinqing.accounts.models import User
    from qinqing.servicedesk.models import Conversation, Escalation, WorkOrder
    from qinqing.servicedesk.services import chat, sla
    from qinqing.servicedesk.workflow import ChatStatus

    user = User.objects.filter(kind="enterprise").order_by("pk").first()
    assert user is not None and user.enterprise is not None
    now = timezone.now()
    WorkOrder.objects.filter(number__startswith="BENCH").delete()  # an earlier run on the same database
    WorkOrder.objects.bulk_create([
        WorkOrder(number=f"BENCH{i:07d}", kind="message", title="bench", body="bench", filed_by=user,
                  enterprise=user.enterprise, region=user.enterprise.region,
                  # Due in 2 h 05 min to 24 h: outside the 2-hour warning window. Bulk-inserted items inside it
                  # would all be warned at once (≈ 870), a burst a desk never sees (10,000 items over 24 h enter
                  # the window at ≈ 7 a minute); `--warn-burst` keeps that burst to measure it.
                  due_at=now + dt.timedelta(hours=1 + i % 23) if args.warn_burst
                  else now + dt.timedelta(minutes=125 + (i * 1315) // max(args.open_items, 1)))
        for i in range(args.open_items)], batch_size=1000)
    worker = subprocess.Popen([sys.executable, "-m", "qinqing.cli", "run_huey", "--workers", "2", "--max-delay", "1"],
                              env=_env(data_dir), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Wait until the worker runs: it drains a probe task (Django's start-up takes many seconds on a busy machine).
        from huey.contrib.djhuey import HUEY

        from qinqing.servicedesk.tasks import check_deadline

        probe: Any = check_deadline
        probe("work_order", 0)
        started = time.perf_counter()
        while HUEY.pending_count() and time.perf_counter() - started < 600:
            time.sleep(0.5)
        time.sleep(2)
        timed = []
        for i in range(args.timed):
            conversation = chat.open_conversation(user=user)
            chat.ask_for_human(conversation=conversation, user=user)
            conversation.refresh_from_db()
            assert conversation.status == ChatStatus.WAITING
            from qinqing.core import events

            with events.atomic():
                sla.set_due(conversation, timezone.now() + dt.timedelta(seconds=6 + i * 0.2))
                conversation.save(update_fields=["due_at", "warned_at"])
            timed.append(conversation.pk)
        time.sleep(6 + args.timed * 0.2 + 6)
        lags = []
        for pk in timed:
            conversation = Conversation.objects.get(pk=pk)
            row = Escalation.objects.filter(conversation_id=pk, kind="breach").first()
            if row is not None and conversation.due_at is not None:
                lags.append((row.at - conversation.due_at).total_seconds())
        started = time.perf_counter()
        sla.sweep()
        sweep_ms = 1000 * (time.perf_counter() - started)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return {"open_items": args.open_items + args.timed, "timed": args.timed, "detected": len(lags),
            "lag_p50_s": round(statistics.median(lags), 2) if lags else None,
            "lag_max_s": round(max(lags), 2) if lags else None, "sweep_ms": round(sweep_ms)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--per-chat", type=int, default=10)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--open-items", type=int, default=10000)
    parser.add_argument("--timed", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.0,
                        help="seconds between one sender's messages (0: a burst, each waits for its ack)")
    parser.add_argument("--restart", action="store_true", help="restart the server once half the messages are acked")
    parser.add_argument("--port", type=int, default=0, help="the server's port (default: a free one)")
    parser.add_argument("--server-workers", type=int, default=1, help="uvicorn worker processes (needs REDIS_URL)")
    parser.add_argument("--profile", default="", help="py-spy the server during delivery into this file (raw stacks)")
    parser.add_argument("--cprofile", default="",
                        help="run the server under cProfile (its event-loop thread) into this file (pstats)")
    parser.add_argument("--warn-burst", action="store_true",
                        help="open items due in 1-24 h: the first sweep warns every one inside the 2-hour window")
    parser.add_argument("--skip-breaches", action="store_true")
    parser.add_argument("--skip-delivery", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qinqing-bench-desk-") as data_dir:
        database = os.environ.get("DATABASE_URL", "sqlite (data directory)")
        layer = "channels-redis " + os.environ["REDIS_URL"] if os.environ.get("REDIS_URL") else "InMemoryChannelLayer"
        print(f"database: {database.split('@')[-1]}; channel layer: {layer}; args: {vars(args)}", flush=True)
        if not args.skip_delivery:
            print("delivery:", bench_delivery(args, data_dir), flush=True)
        if not args.skip_breaches:
            if args.skip_delivery:
                server = _Server(args.port or _free_port(), data_dir, 1)
                server.start()  # migrate and load the demo
                server.stop()
                _django(data_dir)
            print("breaches:", bench_breaches(args, data_dir), flush=True)


if __name__ == "__main__":
    main()
