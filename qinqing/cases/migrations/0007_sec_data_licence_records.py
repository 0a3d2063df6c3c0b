"""Rebuild the `licences` shared-data source from the licences the platform issued.

Before imports of that source were refused, a data importer could add made-up licences to it or
mark real ones revoked. This drops every record with no licence behind it and rewrites the others
from the licence rows, so that the enterprise's data page and verification say the same.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils import timezone


def rebuild_licence_records(apps: Any, schema_editor: Any) -> None:
    source_model = apps.get_model("datahub", "Source")
    record_model = apps.get_model("datahub", "DataRecord")
    licence_model = apps.get_model("cases", "Licence")
    source = source_model.objects.filter(code="licences").first()
    if source is None:
        return
    licences = {licence.number: licence for licence in licence_model.objects.select_related("enterprise", "matter")}
    stray = [pk for pk, key in record_model.objects.filter(source=source).values_list("pk", "key")
             if key not in licences]
    for start in range(0, len(stray), 500):
        record_model.objects.filter(pk__in=stray[start:start + 500]).delete()
    now = timezone.now()
    for number, licence in licences.items():
        issued = timezone.localtime(licence.issued_at).date()
        record_model.objects.update_or_create(source=source, key=number, defaults={
            "uscc": licence.enterprise.uscc, "category": licence.matter.code, "title": licence.title,
            "data": {"number": number, "matter": licence.matter.code, "title": licence.title,
                     "issued_at": issued.isoformat(),
                     "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
                     "status": licence.status},
            "as_of": now, "imported_at": now,
        })


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_case_search"),
        ("datahub", "0002_sources_as_data"),
    ]

    operations = [migrations.RunPython(rebuild_licence_records, migrations.RunPython.noop)]
