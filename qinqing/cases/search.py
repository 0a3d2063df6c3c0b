"""Case lists at scale: filters people actually use, a page at a time (keyset pagination).

Used by `GET /api/v1/cases`, `GET /api/v1/review/queue`, 我的办件 / 辖区办件 and the review workbench. Every
list starts from the caller's scope (`cases_for`), so a filter can only narrow what the user may see.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Enterprise
from qinqing.cases.errors import CaseInvalid
from qinqing.cases.models import Case
from qinqing.cases.workflow import Status
from qinqing.core import ids
from qinqing.core.lookups import among, among_q
from qinqing.core.paging import DEFAULT_LIMIT, MAX_LIMIT, Page, keyset_page

NEWEST_FIRST = ("-submitted_at", "-id")
DEADLINE_FIRST = ("due_at", "id")
_KINDS = (dt.datetime, int)
_USCC_SHAPE = re.compile(r"^[0-9A-Z]{18}$")
_NUMBER_SHAPE = re.compile(r"^QQ\d")
MAX_QUERY = 100
# A name fragment matching at most this many enterprises is searched through their ids (the cases' enterprise
# index, then a sort of a few thousand rows); a commoner one through a join while walking the newest-first index,
# which meets its 50 matches early.
NAME_IDS_LIMIT = 1000
NUMBER_IDS_LIMIT = 5000


@dataclass(frozen=True)
class CaseFilter:
    status: str = ""
    matter: str = ""
    department: str = ""
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None
    number: str = ""
    q: str = ""

    @property
    def active(self) -> bool:
        return any((self.status, self.matter, self.department, self.submitted_from, self.submitted_to,
                    self.number, self.q))


def _date(raw: str, field: str, errors: dict[str, list[str]]) -> dt.date | None:
    if not raw.strip():
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        errors[field] = [_("Enter a date as YYYY-MM-DD.")]
        return None


def parse_filter(params: Mapping[str, str]) -> CaseFilter:
    """The filter a query string asks for, or a per-field refusal (422) naming what is wrong."""
    errors: dict[str, list[str]] = {}
    status = (params.get("status") or "").strip()
    if status and status not in Status.values:
        errors["status"] = [_("Unknown status: %(status)s.") % {"status": status[:40]}]
    start = _date(params.get("submitted_from") or "", "submitted_from", errors)
    end = _date(params.get("submitted_to") or "", "submitted_to", errors)
    if start and end and start > end:
        errors["submitted_to"] = [_("The end date is before the start date.")]
    q = unicodedata.normalize("NFKC", params.get("q") or "").strip()
    if len(q) > MAX_QUERY:
        errors["q"] = [_("Search for at most %(n)s characters.") % {"n": MAX_QUERY}]
    if errors:
        raise CaseInvalid(_("Please correct the marked filters."), errors=errors)
    return CaseFilter(
        status=status, matter=(params.get("matter") or "").strip().upper()[:32],
        department=(params.get("department") or "").strip().upper()[:32], submitted_from=start, submitted_to=end,
        number=ids.normalise_identifier(params.get("number") or "")[:32], q=q,
    )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))  # Asia/Shanghai midnight


def filtered(cases: QuerySet[Case], f: CaseFilter) -> QuerySet[Case]:
    if f.status:
        cases = cases.filter(status=f.status)
    if f.matter:
        cases = cases.filter(matter__code=f.matter)
    if f.department:
        cases = cases.filter(matter__department__code=f.department)
    if f.submitted_from:
        cases = cases.filter(submitted_at__gte=_day_start(f.submitted_from))
    if f.submitted_to:
        cases = cases.filter(submitted_at__lt=_day_start(f.submitted_to + dt.timedelta(days=1)))
    if f.number:
        cases = _by_number(cases, f.number)
    if f.q:
        code = ids.normalise_identifier(f.q)
        # A whole case number (QQ + 16) has a USCC's length; no USCC starts with Q (GB 32100 department codes).
        if _NUMBER_SHAPE.match(code):
            cases = _by_number(cases, code)
        elif _USCC_SHAPE.match(code):
            cases = cases.filter(enterprise__uscc=code)
        else:
            cases = _by_name(cases, f.q)
    return cases


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def enterprise_ids_named(fragment: str, limit: int) -> list[int]:
    """Ids of up to `limit` enterprises whose name contains `fragment` (any enterprise: the caller scopes cases).

    On PostgreSQL a GIN index over each name's character pairs (migration cases 0009) finds Chinese fragments of
    two characters, which trigrams cannot; the LIKE re-checks the order of the pairs.
    """
    if connection.vendor == "postgresql" and len(fragment) >= 2:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM accounts_enterprise WHERE qq_bigrams(name) @> qq_bigrams(%s) AND name LIKE %s "
                "LIMIT %s", [fragment, _like(fragment), limit])
            return [row[0] for row in cursor.fetchall()]
    return list(Enterprise.objects.filter(name__contains=fragment).values_list("id", flat=True)[:limit])


def _by_number(cases: QuerySet[Case], prefix: str) -> QuerySet[Case]:
    """Cases whose number starts with `prefix`: through their ids when few do (one day's numbers), else a filter.

    The planner cannot tell how many numbers a prefix matches; walking the newest-first index for a day two
    years back reads most of the table (seconds at a million cases), so a few ids are looked up first in the
    number index and the page sorts only those.
    """
    found = list(Case.objects.filter(number__startswith=prefix).order_by().values_list("id", flat=True)
                 [:NUMBER_IDS_LIMIT + 1])
    if len(found) <= NUMBER_IDS_LIMIT:
        return among(cases, "id", found)
    return cases.filter(number__startswith=prefix)


def _by_name(cases: QuerySet[Case], fragment: str) -> QuerySet[Case]:
    """Cases of enterprises whose name contains `fragment`, or whose own title (a bundle's) does."""
    titled = ~Q(title="") & Q(title__contains=fragment)  # the partial index case_titled holds only titled cases
    ids = enterprise_ids_named(fragment, NAME_IDS_LIMIT + 1)
    if len(ids) <= NAME_IDS_LIMIT:
        return cases.filter(among_q(Case, "enterprise_id", ids) | titled)
    return cases.filter(Q(enterprise__name__contains=fragment) | titled)


def page_of(cases: QuerySet[Case], f: CaseFilter, *, ordering: tuple[str, str] = NEWEST_FIRST, cursor: str = "",
            limit: int = DEFAULT_LIMIT) -> Page[Case]:
    """One page of the filtered cases in `ordering`, after `cursor`."""
    return keyset_page(filtered(cases, f), ordering=ordering, kinds=_KINDS, cursor=cursor,
                       limit=min(limit, MAX_LIMIT))
