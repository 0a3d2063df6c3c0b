"""The service desk's card on a cockpit page: the node's subtree only, on every level of the drill-down."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from qinqing.accounts.models import Role
from qinqing.cockpit import board, queries
from qinqing.cockpit.tests.support import BINJIANG, CHANGHE, PUYAN, XIXING, node, staff
from qinqing.servicedesk.models import Conversation
from qinqing.servicedesk.services import sla
from qinqing.servicedesk.tests.support import human_chat, open_hours, puyan_enterprise  # noqa: F401 - fixture
from qinqing.servicedesk.tests.test_activity import scripted  # noqa: F401 - fixture
from qinqing.web.demo_city import load_demo_desk_activity

pytestmark = pytest.mark.django_db
DONGXIN, UNIT = "330108003015", "33010800301500100301"  # the 浦沿 demo enterprise's community and unit
MARCH_END = dt.date(2025, 3, 31)  # the scripted rows' window: 2 to 31 March 2025


def _client(username: str, region: str, role: str = Role.STREET_STAFF) -> Client:
    client = Client()
    client.force_login(staff(username, region, role), backend="django.contrib.auth.backends.ModelBackend")
    return client


def _card(html: str, key: str) -> str:
    found = re.search(rf'data-key="{key}"><span class="label">[^<]*</span>\s*<span class="value">([^<]*)<', html)
    assert found, f"no {key} card"
    return found.group(1)


@pytest.mark.usefixtures("scripted")
def test_the_desk_card_reads_the_nodes_subtree_on_every_level() -> None:
    puyan = board.desk_view(queries.desk_activity(node(PUYAN), today=MARCH_END))
    cards = {c["key"]: c["value"] for c in puyan["cards"]}
    assert cards == {"conversations_opened": 5, "conversations_closed": 4, "orders_opened": 6, "orders_closed": 4,
                     "rectifications_open": cards["rectifications_open"]}
    shares = {s["key"]: (s["value"], s["part"], s["whole"]) for s in puyan["shares"]}
    # Read today, the chat still waiting in March and the rectification open since then are long out of time.
    assert shares == {"chats_on_time": ("25.0", 1, 4), "orders_on_time": ("40.0", 2, 5)}
    assert [(r["key"], r["value"]) for r in puyan["ratings"]] == [
        ("very_satisfied", 2), ("satisfied", 1), ("basically_satisfied", 0), ("dissatisfied", 1),
        ("very_dissatisfied", 0)]
    assert [r["label"] for r in puyan["ratings"]] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert (puyan["rated"], puyan["satisfied_share"]) == (4, "75.0")
    # Drilling down keeps the card: the community and the unit of the enterprise show the same figures, the
    # other streets none of them, the district both streets'.
    for code in (DONGXIN, UNIT):
        assert board.desk_view(queries.desk_activity(node(code), today=MARCH_END)) == puyan
    xixing = queries.desk_activity(node(XIXING), today=MARCH_END)
    assert (xixing.conversations_opened, xixing.rated) == (0, 0)
    changhe = queries.desk_activity(node(CHANGHE), today=MARCH_END)
    district = queries.desk_activity(node(BINJIANG), today=MARCH_END)
    assert district.conversations_opened == 5 + changhe.conversations_opened == 6
    assert district.ratings["basically_satisfied"] == 1 and district.rated == 5


@pytest.mark.usefixtures("open_hours")
def test_a_new_consultation_shows_on_its_streets_pages_and_no_other() -> None:
    street, district = _client("cw_puyan", PUYAN), _client("cw_district", BINJIANG, Role.DISTRICT_STAFF)
    before = {code: int(_card(district.get(f"/cockpit/{code}/").content.decode(), "conversations_opened"))
              for code in (PUYAN, DONGXIN, UNIT, CHANGHE)}
    human_chat(puyan_enterprise())
    for code in (PUYAN, DONGXIN, UNIT):
        html = street.get(f"/cockpit/{code}/").content.decode()
        assert 'id="desk-h"' in html and int(_card(html, "conversations_opened")) == before[code] + 1
    changhe = district.get(f"/cockpit/{CHANGHE}/").content.decode()
    assert int(_card(changhe, "conversations_opened")) == before[CHANGHE]
    assert street.get(f"/cockpit/{CHANGHE}/").status_code == 404  # and 长河's card is not the 浦沿 viewer's to see


def _hours_closed_now(settings: Any) -> None:
    """Service hours that exclude the present moment: `loaddemo` run at night, whatever the hour of the test."""
    hour = timezone.localtime().hour
    settings.QINQING_SERVICE_HOURS = {"opens": "13:00", "closes": "23:00"} if hour < 12 else {"opens": "01:00",
                                                                                             "closes": "11:00"}
    assert not sla.in_service_hours()


def test_the_demo_desk_activity_shows_answered_chats_when_loaded_outside_service_hours(settings: Any) -> None:
    _hours_closed_now(settings)
    assert load_demo_desk_activity() > 0
    handed = Conversation.objects.filter(handed_over_at__isnull=False)
    assert handed.exists() and not handed.filter(first_response_at__isnull=True).exists()
    for chat in handed:
        assert sla.in_service_hours(chat.handed_over_at) and chat.handed_over_at < timezone.now()
        assert chat.created_at < chat.handed_over_at < chat.first_response_at < chat.closed_at
        assert list(chat.messages.order_by("seq").values_list("created_at", flat=True)) == sorted(
            chat.messages.values_list("created_at", flat=True))
    district = board.desk_view(queries.desk_activity(node(BINJIANG)))
    chats = next(s for s in district["shares"] if s["key"] == "chats_on_time")
    assert chats["whole"] == handed.count() and chats["value"] is not None and chats["part"] >= 1
    assert district["rated"] >= handed.count()
    # The live rule is unchanged: a chat asking for a D小二 now gets the non-service-hours note, not a seat.
    live = human_chat(puyan_enterprise())
    assert live.handed_over_at is None


@pytest.mark.usefixtures("open_hours")
def test_the_big_screen_carries_the_desk_card_of_its_node_only() -> None:
    human_chat(puyan_enterprise())
    district = _client("cw_district", BINJIANG, Role.DISTRICT_STAFF)
    puyan = district.get(f"/cockpit/{PUYAN}/screen.json").json()["desk"]
    changhe = district.get(f"/cockpit/{CHANGHE}/screen.json").json()["desk"]
    opened = {f["key"]: f["value"] for f in puyan["figures"]}["conversations_opened"]
    assert opened == queries.desk_activity(node(PUYAN)).conversations_opened >= 1
    assert {f["key"]: f["value"] for f in changhe["figures"]}["conversations_opened"] == (
        queries.desk_activity(node(CHANGHE)).conversations_opened)
    html = district.get(f"/cockpit/{PUYAN}/screen/").content.decode()
    assert 'id="s-desk"' in html and re.search(
        rf'data-key="conversations_opened"><span class="label">[^<]*</span><span class="value">{opened}<', html)
    # A 长河 viewer sees neither 浦沿's screen nor its JSON.
    changhe_staff = _client("cw_changhe", CHANGHE)
    assert changhe_staff.get(f"/cockpit/{PUYAN}/screen.json").status_code == 404
    assert changhe_staff.get(f"/cockpit/{PUYAN}/screen/").status_code == 404


@pytest.mark.usefixtures("open_hours")
def test_the_export_has_the_desk_sheet_of_its_node_only() -> None:
    human_chat(puyan_enterprise())
    street = _client("cw_puyan", PUYAN)
    response = street.get(f"/cockpit/{PUYAN}/export.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["亲清D小二服务（近30天）"]
    rows = {r[0]: (r[1], r[2]) for r in sheet.iter_rows(min_row=6, values_only=True)}
    assert rows["咨询发起"] == (queries.desk_activity(node(PUYAN)).conversations_opened, "次")
    assert any(str(label).startswith("满意度：非常满意") for label in rows)
    one = openpyxl.load_workbook(io.BytesIO(street.get(f"/cockpit/{PUYAN}/export/desk.xlsx").content))
    assert one.sheetnames == ["亲清D小二服务（近30天）"]
    changhe = _client("cw_changhe", CHANGHE)
    assert changhe.get(f"/cockpit/{PUYAN}/export/desk.xlsx").status_code == 404
