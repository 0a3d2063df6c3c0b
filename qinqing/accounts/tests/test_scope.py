"""The scope of a request user: built once, immutable, and the ladder's rungs one by one."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.utils import timezone

from qinqing.accounts.models import Authorisation, Enterprise, Role, User
from qinqing.accounts.scope import Scope, build_scope, forget_scope, scope_of
from qinqing.accounts.services import create_staff, grant_authorisation
from qinqing.cases.models import Case
from qinqing.cases.tests.support import approved_case, enterprise
from qinqing.notifications.models import Notification
from qinqing.web.demo import ENTERPRISES, demo_uscc

pytestmark = pytest.mark.django_db

STREETS = {"xixing_staff": "330108001", "changhe_staff": "330108002", "puyan_staff": "330108003"}


def _street_usccs(street: str) -> set[str]:
    return {demo_uscc(i) for i, ent in enumerate(ENTERPRISES) if ent.community.startswith(street)}


def test_the_scope_is_built_once_per_user_object(django_assert_num_queries):
    agent = User.objects.get(username="fgw_agent")
    first = scope_of(agent)
    with django_assert_num_queries(0):
        assert scope_of(agent) is first
        assert scope_of(first) is first
    forget_scope(agent)
    assert scope_of(agent) is not first
    assert scope_of(agent) == first


def test_the_scope_is_immutable():
    scope = scope_of(enterprise(0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        scope.enterprise_id = enterprise(1).enterprise_id


def test_anonymous_reads_nothing():
    assert scope_of(None) == Scope()
    assert not Case.objects.visible_to(Scope()).exists()


@pytest.mark.parametrize("username", sorted(STREETS))
def test_street_staff_read_the_enterprises_of_their_street_and_no_other(username):
    staff = User.objects.get(username=username)
    scope = scope_of(staff)
    assert scope.is_regional and scope.region_path.endswith(f"{STREETS[username]}/")
    assert set(scope.enterprises().values_list("uscc", flat=True)) == _street_usccs(STREETS[username])


def test_district_staff_read_every_street_of_the_district():
    scope = scope_of(User.objects.get(username="binjiang_staff"))
    assert set(scope.enterprises().values_list("uscc", flat=True)) == {demo_uscc(i) for i in range(len(ENTERPRISES))}


def test_street_staff_read_the_cases_of_their_street_only():
    in_changhe = approved_case(0)  # 长河街道
    assert Case.objects.visible_to(User.objects.get(username="changhe_staff")).filter(pk=in_changhe.pk).exists()
    for other in ("xixing_staff", "puyan_staff"):
        assert not Case.objects.visible_to(User.objects.get(username=other)).filter(pk=in_changhe.pk).exists()


def test_a_street_role_without_a_region_reads_nothing():
    staff = create_staff(username="street_nowhere", password="Qinqing@2026", department=None,
                         roles=[Role.STREET_STAFF])
    assert scope_of(staff).region_path == ""
    assert not scope_of(staff).enterprises().exists()


def test_an_enterprise_reads_only_itself():
    assert list(scope_of(enterprise(0)).enterprises()) == [enterprise(0).enterprise]


def test_agent_grants_carry_bundle_codes_and_expiry():
    owner = enterprise(1)
    agent = User.objects.get(username="fgw_agent")
    grant = scope_of(agent).agent_grants[0]
    assert grant.enterprise_id == owner.enterprise_id and grant.covers("industrial-project")
    assert not grant.covers("business-start")
    assert set(scope_of(agent).enterprises()) == {owner.enterprise}


def test_a_grant_that_expires_after_the_scope_was_built_no_longer_counts():
    owner, agent = enterprise(0), User.objects.get(username="scjg_agent")
    grant_authorisation(granted_by=owner, agent=agent, days=1)
    scope = build_scope(agent)
    assert owner.enterprise in scope.enterprises()
    expired = dataclasses.replace(scope, agent_grants=tuple(
        dataclasses.replace(g, expires_at=timezone.now() - dt.timedelta(seconds=1)) for g in scope.agent_grants))
    assert not expired.enterprises().exists()


def test_revoked_and_expired_authorisations_are_not_in_the_scope():
    owner, agent = enterprise(0), User.objects.get(username="scjg_agent")
    grant_authorisation(granted_by=owner, agent=agent, days=1)
    Authorisation.objects.filter(agent=agent).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert build_scope(agent).agent_grants == ()


def test_superuser_reads_every_enterprise():
    assert scope_of(User.objects.get(username="admin")).enterprises().count() == Enterprise.objects.count()


def test_notifications_are_read_by_their_recipient_given_a_user_or_its_scope():
    owner = enterprise(0)
    note = Notification.objects.create(recipient=owner, kind=Notification.Kind.DECISION, title="t")
    assert Notification.objects.visible_to(scope_of(owner)).filter(pk=note.pk).exists()
    assert Notification.objects.visible_to(owner).filter(pk=note.pk).exists()
    assert not Notification.objects.visible_to(scope_of(enterprise(1))).filter(pk=note.pk).exists()
    assert not Notification.objects.visible_to(User.objects.get(username="admin")).filter(pk=note.pk).exists()
