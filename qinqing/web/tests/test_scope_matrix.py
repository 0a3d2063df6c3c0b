"""Every route × every kind of user: who reads enterprise A's things, who is refused, and how.

Enterprise A is the demo manufacturer (浦沿街道, it has authorised the project agent); it owns a case
waiting for review with an uploaded material, an approved case with its licence, an industrial
一件事 whose environmental step waits for the agent, shared-data records and an inbox message.
Each row of MATRIX is one route and method with the ids filled in and the status every user gets;
a row with a marker also says whose answer shows A's object (lists answer 200 to everyone logged
in, with their own rows). POST rows check that a refused caller writes nothing. A route of the URL
conf (pages and the /api/v1 operations) without a row fails `test_every_route_is_in_the_matrix`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from qinqing.accounts.models import Authorisation, Role, User
from qinqing.accounts.services import create_staff, grant_authorisation, revoke_authorisation
from qinqing.audit.models import AuditRecord
from qinqing.bundles.tests.support import INDUSTRIAL, MANUFACTURER, child, decide_filing, submit_industrial
from qinqing.cases.models import Case, CaseEvent, Licence, Material
from qinqing.cases.tests.support import (
    PASSWORD,
    PDF_BYTES,
    _required_materials,
    automatic_matters_without_required_materials,
    automatic_outcome,
    client_for,
    enterprise,
    open_case,
    session_client,
    submit,
)
from qinqing.catalog.models import Matter
from qinqing.cockpit.services.visits import create_visit
from qinqing.datahub.models import DataRecord
from qinqing.notifications.models import Notification
from qinqing.rules.engine import APPROVE
from qinqing.servicedesk.services import attachments as desk_attachment_services
from qinqing.servicedesk.services import chat as desk_chat_services
from qinqing.servicedesk.services import orders as desk_order_services

pytestmark = pytest.mark.django_db

USERS = (
    "anonymous", "ent_a", "ent_b", "reviewer_x", "reviewer_y", "agent", "agent_none", "agent_revoked",
    "agent_expired", "importer", "street_a", "street_b", "district", "admin",
)
LOGGED_IN = frozenset(USERS) - {"anonymous"}
ENTERPRISES = frozenset({"ent_a", "ent_b"})
REVIEWERS = frozenset({"reviewer_x", "reviewer_y"})
AGENTS = frozenset({"agent", "agent_none", "agent_revoked", "agent_expired"})
# Who reads A's things; street and district staff only read (their writes are refused below).
READ_CASE = frozenset({"ent_a", "reviewer_x", "street_a", "district", "admin"})
READ_BUNDLE = frozenset({"ent_a", "agent", "street_a", "district", "admin"})  # a parent has no department
READ_STEP = READ_BUNDLE | {"reviewer_x"}
READ_DATA = frozenset({"ent_a", "agent", "reviewer_x", "admin"})  # STHJ reads the land contracts
# Who reads any of A's shared data: reviewers by their department's sources (all read the registry),
# its street and district, the agent only under an active authorisation; importers read nothing.
DATA_OF_A = frozenset({"ent_a", "reviewer_x", "reviewer_y", "agent", "street_a", "district", "admin"})
# Of B (enterprise 0, in 长河街道): nobody authorised an agent, and A's street is another one.
DATA_OF_B = frozenset({"ent_b", "reviewer_x", "reviewer_y", "street_b", "district", "admin"})

# A's chats and work orders: A, the street and district staff of its region (read-only: not D小二), the admin.
READ_DESK = frozenset({"ent_a", "street_a", "district", "admin"})

READ_PAYOUT = frozenset({"ent_a", "street_a", "district", "admin"})  # policy officers: tested in policies/tests
# A's visit tasks and portrait (亲清驾驶舱): the staff whose region contains A, and the admin; B's street arranges B's.
READ_VISIT = frozenset({"street_a", "district", "admin"})
ARRANGE_B = frozenset({"street_b", "district", "admin"})
ADMIN = frozenset({"admin"})


# ----------------------------------------------------------------------------- expected answers


def page(readers: frozenset[str], *, others: int = 404, ok: int = 200) -> dict[str, int]:
    """A login-required page: the anonymous are sent to log in, readers get `ok`, the rest `others`."""
    return {u: 302 if u == "anonymous" else ok if u in readers else others for u in USERS}


def api(readers: frozenset[str], *, others: int = 404, ok: int = 200) -> dict[str, int]:
    """An API operation behind the bearer token: the anonymous get 401."""
    return {u: 401 if u == "anonymous" else ok if u in readers else others for u in USERS}


def public(status: int = 200) -> dict[str, int]:
    return dict.fromkeys(USERS, status)


def override(expected: dict[str, int], **statuses: int) -> dict[str, int]:
    return {**expected, **statuses}


@dataclass(frozen=True)
class Row:
    key: str  # "<METHOD> <route as the URL resolver spells it>"
    path: str  # the URL, with {names} of the world's objects
    expect: dict[str, int]
    marker: str = ""  # a world name whose value appears in the answer of `shows` users only
    shows: frozenset[str] = frozenset()
    data: Callable[[dict[str, Any]], Any] | None = None
    json: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    writers: frozenset[str] = frozenset()  # users whose POST may write; everyone else must write nothing
    web: bool = True  # a page (session login) or an API operation (bearer token)

    @property
    def method(self) -> str:
        return self.key.split(" ", 1)[0]

    @property
    def route(self) -> str:
        return self.key.split(" ", 1)[1]


def _pdf(_world: dict[str, Any]) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("scope.pdf", PDF_BYTES, content_type="application/pdf")}


def _api_pdf(_world: dict[str, Any]) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("scope.pdf", PDF_BYTES, content_type="application/pdf"), "requirement": ""}


IDEMPOTENT = {"Idempotency-Key": "scope-matrix"}

PAGES = [
    Row("GET ", "/", public()),
    Row("GET accounts/login/", "/accounts/login/", override(public(302), anonymous=200)),
    Row("POST accounts/logout/", "/accounts/logout/", public(302)),
    Row("POST i18n/setlang/", "/i18n/setlang/", public(302), data=lambda w: {"language": "en", "next": "/"}),
    Row("GET matters/", "/matters/", public()),
    Row("GET matters/<str:code>/", "/matters/{matter}/", public()),
    Row("GET apply/<str:code>/", "/apply/{matter}/", page(ENTERPRISES, others=403)),
    Row("POST apply/<str:code>/", "/apply/{matter}/", page(ENTERPRISES, others=403, ok=422), data=lambda w: {}),
    Row("GET cases/", "/cases/", page(LOGGED_IN), marker="case_number", shows=READ_CASE),
    Row("GET cases/<int:pk>/", "/cases/{case}/", page(READ_CASE)),
    Row("POST cases/<int:pk>/materials/", "/cases/{case}/materials/", page(READ_CASE, ok=302), data=_pdf,
        writers=frozenset({"ent_a"})),
    Row("GET cases/<int:pk>/materials/<int:material_id>/", "/cases/{case}/materials/{material}/", page(READ_CASE)),
    Row("POST cases/<int:pk>/withdraw/", "/cases/{case}/withdraw/", page(READ_CASE, ok=302),
        writers=frozenset({"ent_a"})),
    Row("POST cases/<int:pk>/decision/", "/cases/{case}/decision/", page(frozenset({"reviewer_x"}), ok=302),
        data=lambda w: {"outcome": "supplement", "note": "请补充"}, writers=frozenset({"reviewer_x"})),
    Row("GET licences/", "/licences/", page(LOGGED_IN), marker="licence", shows=READ_CASE),
    Row("GET licences/<str:number>/pdf/", "/licences/{licence}/pdf/", page(READ_CASE)),
    Row("GET licences/keys/", "/licences/keys/", public()),
    Row("GET licences/keys/<str:name>", "/licences/keys/ca-certificate.pem", public()),
    Row("GET verify/", "/verify/?number={licence}", public()),
    Row("GET verify/<str:number>/", "/verify/{licence}/", public()),
    Row("GET review/", "/review/", page(REVIEWERS), marker="case_number", shows=frozenset({"reviewer_x"})),
    Row("GET my/data/", "/my/data/", page(ENTERPRISES, others=403), marker="land_key", shows=frozenset({"ent_a"})),
    Row("GET bundles/", "/bundles/", public()),
    Row("GET bundles/<slug:code>/", "/bundles/{bundle}/", public()),
    Row("GET bundles/<slug:code>/apply/", "/bundles/{bundle}/apply/?for={uscc}", page(frozenset({"ent_a", "agent"}),
                                                                                    others=302)),
    Row("POST bundles/<slug:code>/apply/", "/bundles/{bundle}/apply/", page(frozenset({"ent_a", "agent"}),
                                                                             others=302, ok=422),
        data=lambda w: {"acting_for": w["uscc"]}),
    Row("GET bundles/mine/", "/bundles/mine/", page(LOGGED_IN), marker="bundle_number", shows=READ_BUNDLE),
    Row("GET bundles/cases/<int:pk>/", "/bundles/cases/{parent}/", page(READ_BUNDLE)),
    Row("POST bundles/cases/<int:pk>/withdraw/", "/bundles/cases/{parent}/withdraw/", page(READ_BUNDLE, ok=302),
        writers=frozenset({"ent_a"})),
    Row("GET help/", "/help/", public()),
    # Everyone's own desk: an enterprise's 我的办事; staff are sent on to theirs.
    Row("GET my/", "/my/", page(ENTERPRISES, others=302)),
    Row("GET accounts/password/change/", "/accounts/password/change/", page(LOGGED_IN)),
    Row("GET accounts/password/forgot/", "/accounts/password/forgot/", public()),
    # A login code for a throttled account: the same answer for every caller and every login.
    Row("POST accounts/login/code/", "/accounts/login/code/", public(302), data=lambda w: {"username": w["uscc"]},
        writers=frozenset(USERS)),
    Row("GET accounts/password/reset/", "/accounts/password/reset/", public()),  # the code form; nothing to read
    Row("GET accounts/signup/", "/accounts/signup/", public()),
    Row("GET accounts/signup/verify/", "/accounts/signup/verify/", public(302)),
    # Rosters belong to an approved 职工参保登记 case (scoped in cases/tests/test_roster_*.py); this world's
    # case takes none, so even its readers get 404 — and nobody else learns more.
    Row("GET cases/<int:pk>/roster/", "/cases/{case}/roster/", page(frozenset(), others=404)),
    Row("POST cases/<int:pk>/roster/", "/cases/{case}/roster/", page(frozenset(), others=404), data=_pdf),
    Row("GET cases/<int:pk>/roster/<int:roster_id>/", "/cases/{case}/roster/1/", page(frozenset(), others=404)),
    Row("GET cases/<int:pk>/roster/<int:roster_id>/result.xlsx", "/cases/{case}/roster/1/result.xlsx",
        page(frozenset(), others=404)),
    Row("GET roster/template.xlsx", "/roster/template.xlsx", public()),  # a blank form, like the guides
    Row("GET agent/", "/agent/", page(AGENTS), marker="enterprise_name", shows=frozenset({"agent"})),
    Row("GET agent/cases/<int:pk>/", "/agent/cases/{step}/", page(READ_STEP)),
    # Those who may act get the form back with its errors (nothing sent); readers who may not act, a refusal.
    Row("POST agent/cases/<int:pk>/", "/agent/cases/{step}/", override(page(READ_STEP), ent_a=422, agent=422),
        data=lambda w: {}),
    Row("GET my/authorisations/", "/my/authorisations/", page(ENTERPRISES)),
    Row("POST my/authorisations/<int:pk>/revoke/", "/my/authorisations/{authorisation}/revoke/",
        page(frozenset({"ent_a"}), ok=302), writers=frozenset({"ent_a"})),
    # The service desk (亲清D小二). No user of this matrix is a D小二: staff actions are refused to all
    # (the desk's own tests cover seats in and out of scope).
    Row("GET service/", "/service/", page(ENTERPRISES, others=403), marker="desk_order", shows=frozenset({"ent_a"})),
    Row("POST service/workorders/", "/service/workorders/", page(ENTERPRISES, others=403, ok=302),
        data=lambda w: {"kind": "appeal", "title": "诉求", "body": "内容"}, writers=ENTERPRISES),
    Row("GET service/workorders/<int:pk>/", "/service/workorders/{desk_order_id}/", page(READ_DESK)),
    Row("POST service/workorders/<int:pk>/action/", "/service/workorders/{desk_order_id}/action/",
        page(READ_DESK, ok=403), data=lambda w: {"action": "take"}),
    Row("POST service/chat/", "/service/chat/", page(ENTERPRISES, others=422, ok=201), writers=ENTERPRISES),
    Row("GET service/conversations/<int:pk>/", "/service/conversations/{desk_chat}/", page(READ_DESK)),
    Row("GET service/conversations/<int:pk>/messages/", "/service/conversations/{desk_chat}/messages/",
        page(READ_DESK)),
    Row("POST service/conversations/<int:pk>/messages/", "/service/conversations/{desk_chat}/messages/",
        override(page(READ_DESK, ok=403), ent_a=201), data=lambda w: {"text": "你好"}, writers=frozenset({"ent_a"})),
    Row("POST service/conversations/<int:pk>/action/", "/service/conversations/{desk_chat}/action/",
        override(page(READ_DESK, ok=403), ent_a=302), data=lambda w: {"action": "close"},
        writers=frozenset({"ent_a"})),
    # Attachments: checked by content (a real PNG here); the owner's upload is accepted, a reader who is no
    # D小二 is refused, everyone else sees nothing (404), for the upload and for the download alike.
    Row("POST service/conversations/<int:pk>/attachments/", "/service/conversations/{desk_chat}/attachments/",
        override(page(READ_DESK, ok=403), ent_a=302), data=lambda w: {"file": _png()}, writers=frozenset({"ent_a"})),
    Row("POST service/workorders/<int:pk>/attachments/", "/service/workorders/{desk_order_id}/attachments/",
        override(page(READ_DESK, ok=403), ent_a=302), data=lambda w: {"file": _png()}, writers=frozenset({"ent_a"})),
    Row("GET service/attachments/<int:pk>/", "/service/attachments/{desk_attachment}/", page(READ_DESK)),
    Row("POST service/handovers/<int:pk>/", "/service/handovers/1/", page(frozenset())),
    Row("POST service/rate/", "/service/rate/", override(page(READ_DESK, ok=403), ent_a=302),
        data=lambda w: {"item": "conversation", "id": w["desk_chat"], "level": "satisfied"}),
    Row("GET service/console/", "/service/console/", page(frozenset(), others=403)),
    Row("POST service/console/availability/", "/service/console/availability/", page(frozenset(), others=403),
        data=lambda w: {"available": "1"}),
    Row("GET service/supervise/", "/service/supervise/", page(frozenset(), others=403)),
    Row("GET service/supervise/report.xlsx", "/service/supervise/report.xlsx", page(frozenset(), others=403)),
    Row("GET inbox/", "/inbox/", page(LOGGED_IN), marker="note_title", shows=frozenset({"ent_a"})),
    Row("POST inbox/<int:pk>/read/", "/inbox/{note}/read/", page(frozenset({"ent_a"}), ok=302),
        writers=frozenset({"ent_a"})),
    # Policies: public pages; an enterprise's own recommendations, payouts and account; the officer's desk
    # (no user of this matrix is a policy officer: their department scope is tested in policies/tests).
    Row("GET policies/", "/policies/", public()),
    Row("GET policies/<slug:code>/", "/policies/{policy}/", public()),
    Row("POST policies/<slug:code>/claim/", "/policies/{policy}/claim/", public(302)),
    Row("GET policies/for-me/", "/policies/for-me/", page(ENTERPRISES, others=403)),
    Row("GET policies/payouts/", "/policies/payouts/", page(LOGGED_IN), marker="payout_ref", shows=READ_PAYOUT),
    Row("GET policies/payouts/<int:pk>/receipt.pdf", "/policies/payouts/{payout}/receipt.pdf", page(READ_PAYOUT)),
    Row("GET policies/account/", "/policies/account/", page(ENTERPRISES, others=403)),
    Row("GET policies/manage/", "/policies/manage/", page(ADMIN, others=403)),
    Row("GET policies/manage/new/", "/policies/manage/new/", page(ADMIN, others=403)),
    Row("POST policies/manage/count/", "/policies/manage/count/", page(ADMIN, others=403), data=lambda w: {}),
    Row("GET policies/manage/<slug:code>/", "/policies/manage/{policy}/", page(ADMIN, others=403)),
    Row("POST policies/manage/<slug:code>/simulate/", "/policies/manage/{policy}/simulate/",
        page(ADMIN, others=403), writers=ADMIN),
    Row("POST policies/manage/<slug:code>/<str:action>/", "/policies/manage/{policy}/nothing/",
        page(ADMIN, others=403, ok=404)),
    Row("POST policies/manage/claims/<int:pk>/review/", "/policies/manage/claims/{entitlement}/review/",
        page(ADMIN, others=403, ok=302), data=lambda w: {"outcome": "grant"}),
    Row("GET policies/manage/<slug:code>/payouts/", "/policies/manage/{policy}/payouts/", page(ADMIN, others=403),
        marker="payout_ref", shows=ADMIN),
    Row("POST policies/manage/payouts/<int:pk>/reverse/", "/policies/manage/payouts/{payout}/reverse/",
        page(ADMIN, others=403, ok=302), writers=ADMIN, data=lambda w: {"reason": "重复拨付，予以冲正"}),
    # Visit tasks (走访任务) and the enterprise portrait (企业画像): region staff of A's node and the admin.
    Row("GET cockpit/visits/", "/cockpit/visits/?whose=node", page(LOGGED_IN), marker="visit_reason", shows=READ_VISIT),
    Row("POST cockpit/visits/", "/cockpit/visits/", page(ARRANGE_B, ok=302, others=422),
        data=lambda w: {"uscc": w["uscc_b"], "reason": "走访"}, writers=ARRANGE_B),
    Row("GET cockpit/visits/<int:visit_id>/", "/cockpit/visits/{visit}/", page(READ_VISIT), marker="visit_reason",
        shows=READ_VISIT),
    Row("POST cockpit/visits/<int:visit_id>/", "/cockpit/visits/{visit}/", page(READ_VISIT, ok=302),
        data=lambda w: {"visited_on": w["today"], "attendees": "网格员", "topics": ["qa"]}, writers=READ_VISIT),
    Row("GET cockpit/enterprises/<str:uscc>/", "/cockpit/enterprises/{uscc}/", page(READ_VISIT),
        marker="enterprise_name", shows=READ_VISIT),
    # The Django admin, sampled: only superusers; everyone else is sent to the admin's login.
    Row("GET admin/", "/admin/", override(public(302), admin=200)),
    Row("GET admin/", "/admin/cases/case/{case}/change/", override(public(302), admin=200)),
    Row("GET admin/", "/admin/cases/licence/", override(public(302), admin=200)),
]

A = "/api/v1"
API = [
    Row("GET api/v1/", f"{A}/", public(404), web=False),  # the API root has a page only when debugging
    Row("GET api/v1/openapi.json", f"{A}/openapi.json", public(), web=False),
    Row("GET api/v1/docs", f"{A}/docs", public(), web=False),
    Row("POST api/v1/auth/token", f"{A}/auth/token", public(), json=True, web=False,
        data=lambda w: {"username": w["uscc"], "password": PASSWORD}),
    Row("POST api/v1/auth/token/code", f"{A}/auth/token/code", public(202), json=True, web=False,
        data=lambda w: {"username": w["uscc"]}, writers=frozenset(USERS)),
    # One's own tokens only: the caller's token is revoked, the list holds the caller's tokens.
    Row("DELETE api/v1/auth/token", f"{A}/auth/token", api(LOGGED_IN, ok=204), web=False),
    Row("GET api/v1/auth/tokens", f"{A}/auth/tokens", api(LOGGED_IN), web=False),
    Row("GET api/v1/stats", f"{A}/stats", public(), web=False),
    Row("GET api/v1/rosters/template", f"{A}/rosters/template", api(LOGGED_IN), web=False),
    Row("GET api/v1/cases/<case_id>/rosters", f"{A}/cases/{{case}}/rosters", api(frozenset()), web=False),
    Row("POST api/v1/cases/<case_id>/rosters", f"{A}/cases/{{case}}/rosters", api(frozenset()), data=_api_pdf,
        web=False),
    Row("GET api/v1/cases/<case_id>/rosters/<roster_id>", f"{A}/cases/{{case}}/rosters/1", api(frozenset()),
        web=False),
    Row("GET api/v1/cases/<case_id>/rosters/<roster_id>/result", f"{A}/cases/{{case}}/rosters/1/result",
        api(frozenset()), web=False),
    Row("GET api/v1/licences/<number>/verify", f"{A}/licences/{{licence}}/verify", public(), web=False),
    Row("GET api/v1/licences/public-key", f"{A}/licences/public-key", public(), web=False),
    Row("GET api/v1/matters", f"{A}/matters", public(), web=False),
    Row("GET api/v1/matters/<code>", f"{A}/matters/{{matter}}", public(), web=False),
    Row("GET api/v1/matters/<code>/prefill", f"{A}/matters/{{matter}}/prefill", api(ENTERPRISES, others=403),
        web=False),
    Row("GET api/v1/cases", f"{A}/cases", api(LOGGED_IN), marker="case_number", shows=READ_CASE, web=False),
    Row("POST api/v1/cases", f"{A}/cases", api(ENTERPRISES, others=403, ok=422), json=True, headers=IDEMPOTENT,
        data=lambda w: {"matter": w["matter"], "data": {}}, web=False),
    Row("GET api/v1/cases/<case_id>", f"{A}/cases/{{case}}", api(READ_CASE), web=False),
    Row("POST api/v1/cases/<case_id>/materials", f"{A}/cases/{{case}}/materials",
        override(api(READ_CASE, ok=409), ent_a=201), data=_api_pdf, writers=frozenset({"ent_a"}), web=False),
    Row("GET api/v1/cases/<case_id>/materials/<material_id>", f"{A}/cases/{{case}}/materials/{{material}}",
        api(READ_CASE), web=False),
    Row("POST api/v1/cases/<case_id>/withdraw", f"{A}/cases/{{case}}/withdraw",
        override(api(READ_CASE, ok=409), ent_a=200), writers=frozenset({"ent_a"}), web=False),
    Row("GET api/v1/review/queue", f"{A}/review/queue", api(REVIEWERS, others=403), marker="case_number",
        shows=frozenset({"reviewer_x"}), web=False),
    Row("POST api/v1/cases/<case_id>/decision", f"{A}/cases/{{case}}/decision", api(frozenset({"reviewer_x"})),
        json=True, data=lambda w: {"outcome": "supplement", "note": "请补充"}, writers=frozenset({"reviewer_x"}),
        web=False),
    Row("GET api/v1/licences/<number>/pdf", f"{A}/licences/{{licence}}/pdf", api(READ_CASE), web=False),
    Row("GET api/v1/datahub/sources", f"{A}/datahub/sources", api(LOGGED_IN), web=False),
    Row("POST api/v1/datahub/<source>/records", f"{A}/datahub/land_contracts/records",
        api(frozenset({"importer", "admin"}), others=403, ok=400), json=True, data=lambda w: [{"uscc": "x"}],
        web=False),
    Row("GET api/v1/datahub/enterprises/<uscc>", f"{A}/datahub/enterprises/{{uscc}}", api(DATA_OF_A),
        marker="land_key", shows=READ_DATA, web=False),
    Row("GET api/v1/datahub/enterprises/<uscc>", f"{A}/datahub/enterprises/{{uscc_b}}", api(DATA_OF_B),
        marker="land_key_b", shows=frozenset({"ent_b", "reviewer_x", "admin"}), web=False),
    Row("GET api/v1/bundles", f"{A}/bundles", public(), web=False),
    Row("GET api/v1/bundles/<code>", f"{A}/bundles/{{bundle}}", public(), web=False),
    Row("GET api/v1/bundles/<code>/prefill", f"{A}/bundles/{{bundle}}/prefill?acting_for={{uscc}}",
        api(frozenset({"ent_a", "agent"}), others=403), web=False),
    Row("POST api/v1/bundles/<code>/submissions", f"{A}/bundles/{{bundle}}/submissions",
        api(frozenset({"ent_a", "agent"}), others=403, ok=422), json=True, headers=IDEMPOTENT,
        data=lambda w: {"data": {}, "acting_for": w["uscc"]}, web=False),
    Row("POST api/v1/bundles/cases/<case_id>/withdraw", f"{A}/bundles/cases/{{parent}}/withdraw",
        override(api(READ_BUNDLE, ok=403), ent_a=200), writers=frozenset({"ent_a"}), web=False),
    Row("GET api/v1/policies", f"{A}/policies", public(), web=False),
    Row("GET api/v1/policies/<policy_id>", f"{A}/policies/{{policy_id}}", public(), web=False),
    Row("GET api/v1/policies/for-me", f"{A}/policies/for-me", api(ENTERPRISES, others=403), web=False),
    Row("POST api/v1/policies/<policy_id>/claims", f"{A}/policies/{{policy_id}}/claims", api(ENTERPRISES, others=403),
        headers=IDEMPOTENT, web=False),
    Row("GET api/v1/payouts", f"{A}/payouts", api(LOGGED_IN), marker="payout_ref", shows=READ_PAYOUT, web=False),
    Row("POST api/v1/policies", f"{A}/policies", api(LOGGED_IN, ok=422), json=True, data=lambda w: {}, web=False),
    Row("POST api/v1/policies/<policy_id>/simulate", f"{A}/policies/{{policy_id}}/simulate", api(ADMIN, others=403),
        writers=ADMIN, web=False),
    Row("POST api/v1/policies/<policy_id>/publish", f"{A}/policies/{{policy_id}}/publish",
        api(ADMIN, others=403, ok=409), web=False),
    Row("GET api/v1/policies/<policy_id>/fund", f"{A}/policies/{{policy_id}}/fund", api(ADMIN, others=403), web=False),
    Row("POST api/v1/bundles/steps/<case_id>/submit", f"{A}/bundles/steps/{{step}}/submit",
        override(api(READ_STEP, ok=403), ent_a=200, agent=200), json=True,
        data=lambda w: {"data": w["step_commitments"]},
        writers=frozenset({"ent_a", "agent"}), web=False),
]

DESK_API = [
    Row("POST api/v1/conversations", f"{A}/conversations", api(ENTERPRISES, others=422, ok=201), json=True,
        data=lambda w: {}, writers=ENTERPRISES, web=False),
    Row("GET api/v1/conversations/<conversation_id>", f"{A}/conversations/{{desk_chat}}", api(READ_DESK), web=False),
    Row("POST api/v1/conversations/<conversation_id>/messages", f"{A}/conversations/{{desk_chat}}/messages",
        override(api(READ_DESK, ok=403), ent_a=201), json=True, data=lambda w: {"text": "你好"},
        writers=frozenset({"ent_a"}), web=False),
    Row("POST api/v1/conversations/<conversation_id>/human", f"{A}/conversations/{{desk_chat}}/human",
        override(api(READ_DESK, ok=403), ent_a=200), writers=frozenset({"ent_a"}), web=False),
    Row("POST api/v1/conversations/<conversation_id>/take", f"{A}/conversations/{{desk_chat}}/take",
        api(READ_DESK, ok=403), web=False),
    Row("POST api/v1/conversations/<conversation_id>/close", f"{A}/conversations/{{desk_chat}}/close",
        override(api(READ_DESK, ok=403), ent_a=200), writers=frozenset({"ent_a"}), web=False),
    Row("POST api/v1/workorders", f"{A}/workorders", api(ENTERPRISES, others=422, ok=201), json=True,
        data=lambda w: {"kind": "appeal", "title": "诉求", "body": "内容"}, writers=ENTERPRISES, web=False),
    Row("GET api/v1/workorders/<order_id>", f"{A}/workorders/{{desk_order_id}}", api(READ_DESK),
        marker="desk_order", shows=READ_DESK, web=False),
    Row("POST api/v1/workorders/<order_id>/take", f"{A}/workorders/{{desk_order_id}}/take", api(READ_DESK, ok=403),
        web=False),
    Row("POST api/v1/workorders/<order_id>/handover", f"{A}/workorders/{{desk_order_id}}/handover",
        api(READ_DESK, ok=403), json=True, data=lambda w: {"to": "puyan_dxe", "reason": "转"}, web=False),
    Row("POST api/v1/workorders/<order_id>/reply", f"{A}/workorders/{{desk_order_id}}/reply", api(READ_DESK, ok=403),
        json=True, data=lambda w: {"text": "答复"}, web=False),
    Row("POST api/v1/workorders/<order_id>/resolve", f"{A}/workorders/{{desk_order_id}}/resolve",
        api(READ_DESK, ok=403), json=True, data=lambda w: {"resolution": "办结"}, web=False),
    Row("POST api/v1/workorders/<order_id>/escalate", f"{A}/workorders/{{desk_order_id}}/escalate",
        api(READ_DESK, ok=403), json=True, data=lambda w: {"note": "督办"}, web=False),
    # Attachments over the API: as on the pages, A's upload is accepted, a reader who is no D小二 is refused,
    # everyone else sees nothing (404), listing and downloading alike.
    Row("POST api/v1/conversations/<conversation_id>/attachments", f"{A}/conversations/{{desk_chat}}/attachments",
        override(api(READ_DESK, ok=403), ent_a=201), data=lambda w: {"file": _png()}, writers=frozenset({"ent_a"}),
        web=False),
    Row("GET api/v1/conversations/<conversation_id>/attachments", f"{A}/conversations/{{desk_chat}}/attachments",
        api(READ_DESK), web=False),
    Row("GET api/v1/conversations/<conversation_id>/attachments/<attachment_id>",
        f"{A}/conversations/{{desk_chat}}/attachments/{{desk_chat_attachment}}", api(READ_DESK), web=False),
    Row("POST api/v1/workorders/<order_id>/attachments", f"{A}/workorders/{{desk_order_id}}/attachments",
        override(api(READ_DESK, ok=403), ent_a=201), data=lambda w: {"file": _png()}, writers=frozenset({"ent_a"}),
        web=False),
    Row("GET api/v1/workorders/<order_id>/attachments", f"{A}/workorders/{{desk_order_id}}/attachments",
        api(READ_DESK), web=False),
    Row("GET api/v1/workorders/<order_id>/attachments/<attachment_id>",
        f"{A}/workorders/{{desk_order_id}}/attachments/{{desk_attachment}}", api(READ_DESK), web=False),
    Row("POST api/v1/handovers/<handover_id>", f"{A}/handovers/1", api(frozenset()), json=True,
        data=lambda w: {"accept": True}, web=False),
    # Staff cannot rate (403); A cannot rate an open chat (409); nobody else sees it (404).
    Row("POST api/v1/evaluations", f"{A}/evaluations", override(api(READ_DESK, ok=403), ent_a=409), json=True,
        data=lambda w: {"conversation": w["desk_chat"], "level": "satisfied"}, web=False),
]

COCKPIT_VISITS_API = [
    Row("GET api/v1/visits", f"{A}/visits?whose=node", api(LOGGED_IN), marker="visit_reason", shows=READ_VISIT,
        web=False),
    Row("POST api/v1/visits", f"{A}/visits", api(ARRANGE_B, ok=201), json=True,
        data=lambda w: {"uscc": w["uscc_b"], "reason": "走访"}, writers=ARRANGE_B, web=False),
    Row("GET api/v1/visits/<visit_id>", f"{A}/visits/{{visit}}", api(READ_VISIT), marker="visit_reason",
        shows=READ_VISIT, web=False),
    Row("POST api/v1/visits/<visit_id>/record", f"{A}/visits/{{visit}}/record", api(READ_VISIT, ok=201), json=True,
        data=lambda w: {"visited_on": w["today"], "attendees": "网格员", "topics": ["qa"]}, writers=READ_VISIT,
        web=False),
    Row("GET api/v1/enterprises/<uscc>/portrait", f"{A}/enterprises/{{uscc}}/portrait", api(READ_VISIT),
        marker="uscc", shows=READ_VISIT, web=False),
]

# The cockpit's figures (亲清驾驶舱): a node's readers are the staff whose region holds it, and the admin;
# everyone else, enterprises and other streets included, is told the node does not exist.
READ_NODE_A = frozenset({"street_a", "district", "admin"})  # 浦沿街道, A's street
READ_NODE_B = frozenset({"street_b", "district", "admin"})  # 长河街道
COCKPIT_API = [
    Row("GET api/v1/cockpit/<region_code>/summary", f"{A}/cockpit/{{node_a}}/summary", api(READ_NODE_A), web=False),
    Row("GET api/v1/cockpit/<region_code>/summary", f"{A}/cockpit/{{node_b}}/summary", api(READ_NODE_B), web=False),
    Row("GET api/v1/cockpit/<region_code>/timeseries",
        f"{A}/cockpit/{{node_a}}/timeseries?measure=registered&from=2026-01-01&to=2026-03-31&interval=month",
        api(READ_NODE_A), web=False),
    Row("GET api/v1/cockpit/<region_code>/enterprises", f"{A}/cockpit/{{node_a}}/enterprises", api(READ_NODE_A),
        marker="uscc", shows=READ_NODE_A, web=False),
    Row("GET api/v1/cockpit/<region_code>/enterprises", f"{A}/cockpit/{{node_b}}/enterprises", api(READ_NODE_B),
        marker="uscc_b", shows=READ_NODE_B, web=False),
    Row("GET api/v1/cockpit/<region_code>/alerts", f"{A}/cockpit/{{node_a}}/alerts", api(READ_NODE_A),
        marker="alert_rule", shows=READ_NODE_A, web=False),
    Row("POST api/v1/cockpit/alerts/<alert_id>/acknowledge", f"{A}/cockpit/alerts/{{alert}}/acknowledge",
        api(READ_NODE_A), writers=READ_NODE_A, web=False),
]

# The cockpit's pages, big screen, exports and street modules (cockpit-web): the same readers per node; 西兴街道
# (node_x) is read by its district and the admin only — a 长河 (street_b) or 浦沿 (street_a) viewer gets 404.
READ_NODE_X = frozenset({"district", "admin"})
REGIONAL = frozenset({"street_a", "street_b", "district", "admin"})
COCKPIT_PAGES = [
    Row("GET cockpit/", "/cockpit/", override(page(REGIONAL, ok=302), anonymous=302)),
    Row("GET cockpit/<region:code>/", "/cockpit/{node_a}/", page(READ_NODE_A), marker="enterprise_name",
        shows=READ_NODE_A),
    Row("GET cockpit/<region:code>/", "/cockpit/{node_x}/", page(READ_NODE_X)),
    Row("GET cockpit/<region:code>/", "/cockpit/{node_b}/", page(READ_NODE_B)),
    Row("GET cockpit/<region:code>/screen/", "/cockpit/{node_a}/screen/", page(READ_NODE_A)),
    Row("GET cockpit/<region:code>/screen/", "/cockpit/{node_x}/screen/", page(READ_NODE_X)),
    Row("GET cockpit/<region:code>/screen.json", "/cockpit/{node_a}/screen.json", page(READ_NODE_A),
        marker="enterprise_name", shows=READ_NODE_A),
    Row("GET cockpit/<region:code>/screen.json", "/cockpit/{node_x}/screen.json", page(READ_NODE_X)),
    Row("GET cockpit/<region:code>/export.xlsx", "/cockpit/{node_a}/export.xlsx", page(READ_NODE_A)),
    Row("GET cockpit/<region:code>/export.xlsx", "/cockpit/{node_x}/export.xlsx", page(READ_NODE_X)),
    Row("GET cockpit/<region:code>/export/<slug:table>.xlsx", "/cockpit/{node_a}/export/enterprises.xlsx",
        page(READ_NODE_A)),
    Row("GET cockpit/<region:code>/export/<slug:table>.xlsx", "/cockpit/{node_x}/export/alerts.xlsx",
        page(READ_NODE_X)),
    Row("GET cockpit/<region:code>/export/<slug:table>.xlsx", "/cockpit/{node_a}/export/nothing.xlsx",
        page(READ_NODE_A, ok=404)),
    Row("GET api/v1/cockpit/<region_code>/modules/<key>", f"{A}/cockpit/{{node_x}}/modules/xixing-hightech-key",
        api(READ_NODE_X), web=False),
    Row("GET api/v1/cockpit/<region_code>/modules/<key>", f"{A}/cockpit/{{node_a}}/modules/puyan-building-economy",
        api(READ_NODE_A), web=False),
    # A module of another street is not on this node: 404 for its readers too.
    Row("GET api/v1/cockpit/<region_code>/modules/<key>", f"{A}/cockpit/{{node_a}}/modules/xixing-hightech-key",
        api(frozenset()), web=False),
]

MATRIX = PAGES + API + DESK_API + COCKPIT_API + COCKPIT_VISITS_API + COCKPIT_PAGES


# ----------------------------------------------------------------------------- the routes of the URL conf


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for item in patterns:
        if isinstance(item, URLResolver):
            yield from _walk(item.url_patterns, prefix + str(item.pattern))
        else:
            yield prefix + str(item.pattern), item


def _api_methods() -> dict[str, set[str]]:
    """Route → methods of every /api/v1 operation, read from the API's own schema."""
    from qinqing.api import api as ninja_api

    methods: dict[str, set[str]] = {}
    for path, operations in ninja_api.get_openapi_schema()["paths"].items():
        route = re.sub(r"\{(\w+)\}", r"<\1>", path).lstrip("/")
        methods.setdefault(route, set()).update(m.upper() for m in operations)
    return methods


def declared_routes() -> set[str]:
    """Every route of the URL conf as a matrix key: methods of API operations, the admin as one subtree."""
    api_methods = _api_methods()
    keys: set[str] = set()
    for route, _pattern in _walk(get_resolver().url_patterns):
        if route.startswith("admin/"):
            keys.add("admin/")
        elif route in api_methods:
            keys.update(f"{method} {route}" for method in api_methods[route])
        else:
            keys.add(route)  # a page: any method; its rows say which
    return keys


def _matrix_keys() -> set[str]:
    api_methods = _api_methods()
    return {row.key if row.route in api_methods else row.route for row in MATRIX}


def test_every_route_is_in_the_matrix() -> None:
    routes, rows = declared_routes(), _matrix_keys()
    assert routes - rows == set(), f"routes without a row in the scope matrix: {sorted(routes - rows)}"
    assert rows - routes == set(), f"rows for routes that do not exist: {sorted(rows - routes)}"


def test_every_row_names_every_user() -> None:
    for row in MATRIX:
        assert set(row.expect) == set(USERS), row.key
        assert row.shows <= LOGGED_IN, row.key


# ----------------------------------------------------------------------------- enterprise A's world


def _agent(username: str) -> User:
    return create_staff(username=username, password=PASSWORD, department=None, roles=[Role.AGENT],
                        region="330108", display_name=username)


def _licence_matter(department_id: int) -> Matter:
    owner = enterprise(MANUFACTURER)
    for matter in automatic_matters_without_required_materials():
        if matter.department_id == department_id and automatic_outcome(matter, owner) == APPROVE:
            return matter
    raise AssertionError("no automatic matter of the step's department approves enterprise A")


def _reviewed_matter(department_id: int) -> Matter:
    matter = (Matter.objects.online().filter(automatic=False, department_id=department_id)
              .annotate(needs=_required_materials()).filter(needs=True).order_by("code").first())
    assert matter is not None, "no reviewed matter with required materials in the step's department"
    return matter


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Built once for the module inside a transaction rolled back at its end; each test runs in a savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def build_world() -> dict[str, Any]:
    """Enterprise A's objects, and the users of every kind, by name."""
    owner = enterprise(MANUFACTURER)
    parent = submit_industrial()
    decide_filing(parent)
    step = child(parent, "eia")  # waits for the authorised agent to prepare it
    assert step.status == "preparing", step.status
    department_id = step.matter.department_id  # type: ignore[union-attr]
    case = open_case(MANUFACTURER, matter=_reviewed_matter(department_id))
    response = client_for(owner).post(f"/api/v1/cases/{case.pk}/materials", _api_pdf({}))
    assert response.status_code == 201, response.content
    material = response.json()["materials"][-1]["id"]
    licence = Licence.objects.get(case=submit(owner, _licence_matter(department_id)))
    touched = {step.matter, case.matter, licence.matter, *(c.matter for c in parent.children.all())}
    reviewer_y = (User.objects.filter(username__endswith="_reviewer").exclude(
        department_id__in={m.department_id for m in touched if m is not None}).order_by("username").first())
    assert reviewer_y is not None
    revoked, expired = _agent("scope_agent_revoked"), _agent("scope_agent_expired")
    grant_authorisation(granted_by=owner, agent=revoked, scope=INDUSTRIAL, days=30)
    revoke_authorisation(authorisation=Authorisation.objects.get(agent=revoked), user=owner)
    grant_authorisation(granted_by=owner, agent=expired, scope=INDUSTRIAL, days=30)
    Authorisation.objects.filter(agent=expired).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    note = Notification.objects.create(recipient=owner, kind=Notification.Kind.DECISION, title="scope-matrix-note",
                                       link=f"/cases/{case.pk}/")
    land = DataRecord.objects.filter(uscc=owner.enterprise.uscc, source__code="land_contracts").first()  # type: ignore[union-attr]
    assert land is not None
    land_b = DataRecord.objects.filter(uscc=enterprise(0).enterprise.uscc, source__code="land_contracts").first()  # type: ignore[union-attr]
    assert land_b is not None
    authorisation = Authorisation.objects.get(agent__username="fgw_agent", enterprise=owner.enterprise)
    desk_chat = desk_chat_services.open_conversation(user=owner)
    desk_order = desk_order_services.file_work_order(user=owner, kind="appeal", title="scope-matrix-appeal", body="诉求")
    visit = create_visit(user=User.objects.get(username="puyan_staff"), uscc=owner.enterprise.uscc,  # type: ignore[union-attr]
                         reason="scope-matrix-visit")
    desk_attachment = desk_attachment_services.attach(item=desk_order, user=owner, handle=_png(), name="凭证.png")
    desk_chat_attachment = desk_attachment_services.attach(item=desk_chat, user=owner, handle=_png(), name="截图.png")
    users = {
        "ent_a": owner, "ent_b": enterprise(0),
        "reviewer_x": User.objects.get(department_id=department_id, username__endswith="_reviewer"),
        "reviewer_y": reviewer_y, "agent": User.objects.get(username="fgw_agent"),
        "agent_none": User.objects.get(username="scjg_agent"), "agent_revoked": revoked, "agent_expired": expired,
        "importer": User.objects.get(username="data_importer"), "street_a": User.objects.get(username="puyan_staff"),
        "street_b": User.objects.get(username="changhe_staff"), "district": User.objects.get(username="binjiang_staff"),
        "admin": User.objects.get(username="admin"),
    }
    assert owner.enterprise.region.path.startswith(users["street_a"].region.path)  # type: ignore[union-attr]
    assert not enterprise(0).enterprise.region.path.startswith(users["street_a"].region.path)  # type: ignore[union-attr]
    return {
        "users": users, "case": case.pk, "case_number": case.number, "material": material,
        "matter": case.matter.code, "licence": licence.number, "parent": parent.pk,  # type: ignore[union-attr]
        "bundle_number": parent.number, "bundle": INDUSTRIAL, "step": step.pk,
        # The step's commitments: the submitter ticks them itself (they are never carried over).
        "step_commitments": {f.key: True for f in step.matter.fields.all()  # type: ignore[union-attr]
                             if f.type == "boolean" and f.required},
        "uscc": owner.enterprise.uscc,  # type: ignore[union-attr]
        "enterprise_name": owner.enterprise.name, "note": note.pk, "note_title": note.title,  # type: ignore[union-attr]
        "land_key": land.key, "authorisation": authorisation.pk,
        "uscc_b": enterprise(0).enterprise.uscc, "land_key_b": land_b.key,  # type: ignore[union-attr]
        "desk_chat": desk_chat.pk, "desk_order_id": desk_order.pk, "desk_order": desk_order.number,
        "visit": visit.pk, "visit_reason": visit.reason, "today": timezone.localdate().isoformat(),
        "desk_attachment": desk_attachment.pk, "desk_chat_attachment": desk_chat_attachment.pk,
        **_policy_world(owner),
        **_cockpit_world(owner),
    }


def _cockpit_world(owner: User) -> dict[str, Any]:
    """The cockpit's figures caught up with the world, and an alert about A in its street."""
    from qinqing.cockpit.models import Alert, AlertRule, EnterpriseState
    from qinqing.cockpit.services.ingest import CONSUMER
    from qinqing.core import events

    events.consume(CONSUMER, batches=100_000)
    state = EnterpriseState.objects.get(uscc=owner.enterprise.uscc)  # type: ignore[union-attr]
    rule = AlertRule.objects.get(key="abnormal")
    assert state.region_id is not None
    alert = Alert.objects.create(rule=rule, signal=rule.signal, severity=rule.severity, node_id=state.region_id,
                                 path=state.path, uscc=state.uscc, enterprise_name=state.name, raised_at=timezone.now(),
                                 day=timezone.localdate(), source_key="scope-matrix")
    return {"node_a": "330108003", "node_b": "330108002", "node_x": "330108001", "alert": alert.pk,
            "alert_rule": rule.key}
def _png() -> SimpleUploadedFile:
    """A small file that is a PNG by its content (a fresh handle for every request)."""
    return SimpleUploadedFile("图.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")


def _policy_world(owner: User) -> dict[str, Any]:
    """A's 免申即享 payout under the demo's 稳岗返还 policy (paid when the demo loaded)."""
    from qinqing.policies.models import Payout, Policy

    policy = Policy.objects.get(code="rsj-wengang-2026")
    payout = Payout.objects.get(entitlement__policy=policy, entitlement__enterprise=owner.enterprise)
    return {"policy": policy.code, "policy_id": policy.pk, "payout": payout.pk, "payout_ref": payout.reference,
            "entitlement": payout.entitlement_id}


def fingerprint() -> tuple[Any, ...]:
    """What a refused request must leave unchanged."""
    return (
        Case.objects.count(), CaseEvent.objects.count(), Material.objects.count(), AuditRecord.objects.count(),
        DataRecord.objects.count(), Notification.objects.filter(read_at__isnull=False).count(),
        Authorisation.objects.filter(revoked_at__isnull=False).count(),
        tuple(Case.objects.order_by("pk").values_list("status", flat=True)),
    )


def _client(row: Row, who: str, users: dict[str, User]) -> Client:
    if who == "anonymous":
        return Client()
    return session_client(users[who]) if row.web else client_for(users[who])


def _call(client: Client, row: Row, world: dict[str, Any]) -> Any:
    path = row.path.format(**{k: v for k, v in world.items() if k != "users"})
    kwargs: dict[str, Any] = {"headers": row.headers} if row.headers else {}
    if row.method == "GET":
        return client.get(path, **kwargs)
    if row.method == "DELETE":
        return client.delete(path, **kwargs)
    data = row.data(world) if row.data else {}
    if row.json:
        return client.post(path, data, content_type="application/json", **kwargs)
    return client.post(path, data, **kwargs)


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return ""
    return str(response.content.decode("utf-8", "replace"))


@pytest.mark.parametrize("row", MATRIX, ids=[f"{r.key}|{r.path}" for r in MATRIX])
def test_scope_matrix(row: Row, world: dict[str, Any], db: Any) -> None:
    users = world["users"]
    failures = []
    for who in USERS:
        client = _client(row, who, users)
        before = fingerprint()
        with transaction.atomic():  # every user meets the same world: whatever a call writes is undone
            response = _call(client, row, world)
            after = fingerprint()
            transaction.set_rollback(True)
        expected = row.expect[who]
        if response.status_code != expected:
            failures.append(f"{who}: {response.status_code} (expected {expected}) {_body(response)[:160]!r}")
        if row.method == "POST" and who not in row.writers and after != before:
            failures.append(f"{who}: wrote something ({before} → {after})")
        if row.marker and response.status_code == 200:
            shown = str(world[row.marker]) in _body(response)
            if shown != (who in row.shows):
                failures.append(f"{who}: {row.marker} {'shown' if shown else 'not shown'}")
    assert not failures, f"{row.key} {row.path}:\n" + "\n".join(failures)


# ----------------------------------------------------------------------------- the chat WebSocket


def test_the_chat_websocket_admits_exactly_the_readers_of_the_conversation(world: dict[str, Any], db: Any) -> None:
    from asgiref.sync import async_to_sync
    from channels.testing import WebsocketCommunicator
    from django.conf import settings as django_settings

    from qinqing.asgi import application

    async def connects(headers: list[tuple[bytes, bytes]]) -> bool:
        communicator = WebsocketCommunicator(application, f"/ws/conversations/{world['desk_chat']}/", headers=headers)
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return bool(connected)

    admitted = set()
    for who in USERS:
        headers = [(b"origin", b"http://testserver")]
        if who != "anonymous":
            client = session_client(world["users"][who])
            cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
            headers.append((b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={cookie}".encode()))
        if async_to_sync(connects)(headers):
            admitted.add(who)
    assert admitted == set(READ_DESK)
