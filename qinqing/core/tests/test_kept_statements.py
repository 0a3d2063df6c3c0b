"""A transaction's held-back rows: the statement's text kept per shape, its parameters as Django compiles them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models.functions import Now

from qinqing.core.events import together
from qinqing.core.models import OutboxEvent

pytestmark = pytest.mark.django_db


def _events(n: int, name: str = "CaseSubmitted") -> list[OutboxEvent]:
    at = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
    return [OutboxEvent(name=name, version=1, payload={"case_id": i, "名": "秒办"}, enterprise="91330108MA27XXXX0X",
                        region="330108", occurred_at=at + dt.timedelta(seconds=i)) for i in range(n)]


@pytest.mark.parametrize("n", [1, 3])
def test_a_shape_seen_before_gets_the_kept_text_and_the_parameters_django_compiles(n):
    together.member(_events(n))  # first sight: compiled by Django and checked
    rows = _events(n, name="LicenceIssued")
    text, params, key = together.member(rows)
    assert key == (OutboxEvent, False, n)
    fields = together.insert_fields(OutboxEvent, False)
    compiled_text, compiled_params = together._compiled(OutboxEvent, fields, rows, raw=True)
    assert text == compiled_text
    assert together._same(params, compiled_params)
    assert "LicenceIssued" in str(params)


def test_a_value_given_as_an_expression_is_compiled_every_time_and_not_kept():
    rows = _events(1)
    rows[0].occurred_at = Now()
    text, params, key = together.member(rows)
    assert key is None
    assert text.count("%s") == len(params) == len(together.insert_fields(OutboxEvent, False)) - 1, \
        "the expression is written into the text, not passed as a value"


def test_different_texts_are_different_statements_and_a_kept_shape_is_reused():
    first = together.statement(["INSERT INTO a (x) VALUES (%s)", "INSERT INTO b (y) VALUES (%s)"], ("t", 1))
    again = together.statement(["INSERT INTO a (x) VALUES (%s)", "INSERT INTO b (y) VALUES (%s)"], ("t", 1))
    other = together.statement(["INSERT INTO a (x, z) VALUES (%s, %s)", "INSERT INTO b (y) VALUES (%s)"], ("t", 2))
    assert again is first
    assert first.name != other.name, "a changed text (new column, other row count) never reuses a prepared name"
    assert first.text.startswith("WITH w0 AS (INSERT INTO a")
    assert first.numbered == "WITH w0 AS (INSERT INTO a (x) VALUES ($1)) INSERT INTO b (y) VALUES ($2)"
    unkept = together.statement(["INSERT INTO c (x) VALUES (%s)"], None)
    assert unkept.name == "" and unkept.text == "INSERT INTO c (x) VALUES (%s)"


def test_a_literal_percent_sign_stays_one_in_the_prepared_text():
    assert together._numbered("SELECT %s LIKE 'a%%' || %s") == "SELECT $1 LIKE 'a%' || $2"


def test_a_kept_statement_writes_the_same_rows_prepared_or_not(settings):
    rows_plain, rows_prepared = _events(2, name="Plain"), _events(2, name="Prepared")
    for rows, prepare in ((rows_plain, False), (rows_prepared, True)):
        settings.QINQING_DB_PREPARE = prepare
        text, params, key = together.member(rows)
        together.member(rows)  # the second sight is the kept one
        text, params, key = together.member(_events(2, name=rows[0].name))
        together.execute(together.statement([text], ("test", key)), params)
    stored = {name: list(OutboxEvent.objects.filter(name=name).order_by("seq")
                         .values_list("version", "payload", "enterprise", "region", "occurred_at"))
              for name in ("Plain", "Prepared")}
    assert stored["Plain"] == stored["Prepared"] and len(stored["Plain"]) == 2
    if connection.vendor == "postgresql":
        assert together.statement([text], ("test", key)).name in together.prepared_names()
