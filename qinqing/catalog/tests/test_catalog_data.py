"""The catalogue data files: the checker passes, and the bundle matters share their field keys."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from qinqing.catalog.services import matter_rows

ROOT = Path(__file__).resolve().parents[3]
INDUSTRIAL = ["FGW-001", "GHZY-001", "GHZY-002", "GHZY-003", "JW-001", "STHJ-001", "JW-002"]


def _run_checker(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_catalog_data.py"), *args],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_checker_passes_and_reports_the_industrial_reduction():
    out = _run_checker("--bundles")
    assert out.rstrip().endswith("OK")
    block = out[out.index("industrial-project"):]
    fields = re.search(r"fields\s+(\d+) ->\s+(\d+)", block)
    materials = re.search(r"materials\s+(\d+) ->\s+(\d+)", block)
    assert fields and materials
    separate, bundled = int(fields[1]), int(fields[2])
    assert abs(separate - 314) <= 10 and abs(bundled - 59) <= 5, (separate, bundled)
    separate, bundled = int(materials[1]), int(materials[2])
    assert abs(separate - 46) <= 3 and abs(bundled - 10) <= 2, (separate, bundled)


def test_a_shared_key_means_the_same_type_in_every_bundle_matter():
    rows = {row["code"]: row for row in matter_rows()}
    seen: dict[str, set[tuple]] = defaultdict(set)
    for code in INDUSTRIAL:
        for f in rows[code]["fields"]:
            seen[f["key"]].add((f["type"], tuple(c["value"] for c in f.get("choices", [])), f.get("prefill")))
    clashes = {key: sigs for key, sigs in seen.items() if len(sigs) > 1}
    assert not clashes
    for key in ("company_name", "uscc", "project_name", "land_location", "contact_phone", "commitment"):
        assert all(key in {f["key"] for f in rows[code]["fields"]} for code in INDUSTRIAL), key


def test_registry_identity_stays_locked_wherever_it_is_prefilled():
    for row in matter_rows():
        for f in row["fields"]:
            if f.get("prefill") in ("registry.name", "registry.uscc", "registry.legal_representative"):
                assert f["editable"] is False, (row["code"], f["key"])
