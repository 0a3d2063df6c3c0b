"""The data sources as each process keeps them: every `Source` row with its parsed field definitions.

A 秒办 decision looks sources up three or four times (its facts, the records standing in for its
materials, the licence it mirrors into the `licences` source). Each process keeps the rows it read
and asks `core.kept` whether they are still current: one statement per request, shared with the
catalog's. Every save or delete of a `Source` bumps the version in the same transaction, except an
import's stamp of `last_imported_at` (the kept rows' `last_imported_at` is therefore not kept up to
date: read it from the database).

The kept `Source` objects are shared by the requests of a process: read them, never change them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.db.models.signals import post_delete, post_save

from qinqing.core import kept
from qinqing.datahub.models import Source
from qinqing.datahub.rows import FieldSpec, SourceDefinitionError, field_specs

KEPT = "datahub.sources"
# Saves that change only these columns do not bump the version (an import stamps its source).
UNKEPT_COLUMNS = frozenset({"last_imported_at"})


@dataclass(frozen=True)
class KeptSources:
    """Every source (in `Source.Meta.ordering`), by code, with its field definitions."""

    all: tuple[Source, ...]
    by_code: dict[str, Source]
    specs_by_code: dict[str, list[FieldSpec]]

    @property
    def fact_sources(self) -> list[Source]:
        return [s for s in self.all if s.provides_facts]

    def specs(self, source: Source) -> list[FieldSpec]:
        """A source's field definitions ([] when they are broken); parsed once per load."""
        found = self.specs_by_code.get(source.code)
        if found is not None and self.by_code.get(source.code) is source:
            return found
        return _parse(source)


def _parse(source: Source) -> list[FieldSpec]:
    try:
        return field_specs(source)
    except SourceDefinitionError:
        return []


_lock = threading.Lock()
_kept: dict[str, Any] = {"version": None, "sources": None}


def current() -> KeptSources:
    """This process's copy of the sources, read again when the database holds a newer version."""
    version = kept.version(KEPT)
    with _lock:
        if _kept["version"] == version and _kept["sources"] is not None:
            found: KeptSources = _kept["sources"]
            return found
    rows = tuple(Source.objects.all())
    loaded = KeptSources(rows, {s.code: s for s in rows}, {s.code: _parse(s) for s in rows})
    with _lock:
        _kept["version"], _kept["sources"] = version, loaded
    return loaded


def source(code: str) -> Source | None:
    """The source with this code, from this process's copy (None: no such source)."""
    return current().by_code.get(code)


def forget() -> None:
    """Drop this process's copy (the next use reads the sources again)."""
    with _lock:
        _kept["version"], _kept["sources"] = None, None


def bump() -> None:
    kept.bump(KEPT)


def _saved(sender: type, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # fixtures loaded raw: loaddata's caller bumps
    fields = kwargs.get("update_fields")
    if fields and UNKEPT_COLUMNS.issuperset(fields):
        return
    bump()


def _deleted(sender: type, **kwargs: Any) -> None:
    bump()


def connect() -> None:
    """Bump the version whenever a source is saved or deleted (called once, from the app's ready())."""
    post_save.connect(_saved, sender=Source, dispatch_uid="datahub-sources-save")
    post_delete.connect(_deleted, sender=Source, dispatch_uid="datahub-sources-delete")
