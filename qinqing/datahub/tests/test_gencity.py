"""The synthetic city: valid, placed, marked synthetic, removable; its snapshot gives `facts_for`'s facts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from qinqing.accounts.models import Enterprise
from qinqing.core.ids import is_valid_uscc
from qinqing.core.models import OutboxEvent
from qinqing.datahub import snapshot
from qinqing.datahub.models import DataRecord, RegistryRecord
from qinqing.datahub.queries import facts_for
from qinqing.datahub.synthetic.city import CityPlan, clear_city, generate_city, synthetic_uscc
from qinqing.rules import batch
from qinqing.rules.engine import APPROVE, evaluate, parse_rule_set

pytestmark = pytest.mark.django_db


def test_synthetic_codes_are_valid_and_never_repeat():
    codes = {synthetic_uscc(i, "330108", 12345) for i in range(20_000)}
    assert len(codes) == 20_000
    assert all(is_valid_uscc(code) for code in codes)


def test_gencity_writes_enterprises_records_and_events_all_marked_synthetic():
    real_before = Enterprise.objects.filter(synthetic=False).count()
    events_before = OutboxEvent.objects.filter(name="enterprise.facts_changed").count()
    counts = generate_city(CityPlan(enterprises=240, batch=100, months=3, years=2))
    assert counts["enterprises"] == 240
    synthetic = RegistryRecord.objects.filter(synthetic=True)
    assert synthetic.count() == 240 and Enterprise.objects.filter(synthetic=True).count() == 240
    assert all(is_valid_uscc(code) for code in synthetic.values_list("uscc", flat=True))
    assert set(synthetic.values_list("status", flat=True)) <= {"存续", "在业", "注销", "吊销", "迁出"}
    assert len(set(synthetic.values_list("status", flat=True))) >= 3
    assert len(set(synthetic.values_list("industry_code", flat=True))) >= 15
    regions = Enterprise.objects.filter(synthetic=True).values_list("region__path", flat=True)
    assert all(path.startswith("330100/") for path in regions)
    assert any(path.count("/") == 4 and path.startswith("330100/330108/") for path in regions)  # 滨江 communities
    assert DataRecord.objects.filter(synthetic=True, source__code="social_monthly").exists()
    assert OutboxEvent.objects.filter(name="enterprise.facts_changed").count() == events_before + 240
    assert Enterprise.objects.filter(synthetic=False).count() == real_before


def test_a_second_run_adds_new_enterprises_and_clear_removes_only_synthetic_rows():
    real = set(RegistryRecord.objects.filter(synthetic=False).values_list("uscc", flat=True))
    generate_city(CityPlan(enterprises=50, batch=50, months=1, years=1))
    generate_city(CityPlan(enterprises=50, batch=50, months=1, years=1))
    assert RegistryRecord.objects.filter(synthetic=True).count() == 100
    clear_city()
    assert not RegistryRecord.objects.filter(synthetic=True).exists()
    assert not DataRecord.objects.filter(synthetic=True).exists()
    assert not Enterprise.objects.filter(synthetic=True).exists()
    assert set(RegistryRecord.objects.values_list("uscc", flat=True)) == real


def test_the_command_refuses_nonsense_and_reports_what_it_wrote(capsys):
    with pytest.raises(Exception, match="--enterprises"):
        call_command("gencity")
    with pytest.raises(Exception, match="--batch"):
        call_command("gencity", "--enterprises", "5", "--batch", "0")
    call_command("gencity", "--enterprises", "30", "--quiet", "--months", "1")
    assert "30 enterprises" in capsys.readouterr().out


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return None if value == "" else value


def test_the_snapshot_holds_exactly_the_facts_facts_for_gives_each_enterprise():
    generate_city(CityPlan(enterprises=120, batch=60, months=2, years=2))
    frame = snapshot.build_snapshot()
    columns = snapshot.fact_columns()
    assert frame.height == RegistryRecord.objects.count()
    for row in frame.sample(n=25, seed=1).to_dicts():
        held = {name: _plain(fact.value) for name, fact in facts_for(row["uscc"]).items()}
        for name in [*columns, snapshot.YEARS]:
            assert _plain(row[name]) == held.get(name), (row["uscc"], name)


def test_partitions_split_the_registry_without_overlap():
    generate_city(CityPlan(enterprises=90, batch=90, months=1, years=1))
    parts = [snapshot.build_snapshot(["annual.rd_spend"], partitions=4, part=p)["uscc"].to_list() for p in range(4)]
    flat = [code for part in parts for code in part]
    assert len(flat) == len(set(flat)) == RegistryRecord.objects.count()


def test_matching_a_policy_over_the_snapshot_agrees_with_the_evaluator_in_polars_and_in_sql():
    generate_city(CityPlan(enterprises=200, batch=100, months=2, years=2))
    spec = parse_rule_set([
        {"key": "active", "label": "存续", "failure": "非存续", "facts": ["registry.status"],
         "expr": {"in": [{"var": "registry.status"}, ["存续", "在业"]]}},
        {"key": "rd", "label": "研发", "failure": "研发不足", "facts": ["annual.rd_spend", "annual.revenue"],
         "expr": {">=": [{"/": [{"var": "annual.rd_spend"}, {"var": "annual.revenue"}]}, 0.03]}},
        {"key": "young", "label": "成立年限", "failure": "成立过久", "facts": ["registry.years_established"],
         "expr": {"<=": [{"var": "registry.years_established"}, 10]}},
    ])
    frame = snapshot.build_snapshot()
    schema = snapshot.schema()
    chosen = set(frame.filter(batch.eligible_expr(spec, schema))["uscc"].to_list())
    from qinqing.datahub.queries import fact_values
    expected = {code for code in frame["uscc"].to_list()
                if evaluate(spec, fact_values(facts_for(code))).outcome == APPROVE}
    assert chosen == expected and chosen
    table = snapshot.materialise_snapshot()
    from django.db import connection
    where = batch.sql_eligible(spec, schema, vendor=connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT uscc FROM "{table}" WHERE {where.sql}', where.params)
        assert {r[0] for r in cursor.fetchall()} == expected
