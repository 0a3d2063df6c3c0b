"""The public catalog API: matters by board, Chinese search, guides with form schemas, headline counters."""

from __future__ import annotations

import pytest
from django.db.models import Count, Q
from django.test import Client

from qinqing.cases.models import Case
from qinqing.cases.tests.support import client_for, enterprise, form_data, matter_approved_for, new_key
from qinqing.catalog.models import Board, Matter

pytestmark = pytest.mark.django_db


def _matters(**params) -> list[dict]:
    response = Client().get("/api/v1/matters", params)
    assert response.status_code == 200
    return response.json()


def test_matter_list_has_the_whole_online_catalog():
    matters = _matters()
    assert len(matters) >= 98
    assert len(matters) == Matter.objects.online().count()
    assert sum(m["automatic"] for m in matters) >= 29
    assert len({m["code"] for m in matters}) == len(matters)


def test_matter_list_leaves_out_matters_taken_offline():
    matter = Matter.objects.online().order_by("code").first()
    Matter.objects.filter(pk=matter.pk).update(active=False)
    assert matter.code not in {m["code"] for m in _matters()}
    assert Client().get(f"/api/v1/matters/{matter.code}").status_code == 404


def test_catalog_has_six_boards_each_with_online_matters():
    boards = Board.objects.annotate(n=Count("matters", filter=Q(matters__active=True)))
    assert boards.count() == 6
    assert all(b.n > 0 for b in boards), [(b.code, b.n) for b in boards]
    listed = {m["board"] for m in _matters()}
    assert listed == {b.code for b in boards}


@pytest.mark.parametrize("board_index", range(6))
def test_board_filter_returns_only_that_boards_matters(board_index):
    board = Board.objects.order_by("order")[board_index]
    matters = _matters(board=board.code)
    assert matters
    assert {m["board"] for m in matters} == {board.code}
    assert len(matters) == Matter.objects.online().filter(board=board).count()


def test_unknown_board_filter_returns_nothing():
    assert _matters(board="no-such-board") == []


def test_chinese_search_finds_housing_fund_matters_first():
    matters = _matters(q="公积金")
    assert matters
    mentions = ["公积金" in m["name"] for m in matters]
    assert mentions[0]
    # every matter naming the housing fund ranks above every matter that does not
    assert mentions == sorted(mentions, reverse=True)
    expected = Matter.objects.online().filter(name__contains="公积金").count()
    assert sum(mentions) == expected


def test_search_with_no_match_returns_an_empty_list():
    assert _matters(q="火箭发射") == []


def test_matter_detail_publishes_its_form_schema_and_materials():
    matter = Matter.objects.online().filter(fields__isnull=False).order_by("code").first()
    response = Client().get(f"/api/v1/matters/{matter.code}")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == matter.code
    assert body["form"]
    for field in body["form"]:
        assert {"key", "label", "type", "required", "editable"} <= set(field)
        assert field["type"] in {"text", "textarea", "integer", "decimal", "date", "choice", "boolean"}
    assert [f["key"] for f in body["form"]] == list(matter.fields.values_list("key", flat=True))
    assert len(body["materials"]) == matter.materials.count()


def test_automatic_matter_detail_lists_its_published_conditions():
    matter = Matter.objects.online().filter(automatic=True, rule_set__isnull=False).order_by("code").first()
    body = Client().get(f"/api/v1/matters/{matter.code}").json()
    assert body["automatic"] is True
    version = matter.rule_set.current_version()
    assert [c["key"] for c in body["conditions"]] == [c["key"] for c in version.conditions]
    assert all(c["label"] for c in body["conditions"])


def test_unknown_matter_is_404_with_the_error_body():
    response = Client().get("/api/v1/matters/NO-SUCH-001")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def _stats() -> dict[str, int]:
    response = Client().get("/api/v1/stats")
    assert response.status_code == 200
    return response.json()


def test_stats_count_the_catalog_live_and_cases_from_the_outbox():
    from qinqing.cases.services.tallies import SERVICE_EVENTS
    from qinqing.core import events
    from qinqing.core.models import OutboxEvent

    events.consume_all()
    stats = _stats()
    assert stats["matters_online"] == Matter.objects.online().count()
    assert stats["matters_automatic"] == Matter.objects.online().filter(automatic=True, rule_set__isnull=False).count()
    rows = OutboxEvent.objects.all()
    assert stats["cases"] == rows.filter(name="case.submitted").count()
    assert stats["service_uses"] == rows.filter(name__in=[e.NAME for e in SERVICE_EVENTS]).count()
    assert stats["enterprises_served"] == rows.filter(name="case.submitted").values("enterprise").distinct().count()
    assert stats["cases"] <= Case.objects.count()


def test_stats_change_after_a_submission_once_its_commit_runs_the_consumers(django_capture_on_commit_callbacks):
    from qinqing.core import events

    events.consume_all()
    before = _stats()
    user = enterprise(0)
    matter = matter_approved_for(0)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user, **{"Idempotency-Key": new_key()}).post(
            "/api/v1/cases", {"matter": matter.code, "data": form_data(matter)}, content_type="application/json"
        )
    assert response.status_code == 201
    after = _stats()
    assert after["cases"] == before["cases"] + 1
    assert after["service_uses"] > before["service_uses"]
    assert after["matters_online"] == before["matters_online"]
    if not Case.objects.filter(enterprise=user.enterprise).exclude(pk=response.json()["id"]).exists():
        assert after["enterprises_served"] == before["enterprises_served"] + 1
