"""The seat console beside a chat: context from sibling apps (registry), the portrait link, 政府替办 under an
authorisation, and a supervisor's 催办 and reassignment of a chat."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from qinqing.accounts.models import Authorisation, Enterprise, User
from qinqing.cases.tests.support import session_client
from qinqing.servicedesk import context
from qinqing.servicedesk.models import Escalation, Message
from qinqing.servicedesk.tests.support import (
    changhe_enterprise,
    human_chat,
    open_hours,  # noqa: F401 - fixture
    staff,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open_hours")]


def test_the_console_shows_what_providers_register_scoped_to_the_enterprise_and_the_portrait_link() -> None:
    seen: list[tuple[str, str]] = []

    def provider(enterprise: Enterprise, user: User) -> context.ContextSection:
        seen.append((enterprise.uscc, user.username))
        return context.ContextSection(key="probe", title="探针", rows=[context.ContextRow(text="<b>一行</b>")])

    def broken(enterprise: Enterprise, user: User) -> context.ContextSection:
        raise RuntimeError("a sibling app is down")

    conversation = human_chat()
    context.register("probe", provider)
    context.register("broken", broken)
    try:
        page = session_client(staff("changhe_dxe")).get(f"/service/conversations/{conversation.pk}/")
    finally:
        context.unregister("probe")
        context.unregister("broken")
    assert page.status_code == 200  # a failing provider is left out, never a 500
    html = page.content.decode()
    assert seen == [(conversation.enterprise.uscc, "changhe_dxe")]
    assert 'data-context="probe"' in html and "&lt;b&gt;一行&lt;/b&gt;" in html
    assert 'data-context="payouts"' in html  # registered by qinqing/flows.py (policies is a sibling)
    assert f'href="/cockpit/enterprises/{conversation.enterprise.uscc}/"' in html


def test_the_payouts_provider_lists_only_this_enterprise_and_only_what_the_seat_may_read() -> None:
    from qinqing.flows import desk_payouts
    from qinqing.policies.models import Payout

    payout = Payout.objects.select_related("entitlement__enterprise").first()
    if payout is None:  # the demo's payouts are made by an outbox consumer: not run in every test database
        payout = _a_payout()
    enterprise = payout.entitlement.enterprise
    section = desk_payouts(enterprise, staff("hz_chief"))  # city level: every district
    assert section.key == "payouts" and section.rows
    assert all("元" in row.detail or "yuan" in row.detail for row in section.rows)
    other = Enterprise.objects.exclude(pk=enterprise.pk).exclude(entitlements__payout__isnull=False).first()
    assert other is not None and desk_payouts(other, staff("hz_chief")).rows == []


def _a_payout() -> Any:
    from decimal import Decimal

    from qinqing.policies.models import Entitlement, Payout, PolicyVersion
    from qinqing.policies.workflow import EntitlementStatus

    version = PolicyVersion.objects.select_related("policy").first()
    assert version is not None
    enterprise = changhe_enterprise().enterprise
    assert enterprise is not None
    entitlement = Entitlement.objects.create(
        key="desk-context-test", policy=version.policy, version=version, enterprise=enterprise,
        period="2026", amount=Decimal("1234.50"), status=EntitlementStatus.values[0])
    return Payout.objects.create(entitlement=entitlement, reference="desk-context-test", amount=Decimal("1234.50"),
                                 bank_name="测试银行", account_name="测试", account_number="6222020000000000")


def test_a_dxe_without_authorisation_is_told_so_and_asks_the_enterprise_in_the_chat() -> None:
    conversation = human_chat()
    seat = session_client(staff("changhe_dxe"))
    html = seat.get(f"/service/conversations/{conversation.pk}/").content.decode()
    assert "data-unauthorised" in html and 'value="ask_authorisation"' in html
    asked = seat.post(f"/service/conversations/{conversation.pk}/action/", {"action": "ask_authorisation"})
    assert asked.status_code == 302
    message = conversation.messages.order_by("-seq").first()
    assert message is not None and message.author_kind == Message.Author.SYSTEM
    assert message.citations[0]["url"] == "/my/authorisations/" and "李娜" in message.text
    # The enterprise sees it in its chat, as a link to its authorisations page.
    polled = session_client(changhe_enterprise()).get(f"/service/conversations/{conversation.pk}/messages/").json()
    assert polled["messages"][-1]["citations"][0]["url"] == "/my/authorisations/"


def test_an_authorised_dxe_sees_the_authorisation_and_links_into_the_agent_workbench() -> None:
    conversation = human_chat()
    dxe = staff("changhe_dxe")
    Authorisation.objects.create(enterprise=conversation.enterprise, agent=dxe, scope="", granted_by=changhe_enterprise(),
                                 expires_at=timezone.now() + dt.timedelta(days=30))
    html = session_client(dxe).get(f"/service/conversations/{conversation.pk}/").content.decode()
    assert "data-authorised" in html and 'href="/agent/"' in html and "ask_authorisation" not in html
    # Covering every 一件事: each one the government acts on can be started from here, by its name.
    assert f'href="/bundles/industrial-project/apply/?for={conversation.enterprise.uscc}"' in html
    assert "工业项目全流程审批" in html
    Authorisation.objects.filter(agent=dxe).update(scope="business-start", revoked_at=None)
    html = session_client(dxe).get(f"/service/conversations/{conversation.pk}/").content.decode()
    assert f'href="/bundles/business-start/apply/?for={conversation.enterprise.uscc}"' in html
    Authorisation.objects.filter(agent=dxe).update(revoked_at=timezone.now())  # revoked: no longer shown
    html = session_client(dxe).get(f"/service/conversations/{conversation.pk}/").content.decode()
    assert "data-unauthorised" in html


def test_a_seat_that_is_no_agent_cannot_act_for_the_enterprise() -> None:
    conversation = human_chat()
    seat = session_client(staff("bj_answer"))
    html = seat.get(f"/service/conversations/{conversation.pk}/").content.decode()
    assert "data-unauthorised" not in html and "ask_authorisation" not in html
    refused = seat.post(f"/service/conversations/{conversation.pk}/action/", {"action": "ask_authorisation"},
                        headers={"Accept": "application/json"})
    assert refused.status_code == 409
    assert not conversation.messages.filter(citations__isnull=False, author_kind="system",
                                            text__contains="政府替办").exists()


def test_a_supervisor_urges_and_reassigns_a_chat_and_a_seat_cannot() -> None:
    conversation = human_chat()
    seat = session_client(staff("changhe_dxe"))
    refused = seat.post(f"/service/conversations/{conversation.pk}/action/", {"action": "urge"})
    assert refused.status_code == 403
    chief = session_client(staff("changhe_chief"))
    chief.post(f"/service/conversations/{conversation.pk}/action/", {"action": "urge", "note": "尽快回复"})
    urge = Escalation.objects.get(conversation=conversation, kind=Escalation.Kind.URGE)
    assert urge.note == "尽快回复" and urge.by == staff("changhe_chief")
    chief.post(f"/service/conversations/{conversation.pk}/action/",
               {"action": "reassign", "to": "changhe_dxe", "note": "改派"})
    conversation.refresh_from_db()
    assert conversation.owner == staff("changhe_dxe") and conversation.assignee == staff("changhe_dxe")
    page = seat.get(f"/service/conversations/{conversation.pk}/").content.decode()
    assert "data-escalations" in page and "尽快回复" in page
