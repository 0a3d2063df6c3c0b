"""Two simultaneous submissions with the same Idempotency-Key store one case (PostgreSQL row locking)."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from qinqing.accounts.services import issue_token
from qinqing.cases.models import Case
from qinqing.cases.tests.support import enterprise, form_data, matter_approved_for, new_key

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent writers need PostgreSQL; SQLite serialises them")
def test_concurrent_duplicates_with_the_same_key_store_one_case(demo_city_restored, transactional_db):
    user, matter = enterprise(0), matter_approved_for(0)
    token, _ = issue_token(user=user)
    key, body = new_key(), {"matter": matter.code, "data": form_data(matter)}
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def submit() -> None:
        try:
            client = Client(headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})
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
    assert len(results) == 2, results
    assert all(isinstance(r, tuple) for r in results), results
    assert [status for status, _ in results] in ([201, 201], [201, 200], [200, 201]), results
    assert results[0][1]["id"] == results[1][1]["id"]
    assert Case.objects.filter(applicant=user, idempotency_key=key).count() == 1
