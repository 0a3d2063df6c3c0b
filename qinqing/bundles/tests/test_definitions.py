"""Bundle definitions: the step graph, the merged form, loading, the admin, and the reduction they compute."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from qinqing.accounts.models import User
from qinqing.bundles import services
from qinqing.bundles.definitions import DefinitionError, check_graph, merge, reduction
from qinqing.bundles.models import Bundle, BundleStep
from qinqing.bundles.tests.support import INDUSTRIAL, SOCIAL, bundle
from qinqing.catalog.models import FormField, Matter

pytestmark = pytest.mark.django_db


# ---- the step graph ------------------------------------------------------------------------------


def test_check_graph_orders_steps_after_the_steps_they_wait_for():
    order = check_graph([("c", ["a", "b"]), ("b", ["a"]), ("a", [])])
    assert order == ["a", "b", "c"]


def test_check_graph_refuses_a_cycle_naming_the_steps_in_it():
    with pytest.raises(DefinitionError) as refused:
        check_graph([("start", []), ("permit", ["start", "survey"]), ("survey", ["permit"])])
    message = str(refused.value)
    assert "permit → survey → permit" in message or "survey → permit → survey" in message
    assert "start" not in message.split(":")[-1], "a step outside the cycle is not part of it"


def test_check_graph_refuses_a_step_waiting_for_an_unknown_step():
    with pytest.raises(DefinitionError) as refused:
        check_graph([("filing", []), ("permit", ["filing", "ghost"])])
    assert '"permit"' in str(refused.value)
    assert '"ghost"' in str(refused.value)


def test_check_graph_refuses_a_step_waiting_for_itself():
    with pytest.raises(DefinitionError) as refused:
        check_graph([("filing", ["filing"])])
    assert '"filing"' in str(refused.value)


# ---- the merged form -----------------------------------------------------------------------------


def test_merge_asks_a_field_shared_by_several_steps_once():
    form = services.merged_form(bundle(SOCIAL))
    handlers = [f for f in form.fields if f.key == "handler"]
    assert len(handlers) == 1
    assert sorted(handlers[0].steps) == ["employee_insurance", "housing_fund", "medical_insurance", "social_insurance"]
    assert handlers[0] in form.shared()
    assert len({f.key for f in form.fields}) == len(form.fields)


def test_merge_asks_a_mapped_field_under_the_merged_key():
    form = services.merged_form(bundle(SOCIAL))
    plan = next(p for p in form.plans if p.step.key == "employee_insurance")
    assert plan.asked["start_date"] == "contribution_start"
    assert "start_date" not in form.by_key()
    assert "employee_insurance" in form.by_key()["contribution_start"].steps


def test_merge_leaves_disabled_steps_out():
    steps = services.steps_of(bundle(SOCIAL))
    assert [s.key for s in steps if not s.enabled] == ["employee_fund"]
    assert "employee_fund" not in [p.step.key for p in merge(steps).plans]


def test_merge_refuses_one_merged_key_with_two_types():
    matter = Matter.objects.get(code="RSJ-004")
    assert matter.fields.get(key="start_date").type == FormField.Type.DATE
    assert matter.fields.get(key="handler").type == FormField.Type.TEXT
    steps = [
        BundleStep(key="employer", matter=Matter.objects.get(code="RSJ-003"), order=0),
        BundleStep(key="employee", matter=matter, order=1, inputs={"start_date": "form.handler"}),
    ]
    with pytest.raises(DefinitionError) as refused:
        merge(steps)
    assert '"handler"' in str(refused.value)


def test_merge_refuses_an_input_from_a_step_it_does_not_wait_for():
    steps = [
        BundleStep(key="filing", matter=Matter.objects.get(code="FGW-001"), order=0),
        BundleStep(key="land", matter=Matter.objects.get(code="GHZY-001"), order=1,
                   inputs={"project_code": "steps.filing.licence_number"}),
    ]
    with pytest.raises(DefinitionError) as refused:
        merge(steps)
    assert '"land"' in str(refused.value)


# ---- loading definitions -------------------------------------------------------------------------


def _write(tmp_path, rows) -> object:
    path = tmp_path / "bundles.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


def _snapshot() -> list[tuple]:
    return list(BundleStep.objects.order_by("id").values_list("bundle__code", "key", "requires", "inputs", "matter_id"))


def _good_row(code: str) -> dict:
    return {"code": code, "name": "社保登记（测试）", "lead_department": "RSJ",
            "steps": [{"key": "social_insurance", "matter": "RSJ-003"}]}


def test_load_bundles_refuses_a_cyclic_file_and_leaves_the_database_unchanged(tmp_path):
    before, names = _snapshot(), dict(Bundle.objects.values_list("code", "name"))
    renamed = {**_good_row(SOCIAL), "name": "改过的名称"}
    cyclic = {"code": "tmp-cycle", "name": "循环", "lead_department": "FGW", "steps": [
        {"key": "a", "matter": "FGW-001", "requires": ["b"]},
        {"key": "b", "matter": "GHZY-001", "requires": ["a"]},
    ]}
    with pytest.raises(DefinitionError) as refused:
        services.load_bundles(_write(tmp_path, [_good_row("tmp-first"), renamed, cyclic]))
    assert "a → b → a" in str(refused.value) or "b → a → b" in str(refused.value)
    assert _snapshot() == before
    assert dict(Bundle.objects.values_list("code", "name")) == names


def test_load_bundles_rolls_back_a_definition_refused_after_its_steps_were_written(tmp_path):
    before = _snapshot()
    wrong_input = {"code": INDUSTRIAL, "name": "工业项目", "lead_department": "FGW", "steps": [
        {"key": "filing", "matter": "FGW-001"},
        {"key": "land_planning", "matter": "GHZY-001", "inputs": {"project_code": "steps.filing.licence_number"}},
    ]}
    with pytest.raises(DefinitionError):
        services.load_bundles(_write(tmp_path, [wrong_input]))
    assert _snapshot() == before
    assert bundle(INDUSTRIAL).steps.count() == 7


def test_load_bundles_creates_a_valid_definition(tmp_path):
    assert services.load_bundles(_write(tmp_path, [_good_row("tmp-valid")])) == 1
    assert list(bundle("tmp-valid").steps.values_list("key", flat=True)) == ["social_insurance"]


# ---- the admin -----------------------------------------------------------------------------------


def _admin() -> Client:
    client = Client()
    client.force_login(User.objects.get(username="admin"), backend="django.contrib.auth.backends.ModelBackend")
    return client


def _change_form(b: Bundle, requires: dict[str, list[str]]) -> dict[str, Any]:
    steps = list(b.steps.order_by("order", "id"))
    post: dict[str, Any] = {
        "code": b.code, "name": b.name, "name_en": b.name_en, "lead_department": str(b.lead_department_id),
        "summary": b.summary, "summary_en": b.summary_en, "basis": b.basis, "confidence": b.confidence,
        "order": str(b.order), "active": "on",
        "steps-TOTAL_FORMS": str(len(steps)), "steps-INITIAL_FORMS": str(len(steps)),
        "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000",
    }
    if b.government_acts:
        post["government_acts"] = "on"
    for i, s in enumerate(steps):
        post.update({
            f"steps-{i}-id": str(s.pk), f"steps-{i}-bundle": str(b.pk), f"steps-{i}-order": str(s.order),
            f"steps-{i}-key": s.key, f"steps-{i}-matter": str(s.matter_id),
            f"steps-{i}-requires": list(requires.get(s.key, s.requires)), f"steps-{i}-performer": s.performer,
            f"steps-{i}-inputs": json.dumps(s.inputs), f"steps-{i}-note": s.note,
        })
        if s.enabled:
            post[f"steps-{i}-enabled"] = "on"
    return post


def test_admin_refuses_saving_a_bundle_whose_steps_form_a_cycle():
    b, before = bundle(SOCIAL), _snapshot()
    url = f"/admin/bundles/bundle/{b.pk}/change/"
    response = _admin().post(url, _change_form(b, {"social_insurance": ["housing_fund"],
                                                  "housing_fund": ["social_insurance"]}))
    assert response.status_code == 200
    # A step may wait only for an earlier step, so the editor cannot even express the cycle.
    formset = next(f.formset for f in response.context["inline_admin_formsets"])
    first = next(form for form in formset.forms if form.instance.key == "social_insurance")
    assert "requires" in first.errors
    assert _snapshot() == before


def test_admin_saves_the_same_form_without_the_cycle():
    b = bundle(SOCIAL)
    response = _admin().post(f"/admin/bundles/bundle/{b.pk}/change/",
                             _change_form(b, {"housing_fund": ["social_insurance"]}))
    assert response.status_code == 302, response.context and [
        f.formset.errors for f in response.context["inline_admin_formsets"]]
    assert b.steps.get(key="housing_fund").requires == ["social_insurance"]


# ---- the reduction -------------------------------------------------------------------------------


def test_industrial_reduction_is_of_the_published_order_and_matches_the_api():
    computed = reduction(services.merged_form(bundle(INDUSTRIAL)))
    fields, materials = computed["fields"], computed["materials"]
    assert fields["bundled"] <= 0.25 * fields["separate"]
    assert materials["bundled"] <= 0.30 * materials["separate"]
    assert (fields["separate"], fields["bundled"], materials["separate"], materials["bundled"]) == (314, 59, 46, 10)
    response = Client().get(f"/api/v1/bundles/{INDUSTRIAL}")
    assert response.status_code == 200
    assert response.json()["reduction"] == computed


def test_reduction_counts_every_field_of_every_step_separately():
    form = services.merged_form(bundle(SOCIAL))
    computed = reduction(form)["fields"]
    assert computed["separate"] == sum(p.step.matter.fields.count() for p in form.plans)
    assert computed["bundled"] == len([f for f in form.fields if not f.from_data])
    assert computed["bundled"] < computed["separate"]


def test_bundle_list_holds_every_online_bundle_and_no_other():
    Bundle.objects.filter(code="licence-beauty").update(active=False)
    response = Client().get("/api/v1/bundles")
    assert response.status_code == 200
    listed = [b["code"] for b in response.json()]
    assert listed == list(Bundle.objects.online().values_list("code", flat=True))
    assert INDUSTRIAL in listed and SOCIAL in listed
    assert "licence-beauty" not in listed
    assert Client().get("/api/v1/bundles/licence-beauty").status_code == 404


def test_bundle_detail_shows_the_graph_and_who_performs_each_step():
    detail = Client().get(f"/api/v1/bundles/{INDUSTRIAL}").json()
    steps = {s["key"]: s for s in detail["dag"]}
    assert steps["filing"]["requires"] == [] and steps["filing"]["level"] == 0
    assert steps["filing"]["performer"] == "enterprise"
    assert steps["land_planning"]["from_earlier_steps"]["project_code"] == "filing.project_code"
    assert steps["construction"]["level"] == max(s["level"] for s in detail["dag"])
    assert {s["performer"] for k, s in steps.items() if k != "filing"} == {"agent"}
