"""Materials of a case: uploads stored, the ones still missing, and those shared data stands in for (材料免提交)."""


from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from qinqing.accounts.models import Enterprise, User
from qinqing.cases.errors import CaseInvalid
from qinqing.cases.models import Case, CaseEvent, Material
from qinqing.cases.services._common import (
    FORM,
    Upload,
    matter_of,
)
from qinqing.cases.services.licences import in_force_read, licence_in_force
from qinqing.cases.uploads import CheckedUpload
from qinqing.catalog.models import SATISFIED_BY_LICENCE, MaterialRequirement
from qinqing.core import composed, events
from qinqing.datahub import sources as kept_sources
from qinqing.datahub.adapters import Record
from qinqing.datahub.models import LICENCES
from qinqing.datahub.queries import Holdings, find_material_record


def store_materials(case: Case, uploads: Iterable[Upload], user: User, *, supplement: bool,
                     requirements: Mapping[str, MaterialRequirement] | None = None) -> list[Material]:
    uploads = list(uploads)
    if not uploads:
        return []
    if requirements is None:
        requirements = {r.code: r for r in matter_of(case).materials.all()}
    stored = []
    for code, upload in uploads:
        requirement = requirements.get(code) if code else None
        if code and requirement is None:
            raise CaseInvalid(_("Unknown material."), errors={"requirement": [_("No material %(code)s.") % {"code": code}]})
        material = Material(
            case=case, requirement=requirement, stored_name=upload.stored_name, original_name=upload.display_name,
            content_type=upload.content_type, size=len(upload.content), sha256=upload.sha256, uploaded_by=user,
            for_supplement=supplement,
        )
        material.file.save(upload.stored_name, ContentFile(upload.content), save=False)
        material.save()
        stored.append(material)
    return stored


def attach_upload(case: Case, requirement: MaterialRequirement | None, upload: CheckedUpload, *, user: User,
                  stored_file: str = "") -> Material:
    """Add one checked upload to a case; `stored_file` reuses a file already stored for a sibling case."""
    with events.atomic():
        return _attach_upload(case, requirement, upload, user=user, stored_file=stored_file)


def _attach_upload(case: Case, requirement: MaterialRequirement | None, upload: CheckedUpload, *, user: User,
                   stored_file: str) -> Material:
    material = Material(
        case=case, requirement=requirement, stored_name=upload.stored_name, original_name=upload.display_name,
        content_type=upload.content_type, size=len(upload.content), sha256=upload.sha256, uploaded_by=user,
    )
    if stored_file:
        material.file.name = stored_file
    else:
        material.file.save(upload.stored_name, ContentFile(upload.content), save=False)
    material.save()
    return material


def missing_materials(case: Case, requirements: list[MaterialRequirement] | None = None) -> list[MaterialRequirement]:
    """Required materials with neither an upload nor a shared-data record yet."""
    required = [r for r in (matter_of(case).materials.all() if requirements is None else requirements)
                if r.required and r.satisfied_by != FORM]
    if not required:
        return []
    have = set(case.materials.exclude(requirement=None).values_list("requirement_id", flat=True))
    return [r for r in required if r.pk not in have]


def attach_data_materials(case: Case, requirements: Iterable[MaterialRequirement], *, actor: User) -> list[Material]:
    """Satisfy material requirements from records government already holds (材料免提交).

    A requirement with `satisfied_by` naming a datahub source (or a licence the platform issued)
    gets a Material that points at the record instead of a file. Nothing is added for a
    requirement already met by an upload.
    """
    with events.atomic():
        return _attach_data_materials(case, requirements, actor=actor)


def _attach_data_materials(case: Case, requirements: Iterable[MaterialRequirement], *, actor: User) -> list[Material]:
    have = set(case.materials.exclude(requirement=None).values_list("requirement_id", flat=True))
    added: list[Material] = []
    for requirement in requirements:
        if not requirement.satisfied_by or requirement.satisfied_by == FORM or requirement.pk in have:
            continue
        record = material_record(case.enterprise, requirement.satisfied_by)
        if record is None:
            continue
        added.append(Material.objects.create(
            case=case, requirement=requirement, stored_name="", original_name=record.title or requirement.name,
            content_type="", size=0, sha256="", uploaded_by=actor, data_source=record.source,
            data_source_name=record.source_name, data_reference=record.key, data_as_of=record.as_of,
        ))
    if added:
        CaseEvent.objects.create(
            case=case, actor=None, actor_label=str(_("Shared data")), action="materials_from_data",
            note="、".join(f"{m.requirement.name if m.requirement else m.original_name}（{m.data_source_name}）"
                          for m in added),
        )
    return added


def licence_read_key(matter_code: str) -> str:
    """The key of a licence-in-force read sent with the shared-data reads (`licence_reads`, `held_about(also=…)`)."""
    return f"{SATISFIED_BY_LICENCE}{matter_code}"


def licence_reads(enterprise: Enterprise, satisfied_by: Iterable[str]) -> dict[str, tuple[composed.Read, list[Any]]]:
    """The licence-in-force reads the materials named will need, to send with the shared-data reads."""
    out = {}
    for value in satisfied_by:
        if value.startswith(SATISFIED_BY_LICENCE):
            code = value[len(SATISFIED_BY_LICENCE):].strip()
            out[licence_read_key(code)] = in_force_read(enterprise=enterprise, matter_code=code)
    return out


def material_record(enterprise: Enterprise, satisfied_by: str, held: Holdings | None = None) -> Record | None:
    """What stands in for a material: a valid licence the platform issued, or a shared-data record."""
    if not satisfied_by.startswith(SATISFIED_BY_LICENCE):
        return find_material_record(enterprise.uscc, satisfied_by, held)
    matter_code = satisfied_by[len(SATISFIED_BY_LICENCE):].strip()
    rows = held.also.get(licence_read_key(matter_code)) if held is not None and held.uscc == enterprise.uscc else None
    licence = licence_in_force(enterprise=enterprise, matter_code=matter_code, rows=rows)
    if licence is None:
        return None
    source = kept_sources.source(LICENCES)
    return Record(
        source=LICENCES, source_name=source.name if source is not None else str(_("亲清在线电子证照")),
        key=licence.number, category=matter_code, title=licence.title, data={}, as_of=licence.issued_at,
        uscc=enterprise.uscc,
    )
