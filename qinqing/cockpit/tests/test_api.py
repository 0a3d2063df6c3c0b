"""The cockpit API: figures of the caller's nodes only, 404 outside them, 422 per field for bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.cases.tests.support import client_for
from qinqing.cockpit.models import Alert
from qinqing.web.demo import demo_uscc

from .support import BINJIANG, CHANGHE, XIXING, catch_up, change_registry, registry_row

pytestmark = pytest.mark.django_db


def get(user: str, path: str) -> tuple[int, dict]:
    response = client_for(User.objects.get(username=user)).get(f"/api/v1/cockpit/{path}")
    return response.status_code, response.json()


def test_a_street_sees_its_summary_with_breadcrumb_and_children() -> None:
    catch_up()
    status, body = get("changhe_staff", f"{CHANGHE}/summary")
    assert status == 200
    assert body["enterprises"] == 4 and body["node"]["code"] == CHANGHE
    assert [n["code"] for n in body["breadcrumb"]][-2:] == [BINJIANG, CHANGHE]
    assert sum(c["enterprises"] for c in body["children"]) == 4
    status, district = get("binjiang_staff", f"{BINJIANG}/summary")
    assert status == 200 and [c["code"] for c in district["children"]] == [XIXING, CHANGHE, "330108003"]


@pytest.mark.parametrize("path", ["summary", "timeseries?measure=registered&from=2026-01-01&to=2026-01-31",
                                  "alerts", "enterprises"])
def test_another_street_an_unknown_region_an_enterprise_are_not_found(path: str) -> None:
    for user, code in (("changhe_staff", XIXING), ("changhe_staff", BINJIANG), ("changhe_staff", "123456"),
                       (demo_uscc(0), CHANGHE)):
        status, body = get(user, f"{code}/{path}")
        assert status == 404, (user, code, body)
    assert Client().get(f"/api/v1/cockpit/{CHANGHE}/{path}").status_code == 401


def test_timeseries_refuses_malformed_and_reversed_dates_per_field() -> None:
    status, body = get("changhe_staff", f"{CHANGHE}/timeseries?measure=registered&from=2026-13-01&to=yesterday")
    assert status == 422 and set(body["errors"]) == {"from", "to"}
    status, body = get("changhe_staff", f"{CHANGHE}/timeseries?measure=registered&from=2026-03-01&to=2026-02-01")
    assert status == 422 and set(body["errors"]) == {"to"}
    status, body = get("changhe_staff", f"{CHANGHE}/timeseries?measure=bogus&from=2026-03-01&to=2026-03-02&interval=hour")
    assert status == 422 and set(body["errors"]) == {"measure", "interval"}
    status, body = get("changhe_staff", f"{CHANGHE}/timeseries?measure=registered")
    assert status == 422 and set(body["errors"]) == {"from", "to"}


def test_timeseries_points() -> None:
    catch_up()
    change_registry(registry_row(0, region_code="330108001001"))
    catch_up()
    today = timezone.localdate()
    start = today - dt.timedelta(days=13)
    status, body = get("changhe_staff", f"{CHANGHE}/timeseries?measure=moved_out&from={start}&to={today}&interval=week")
    assert status == 200 and sum(p["value"] for p in body["points"]) == 1
    status, body = get("binjiang_staff", f"{BINJIANG}/timeseries?measure=payouts_amount&from={today.replace(month=1, day=1)}&to={today}&interval=month")
    assert status == 200 and all(isinstance(p["value"], str | int | float) for p in body["points"])


def test_enterprises_are_paged_filtered_and_refused_per_field() -> None:
    catch_up()
    status, body = get("changhe_staff", f"{CHANGHE}/enterprises?limit=2")
    assert status == 200 and len(body["items"]) == 2 and body["next_cursor"]
    status, rest = get("changhe_staff", f"{CHANGHE}/enterprises?limit=2&cursor={body['next_cursor']}")
    assert {e["uscc"] for e in body["items"] + rest["items"]} == {demo_uscc(i) for i in (0, 3, 4, 7)}
    status, body = get("changhe_staff", f"{CHANGHE}/enterprises?industry=C")
    assert [e["uscc"] for e in body["items"]] == [demo_uscc(4)]
    status, body = get("changhe_staff", f"{CHANGHE}/enterprises?status=nope&capital_band=x")
    assert status == 422 and set(body["errors"]) == {"status", "capital_band"}
    status, body = get("changhe_staff", f"{CHANGHE}/enterprises?cursor=@@@")
    assert status == 422


def test_alerts_are_listed_and_acknowledged_only_in_scope() -> None:
    catch_up()
    change_registry(registry_row(3, status="注销"))
    catch_up()
    status, body = get("changhe_staff", f"{CHANGHE}/alerts")
    assert status == 200 and [a["signal"] for a in body["items"]] == ["deregistered"]
    alert_id = body["items"][0]["id"]
    other = client_for(User.objects.get(username="xixing_staff"))
    assert other.post(f"/api/v1/cockpit/alerts/{alert_id}/acknowledge").status_code == 404
    assert client_for(User.objects.get(username=demo_uscc(3))).post(
        f"/api/v1/cockpit/alerts/{alert_id}/acknowledge").status_code == 404
    mine = client_for(User.objects.get(username="changhe_staff"))
    response = mine.post(f"/api/v1/cockpit/alerts/{alert_id}/acknowledge")
    assert response.status_code == 200 and response.json()["acknowledged_by"]
    assert Alert.objects.get(pk=alert_id).acknowledged_at is not None
    assert get("changhe_staff", f"{CHANGHE}/summary")[1]["alerts_open"] == 0
    status, body = get("changhe_staff", f"{CHANGHE}/alerts?open_only=true")
    assert body["items"] == []
