"""Concurrent claims and concurrent matching runs never overdraw a pool or pay twice (PostgreSQL threads)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from qinqing.core import events
from qinqing.policies.models import Entitlement, FundPool, LedgerEntry, Payout
from qinqing.policies.services import claim_policy, create_policy, publish_policy
from qinqing.policies.services.rematch import match_published
from qinqing.policies.tests.support import enterprise_user, officer, policy_data

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="concurrent writers need PostgreSQL")


@pytest.fixture
def demo_city_restored(django_db_blocker: Any) -> Any:
    yield
    from qinqing.web.demo import load_demo

    with django_db_blocker.unblock():
        load_demo()


def _race(jobs: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = []

    def run(job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=20)
            results.append(job())
        except Exception as exc:  # refusals are part of the outcome
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _consistent(policy: Any) -> FundPool:
    pool = FundPool.objects.get(policy=policy)
    payouts = Payout.objects.filter(entitlement__policy=policy)
    assert pool.committed + pool.paid <= pool.total
    assert pool.committed + pool.paid == sum((p.amount for p in payouts), Decimal(0))
    assert LedgerEntry.objects.filter(payout__in=payouts, kind="commit").count() == payouts.count()
    return pool


def test_concurrent_instant_claims_never_overdraw_the_pool(demo_city_restored, transactional_db):
    who = officer()
    policy = create_policy(officer=who, data=policy_data(mode="instant", budget="12000"))
    publish_policy(policy=policy, officer=who)
    users = [enterprise_user(i) for i in (0, 1, 2, 4, 7)]  # owed 10,000 / 10,000 / 2,000 / 8,000 / 5,000
    results = _race([lambda u=u: claim_policy(policy=policy, user=u) for u in users])
    assert len(results) == 5
    pool = _consistent(policy)
    assert pool.committed + pool.paid > 0
    assert Entitlement.objects.filter(policy=policy).count() == Payout.objects.filter(entitlement__policy=policy).count()


def test_two_matching_runs_at_once_grant_and_commit_each_entitlement_once(demo_city_restored, transactional_db):
    who = officer()
    policy = create_policy(officer=who, data=policy_data())
    publish_policy(policy=policy, officer=who)
    policy.refresh_from_db()
    version = policy.current_version_id

    def run() -> int:
        with events.atomic():
            return match_published(policy_id=policy.pk, version_id=version)

    results = _race([run, run])
    assert len(results) == 2
    assert Entitlement.objects.filter(policy=policy).count() == 5
    assert Payout.objects.filter(entitlement__policy=policy).count() == 5
    _consistent(policy)
