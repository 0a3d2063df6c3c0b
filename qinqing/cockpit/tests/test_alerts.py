"""Alert rules as data: edited by district staff in the admin, conditions in JSONLogic, overdue cases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.cases.tests.support import open_case
from qinqing.cockpit import queries
from qinqing.cockpit.models import Alert, AlertRule
from qinqing.cockpit.services.alerts import raise_overdue_case_alerts
from qinqing.web.demo import demo_uscc

from .support import CHANGHE, PUYAN, catch_up, change_registry, node, registry_row

pytestmark = pytest.mark.django_db


def admin_client(username: str, *, is_staff: bool = True) -> Client:
    user = User.objects.get(username=username)
    user.is_staff = is_staff
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_default_rules_are_shipped() -> None:
    assert set(AlertRule.objects.values_list("signal", flat=True)) >= {
        "moved_out", "deregistered", "abnormal", "headcount_drop", "payout_failed", "case_overdue", "visit_overdue"}


def test_district_staff_edit_a_rule_and_a_bad_condition_is_refused() -> None:
    client = admin_client("binjiang_staff")
    rule = AlertRule.objects.get(key="moved-out")
    url = f"/admin/cockpit/alertrule/{rule.pk}/change/"
    assert client.get(url).status_code == 200
    form = {"key": rule.key, "name": rule.name, "name_en": rule.name_en, "signal": rule.signal,
            "severity": "critical", "notify_roles": '["street_staff"]', "active": "on", "order": 10,
            "condition": '{">=": [{"var": "enterprise.capital"}, 10000000]}'}
    assert client.post(url, form).status_code == 302
    rule.refresh_from_db()
    assert rule.severity == "critical" and rule.condition == {">=": [{"var": "enterprise.capital"}, 10000000]}
    refused = client.post(url, {**form, "condition": '{"eval": ["rm -rf"]}'})
    assert refused.status_code == 200 and "condition" in refused.context["adminform"].form.errors
    bad_roles = client.post(url, {**form, "notify_roles": '["mayor"]'})
    assert "notify_roles" in bad_roles.context["adminform"].form.errors
    # Street staff may not edit the rules.
    assert admin_client("changhe_staff").get(url).status_code in (302, 403)


def test_a_rules_condition_decides_which_signals_become_alerts() -> None:
    rule = AlertRule.objects.get(key="moved-out")
    rule.condition = {">=": [{"var": "enterprise.capital"}, 10000000]}
    rule.save()
    catch_up()
    # Enterprise 0 has 12,000,000 yuan of capital, enterprise 7 has 5,000,000.
    change_registry(registry_row(0, region_code="330108001001"), registry_row(7, region_code="330108001002"))
    catch_up()
    assert list(Alert.objects.filter(signal="moved_out").values_list("uscc", flat=True)) == [demo_uscc(0)]
    rule.active = False
    rule.save()
    change_registry(registry_row(4, region_code="330108001001"))
    catch_up()
    assert Alert.objects.filter(signal="moved_out").count() == 1


def test_an_overdue_case_raises_one_alert_in_its_enterprises_street() -> None:
    catch_up()
    case = open_case(1)
    type(case).objects.filter(pk=case.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    catch_up()
    assert raise_overdue_case_alerts() == 1
    assert raise_overdue_case_alerts() == 0
    alert = Alert.objects.get(signal="case_overdue")
    assert alert.path.startswith(node(PUYAN).path) and alert.detail["case"] == case.number
    assert queries.summary(node(PUYAN)).alerts_open == 1
    assert queries.summary(node(CHANGHE)).alerts_open == 0
