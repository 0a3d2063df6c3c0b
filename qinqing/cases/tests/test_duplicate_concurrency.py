"""Two simultaneous applications a matter allows once: one is stored, the other refused (PostgreSQL)."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from qinqing.accounts.services import issue_token
from qinqing.cases.models import Case
from qinqing.cases.tests.support import enterprise, form_data, new_key
from qinqing.catalog.models import Matter

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent writers need PostgreSQL; SQLite serialises them")
def test_two_simultaneous_payout_applications_store_one_case(demo_city_restored, transactional_db):
    user = enterprise(0)
    matter = Matter.objects.get(code="RSJ-006")  # 稳岗返还: once a year
    token, _ = issue_token(user=user)
    body = {"matter": matter.code, "data": form_data(matter)}
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def submit() -> None:
        try:
            # different keys: two separate applications, not a retry
            client = Client(headers={"Authorization": f"Bearer {token}", "Idempotency-Key": new_key()})
            barrier.wait(timeout=10)
            response = client.post("/api/v1/cases", body, content_type="application/json")
            results.append((response.status_code, response.json()))
        except Exception as exc:  # surfaced by the assertions below
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2 and all(isinstance(r, tuple) for r in results), results
    assert sorted(status for status, _ in results) == [201, 409], results
    won = next(body for status, body in results if status == 201)
    lost = next(body for status, body in results if status == 409)
    assert lost["existing"]["id"] == won["id"]
    assert Case.objects.filter(enterprise=user.enterprise, matter=matter).count() == 1
