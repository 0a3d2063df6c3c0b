"""`qinqing serve` stops its background worker when it is told to stop (SIGTERM, SIGINT): nothing is left running."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> set[int]:
    """Every descendant of `pid`, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_serve_stops_its_worker_too(tmp_path, signum):
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"QINQING_TESTING", "QINQING_HUEY_IMMEDIATE", "DATABASE_URL", "REDIS_URL", "PYTEST_CURRENT_TEST"}}
    env.update({"QINQING_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)})
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "qinqing.cli", "serve", "--port", str(port), "--no-demo"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except urllib.error.HTTPError:
                break  # it answered
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.3)
        children = _children(server.pid)
        assert any("run_huey" in _command_line(pid) for pid in children), "serve did not start its worker"
        server.send_signal(signum)
        server.wait(timeout=15)
        gone_by = time.monotonic() + 5
        while any(_alive(pid) for pid in children) and time.monotonic() < gone_by:
            time.sleep(0.1)
        assert not [pid for pid in children if _alive(pid)], "the worker outlived serve"
    finally:
        for pid in {server.pid, *children}:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        server.wait(timeout=5)
        log.close()
