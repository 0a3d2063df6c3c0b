"""Shared fixtures: the demo city loaded once per test database, isolated caches, the demo enterprise."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    from qinqing.web.demo import load_demo

    with django_db_blocker.unblock():
        load_demo()


@pytest.fixture(autouse=True)
def _isolated_caches() -> Any:
    from qinqing.catalog import cache as catalog_cache
    from qinqing.core.calendar import invalidate
    from qinqing.datahub import sources as kept_sources

    invalidate()
    catalog_cache.forget()
    kept_sources.forget()
    yield
    invalidate()
    catalog_cache.forget()
    kept_sources.forget()


@pytest.fixture
def enterprise_user(db: Any) -> Any:
    from qinqing.accounts.models import User
    from qinqing.web.demo import demo_uscc

    return User.objects.get(username=demo_uscc(0))


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """channels closes "old" connections around every database call of a consumer; with PostgreSQL's
    CONN_MAX_AGE=0 that closes the test's own connection in the middle of its transaction. The test
    database connection lives for the test; production keeps channels' behaviour."""
    import channels.db

    monkeypatch.setattr(channels.db, "close_old_connections", lambda **kwargs: None)


@pytest.fixture
def demo_city_restored(django_db_blocker: Any) -> Any:
    """Reload the demo city after a transactional test (`transactional_db`) has flushed the database."""
    yield
    from qinqing.web.demo import load_demo

    with django_db_blocker.unblock():
        load_demo()
