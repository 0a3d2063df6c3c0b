"""The catalog as each process keeps it: a matter with its board, department, form, materials and current rules.

A submission needs the matter, its board and department, its form fields, its material
requirements and its rule set's current version: five or six SELECTs that return the same rows
for every enterprise until somebody edits the catalog. Each process keeps what it has read and
asks the database one question per use instead: which version of the catalog is current
(`CatalogVersion`, one row). Every save or delete of a catalog row (the admin, `loadcatalog`,
a published rule set version) bumps that row in the same transaction, so the first request of
any process that starts after the change commits reads the new catalog.

The kept `Matter` objects are shared by the requests of a process: read them, never change them.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.models.signals import post_delete, post_save

from qinqing.catalog.models import Board, FormField, MaterialRequirement, Matter
from qinqing.core import kept
from qinqing.rules.models import RuleSet, RuleSetVersion

_lock = threading.Lock()
_kept: dict[str, Any] = {"version": None, "matters": {}}


KEPT = "catalog"


def bump() -> None:
    """Tell every process the catalog changed (inside the caller's transaction, when there is one)."""
    kept.bump(KEPT)


def current_version() -> tuple[int, int]:
    """The catalog's version as the database holds it now: (number, stamp); (0, 0) before the first change."""
    return kept.version(KEPT)


def _load(code: str) -> Matter | None:
    matter = (Matter.objects.online().select_related("board", "department", "rule_set")
              .prefetch_related("fields", "materials").filter(code=code).first())
    if matter is not None and matter.rule_set is not None:
        matter.rule_set.keep_current_version(matter.rule_set.current_version())
    return matter


def online_matter(code: str) -> Matter | None:
    """The online matter with this code, from this process's copy of the current catalog (None: no such matter).

    Its `fields.all()` and `materials.all()` are read already, and so is `rule_set.current_version()`.
    """
    version = current_version()
    with _lock:
        if _kept["version"] != version:
            _kept["version"], _kept["matters"] = version, {}
        matters: dict[str, Matter | None] = _kept["matters"]
        if code in matters:
            return matters[code]
    matter = _load(code)
    with _lock:
        if _kept["version"] == version:
            _kept["matters"][code] = matter
    return matter


def forget() -> None:
    """Drop this process's copy (the next use reads the catalog again)."""
    with _lock:
        _kept["version"], _kept["matters"] = None, {}


def _changed(sender: type, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # fixtures loaded raw: loaddata's caller bumps
    bump()


WATCHED = (Board, Matter, FormField, MaterialRequirement, RuleSet, RuleSetVersion)


def connect() -> None:
    """Bump the version whenever a catalog row is saved or deleted (called once, from the app's ready())."""
    from qinqing.accounts.models import Department

    for model in (*WATCHED, Department):
        post_save.connect(_changed, sender=model, dispatch_uid=f"catalog-version-{model._meta.label_lower}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"catalog-version-{model._meta.label_lower}-delete")
