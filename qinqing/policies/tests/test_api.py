"""The policies API: public reads, 为我推荐, claims with Idempotency-Key, own payouts, officer operations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from qinqing.cases.tests.support import client_for, session_client
from qinqing.policies.models import Entitlement, Payout, Policy
from qinqing.policies.tests.support import enterprise_user, officer, policy_data, published

pytestmark = pytest.mark.django_db
A = "/api/v1"
KEY = {"Idempotency-Key": "claim-1"}


def test_anyone_lists_published_policies_but_never_a_draft():
    from qinqing.policies.services import create_policy

    draft = create_policy(officer=officer(), data=policy_data(title="草稿政策"))
    body = Client().get(f"{A}/policies").json()
    codes = {p["code"] for p in body}
    assert "rsj-wengang-2026" in codes and draft.code not in codes
    assert Client().get(f"{A}/policies/{draft.pk}").status_code == 404
    wengang = Policy.objects.get(code="rsj-wengang-2026")
    detail = Client().get(f"{A}/policies/{wengang.pk}").json()
    assert detail["document_number"] == "杭人社发〔2026〕12号"
    assert "参保缴费满1年" in [c["label"] for c in detail["conditions"]]
    assert Client().get(f"{A}/policies?department=RSJ").json()[0]["department"] == "RSJ"


def test_for_me_lists_what_the_enterprise_gets_with_reasons_and_what_it_nearly_gets():
    body = client_for(enterprise_user(0)).get(f"{A}/policies/for-me").json()
    eligible = {row["policy"]["code"]: row for row in body["eligible"]}
    assert eligible["kjj-gaoqi-2026"]["amount"] == "200000.00"
    assert eligible["kjj-gaoqi-2026"]["entitlement_status"] == "granted"
    assert any(r["fact"] == "annual.high_tech" and r["source"] == "enterprise_annual"
               for r in eligible["kjj-gaoqi-2026"]["reasons"])
    near = {row["policy"]["code"]: row for row in client_for(enterprise_user(2)).get(
        f"{A}/policies/for-me").json()["near_misses"]}
    assert near["rsj-wengang-2026"]["missing"] == "上年度裁员率不高于5%"
    assert client_for(officer()).get(f"{A}/policies/for-me").status_code == 403


def test_a_claim_needs_an_idempotency_key_and_a_repeat_answers_the_first_without_paying_twice():
    policy = Policy.objects.get(code="kjj-yanfa-2026")
    client = client_for(enterprise_user(0))
    missing = client.post(f"{A}/policies/{policy.pk}/claims")
    assert missing.status_code in (400, 422) and "Idempotency-Key" in missing.content.decode(), missing.content
    first = client.post(f"{A}/policies/{policy.pk}/claims", headers=KEY)
    assert first.status_code == 201, first.content
    # 8,600,000 yuan of R&D × the rate in force today (10 % until 30 June 2026, 8 % from 1 July).
    expected = "860000.00" if timezone.localdate() < dt.date(2026, 7, 1) else "688000.00"
    assert first.json()["amount"] == expected and first.json()["payout_status"] == "paid"
    again = client.post(f"{A}/policies/{policy.pk}/claims", headers={"Idempotency-Key": "claim-2"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Payout.objects.filter(entitlement__policy=policy).count() == 1


def test_a_claim_that_does_not_qualify_names_each_missing_condition():
    policy = Policy.objects.get(code="kjj-yanfa-2026")
    response = client_for(enterprise_user(3)).post(f"{A}/policies/{policy.pk}/claims", headers=KEY)
    assert response.status_code == 422
    assert response.json()["code"] == "not_eligible" and set(response.json()["errors"]) == {"high_tech", "rd"}


def test_payouts_list_only_the_callers_own():
    mine = client_for(enterprise_user(0)).get(f"{A}/payouts").json()
    assert mine and all(p["account"].startswith("****") for p in mine)
    refs = {p["reference"] for p in mine}
    theirs = {p.reference for p in Payout.objects.exclude(entitlement__enterprise=enterprise_user(0).enterprise)}
    assert theirs and not refs & theirs
    officer_view = {p["policy"] for p in client_for(officer("kjj")).get(f"{A}/payouts").json()}
    assert officer_view == {"kjj-gaoqi-2026"}


def test_an_officer_authors_simulates_publishes_and_reads_the_fund_of_its_own_department_only():
    client = client_for(officer())
    bad = client.post(f"{A}/policies", policy_data(budget="10"), content_type="application/json")
    assert bad.status_code == 422 and "budget" in bad.json()["errors"]
    created = client.post(f"{A}/policies", policy_data(), content_type="application/json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    sim = client.post(f"{A}/policies/{pk}/simulate").json()
    assert sim["qualifying"] == 5 and sim["total"] == "35000.00" and sim["within_budget"]
    assert client_for(officer("kjj")).post(f"{A}/policies/{pk}/publish").status_code == 404
    assert client_for(enterprise_user(0)).post(f"{A}/policies/{pk}/publish").status_code == 403
    assert client.post(f"{A}/policies/{pk}/publish").json()["status"] == "published"
    assert client.post(f"{A}/policies/{pk}/publish").status_code == 409
    fund = client.get(f"{A}/policies/{pk}/fund").json()
    assert fund["total"] == "100000.00"
    assert client_for(officer("kjj")).get(f"{A}/policies/{pk}/fund").status_code == 404


def test_an_enterprise_cannot_claim_for_another_or_read_anothers_entitlement():
    policy = published(mode="reviewed")
    client_for(enterprise_user(0)).post(f"{A}/policies/{policy.pk}/claims", headers=KEY)
    body = client_for(enterprise_user(1)).post(f"{A}/policies/{policy.pk}/claims", headers=KEY).json()
    assert Entitlement.objects.get(pk=body["id"]).enterprise == enterprise_user(1).enterprise
    assert Entitlement.objects.filter(policy=policy).count() == 2


def test_a_district_officer_authors_and_runs_only_policies_of_its_own_region_subtree():
    from qinqing.accounts.models import Department, Role
    from qinqing.accounts.services import create_staff
    from qinqing.policies.errors import PolicyNotManaged
    from qinqing.policies.models import Entitlement, Payout
    from qinqing.policies.services import create_policy, pause_policy

    binjiang = create_staff(username="rsj_binjiang", password="x-Unused-9", department="RSJ",
                            roles=[Role.POLICY_OFFICER], region="330108", display_name="滨江人社 · 政策专员")
    assert Department.objects.get(code="RSJ") == binjiang.department
    city_wide = published("rsj")  # a city-wide policy of the same department
    with pytest.raises(PolicyNotManaged):
        pause_policy(policy=city_wide, officer=binjiang)
    refused = client_for(binjiang).post(f"{A}/policies", policy_data(title="全市政策"), content_type="application/json")
    assert refused.status_code == 422 and "region" in refused.json()["errors"]
    own = create_policy(officer=binjiang, data=policy_data(title="滨江政策", region="330108"))
    client = client_for(binjiang)
    assert client.post(f"{A}/policies/{city_wide.pk}/simulate").status_code == 404
    assert client.get(f"{A}/policies/{city_wide.pk}/fund").status_code == 404
    assert client.post(f"{A}/policies/{own.pk}/simulate").status_code == 200
    assert session_client(binjiang).get(f"/policies/manage/{city_wide.code}/").status_code == 404
    assert city_wide.code not in session_client(binjiang).get("/policies/manage/").content.decode()
    assert not Entitlement.objects.visible_to(binjiang).filter(policy=city_wide).exists()
    assert not Payout.objects.visible_to(binjiang).filter(entitlement__policy=city_wide).exists()
    assert Entitlement.objects.visible_to(officer("rsj")).filter(policy=city_wide).exists()
