"""`match_all` (Polars over the snapshot) pays exactly whom and what the per-record evaluator pays."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinqing.accounts.models import Enterprise
from qinqing.datahub.models import DataRecord, Source
from qinqing.policies import facttable
from qinqing.policies.fullmatch import match_registry
from qinqing.policies.matching import compile_version, match_all, match_all_per_record
from qinqing.policies.models import Policy, PolicyVersion
from qinqing.regions.models import Region

pytestmark = pytest.mark.django_db

SOURCE = "enterprise_annual"
PREFIX = "annual"
NUMBERS = ["revenue", "rd_spend", "tax_paid", "employees", "graduates_hired"]
TEXTS = {"high_tech": ["是", "否"], "above_scale": ["是", "否"], "specialised": ["否", "市级", "省级", "国家级"]}
FIGURES = st.one_of(st.none(), st.sampled_from([0, 1, 3, 12, 250, 99999.99, 1_000_000, 8_600_000, 31_000_000.5]))
COUNTS = st.one_of(st.none(), st.sampled_from([0, 1, 3, 12, 250]))  # integer fields hold whole numbers
INTEGERS = {"employees", "graduates_hired"}


def _var(name: str) -> dict[str, str]:
    return {"var": f"{PREFIX}.{name}"}


condition = st.one_of(
    st.tuples(st.sampled_from(NUMBERS), st.sampled_from([">=", ">", "<", "<=", "==", "!="]),
              st.sampled_from([0, 1, 10, 500_000, 1_000_000])).map(
        lambda t: ([f"{PREFIX}.{t[0]}"], {t[1]: [_var(t[0]), t[2]]})),
    st.sampled_from(sorted(TEXTS)).flatmap(lambda name: st.lists(st.sampled_from(TEXTS[name]), min_size=1,
                                                                  max_size=2).map(
        lambda values: ([f"{PREFIX}.{name}"], {"in": [_var(name), values]}))),
    st.just((["registry.status"], {"in": [{"var": "registry.status"}, ["存续", "在业"]]})),
    st.sampled_from([3, 5, 20]).map(lambda n: (["registry.years_established"],
                                               {"<=": [{"var": "registry.years_established"}, n]})),
)
formula = st.one_of(
    st.tuples(st.sampled_from(NUMBERS), st.sampled_from(["0.5", "0.05", "0.333", "1000"]),
              st.sampled_from(["10000", "2000000"])).map(
        lambda t: {"expr": {"*": [_var(t[0]), {"param": "rate"}]}, "cap": t[2],
                   "params": {"rate": [{"from": "2020-01-01", "value": t[1]}]}}),
    st.tuples(st.sampled_from(NUMBERS), st.sampled_from(NUMBERS)).map(
        lambda t: {"expr": {"min": [{"-": [_var(t[0]), _var(t[1])]}, {"/": [_var(t[0]), "3"]}]}, "cap": "500000"}),
    st.just({"expr": "20000", "cap": "20000"}),
)
record = st.fixed_dictionaries({name: COUNTS if name in INTEGERS else FIGURES for name in NUMBERS} | {
    name: st.one_of(st.none(), st.sampled_from(values)) for name, values in TEXTS.items()})


def _seed(enterprises: list[Enterprise], rows: list[dict[str, Any] | None]) -> None:
    source = Source.objects.get(code=SOURCE)
    DataRecord.objects.filter(source=source, uscc__in=[e.uscc for e in enterprises]).delete()
    now = timezone.now()
    for index, (enterprise, row) in enumerate(zip(enterprises, rows, strict=False)):
        if row is None:
            continue  # this enterprise has no annual record at all
        data = {"report_no": f"T{index}", "year": 2025,
                **{k: (None if v is None else (str(v) if isinstance(v, float) else v)) for k, v in row.items()}}
        DataRecord.objects.create(source=source, uscc=enterprise.uscc, key=f"T{index}", title="2025", category="2025",
                                  data=data, as_of=now - dt.timedelta(days=1), imported_at=now)
    # Written behind the datahub's back (no event): build the kept snapshot again, as `rebuildfacts` does.
    facttable.rebuild()


def _summary(run: Any) -> tuple[Any, ...]:
    return (run.evaluated, [(m.enterprise_id, m.amount) for m in run.eligible],
            [(m.enterprise_id, m.failed[0].key) for m in run.near_misses])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(conditions=st.lists(condition, min_size=1, max_size=3), amount=formula,
       rows=st.lists(st.one_of(st.none(), record), min_size=4, max_size=8))
def test_match_all_pays_whom_and_what_the_per_record_evaluator_pays(conditions: Any, amount: Any, rows: Any) -> None:
    enterprises = list(Enterprise.objects.select_related("region").order_by("pk")[:len(rows)])
    city = Region.objects.get(code="330100")
    sid = transaction.savepoint()
    try:
        _seed(enterprises, rows)
        eligibility = [{"key": f"c{i}", "label": f"条件{i}", "failure": f"不符合{i}", "facts": facts, "expr": expr}
                       for i, (facts, expr) in enumerate(conditions)]
        version = PolicyVersion(policy=Policy(region=city), number=1, eligibility=eligibility, amount=amount)
        batch, reference = match_all(version, near_misses=50), match_all_per_record(version, near_misses=50)
        assert batch.method == "batch"
        assert _summary(batch) == _summary(reference)
        assert all(isinstance(m.amount, Decimal) for m in batch.eligible)
        # The whole-registry pass over many policies at once gives the same enterprises and fen.
        whole = match_registry([(0, compile_version(version))]).matches.sort("enterprise_id")
        assert list(zip(whole["enterprise_id"], whole["fen"], strict=True)) == [
            (m.enterprise_id, int(m.amount * 100)) for m in reference.eligible if m.amount is not None]
    finally:
        transaction.savepoint_rollback(sid)


def test_the_partitions_together_are_the_whole_registry() -> None:
    policy = Policy.objects.filter(status="published", mode="automatic").select_related("current_version").first()
    assert policy is not None and policy.current_version is not None
    whole = match_all(policy.current_version)
    parts = [match_all(policy.current_version, partitions=3, part=p) for p in range(3)]
    assert sum(p.evaluated for p in parts) == whole.evaluated
    joined = sorted((m.enterprise_id, m.amount) for p in parts for m in p.eligible)
    assert joined == [(m.enterprise_id, m.amount) for m in whole.eligible]
    assert whole.eligible, "the demo city has enterprises that qualify for a published 免申即享 policy"


def test_explained_matches_carry_the_per_record_reasons_with_their_sources() -> None:
    policy = Policy.objects.filter(status="published").select_related("current_version").first()
    assert policy is not None and policy.current_version is not None
    run = match_all(policy.current_version, explain=True)
    reference = match_all_per_record(policy.current_version)
    assert [(m.enterprise_id, m.amount, m.reasons) for m in run.eligible] == [
        (m.enterprise_id, m.amount, m.reasons) for m in reference.eligible]


def test_a_large_registry_is_matched_as_one_huey_job_per_partition(settings, django_capture_on_commit_callbacks) -> None:
    from qinqing.core import events
    from qinqing.policies.models import Entitlement
    from qinqing.policies.services import create_policy, publish_policy
    from qinqing.policies.services.rematch import CONSUMER
    from qinqing.policies.tests.support import officer, policy_data

    who = officer()
    inline = create_policy(officer=who, data=policy_data(title="整体匹配"))
    publish_policy(policy=inline, officer=who)
    events.consume(CONSUMER)
    settings.QINQING_MATCH_PARTITION_SIZE = 2  # the demo city becomes several partitions, one job each
    split = create_policy(officer=who, data=policy_data(title="分区匹配"))
    publish_policy(policy=split, officer=who)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        events.consume(CONSUMER)
    assert callbacks, "the partition jobs are enqueued after the consumer's commit"

    def paid(policy: Policy) -> list[tuple[int, Decimal]]:
        return sorted(Entitlement.objects.filter(policy=policy).values_list("enterprise_id", "amount"))

    assert paid(split) == paid(inline) and paid(inline)


def test_every_policy_at_once_is_every_policy_alone() -> None:
    policies = list(Policy.objects.filter(current_version__isnull=False).select_related("current_version", "region"))
    assert len(policies) >= 8
    compiled = [(p.pk, compile_version(p.current_version)) for p in policies]  # type: ignore[arg-type]
    run = match_registry(compiled)
    assert run.conditions <= sum(len(c.spec.conditions) for _pk, c in compiled)
    got = sorted(run.matches.select("policy_id", "enterprise_id", "fen").iter_rows())
    expected = sorted((p.pk, m.enterprise_id, int(m.amount * 100)) for p in policies
                      for m in match_all(p.current_version).eligible if m.amount is not None)  # type: ignore[arg-type]
    assert got == expected and got


def test_the_refresh_writes_what_publishing_would_once_and_set_based() -> None:
    from qinqing.core import events
    from qinqing.core.models import OutboxEvent
    from qinqing.policies.models import Entitlement, Push
    from qinqing.policies.services import create_policy, publish_policy
    from qinqing.policies.services.refresh import refresh_all
    from qinqing.policies.services.rematch import CONSUMER
    from qinqing.policies.tests.support import officer, policy_data

    who = officer()
    reference = create_policy(officer=who, data=policy_data(title="逐个匹配"))
    publish_policy(policy=reference, officer=who)
    events.consume(CONSUMER)  # the per-record path: publish → match_published → apply_match each
    fresh = create_policy(officer=who, data=policy_data(title="夜间刷新"))
    publish_policy(policy=fresh, officer=who)  # its consumer does not run: the refresh finds its matches
    before = OutboxEvent.objects.filter(name="entitlement.granted").count()
    done = refresh_all()
    assert done.entitlements > 0 and done.payouts == done.entitlements

    def owed(policy: Policy) -> list[tuple[int, Decimal]]:
        return sorted(Entitlement.objects.filter(policy=policy).values_list("enterprise_id", "amount"))

    assert owed(fresh) == owed(reference)
    assert sorted(Push.objects.filter(policy=fresh).values_list("enterprise_id", "amount")) == sorted(
        Push.objects.filter(policy=reference).values_list("enterprise_id", "amount"))
    assert OutboxEvent.objects.filter(name="entitlement.granted").count() == before + done.entitlements
    again = refresh_all()
    assert (again.pushes, again.entitlements, again.payouts) == (0, 0, 0)
