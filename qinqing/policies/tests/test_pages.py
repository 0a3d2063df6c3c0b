"""Policy pages: public detail in plain words, 为我推荐, payouts and receipts, the account, the officer's builder."""

from __future__ import annotations

import pytest

from qinqing.accounts.models import User
from qinqing.cases.tests.support import session_client
from qinqing.policies.models import BankAccount, Payout, Policy
from qinqing.policies.tests.support import enterprise_user, officer, published

pytestmark = pytest.mark.django_db


def test_a_policy_page_says_its_conditions_in_words_and_whether_the_enterprise_may_qualify():
    page = session_client(enterprise_user(2)).get("/policies/rsj-wengang-2026/").content.decode()
    assert "杭人社发〔2026〕12号" in page and "参保缴费满1年" in page
    assert "上年度裁员率高于5%" in page  # what this enterprise lacks


def test_for_me_shows_the_amount_and_the_facts_with_their_source():
    page = session_client(enterprise_user(0)).get("/policies/for-me/").content.decode()
    assert "高新技术企业认定奖励" in page and "200,000.00" in page
    assert "企业年度经营与认定信息" in page  # the source of the facts that make it qualify


def test_payouts_show_masked_accounts_and_a_receipt_pdf_of_ones_own_only():
    user = enterprise_user(0)
    number = BankAccount.objects.get(enterprise=user.enterprise).number
    page = session_client(user).get("/policies/payouts/").content.decode()
    assert number not in page and number[-4:] in page
    own = Payout.objects.filter(entitlement__enterprise=user.enterprise).first()
    other = Payout.objects.exclude(entitlement__enterprise=user.enterprise).first()
    pdf = session_client(user).get(f"/policies/payouts/{own.pk}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and number.encode() not in pdf.content
    assert session_client(user).get(f"/policies/payouts/{other.pk}/receipt.pdf").status_code == 404


def test_the_account_form_refuses_a_bad_number_on_its_field_and_never_echoes_the_number():
    response = session_client(enterprise_user(5)).post("/policies/account/", {
        "bank_name": "杭州银行", "account_name": "杭州新启航信息技术有限公司", "number": "12345"})
    assert response.status_code == 422 and 'id="e-number"' in response.content.decode()
    assert 'value="12345"' not in response.content.decode()


def test_an_officer_builds_conditions_from_rows_sees_the_live_count_and_simulates():
    client = session_client(officer())
    form = {"region": "330100", "fact_0": "annual.graduates_hired", "op_0": ">=", "value_0": "1",
            "fact_1": "registry.status", "op_1": "in", "value_1": "存续，在业"}
    count = client.post("/policies/manage/count/", form).content.decode()
    assert "5" in count
    created = client.post("/policies/manage/new/", {
        **form, "title": "页面测试政策", "document_number": "杭人社发〔2026〕77号", "valid_from": "2026-01-01",
        "valid_until": "2026-12-31", "mode": "instant", "budget": "50000", "amount_fact": "annual.graduates_hired",
        "amount_factor": "1000", "amount_cap": "10000", "amount_text": "每人1000元，最高1万元", "period": "year"})
    assert created.status_code == 302, created.content.decode()[:2000]
    policy = Policy.objects.get(title="页面测试政策")
    assert policy.current_version.eligibility[1]["expr"] == {"in": [{"var": "registry.status"}, ["存续", "在业"]]}
    sim = client.post(f"/policies/manage/{policy.code}/simulate/").content.decode()
    assert 'id="sim-count">5<' in sim
    assert session_client(officer("kjj")).get(f"/policies/manage/{policy.code}/").status_code == 404


def test_the_builder_refuses_an_unknown_fact_on_the_conditions_field():
    response = session_client(officer()).post("/policies/manage/new/", {
        "title": "坏条件", "fact_0": "annual.secret", "op_0": ">=", "value_0": "1"})
    assert response.status_code == 422 and "第 1 行" in response.content.decode()


def test_an_officer_reverses_a_paid_payout_with_a_reason_and_the_enterprise_sees_the_reversal_entry():
    from qinqing.policies.models import FundPool, LedgerEntry, Payout
    from qinqing.policies.services import process_due_payouts

    policy = published()
    process_due_payouts()  # the bank confirms what was sent
    payout = Payout.objects.filter(entitlement__policy=policy, status="paid").select_related(
        "entitlement__enterprise").first()
    assert payout is not None
    pool_paid = FundPool.objects.get(policy=policy).paid
    client = session_client(officer())
    listing = client.get(f"/policies/manage/{policy.code}/payouts/").content.decode()
    assert payout.reference in listing and "¥" in listing
    refused = client.post(f"/policies/manage/payouts/{payout.pk}/reverse/", {"reason": ""}, follow=True)
    assert "冲正原因" in refused.content.decode() or "reason" in refused.content.decode()
    assert Payout.objects.get(pk=payout.pk).status == "paid"
    assert session_client(officer("kjj")).post(f"/policies/manage/payouts/{payout.pk}/reverse/",
                                               {"reason": "重复拨付"}).status_code == 404
    done = client.post(f"/policies/manage/payouts/{payout.pk}/reverse/", {"reason": "重复拨付，予以冲正"})
    assert done.status_code == 302
    assert Payout.objects.get(pk=payout.pk).status == "reversed"
    entry = LedgerEntry.objects.get(payout=payout, kind="reversal")
    assert entry.amount == payout.amount and entry.note == "重复拨付，予以冲正"
    assert FundPool.objects.get(policy=policy).paid == pool_paid - payout.amount
    owner = User.objects.filter(enterprise=payout.entitlement.enterprise, kind="enterprise").first()
    page = session_client(owner).get("/policies/payouts/").content.decode()
    assert "重复拨付，予以冲正" in page and "ledger-reversal" in page
    again = client.post(f"/policies/manage/payouts/{payout.pk}/reverse/", {"reason": "再次冲正"}, follow=True)
    assert LedgerEntry.objects.filter(payout=payout, kind="reversal").count() == 1
    assert again.status_code == 200
