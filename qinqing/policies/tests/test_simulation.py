"""The simulation (in SQL on PostgreSQL, Polars elsewhere) gives exactly what the per-record evaluator gives."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinqing.accounts.models import Enterprise
from qinqing.policies import simulation
from qinqing.policies.matching import MatchRun, match_all_per_record
from qinqing.policies.models import Policy, PolicyVersion
from qinqing.policies.services.authoring import qualifying_count, run_simulation
from qinqing.policies.tests.test_matching_batch import PREFIX, _seed, _var, condition, formula, record
from qinqing.regions.models import Region

pytestmark = pytest.mark.django_db
SAMPLE = 3


def _expected(run: MatchRun, sample: int) -> dict[str, Any]:
    """What a simulation must say, computed from the per-record evaluator's matches one by one."""
    counts: Counter[str] = Counter()
    totals: defaultdict[str, Decimal] = defaultdict(Decimal)
    ind_counts: Counter[str] = Counter()
    ind_totals: defaultdict[str, Decimal] = defaultdict(Decimal)
    total = Decimal(0)
    for match in run.eligible:
        assert match.amount is not None
        total += match.amount
        counts[match.region_name] += 1
        totals[match.region_name] += match.amount
        ind_counts[match.industry or "—"] += 1
        ind_totals[match.industry or "—"] += match.amount
    return {
        "evaluated": run.evaluated, "qualifying": len(run.eligible), "total": str(total),
        "by_region": [(n, c, str(totals[n])) for n, c in counts.most_common()],
        "by_industry": [(n, c, str(ind_totals[n])) for n, c in ind_counts.most_common()],
        "sample": [(m.enterprise_id, str(m.amount)) for m in run.eligible[:sample]],
        "near_misses": [(m.enterprise_id, m.failed[0].key, m.failed[0].message) for m in run.near_misses],
    }


def _got(version: PolicyVersion, sample: int) -> dict[str, Any]:
    result = run_simulation(version, sample=sample)
    return {
        "evaluated": result.evaluated, "qualifying": result.qualifying, "total": str(result.total),
        "by_region": [(n, c, str(t)) for n, c, t in result.by_region],
        "by_industry": [(n, c, str(t)) for n, c, t in result.by_industry],
        "sample": [(m.enterprise_id, str(m.amount)) for m in result.sample],
        "near_misses": [(m.enterprise_id, m.failed[0].key, m.failed[0].message) for m in result.near_misses],
    }


def _version(conditions: Any, amount: Any) -> PolicyVersion:
    city = Region.objects.get(code="330100")
    eligibility = [{"key": f"c{i}", "label": f"条件{i}", "failure": f"不符合{i}", "facts": facts, "expr": expr}
                   for i, (facts, expr) in enumerate(conditions)]
    return PolicyVersion(policy=Policy(region=city), number=1, eligibility=eligibility, amount=amount)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(conditions=st.lists(condition, min_size=1, max_size=3), amount=formula,
       rows=st.lists(st.one_of(st.none(), record), min_size=4, max_size=8))
def test_the_simulation_says_what_the_per_record_evaluator_says(conditions: Any, amount: Any, rows: Any) -> None:
    enterprises = list(Enterprise.objects.select_related("region").order_by("pk")[:len(rows)])
    sid = transaction.savepoint()
    try:
        _seed(enterprises, rows)
        version = _version(conditions, amount)
        if connection.vendor == "postgresql":
            assert simulation.simulate(version, sample=SAMPLE) is not None  # the SQL path, not the fallback
        reference = match_all_per_record(version, near_misses=SAMPLE)
        assert _got(version, SAMPLE) == _expected(reference, SAMPLE)
        # The builder's live count is the number of enterprises meeting every condition.
        counted = match_all_per_record(_version(conditions, {"expr": "1", "cap": "1"}))
        assert qualifying_count(eligibility=version.eligibility, region=version.policy.region) == len(counted.eligible)
    finally:
        transaction.savepoint_rollback(sid)


@pytest.mark.parametrize(("figure", "rate", "cap"), [
    (12.35, "0.5", "2000000"),  # 6.175 yuan: exactly half a fen, rounded up
    (31000000.5, "1000000000", "1e20"),  # intermediate values past 10¹⁵
    (0.3, "0.05", "2000000"),  # 0.015: the double is a hair below, the formula reads 0.3
])
def test_amounts_at_a_half_fen_or_huge_are_decided_by_the_formula(figure: float, rate: str, cap: str) -> None:
    enterprises = list(Enterprise.objects.select_related("region").order_by("pk")[:4])
    _seed(enterprises, [{"rd_spend": figure}] * 4)
    version = _version([([f"{PREFIX}.rd_spend"], {">": [_var("rd_spend"), 0]})],
                       {"expr": {"*": [_var("rd_spend"), {"param": "rate"}]}, "cap": cap,
                        "params": {"rate": [{"from": "2020-01-01", "value": rate}]}})
    reference = match_all_per_record(version, near_misses=SAMPLE)
    assert len(reference.eligible) >= 4
    assert _got(version, SAMPLE) == _expected(reference, SAMPLE)
    if connection.vendor == "postgresql":
        tally = simulation.simulate(version, sample=SAMPLE)
        assert tally is not None and tally.rechecked >= 4


def test_a_condition_without_an_exact_sql_form_falls_back_to_polars_with_the_same_answer() -> None:
    enterprises = list(Enterprise.objects.select_related("region").order_by("pk")[:4])
    _seed(enterprises, [{"rd_spend": 12, "high_tech": "是"}] * 4)
    # A number compared with a string: JSONLogic's loose coercion, which the SQL form refuses.
    version = _version([([f"{PREFIX}.rd_spend"], {"==": [_var("rd_spend"), "12"]})],
                       {"expr": "100", "cap": "100"})
    assert simulation.simulate(version, sample=SAMPLE) is None
    reference = match_all_per_record(version, near_misses=SAMPLE)
    assert len(reference.eligible) >= 4
    assert _got(version, SAMPLE) == _expected(reference, SAMPLE)
