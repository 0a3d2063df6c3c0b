"""Browser-test fixtures: the real `qinqing serve` in a subprocess, Debian's chromium, demo logins.

The server always runs on its own fresh SQLite data directory (DATABASE_URL is removed from its
environment), so these tests never touch the pytest-django test database: they speak HTTP only.
Matters are chosen at run time through the server's public API, never hard-coded.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
LOCALE_MO = ROOT / "qinqing" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
PASSWORD = "Qinqing@2026"
CHROMIUM = shutil.which("chromium")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SERVER_START_TIMEOUT = float(os.environ.get("QINQING_BROWSER_START_TIMEOUT", "120"))  # a busy shared machine: more
CJK = re.compile(r"[\u4e00-\u9fff]")

# Values for fields the registry does not prefill (see `fill_value`).
DEFAULT_DATE = "2026-01-15"
DEFAULT_NUMBER = "10"
DEFAULT_TEXT = "测试"
# Conditions on an enterprise's size or age (by key or label): a new, small enterprise fails them.
SIZE_OR_AGE = re.compile(r"capital|year|establish|资本|成立|年限|满\s*\d+\s*年", re.IGNORECASE)


def has_cjk(text: str) -> bool:
    return bool(CJK.search(text or ""))


# ---------------------------------------------------------------------------------------------
# The server


BLOCKING = {"serious", "critical"}
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def audit_page(page: Any, name: str, shot: Callable[[Any, str], Any]) -> list[str]:
    """Screenshot the loaded page as `name`, then list its serious/critical axe violations and any overflow."""
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("load")
    shot(page, name)
    problems = []
    for violation in Axe().run(page).response["violations"]:
        if violation.get("impact") in BLOCKING:
            targets = [" ".join(map(str, n.get("target", []))) for n in violation["nodes"][:3]]
            problems.append(f"[{name}] {violation['id']} ({violation['impact']}): {violation['help']} {targets}")
    overflow = page.evaluate(OVERFLOW)
    if overflow > 0:
        problems.append(f"[{name}] wider than the window ({page.viewport_size}) by {overflow} px")
    return problems


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _qinqing_command() -> list[str]:
    script = Path(sys.executable).with_name("qinqing")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "qinqing.cli"]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium; a missing browser skips locally and fails in CI."""
    if CHROMIUM:
        return CHROMIUM
    message = "chromium is not installed (apt-get install chromium fonts-noto-cjk)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# The running server's environment (its data directory): `server_python` runs code against its database.
SERVER_ENV: dict[str, str] = {}


@pytest.fixture(scope="session")
def server_python(server_url: str) -> Callable[[str], str]:
    """Run a Python snippet with Django set up on the server's own database; return what it prints.

    For what a browser cannot do quickly: move a deadline (`due_at`) into the past instead of waiting
    minutes, then run the desk's sweep as the worker would.
    """

    def run(code: str) -> str:
        script = "import django, os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'qinqing.settings')\n" \
                 "django.setup()\n" + code
        done = subprocess.run([sys.executable, "-c", script], env=SERVER_ENV, cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    return run


@pytest.fixture(scope="session")
def server_url(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `qinqing serve` (migrate + demo load + uvicorn) on a free port; stop it at the end.

    QINQING_BROWSER_URL instead points the tests at a server already running (with the environment below and
    QINQING_DATA_DIR exported, for `server_python`): minutes saved per try while writing a test.
    """
    running = os.environ.get("QINQING_BROWSER_URL")
    if running:
        SERVER_ENV.clear()
        SERVER_ENV.update({**os.environ, "PYTHONPATH": str(ROOT)})
        yield running.rstrip("/")
        return
    data_dir = tmp_path_factory.mktemp("qinqing-browser-server")
    # QINQING_BROWSER_PORT pins the port (a machine shared by several sessions hands out port ranges).
    port = int(os.environ.get("QINQING_BROWSER_PORT") or 0) or _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "QINQING_PRODUCTION", "QINQING_SITE_URL"}}
    # The checked-out code, not whichever copy the environment's console script was installed from.
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env.update({"QINQING_DATA_DIR": str(data_dir), "QINQING_HUEY_IMMEDIATE": "1",
                "QINQING_SITE_URL": f"http://127.0.0.1:{port}", "PYTHONUNBUFFERED": "1",
                # The D小二 desk's online seats open around the clock here, so its flows run at any hour.
                "QINQING_SERVICE_OPENS": "00:00", "QINQING_SERVICE_CLOSES": "23:59:59"})
    SERVER_ENV.clear()
    SERVER_ENV.update(env)
    log_path = data_dir / "server.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [*_qinqing_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"],
        cwd=data_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"qinqing serve exited with {proc.returncode}:\n{_tail(log_path)}")
            try:
                if httpx.get(url + "/", timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"qinqing serve did not answer within {SERVER_START_TIMEOUT:.0f} s:\n{_tail(log_path)}")
            time.sleep(0.3)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # our own child's process group
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        log.close()


# ---------------------------------------------------------------------------------------------
# The API: demo logins, the catalog, and the cases the tests start from


@pytest.fixture(scope="session")
def demo() -> Any:
    """`demo_uscc(i)` and the reviewer username of a department code."""
    from qinqing.web.demo import demo_uscc

    class Demo:
        uscc = staticmethod(demo_uscc)

        @staticmethod
        def reviewer(department_code: str) -> str:
            return f"{department_code.lower()}_reviewer"

    return Demo()


class ApiClient:
    """A small bearer-token client of the running server's /api/v1."""

    def __init__(self, base: str, username: str | None = None) -> None:
        self.http = httpx.Client(base_url=base + "/api/v1", timeout=30.0)
        if username:
            response = self.http.post("/auth/token", json={"username": username, "password": PASSWORD})
            assert response.status_code == 200, f"token for {username}: {response.status_code} {response.text}"
            self.http.headers["Authorization"] = f"Bearer {response.json()['token']}"

    def get(self, path: str) -> Any:
        response = self.http.get(path)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text[:500]}"
        return response.json()

    def post(self, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        return self.http.post(path, json=body, headers=headers)

    def submit(self, code: str, data: dict[str, Any]) -> httpx.Response:
        return self.post("/cases", {"matter": code, "data": data}, **{"Idempotency-Key": uuid.uuid4().hex})

    def decide(self, case_id: int, outcome: str, note: str = "") -> dict[str, Any]:
        response = self.post(f"/cases/{case_id}/decision", {"outcome": outcome, "note": note})
        assert response.status_code == 200, f"decision {outcome}: {response.status_code} {response.text[:500]}"
        return response.json()


@pytest.fixture(scope="session")
def api(server_url: str) -> Callable[[str | None], ApiClient]:
    clients: dict[str | None, ApiClient] = {}

    def client(username: str | None = None) -> ApiClient:
        if username not in clients:
            clients[username] = ApiClient(server_url, username)
        return clients[username]

    return client


@pytest.fixture(scope="session")
def catalog(api: Callable[[str | None], ApiClient]) -> list[dict[str, Any]]:
    """Every online matter's detail (form, materials, conditions), as the API publishes them."""
    public = api(None)
    matters = public.get("/matters")
    assert matters, "the catalog is empty: was matters.json loaded?"
    return [public.get(f"/matters/{m['code']}") for m in matters]


# A valid value of each field kind (the schema's "kind": credit code, ID number, phone …).
KIND_VALUES = {
    "uscc": "91110000802100433B", "resident_id": "33010619900101123X", "id_or_uscc": "33010619900101123X",
    "mobile": "13800138000", "landline": "0571-87654321", "phone": "13800138000",
    "bank_account": "1202021409900012345", "postcode": "310052", "email": "contact@example.com",
}


def fill_value(field_spec: dict[str, Any]) -> Any:
    """A sensible value for a field nobody prefilled."""
    kind = field_spec["type"]
    if field_spec.get("kind") in KIND_VALUES:
        return KIND_VALUES[field_spec["kind"]]
    if kind == "boolean":
        return True
    if kind == "choice":
        return field_spec["choices"][0]["value"] if field_spec["choices"] else ""
    if kind == "date":
        return DEFAULT_DATE
    if kind in ("integer", "decimal"):
        return DEFAULT_NUMBER
    return DEFAULT_TEXT


def _number_in(messages: list[str]) -> str | None:
    for message in messages:
        found = re.search(r"-?\d+(?:\.\d+)?", message)
        if found:
            return found.group(0)
    return None


@dataclass
class Choice:
    """A matter with the form values (non-prefilled fields) that got the wanted outcome."""

    matter: dict[str, Any]
    data: dict[str, Any]
    case: dict[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return str(self.matter["code"])

    @property
    def department(self) -> str:
        return str(self.matter["department"])

    def form_fields(self) -> list[dict[str, Any]]:
        return list(self.matter["form"])


def submit_with_retries(client: ApiClient, matter: dict[str, Any],
                        changes: dict[str, Any] | None = None) -> tuple[httpx.Response, dict[str, Any]]:
    """Submit sensible values; fix fields the server names (a range limit, a missing registry value)."""
    specs = {f["key"]: f for f in matter["form"]}
    data = {f["key"]: fill_value(f) for f in matter["form"] if not f["prefill"]}
    data.update(changes or {})
    response = client.submit(matter["code"], data)
    for _attempt in range(3):
        if response.status_code != 422:
            break
        errors: dict[str, list[str]] = response.json().get("errors", {})
        changed = False
        for key, messages in errors.items():
            spec = specs.get(key)
            if spec is None:
                continue
            number = _number_in(messages) if spec["type"] in ("integer", "decimal") else None
            if number is not None and data.get(key) != number:
                data[key] = number
                changed = True
            elif key not in data:
                data[key] = fill_value(spec)
                changed = True
        if not changed:
            break
        response = client.submit(matter["code"], data)
    return response, data


def automatic_candidates(catalog: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Automatic matters an enterprise can apply for without uploading anything, again and again.

    Matters an enterprise may hold once (a second application is a 409) are left out: the tests
    apply for the chosen matters several times.
    """
    return [m for m in catalog if m["automatic"] and m["conditions"]
            and not any(r["required"] for r in m["materials"])
            and m["duplicate_policy"]["policy"] == "many" and not m["duplicate_policy"]["single_valid_licence"]]


def _outcome(response: httpx.Response) -> str:
    body = response.json()
    return f"{response.status_code} {body.get('status') or body.get('errors') or body.get('detail')}"


@pytest.fixture(scope="session")
def approvable(catalog: list[dict[str, Any]], api: Callable[[str | None], ApiClient], demo: Any) -> Choice:
    """An automatic matter with prefilled fields that demo enterprise 0 (存续, 12,000,000 yuan, 2016)
    gets at once; its probe case (approved, with a licence) is kept in `case`."""
    client = api(demo.uscc(0))
    tried = []
    candidates = [m for m in automatic_candidates(catalog)
                  if any(f["prefill"] and f["type"] != "boolean" for f in m["form"])]
    for matter in candidates:
        response, data = submit_with_retries(client, matter)
        tried.append(f"{matter['code']}: {_outcome(response)}")
        if response.status_code == 201 and response.json()["status"] == "approved":
            return Choice(matter, data, response.json())
    pytest.fail("no automatic matter approves demo enterprise 0:\n" + "\n".join(tried))


def _referral_attempts(candidates: list[dict[str, Any]], approvable: Choice) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(matter, changed values) to try, most natural first.

    First as filled in by default: matters with a size or age condition, and the matter enterprise 0
    got at once (the README's tour). Then one choice changed at a time, as an applicant whose case
    does not fit the automatic conditions would answer.
    """
    natural = [m for m in candidates
               if any(SIZE_OR_AGE.search(f"{c['key']} {c['label']}") for c in m["conditions"])]
    natural += [m for m in candidates if m["code"] == approvable.code and m not in natural]
    for matter in natural:
        yield matter, {}
    for matter in candidates:
        for spec in matter["form"]:
            if spec["type"] == "choice" and not spec["prefill"]:
                for option in spec["choices"][1:]:
                    yield matter, {spec["key"]: option["value"]}


@pytest.fixture(scope="session")
def referable(catalog: list[dict[str, Any]], approvable: Choice, api: Callable[[str | None], ApiClient],
              demo: Any) -> Choice:
    """An automatic matter and values for which demo enterprise 5 (2025, 500,000 yuan) is referred
    to the department with reasons (not for a missing material)."""
    client = api(demo.uscc(5))
    tried = []
    for matter, changes in itertools.islice(_referral_attempts(automatic_candidates(catalog), approvable), 80):
        response, data = submit_with_retries(client, matter, changes)
        tried.append(f"{matter['code']} {changes}: {_outcome(response)}")
        body = response.json()
        if response.status_code == 201 and body["status"] == "under_review" and body["decision"]["reasons"]:
            return Choice(matter, data, body)
    pytest.fail("no automatic matter refers demo enterprise 5:\n" + "\n".join(tried))


# ---------------------------------------------------------------------------------------------
# The browser


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    """Chromium, per test module: while Playwright's sync API runs, its asyncio loop is visible to
    Django, whose ORM would then refuse to run (SynchronousOnlyOperation) in tests collected after
    these; stopping it after each module keeps the rest of the suite unaffected without
    DJANGO_ALLOW_ASYNC_UNSAFE."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser: Any, server_url: str) -> Iterator[Callable[..., Any]]:
    """Open fresh browser contexts (separate cookies: one per person); all closed after the test."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        options = {"viewport": {"width": 1280, "height": 900}, **options}
        context = browser.new_context(base_url=server_url, locale="zh-CN", accept_downloads=True, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., Any]) -> Any:
    return new_context().new_page()


def _login(page: Any, username: str) -> None:
    """Log in through the login page (USCC for an enterprise, username for staff)."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/accounts/login/" not in page.url, f"login as {username} failed: {page.inner_text('main')[:300]}"


def _shot(page: Any, name: str) -> Path:
    """A full-page screenshot in test-artifacts/ (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _fill_apply_form(page: Any, choice: Choice, overrides: dict[str, Any] | None = None) -> None:
    """Fill every empty field of the apply page with the values the API probe used.

    `overrides` replaces values (the string is typed as is; None leaves the field empty).
    """
    values = {**choice.data, **(overrides or {})}
    for spec in choice.form_fields():
        key = spec["key"]
        locator = page.locator(f"#f-{key}")
        if key in values and values[key] is None:
            continue
        if spec["type"] == "boolean":
            if values.get(key, True) in (True, "true"):
                locator.check()
            continue
        if key not in values and locator.input_value():
            continue  # prefilled from government data
        if key not in values and not spec["required"]:
            continue
        value = str(values.get(key, fill_value(spec)))
        if spec["type"] == "choice":
            locator.select_option(value)
        else:
            locator.fill(value)


@pytest.fixture(scope="session")
def login() -> Callable[[Any, str], None]:
    return _login


@pytest.fixture(scope="session")
def shot() -> Callable[[Any, str], Path]:
    return _shot


@pytest.fixture(scope="session")
def fill_apply_form() -> Callable[..., None]:
    return _fill_apply_form


@pytest.fixture(scope="session")
def zh_compiled() -> bool:
    """Whether the Chinese translations are compiled (django.mo); without them pages fall back to English."""
    return LOCALE_MO.exists()


@pytest.fixture(scope="session")
def cjk() -> Callable[[str], bool]:
    return has_cjk


@pytest.fixture(scope="session")
def bad_input_target(catalog: list[dict[str, Any]], approvable: Choice) -> dict[str, Any]:
    """A form with a number field to get wrong (a whole-number field if any) and another required
    field to leave empty."""
    ordered = sorted(catalog, key=lambda m: m["code"] != approvable.code)
    for kind in ("integer", "decimal"):
        for matter in ordered:
            own = [f for f in matter["form"] if not f["prefill"]]
            numeric = [f for f in own if f["type"] == kind]
            others = sorted((f for f in own if f["required"] and f not in numeric[:1]),
                            key=lambda f: f["type"] == "boolean")
            if not numeric or not others:
                continue
            same = matter["code"] == approvable.code
            data = dict(approvable.data) if same else {f["key"]: fill_value(f) for f in own}
            return {
                "choice": Choice(matter, data), "wrong": numeric[0]["key"],
                # a number input takes 1.5, which is no whole number; a decimal field is free text
                "wrong_value": "1.5" if kind == "integer" else "十二",
                "missing": others[0],
            }
    pytest.fail("no matter has a number field plus another required field to get wrong")
