"""The FAQ written for the demo (data/faq.json): question, paraphrases, answer, topic and the page it cites."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.urls import reverse

from qinqing.servicedesk.assistant.types import Entry

DATA = Path(__file__).resolve().parent.parent / "data"
FILES = (DATA / "faq.json",)


def faq_rows() -> list[dict[str, Any]]:
    with FILES[0].open(encoding="utf-8") as handle:
        rows: list[dict[str, Any]] = json.load(handle)["entries"]
    return rows


def source_url(source: list[str]) -> str:
    """Resolve a FAQ's source, ["url-name", *args], to a path on this site (NoReverseMatch if it has none)."""
    name, *args = source
    return reverse(name, args=args)


def faq_entries() -> list[Entry]:
    """Return every FAQ entry; its citation points at the page the answer comes from."""
    return [
        Entry(key=f"faq:{row['id']}", kind="faq", ref=row["id"], title=row["question"], text=row["answer"],
              url=source_url(row["source"]), text_en=row.get("answer_en", ""), title_en=row.get("question_en", ""),
              topic=row.get("topic", ""), keywords=(row["question"], *row.get("aliases", [])), weight=1.2)
        for row in faq_rows()
    ]
