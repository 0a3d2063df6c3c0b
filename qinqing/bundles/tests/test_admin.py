"""The bundle editor in the admin: every input labelled; prerequisites picked from earlier steps."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from qinqing.accounts.models import User
from qinqing.bundles.admin import StepForm
from qinqing.bundles.models import BundleStep
from qinqing.bundles.tests.support import INDUSTRIAL, bundle

pytestmark = pytest.mark.django_db


def _admin() -> Client:
    user = User.objects.create_superuser(username="bundle_editor", password="Qinqing@2026x")
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_every_input_of_the_bundle_editor_has_a_label():
    b = bundle(INDUSTRIAL)
    page = _admin().get(f"/admin/bundles/bundle/{b.pk}/change/").content.decode()
    labelled = set(re.findall(r'<label[^>]*for="([^"]+)"', page))
    controls = re.findall(r'<(input|select|textarea)\b([^>]*)>', page)
    unlabelled = []
    for tag, attrs in controls:
        kind = re.search(r'type="([^"]+)"', attrs)
        if kind and kind.group(1) in {"hidden", "submit", "button"}:
            continue
        found = re.search(r'\bid="([^"]+)"', attrs)
        if "__prefix__" in attrs or "aria-label=" in attrs:
            continue  # the hidden template row for "add another", or named by aria-label
        if not found or found.group(1) not in labelled:
            unlabelled.append(f"<{tag}{attrs[:80]}>")
    assert not unlabelled, unlabelled[:10]
    assert not re.search(r'<textarea[^>]*name="steps-\d+-requires"', page), "prerequisites are not typed as JSON"


def test_prerequisites_are_chosen_from_the_earlier_steps():
    b = bundle(INDUSTRIAL)
    steps = list(b.steps.order_by("order", "id"))
    later = next(s for s in steps if s.requires)
    form = StepForm(instance=later)
    offered = [value for value, _label in form.fields["requires"].choices]
    earlier = [s.key for s in steps if (s.order, s.pk) < (later.order, later.pk)]
    assert offered[: len(earlier)] == earlier
    assert later.key not in offered, "a step never waits for itself"
    assert set(form.initial["requires"]) == set(later.requires)
    page = _admin().get(f"/admin/bundles/bundle/{b.pk}/change/").content.decode()
    assert 'type="checkbox" name="steps-' in page and "-requires" in page


def test_saving_a_step_keeps_the_chosen_prerequisites():
    b = bundle(INDUSTRIAL)
    step = next(s for s in b.steps.order_by("order", "id") if s.requires)
    data = {"order": step.order, "key": step.key, "matter": step.matter_id, "requires": list(step.requires),
            "performer": step.performer, "enabled": "on" if step.enabled else "", "inputs": "{}",
            "note": step.note, "note_en": step.note_en}
    form = StepForm(data=data, instance=step)
    assert form.is_valid(), form.errors
    saved = form.save()
    assert BundleStep.objects.get(pk=saved.pk).requires == list(step.requires)
