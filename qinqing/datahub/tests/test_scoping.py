"""Who may read which source about which enterprise: the enterprise, reader departments, regions, authorised agents."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from qinqing.accounts.models import Enterprise, User
from qinqing.accounts.scope import forget_scope
from qinqing.accounts.services import grant_authorisation, revoke_authorisation
from qinqing.bundles.queries import sources_needed
from qinqing.core.errors import NotFound
from qinqing.datahub.models import DataRecord, RegistryRecord
from qinqing.datahub.queries import holdings_for
from qinqing.datahub.tests.support import agent, client_for, enterprise, importer, reviewer, staff
from qinqing.web.demo import demo_uscc

pytestmark = pytest.mark.django_db

EVERY_SOURCE_OF_0 = {"market_registry", "land_contracts", "tax_registration", "social_insurance", "housing_fund",
                     "qualifications", "enterprise_annual"}


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


def _needed(*bundles: str) -> set[str]:
    return set(sources_needed(frozenset(bundles))) & EVERY_SOURCE_OF_0


def test_an_agent_reads_only_what_its_bundle_needs_only_while_an_authorisation_is_active():
    me, helper = enterprise(0), agent()
    assert _api_codes(helper, 0) == 404  # an agent is not a reviewer: nothing without an authorisation
    authorisation = grant_authorisation(granted_by=me, agent=helper, scope="industrial-project")
    needed = _needed("industrial-project")
    assert "land_contracts" in needed and needed < EVERY_SOURCE_OF_0
    assert _api_codes(helper, 0) == needed
    assert _api_codes(helper, 1) == 404  # not authorised by the other enterprise
    revoke_authorisation(authorisation=authorisation, user=me)
    assert _api_codes(helper, 0) == 404


def test_an_expired_authorisation_gives_nothing():
    me, helper = enterprise(0), agent("test_agent_expired")
    authorisation = grant_authorisation(granted_by=me, agent=helper)
    assert _codes(helper, 0) == _needed()
    authorisation.expires_at = timezone.now() - dt.timedelta(minutes=1)
    authorisation.save()
    forget_scope(helper)
    with pytest.raises(NotFound):
        holdings_for(helper, demo_uscc(0))


def test_an_agent_of_a_reader_department_reads_no_more_than_its_authorisation():
    helper = agent("test_fgw_agent", department="FGW")  # FGW reviewers read land contracts and tax
    assert _api_codes(helper, 0) == 404
    grant_authorisation(granted_by=enterprise(0), agent=helper, scope="industrial-project")
    assert _api_codes(helper, 0) == _needed("industrial-project")
    assert _api_codes(helper, 1) == 404  # its department reads land contracts, it does not


def test_a_data_importer_reads_no_enterprise_data():
    loader = importer()
    assert _api_codes(loader, 0) == 404
    assert not DataRecord.objects.visible_to(loader).exists()
    assert not RegistryRecord.objects.visible_to(loader).exists()


def test_street_staff_read_only_enterprises_of_their_street():
    inside = {e: Enterprise.objects.get(uscc=demo_uscc(e)).region.path for e in range(8)}
    street = User.objects.get(username="changhe_staff")
    path = street.region.path
    mine = next(i for i, p in inside.items() if p.startswith(path))
    other = next(i for i, p in inside.items() if not p.startswith(path))
    assert _api_codes(street, mine) == {"market_registry"}
    assert _api_codes(street, other) == 404
    seen = set(RegistryRecord.objects.visible_to(street).values_list("uscc", flat=True))
    assert demo_uscc(mine) in seen and demo_uscc(other) not in seen


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
    assert not DataRecord.objects.visible_to(helper).exists()
    grant_authorisation(granted_by=me, agent=helper, scope="industrial-project")
    forget_scope(helper)
    seen = DataRecord.objects.visible_to(helper)
    assert seen.filter(uscc=me.enterprise.uscc, source__code="land_contracts").exists()
    assert not seen.filter(uscc=me.enterprise.uscc, source__code="social_insurance").exists()
    assert not seen.filter(uscc=other.enterprise.uscc).exists()
    assert RegistryRecord.objects.visible_to(reviewer("WJW")).count() == RegistryRecord.objects.count()
    assert list(RegistryRecord.objects.visible_to(me).values_list("uscc", flat=True)) == [me.enterprise.uscc]


def test_an_agent_reads_nothing_when_no_bundle_sources_are_configured(settings):
    helper = agent("test_agent_unconfigured")
    grant_authorisation(granted_by=enterprise(0), agent=helper)
    settings.QINQING_DATAHUB_BUNDLE_SOURCES = ""
    assert _api_codes(helper, 0) == 404
    assert not DataRecord.objects.visible_to(helper).exists()
