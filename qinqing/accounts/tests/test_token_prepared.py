"""On PostgreSQL the bearer-token lookup runs as a statement prepared once per connection, outside transactions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.accounts.services import issue_token, token_for_key
from qinqing.accounts.tests.test_token_lookup import _same


def test_on_postgresql_the_lookup_is_prepared_once_and_survives_a_session_that_lost_it(demo_city_restored, transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    from qinqing.core.events import together

    user = User.objects.filter(enterprise__isnull=False).order_by("pk").first()
    key, _ = issue_token(user=user)
    now = timezone.now()
    assert not connection.in_atomic_block
    for reset in ("", "DEALLOCATE ALL", "DISCARD ALL"):
        if reset:
            with connection.cursor() as cursor:  # what a pooler's reset does behind the platform's back
                cursor.execute(reset)
        with CaptureQueriesContext(connection) as queries:
            _same(key, now)
            _same(key, now)
        executed = [q["sql"] for q in queries if q["sql"].startswith("EXECUTE qq_r_")]
        prepared = [q["sql"] for q in queries if q["sql"].startswith("PREPARE qq_r_")]
        # After a reset the first EXECUTE meets the lost statement (and says so), then it is prepared again.
        assert len(executed) == (3 if reset else 2) and len(prepared) == (1 if reset else len(prepared)), executed
        assert len(prepared) <= 1, "prepared at most once per connection, and once again after a reset"
        assert executed[-1].split("(")[0].split()[1] in together.prepared_names()
    assert token_for_key(key) is not None and token_for_key("not-a-key") is None
