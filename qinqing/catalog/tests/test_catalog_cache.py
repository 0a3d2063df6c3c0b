"""Each process keeps the catalog it read; a change anywhere is seen by every process at its next use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qinqing.accounts.models import Department
from qinqing.catalog import cache
from qinqing.catalog.models import Board, FormField, Matter
from qinqing.rules.models import RuleSet
from qinqing.rules.services import publish_rule_set_version

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def _automatic_matter() -> Matter:
    matter = Matter.objects.online().filter(rule_set__isnull=False).order_by("code").first()
    assert matter is not None
    return matter


@pytest.mark.django_db
def test_a_kept_matter_costs_one_look_at_the_version():
    code = _automatic_matter().code
    first = cache.online_matter(code)
    with CaptureQueriesContext(connection) as queries:
        again = cache.online_matter(code)
        fields, materials = list(again.fields.all()), list(again.materials.all())
        version = again.rule_set.current_version()
    assert again is first
    assert fields and version is not None and isinstance(materials, list)
    assert len(queries) == 1, [q["sql"] for q in queries]


@pytest.mark.django_db
def test_an_edit_of_the_matter_its_form_or_its_rules_is_seen_at_the_next_use():
    matter = _automatic_matter()
    kept = cache.online_matter(matter.code)
    before = cache.current_version()[0]

    matter.name = "改过的事项名称"
    matter.save()
    assert cache.online_matter(matter.code).name == "改过的事项名称"
    assert cache.current_version()[0] > before

    FormField.objects.create(matter=matter, key="added_by_test", label="新增字段", type=FormField.Type.TEXT,
                             required=False, order=999)
    assert "added_by_test" in [f.key for f in cache.online_matter(matter.code).fields.all()]

    conditions = matter.rule_set.current_version().conditions
    version = publish_rule_set_version(rule_set=matter.rule_set, conditions=conditions, note="test")
    assert cache.online_matter(matter.code).rule_set.current_version() == version
    assert cache.online_matter(matter.code) is not kept

    matter.active = False
    matter.save()
    assert cache.online_matter(matter.code) is None, "a matter taken offline is gone at once"


@pytest.mark.django_db
def test_loadcatalog_bumps_the_version_even_for_changes_without_row_signals():
    matter = _automatic_matter()
    cache.online_matter(matter.code)
    Matter.objects.filter(pk=matter.pk).update(name="批量改名")  # no signal: a kept copy does not know
    assert cache.online_matter(matter.code).name != "批量改名"
    from qinqing.catalog.services import load_catalog

    load_catalog()  # rewrites the name from the data files and bumps
    assert cache.online_matter(matter.code).name == Matter.objects.get(pk=matter.pk).name


CHILD = r"""
import json, sys
import django
django.setup()
from django.db import connection, reset_queries
from django.conf import settings
settings.DEBUG = True
from qinqing.catalog import cache
for line in sys.stdin:
    reset_queries()
    matter = cache.online_matter(line.strip())
    print(json.dumps({"name": matter.name if matter else None, "queries": len(connection.queries)}), flush=True)
"""


class Process:
    """Another server process: asks its own kept catalog for a matter by code, one line per request."""

    def __init__(self, database: str) -> None:
        env = {**os.environ, "DATABASE_URL": database, "QINQING_TESTING": "1",
               "DJANGO_SETTINGS_MODULE": "qinqing.settings"}
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=env, cwd=Path(settings.BASE_DIR).parent)

    def ask(self, code: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(code + "\n")
        self.proc.stdin.flush()
        return dict(json.loads(self.proc.stdout.readline()))

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.mark.skipif(not ON_POSTGRES, reason="two processes share a committed database: PostgreSQL")
def test_two_processes_see_a_change_one_of_them_made_at_their_next_request(demo_city_restored, transactional_db):
    department = Department.objects.create(code="TST-CACHE", name="缓存测试局")
    board = Board.objects.create(code="tst-cache", name="缓存测试", order=99)
    rule_set = RuleSet.objects.create(code="TST-CACHE-1", name="缓存测试")
    publish_rule_set_version(rule_set=rule_set, conditions=_automatic_matter().rule_set.current_version().conditions)
    matter = Matter.objects.create(code="TST-CACHE-1", name="旧名称", board=board, department=department,
                                   rule_set=rule_set, automatic=True, matter_type="行政许可", kind="immediate",
                                   legal_basis="测试", statutory_limit=20, statutory_unit="working_days",
                                   promised_limit=1, promised_unit="working_days", licence_name="测试证")
    settings_dict = connection.settings_dict
    url = (f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/"
           f"{settings_dict['NAME']}")
    first, second = Process(url), Process(url)
    try:
        assert first.ask(matter.code)["name"] == "旧名称"
        assert first.ask(matter.code) == {"name": "旧名称", "queries": 1}, "kept: one look at the version"
        assert second.ask(matter.code)["name"] == "旧名称"

        matter.name = "新名称"  # an admin save in this (a third) process
        matter.save()
        assert first.ask(matter.code)["name"] == "新名称", "the very next request after the commit sees it"
        assert second.ask(matter.code)["name"] == "新名称"
        assert first.ask(matter.code) == {"name": "新名称", "queries": 1}
    finally:
        first.close()
        second.close()
