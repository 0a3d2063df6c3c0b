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


async def _deliver(port: int, chats: list[tuple[int, str, int]], per_chat: int, messages: int) -> dict[str, Any]:
    import websockets

    sent_at: dict[tuple[int, int], float] = {}
    latencies: list[float] = []
    seen: list[dict[int, int]] = []
    first_seq: dict[int, int] = {}

    async def client(cid: int, cookie: str, sender: bool, index: int, ready: asyncio.Event,
                     go: asyncio.Event) -> None:
        counts: dict[int, int] = {}
        seen.append(counts)
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws/conversations/{cid}/",
                                      additional_headers={"Cookie": f"sessionid={cookie}",
                                                          "Origin": f"http://127.0.0.1:{port}"},
                                      open_timeout=60, max_queue=None) as ws:
            ready.set()
            await go.wait()
            expected = first_seq[cid] + messages
            last = first_seq[cid]
            if sender:
                for n in range(messages):
                    t0 = time.perf_counter()
                    await ws.send(json.dumps({"type": "message", "text": f"压测{n}", "client_id": f"b{cid}-{n}"}))
                    while True:
                        frame = json.loads(await ws.recv())
                        if frame["type"] == "message":
                            counts[frame["message"]["seq"]] = counts.get(frame["message"]["seq"], 0) + 1
                            last = max(last, frame["message"]["seq"])
                        if frame["type"] == "ack":
                            sent_at[(cid, frame["seq"])] = t0
                            break
            while last < expected:
                frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
                if frame["type"] == "message":
                    seq = frame["message"]["seq"]
                    counts[seq] = counts.get(seq, 0) + 1
                    last = max(last, seq)
                    if not sender:
                        latencies.append((cid, seq, time.perf_counter()))  # type: ignore[arg-type]

    tasks = []
    readies = []
    go = asyncio.Event()
    for cid, cookie, last_seq in chats:
        first_seq[cid] = last_seq  # the greeting and the hand-over notice
        for index in range(per_chat):
            ready = asyncio.Event()
            readies.append(ready)
            tasks.append(asyncio.create_task(client(cid, cookie, index == 0, index, ready, go)))
            await asyncio.sleep(0.002)
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=300)
    go.set()
    await asyncio.gather(*tasks)
    delays = sorted(1000 * (at - sent_at[(cid, seq)]) for cid, seq, at in latencies  # type: ignore[misc]
                    if (cid, seq) in sent_at)
    lost = sum(1 for (cid, _cookie, last), counts in zip(
        [c for c in chats for _ in range(per_chat)], seen, strict=False)
        for seq in range(last + 1, last + 1 + messages) if counts.get(seq, 0) == 0)
    duplicated = sum(1 for counts in seen for n in counts.values() if n > 1)
    return {"clients": len(tasks), "deliveries": len(delays), "p50_ms": round(statistics.median(delays), 1),
            "p99_ms": round(delays[int(0.99 * (len(delays) - 1))], 1), "max_ms": round(delays[-1], 1),
            "lost": lost, "duplicated": duplicated}


def bench_delivery(args: argparse.Namespace, data_dir: str) -> dict[str, Any]:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "qinqing.cli", "serve", "--port", str(port), "--no-worker"],
                              env=_env(data_dir), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        _django(data_dir)
        chats = _sessions(args.clients // args.per_chat)
        return asyncio.run(_deliver(port, chats, args.per_chat, args.messages))
    finally:
        server.terminate()
        server.wait(timeout=30)


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
    WorkOrder.objects.bulk_create([
        WorkOrder(number=f"BENCH{i:07d}", kind="message", title="bench", body="bench", filed_by=user,
                  enterprise=user.enterprise, region=user.enterprise.region,
                  due_at=now + dt.timedelta(hours=1 + i % 23))
        for i in range(args.open_items)], batch_size=1000)
    worker = subprocess.Popen([sys.executable, "-m", "qinqing.cli", "run_huey", "--workers", "2", "--max-delay", "1"],
                              env=_env(data_dir), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(12)  # the worker's Django start-up on a busy machine
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qinqing-bench-desk-") as data_dir:
        print("delivery:", bench_delivery(args, data_dir), flush=True)
        print("breaches:", bench_breaches(args, data_dir), flush=True)


if __name__ == "__main__":
    main()
