"""Policies as knowledge, when the `policies` app is installed: read defensively, since its shape may vary."""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
from django.core.exceptions import SynchronousOnlyOperation
from django.db import DatabaseError
from django.urls import NoReverseMatch, reverse
from django.utils.html import strip_tags

from qinqing.servicedesk.assistant.types import Entry

logger = logging.getLogger(__name__)

# Policies are an optional source: an unreadable table (not migrated yet, an async caller, a test
# without database access) means answering without them, never failing the question.
UNREADABLE = (DatabaseError, SynchronousOnlyOperation, RuntimeError)

APP = "qinqing.policies"
# Named through variables: the model is looked up at run time, since the app may not be installed.
MODEL_LABEL: str = "policies.Policy"
TITLE_FIELDS = ("title", "name")
TEXT_FIELDS = ("summary", "description", "content", "body", "eligibility_text", "conditions_text", "amount_text")
KEY_FIELDS = ("code", "slug", "key")
URL_NAMES = ("policies:detail", "policies:policy", "policies:guide")


def _model() -> Any:
    if not apps.is_installed(APP):
        return None
    try:
        return apps.get_model(MODEL_LABEL)
    except LookupError:
        return None


def policy_fingerprint() -> tuple[int, int]:
    """(count, highest id) of the policies: a change rebuilds the index. (0, 0) without the app."""
    model = _model()
    if model is None:
        return (0, 0)
    try:
        rows = list(model.objects.order_by("-pk").values_list("pk", flat=True)[:1])
        return (model.objects.count(), rows[0] if rows else 0)
    except UNREADABLE:
        return (0, 0)


def _first(obj: Any, names: tuple[str, ...]) -> str:
    for name in names:
        value = getattr(obj, name, None)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def _url(policy: Any, key: str) -> str:
    for name in URL_NAMES:
        for arg in (key, policy.pk):
            try:
                return reverse(name, args=[arg])
            except NoReverseMatch:
                continue
    return ""


def policy_entries() -> list[Entry]:
    """Return one entry per published policy; a policy without a page on the site is left out."""
    model = _model()
    if model is None:
        return []
    manager = model.objects
    entries: list[Entry] = []
    try:
        queryset = manager.published() if hasattr(manager, "published") else manager.all()
        policies = list(queryset[:5000])
    except UNREADABLE:
        logger.warning("policies table not readable; the assistant answers without policies")
        return []
    for policy in policies:
        key = _first(policy, KEY_FIELDS) or str(policy.pk)
        url = _url(policy, key)
        title = _first(policy, TITLE_FIELDS)
        if not url or not title:
            continue
        text = "。".join(strip_tags(t) for t in (getattr(policy, f, "") for f in TEXT_FIELDS) if isinstance(t, str) and t)
        entries.append(Entry(key=f"policy:{key}", kind="policy", ref=key, title=title,
                             text=text or title, url=url, keywords=("政策", "补贴", "申报", "兑付"), weight=1.05))
    return entries
