"""`rebuildcockpit` gives the figures the consumer kept, row for row, after a scripted history."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from qinqing.accounts.models import Enterprise, User
from qinqing.cases.tests.support import approved_case, open_case
from qinqing.cockpit import queries
from qinqing.cockpit.aggregates import snapshot
from qinqing.cockpit.models import Alert, EnterpriseState
from qinqing.cockpit.observe import Regions, observe, observe_all
from qinqing.cockpit.services.alerts import acknowledge_alert
from qinqing.cockpit.services.rebuild import rebuild_cockpit
from qinqing.datahub.models import RegistryRecord
from qinqing.datahub.services import import_records
from qinqing.web.demo import demo_uscc

from .support import CHANGHE, catch_up, change_registry, fresh_uscc, new_registration, node, registry_row

pytestmark = pytest.mark.django_db

STATE_FIELDS = ("uscc", "name", "region_id", "path", "status", "industry", "size", "capital", "capital_band", "tags",
                "headcount", "established_on", "tax_paid", "tax_year", "first_seen_at")


def states() -> list[tuple[Any, ...]]:
    return list(EnterpriseState.objects.order_by("uscc").values_list(*STATE_FIELDS))


def scripted_history() -> None:
    """Moves (there and back, and on), a deregistration, a listing, a drop, new enterprises, cases."""
    change_registry(registry_row(0, region_code="330108001001"))
    catch_up()
    change_registry(registry_row(0, region_code="330108003002"))
    approved_case(0)
    catch_up()
    change_registry(registry_row(3, status="注销"), registry_row(7, region_code="330108002001"))
    open_case(1)
    import_records(source_code="abnormal_operations", actor="test", rows=[{
        "uscc": demo_uscc(4), "decision_no": "杭滨市监异〔2026〕13号", "listed_on": timezone.localdate(),
        "reason": "未按规定报送年度报告"}])
    import_records(source_code="social_insurance", actor="test", rows=[
        {"uscc": demo_uscc(1), "account_no": "33010812004518", "registered_on": "2012-09-20", "insured_count": 200}])
    import_records(source_code="enterprise_annual", actor="test", rows=[
        {"uscc": demo_uscc(2), "report_no": "NB2026-T-2", "year": 2026, "revenue": "90000000", "tax_paid": "4321.09"},
        {"uscc": fresh_uscc(1), "report_no": "NB2026-T-F1", "year": 2026, "tax_paid": "17.50"}])
    new_registration(fresh_uscc(1), region="330108003001")
    new_registration(fresh_uscc(2), region="330108001002", capital="300000", name="杭州测试小微商贸有限公司")
    catch_up()
    acknowledge_alert(alert_id=Alert.objects.filter(signal="deregistered").get().pk,
                      user=User.objects.get(username="changhe_staff"))


def test_the_rebuild_gives_every_aggregate_row_the_consumer_kept() -> None:
    catch_up()
    scripted_history()
    incremental, incremental_states = snapshot(), states()
    assert incremental["daily"] and incremental["totals"]
    rebuild_cockpit()
    assert snapshot() == incremental
    assert states() == incremental_states
    # And the consumer carries on from the rebuilt figures.
    change_registry(registry_row(0, region_code="330108002002"))
    catch_up()
    assert queries.summary(node(CHANGHE)).moved_in_30d == 1


def test_the_command_says_the_figures_are_identical() -> None:
    catch_up()
    scripted_history()
    out = StringIO()
    call_command("rebuildcockpit", "--compare", stdout=out)
    assert "identical to the incremental figures" in out.getvalue()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the rebuild's one-scan reading is PostgreSQL's")
def test_the_rebuilds_scan_classifies_every_enterprise_as_the_consumers_reading_does() -> None:
    catch_up()
    scripted_history()
    regions = Regions()
    scanned = [o for chunk in observe_all(regions=regions, chunk=3) for o in chunk]
    codes = [o.uscc for o in scanned]
    assert codes == sorted(codes) and len(codes) == len(set(codes))
    assert set(codes) == set(RegistryRecord.objects.values_list("uscc", flat=True)) | set(
        Enterprise.objects.values_list("uscc", flat=True))
    probed = observe(codes, regions=regions)
    assert {o.uscc: o for o in scanned} == probed
    # What the history changed is in it: the listing, the deregistration, the annual report's tax.
    assert probed[demo_uscc(4)].status == "abnormal" and probed[demo_uscc(3)].status == "deregistered"
    assert probed[demo_uscc(2)].tax_paid == Decimal("4321.09")
