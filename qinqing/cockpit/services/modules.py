"""Loading the shipped street modules (`cockpit/data/modules.json`); staff edit them afterwards in the admin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from qinqing.cockpit.models import CockpitModule
from qinqing.regions.models import Region

MODULES_JSON = Path(__file__).resolve().parent.parent / "data" / "modules.json"


@transaction.atomic
def load_modules(path: Path = MODULES_JSON) -> dict[str, Any]:
    """Create the shipped modules whose region node exists; an existing module (maybe edited) is left as it is.

    Returns how many were created and the keys skipped because their node is not in the region tree yet
    (the park's node arrives with the building register).
    """
    items = json.loads(path.read_text(encoding="utf-8"))
    created, skipped = 0, []
    for item in items:
        region = Region.objects.filter(code=item["region"]).first()
        if region is None:
            skipped.append(item["key"])
            continue
        if CockpitModule.objects.filter(region=region, key=item["key"]).exists():
            continue
        CockpitModule(key=item["key"], title=item["title"], title_en=item.get("title_en", ""), region=region,
                      spec=item["spec"], order=item.get("order", 100)).save()
        created += 1
    return {"cockpit_modules": created, "cockpit_modules_skipped": skipped}
