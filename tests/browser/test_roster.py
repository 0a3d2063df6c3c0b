"""The 15,000-employee story in a browser: template from the form, roster upload, live progress, result download.

The server here runs with its real background worker (not Huey's immediate mode), so the progress
page shows the roster being read, checked and enrolled while htmx polls it every second.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from openpyxl import Workbook, load_workbook

from qinqing.cases.roster.policy import roster_policy
from qinqing.core.ids import generate_resident_id

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Qinqing@2026"
EMPLOYEES = 3000
HEADER = ["姓名", "居民身份证号码", "户籍性质", "月缴费基数（元）", "参保起始年月"]
BLOCKING = {"serious", "critical"}


def _axe_blocking(page: Any) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in Axe().run(page).response["violations"]
            if v.get("impact") in BLOCKING]


@pytest.fixture(scope="module")
def server_url(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`qinqing serve` with its background worker (the waiting page must see real progress)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    data_dir = tmp_path_factory.mktemp("qinqing-roster-server")
    env = {k: v for k, v in os.environ.items() if k not in {
        "DATABASE_URL", "REDIS_URL", "QINQING_PRODUCTION", "QINQING_TESTING", "QINQING_HUEY_IMMEDIATE"}}
    env.update({"QINQING_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
                "QINQING_SITE_URL": f"http://127.0.0.1:{port}"})
    log_path = data_dir / "server.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "qinqing.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, log_path.read_text(errors="replace")[-3000:]
            try:
                if httpx.get(url + "/", timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)  # serve stops its worker itself
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.close()


def _token(url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url + "/api/v1", timeout=60.0)
    response = client.post("/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return client


def _approved_enrolment_case(client: httpx.Client) -> int:
    """Apply for 职工参保登记 with one employee typed in, as the form asks; it is approved at once."""
    code = sorted(roster_policy().matters)[0]
    spec = client.get(f"/matters/{code}").json()
    typed = {"employee_name": "王小明", "id_number": generate_resident_id(serial=7), "handler": "李会计",
             "handler_phone": "13800138000", "hukou_type": "urban", "contribution_base": "6000.00",
             "start_date": dt.date.today().isoformat()}
    data: dict[str, Any] = {}
    for field in spec["form"]:
        if field["prefill"]:
            continue
        if field["type"] == "boolean":
            data[field["key"]] = True
        elif field["key"] in typed:
            data[field["key"]] = typed[field["key"]]
        elif field["type"] == "choice":
            data[field["key"]] = field["choices"][0]["value"]
        elif field["type"] == "date":
            data[field["key"]] = dt.date.today().isoformat()
        elif field["type"] in ("integer", "decimal"):
            data[field["key"]] = "1"
        else:
            data[field["key"]] = "测试"
    response = client.post("/cases", json={"matter": code, "data": data}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201 and response.json()["status"] == "approved", response.text
    return int(response.json()["id"])


def _roster(count: int) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    month = f"{dt.date.today():%Y-%m}"
    for n in range(count):
        born = dt.date(1970, 1, 1) + dt.timedelta(days=n)
        sheet.append([f"职工{'甲乙丙丁戊己庚辛壬癸'[n % 10]}{'子丑寅卯辰巳午未申酉戌亥'[n % 12]}",
                      generate_resident_id(born=born, serial=n % 997 + 1), "外地农村" if n % 3 else "本地城镇",
                      "4812.00" if n % 2 else "8000.50", month])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_roster_is_uploaded_followed_while_it_runs_and_its_result_downloaded(
        new_context: Callable[..., Any], login: Callable[[Any, str], None], server_url: str,
        shot: Callable[[Any, str], Path], tmp_path: Path) -> None:
    from qinqing.web.demo import demo_uscc

    uscc = demo_uscc(0)
    case_id = _approved_enrolment_case(_token(server_url, uscc))
    page = new_context().new_page()
    login(page, uscc)
    page.goto(f"/cases/{case_id}/")
    page.click("#roster-link")
    page.wait_for_selector("#roster-form")
    assert not _axe_blocking(page)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server_url) else None)
    with page.expect_download() as template_download:
        page.click("#roster-template")
    template = load_workbook(io.BytesIO(Path(template_download.value.path()).read_bytes())).worksheets[0]
    assert [c.value for c in next(template.iter_rows(max_row=1))][:5] == HEADER

    roster_file = tmp_path / "职工花名册.xlsx"
    roster_file.write_bytes(_roster(EMPLOYEES))
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if r.headers.get("hx-request") else None)
    page.set_input_files("#roster-file", str(roster_file))
    with page.expect_navigation():
        page.click("#roster-submit")
    assert "/roster/" in page.url
    first_status = page.get_attribute("#roster-progress", "data-status")
    shot(page, "roster-progress")
    page.wait_for_selector('#roster-progress[data-status="completed"]', timeout=120_000)
    if first_status != "completed":
        assert polls, "the progress block was not polled"
    assert f"{EMPLOYEES}" in page.inner_text("#roster-outcome")
    shot(page, "roster-completed")
    assert not _axe_blocking(page)

    with page.expect_download() as result_download:
        page.click("#roster-result")
    result = load_workbook(io.BytesIO(Path(result_download.value.path()).read_bytes()), read_only=True)
    rows = list(result.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == EMPLOYEES + 1
    assert all(row[6] and row[7] for row in rows[1:])  # enrolment number and status on every line

    page.goto(f"/cases/{case_id}/")
    assert f"{EMPLOYEES}" in page.inner_text("#case-enrolled")
    assert not outside, outside
