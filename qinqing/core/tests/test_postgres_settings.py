"""PostgreSQL sessions of the platform run without JIT (docs/performance.md, "re-match one enterprise")."""

from __future__ import annotations

import os

import pytest
from django.db import connection

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@pytest.mark.django_db
@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL setting")
def test_sessions_compile_no_query_just_in_time():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
