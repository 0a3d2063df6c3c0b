"""Who may read which source about which enterprise: the enterprise itself, reader departments, authorised agents."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from qinqing.accounts.services import grant_authorisation, revoke_authorisation
from qinqing.core.errors import NotFound
from qinqing.datahub.models import DataRecord, RegistryRecord
from qinqing.datahub.queries import holdings_for
from qinqing.datahub.tests.support import agent, client_for, enterprise, reviewer, staff
from qinqing.web.demo import demo_uscc

pytestmark = pytest.mark.django_db

EVERY_SOURCE_OF_0 = {"market_registry", "land_contracts", "tax_registration", "social_insurance", "housing_fund",
                     "qualifications", "enterprise_indicators"}


def _codes(user, index):
    return {h.source.code for h in holdings_for(user, demo_uscc(index))}


def _api_codes(user, index):
    response = client_for(user).get(f"/api/v1/datahub/enterprises/{demo_uscc(index)}")
    if response.status_code != 200:
        return response.status_code
    return {s["code"] for s in response.json()["sources"]}


def test_a_reviewer_of_a_reader_department_sees_only_the_sources_it_reads():
    assert _api_codes(reviewer("GHZY"), 0) == {"market_registry", "land_contracts", "qualifications"}
    assert _api_codes(reviewer("RSJ"), 0) == {"market_registry", "social_insurance", "housing_fund"}
    assert _api_codes(reviewer("SWJ"), 0) == {"market_registry", "tax_registration"}
    assert _api_codes(reviewer("WJW"), 0) == {"market_registry"}  # read by all government staff


def test_the_enterprise_itself_sees_every_source():
    assert _codes(enterprise(0), 0) == EVERY_SOURCE_OF_0


def test_an_agent_sees_every_source_only_while_an_authorisation_is_active():
    me, helper = enterprise(0), agent()
    assert _api_codes(helper, 0) == {"market_registry"}  # its own department reads only what all staff read
    authorisation = grant_authorisation(granted_by=me, agent=helper, scope="industrial-project")
    assert _api_codes(helper, 0) == EVERY_SOURCE_OF_0
    assert _api_codes(helper, 1) == {"market_registry"}  # not authorised by the other enterprise
    revoke_authorisation(authorisation=authorisation, user=me)
    assert _api_codes(helper, 0) == {"market_registry"}


def test_an_expired_authorisation_gives_nothing_more():
    me, helper = enterprise(0), agent("test_agent_expired")
    authorisation = grant_authorisation(granted_by=me, agent=helper)
    authorisation.expires_at = timezone.now() - dt.timedelta(minutes=1)
    authorisation.save()
    assert _codes(helper, 0) == {"market_registry"}


def test_staff_of_no_reader_department_and_other_enterprises_get_not_found():
    with pytest.raises(NotFound):
        holdings_for(enterprise(1), enterprise(0).enterprise.uscc)
    nobody = staff("test_plain_user", department=None)
    nobody.kind = "enterprise"  # an enterprise login without an enterprise: sees nothing
    nobody.save()
    with pytest.raises(NotFound):
        holdings_for(nobody, enterprise(0).enterprise.uscc)


def test_data_records_are_scoped_like_the_holdings():
    me, other = enterprise(0), enterprise(1)
    mine = DataRecord.objects.visible_to(me)
    assert set(mine.values_list("uscc", flat=True)) == {me.enterprise.uscc}
    assert not mine.filter(uscc=other.enterprise.uscc).exists()
    ghzy = DataRecord.objects.visible_to(reviewer("GHZY"))
    assert set(ghzy.values_list("source__code", flat=True)) <= {"land_contracts", "project_codes", "qualifications",
                                                                "licences"}
    assert ghzy.filter(source__code="land_contracts").count() == DataRecord.objects.filter(
        source__code="land_contracts").count()
    assert not DataRecord.objects.visible_to(reviewer("WJW")).exclude(source__code="licences").exists()
    helper = agent("test_agent_scope")
    grant_authorisation(granted_by=me, agent=helper)
    seen = DataRecord.objects.visible_to(helper)
    assert seen.filter(uscc=me.enterprise.uscc, source__code="social_insurance").exists()
    assert not seen.filter(uscc=other.enterprise.uscc, source__code="social_insurance").exists()
    assert RegistryRecord.objects.visible_to(reviewer("WJW")).count() == RegistryRecord.objects.count()
    assert list(RegistryRecord.objects.visible_to(me).values_list("uscc", flat=True)) == [me.enterprise.uscc]
