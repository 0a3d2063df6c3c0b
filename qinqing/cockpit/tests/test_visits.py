"""Visit prompts and tasks: raised once by a new registration at the threshold, recorded, closed, overdue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from qinqing.accounts.models import Role, User
from qinqing.audit.models import AuditRecord
from qinqing.cockpit import prompts
from qinqing.cockpit.demo import new_registration_uscc
from qinqing.cockpit.errors import VisitConflict, VisitInvalid
from qinqing.cockpit.models import Visit, VisitThreshold
from qinqing.cockpit.services.visits import (
    close_visit,
    create_visit,
    flag_overdue_visits,
    raise_visit_prompt,
    record_visit,
    threshold_for,
)
from qinqing.cockpit.tests.visit_support import DONGXIN_UNIT, PARK_UNIT, grid, register, run_prompts, today
from qinqing.core import clock, events
from qinqing.core.errors import NotFound
from qinqing.core.models import OutboxEvent
from qinqing.regions.models import Region
from qinqing.servicedesk.models import WorkOrder
from qinqing.servicedesk.workflow import OrderStatus
from qinqing.web.demo import demo_uscc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo_prompts(db):
    """The demo's fresh registrations have raised their prompts (see `run_prompts`)."""
    run_prompts()

RECORD = {"visited_on": None, "attendees": "网格员 王宁；企业 李总", "topics": ["policy", "qa"], "notes": "介绍人才政策。"}


def _record(**changes: object) -> dict[str, object]:
    return {**RECORD, "visited_on": today().isoformat(), **changes}


def test_the_demo_registrations_raised_their_prompts_for_the_grid_worker():
    visit = Visit.objects.get(uscc=new_registration_uscc(0))
    assert visit.origin == Visit.Origin.PROMPT and visit.status == Visit.Status.OPEN
    assert visit.assignee is not None and visit.assignee.username == "iotpark_grid"
    assert visit.region.code == PARK_UNIT and visit.registered_capital == Decimal("20000000.00")
    assert Visit.objects.get(uscc=new_registration_uscc(1)).assignee.username == "dongxin_grid"


def test_a_registration_of_ten_million_raises_one_visit_due_in_five_working_days():
    worker = grid()
    uscc = register(9101, capital="10000000.00")
    visit = Visit.objects.get(uscc=uscc)
    assert visit.assignee == worker
    assert visit.due_at == clock.add(visit.raised_at, clock.Duration(5, clock.Unit.WORKING_DAYS)).at
    assert "10,000,000" in visit.reason
    raised = OutboxEvent.objects.filter(name="visit.raised", enterprise=uscc)
    assert raised.count() == 1 and raised.get().payload["visit_id"] == visit.pk
    assert AuditRecord.objects.filter(action="cockpit.visit_raised", object_id=str(visit.pk)).count() == 1


def test_a_prompt_is_raised_once_however_often_the_registration_arrives():
    uscc = register(9102, capital="30000000.00")
    register(9102, capital="30000000.00", name="杭州改名科技有限公司")  # the same record again: not created
    assert raise_visit_prompt(uscc=uscc) is None
    run_prompts()
    assert Visit.objects.filter(uscc=uscc).count() == 1


def test_below_the_threshold_old_or_inactive_registrations_raise_nothing():
    small = register(9103, capital="9999999.99")
    old = register(9104, capital="50000000.00", days_ago=400)
    revoked = register(9105, capital="50000000.00", status="吊销")
    assert not Visit.objects.filter(uscc__in=[small, old, revoked]).exists()


def test_the_threshold_is_data_inherited_down_the_tree_and_the_nearest_wins():
    puyan = Region.objects.get(code="330108003")
    VisitThreshold.objects.create(region=puyan, min_capital=Decimal("30000000"), due_working_days=2)
    unit = Region.objects.get(code=DONGXIN_UNIT)
    rule = threshold_for(unit)
    assert (rule.min_capital, rule.due_working_days, rule.region_code) == (Decimal("30000000"), 2, "330108003")
    assert threshold_for(Region.objects.get(code=PARK_UNIT)).min_capital == Decimal("10000000")
    below = register(9106, capital="20000000.00", region=DONGXIN_UNIT)
    above = register(9107, capital="30000000.00", region=DONGXIN_UNIT)
    assert not Visit.objects.filter(uscc=below).exists()
    assert Visit.objects.filter(uscc=above).exists()


def test_a_new_account_with_a_fresh_registry_record_raises_its_prompt_from_enterprise_registered():
    from qinqing.accounts.services import create_enterprise
    from qinqing.datahub.models import RegistryRecord, Source
    from qinqing.datahub.tests.support import new_uscc

    uscc = new_uscc(9108)
    RegistryRecord.objects.create(  # written without an event, as a department's own sync would
        source=Source.objects.get(code="market_registry"), uscc=uscc, name="杭州开户科技有限公司",
        legal_representative="刘一", registered_capital=Decimal("12000000"), industry_code="I6513",
        industry_name="应用软件开发", entity_type="有限责任公司", address="滨江区", region_code="330108003015",
        established_on=today(), status="存续", as_of=timezone.now())
    create_enterprise(uscc=uscc, name="杭州开户科技有限公司", password="Qinqing@2026", region=DONGXIN_UNIT)
    run_prompts(uscc)
    visit = Visit.objects.get(uscc=uscc)
    assert visit.region.code == DONGXIN_UNIT and visit.enterprise is not None
    # An enterprise with an account gets its visit as a work order of the grid worker.
    assert visit.work_order is not None and visit.work_order.kind == WorkOrder.Kind.VISIT
    assert visit.work_order.owner == visit.assignee and visit.work_order.due_at == visit.due_at
    assert visit.assignee is not None
    record_visit(user=visit.assignee, visit=visit, data=_record())
    order = WorkOrder.objects.get(pk=visit.work_order.pk)
    assert (order.status == OrderStatus.RESOLVED and "政策解读" in order.resolution) or "Policy" in order.resolution


def test_recording_a_visit_closes_it_and_resolves_its_work_order():
    visit = Visit.objects.get(uscc=new_registration_uscc(1))
    worker = User.objects.get(username="dongxin_grid")
    record = record_visit(user=worker, visit=visit, data=_record())
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CLOSED and visit.closed_by == worker
    assert record.topics == ["policy", "qa"]
    names = list(OutboxEvent.objects.filter(name__startswith="visit.", enterprise=visit.uscc)
                 .order_by("txid", "seq").values_list("name", flat=True))
    assert names[-2:] == ["visit.recorded", "visit.closed"]
    with pytest.raises(VisitConflict):
        record_visit(user=worker, visit=visit, data=_record())


def test_a_record_may_leave_the_follow_up_open_and_close_later():
    worker = grid()
    visit = Visit.objects.get(uscc=register(9109, capital="11000000"))
    record_visit(user=worker, visit=visit, data=_record(topics=["follow_up"]), close=False)
    visit.refresh_from_db()
    assert visit.status == Visit.Status.VISITED
    close_visit(user=worker, visit=visit)
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CLOSED


def test_a_bad_record_names_every_field_and_writes_nothing():
    worker = grid()
    visit = Visit.objects.get(uscc=register(9110, capital="11000000"))
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(VisitInvalid) as caught:
        record_visit(user=worker, visit=visit, data={"visited_on": tomorrow, "attendees": " ",
                                                     "topics": ["policy", "lunch"], "notes": "x" * 5001})
    assert set(caught.value.errors) == {"visited_on", "attendees", "topics", "notes"}
    with pytest.raises(VisitInvalid) as caught:
        record_visit(user=worker, visit=visit, data={"visited_on": "07/12/2026", "attendees": "a", "topics": []})
    assert set(caught.value.errors) == {"visited_on", "topics"}
    assert not visit.records.exists()


def test_a_visit_outside_the_scope_is_not_found():
    visit = Visit.objects.get(uscc=new_registration_uscc(0))  # in 西兴's IoT park
    changhe = User.objects.get(username="changhe_staff")
    with pytest.raises(NotFound):
        record_visit(user=changhe, visit=visit, data=_record())
    enterprise = User.objects.get(username=demo_uscc(0))
    assert not Visit.objects.visible_to(enterprise).exists()
    assert not Visit.objects.visible_to(changhe).filter(pk=visit.pk).exists()
    assert Visit.objects.visible_to(User.objects.get(username="xixing_staff")).filter(pk=visit.pk).exists()


def test_staff_arrange_a_visit_to_an_enterprise_of_their_scope_once_at_a_time():
    puyan = User.objects.get(username="puyan_staff")
    visit = create_visit(user=puyan, uscc=demo_uscc(1), reason="了解扩产用地需求")
    assert visit.origin == Visit.Origin.MANUAL and visit.assignee.username == "dongxin_grid"
    assert visit.raised_by == puyan
    with pytest.raises(VisitConflict):
        create_visit(user=puyan, uscc=demo_uscc(1))
    with pytest.raises(NotFound):
        create_visit(user=puyan, uscc=demo_uscc(0))  # a 长河 enterprise
    with pytest.raises(VisitInvalid) as caught:
        create_visit(user=puyan, uscc="")
    assert set(caught.value.errors) == {"uscc"}


def test_an_overdue_visit_is_flagged_once():
    worker = grid()
    visit = Visit.objects.get(uscc=register(9111, capital="11000000"))
    later = visit.due_at + dt.timedelta(seconds=1)
    assert flag_overdue_visits(now=visit.due_at) == 0 or not Visit.objects.filter(pk=visit.pk,
                                                                                   overdue_at__isnull=False).exists()
    assert flag_overdue_visits(now=later) >= 1
    assert flag_overdue_visits(now=later + dt.timedelta(days=1)) == 0
    visit.refresh_from_db()
    assert visit.overdue_at == later and visit.assignee == worker
    assert OutboxEvent.objects.filter(name="visit.overdue", enterprise=visit.uscc).count() == 1


def test_grid_staff_read_only_their_grid():
    worker = grid("t_grid_dongxin", "330108003015")
    assert worker.is_regional_staff
    from qinqing.accounts.scope import scope_of

    usccs = set(scope_of(worker).enterprises().values_list("uscc", flat=True))
    assert demo_uscc(1) in usccs and demo_uscc(0) not in usccs
    assert Role.GRID_STAFF in worker.roles


def test_the_consumer_sifts_a_whole_batch_in_two_queries(django_assert_max_num_queries):
    from qinqing.core.events import EnterpriseFactsChanged, Stored
    from qinqing.datahub.tests.support import new_uscc

    now = timezone.now()
    batch = [Stored(i + 1, 1, now, EnterpriseFactsChanged(enterprise=new_uscc(9400 + i), sources=("market_registry",),
                                                          fields=("market_registry.name",), created=True))
             for i in range(300)]
    with django_assert_max_num_queries(2):
        prompts.apply_events(batch)


def test_the_prompt_consumer_is_registered_for_registrations():
    consumer = events.flows().consumer(prompts.CONSUMER)
    assert consumer.handles == prompts.HANDLES and consumer.apply is prompts.apply_events
