"""The cockpit's reads (the contract cockpit pages, exports and the API build on).

Every function takes a node the caller already authorised (`viewable_node`) and answers for the node's
subtree only, from the cockpit's own read models: a street's summary is a few indexed rows whatever
the number of enterprises below it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import User
from qinqing.accounts.scope import scope_of
from qinqing.cockpit import aggregates as agg
from qinqing.cockpit import classify
from qinqing.cockpit.models import Alert, DailyAggregate, EnterpriseState, NodeTotal
from qinqing.core.errors import NotFound, ValidationFailed
from qinqing.core.paging import DEFAULT_LIMIT, Page, keyset_page
from qinqing.regions.models import Region
from qinqing.servicedesk.queries import RegionActivity, region_activity

# Timeseries measures: name → (stored measure, what is summed).
MEASURES: dict[str, tuple[str, str]] = {
    "registered": (agg.REGISTERED, "count"),
    "deregistered": (agg.DEREGISTERED, "count"),
    "moved_in": (agg.MOVED_IN, "count"),
    "moved_out": (agg.MOVED_OUT, "count"),
    "abnormal": (agg.ABNORMAL, "count"),
    "payouts_count": (agg.PAYOUTS, "count"),
    "payouts_amount": (agg.PAYOUTS, "amount"),
    "cases_submitted": (agg.CASES_SUBMITTED, "count"),
    "cases_decided": (agg.CASES_DECIDED, "count"),
    "cases_auto": (agg.CASES_AUTO, "count"),
    "visits_raised": (agg.VISITS_RAISED, "count"),
    "visits_closed": (agg.VISITS_CLOSED, "count"),
    "alerts": (agg.ALERTS, "count"),
}
INTERVALS = ("day", "week", "month")
MAX_POINTS = 1_000
RECENT_DAYS = 30

EnterpriseRow = EnterpriseState
AlertRow = Alert


# ---- the node: which one, and may this user see it --------------------------------------------------

def viewable_node(user: User, code: str) -> Region:
    """The region with this code if it lies in the user's scope; NotFound (404) otherwise, unknown or not."""
    node = Region.objects.filter(code=str(code).strip()).first() if code else None
    scope = scope_of(user)
    if node is None or not (scope.is_superuser or (scope.is_regional and node.path.startswith(scope.region_path))):
        raise NotFound(_("No such region."), code="region_not_found")
    return node


def home_node(user: User) -> Region:
    """The node of the user's own scope (their street, district or grid); the top of the tree for an administrator."""
    scope = scope_of(user)
    if scope.is_regional and user.region is not None:
        return user.region
    if scope.is_superuser:
        top = Region.objects.filter(parent__isnull=True).order_by("code").first()
        if top is not None:
            return top
    raise NotFound(_("You have no region to look at."), code="region_not_found")


def breadcrumb(node: Region) -> list[Region]:
    """From the top of the tree (the city) down to the node."""
    codes = classify.ancestors(node.path)
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


# ---- the summary ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    """A node's cards. Moves and registrations: the last 30 days; payouts and cases: since 1 January."""

    enterprises: int
    by_status: dict[str, int]
    by_industry: dict[str, int]
    by_size: dict[str, int]
    by_capital_band: dict[str, int]
    by_tag: dict[str, int]
    registered_30d: int
    deregistered_30d: int
    moved_in_30d: int
    moved_out_30d: int
    payouts_count: int
    payouts_amount: Decimal
    payouts_by_policy: list[tuple[str, int, Decimal]]
    cases_handled: int
    miaoban_share: Decimal | None
    alerts_open: int
    visits_open: int
    visits_overdue: int
    today: dt.date = field(default_factory=timezone.localdate)
    year_start: dt.date = field(default_factory=lambda: timezone.localdate().replace(month=1, day=1))
    # Tax paid by the enterprises in operation, each by its latest annual report (企业年报 `tax_paid`), in yuan,
    # and how many of them reported one.
    tax_paid: Decimal = Decimal("0.00")
    tax_enterprises: int = 0


def _totals(codes: list[str], amounts: dict[tuple[str, str], int] | None = None,
            ) -> dict[str, dict[tuple[str, str], int]]:
    """Counts per node and (measure, dimension); with `amounts`, the amounts (fen) are put there per (node, measure)."""
    out: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for node, measure, dimension, count, fen in NodeTotal.objects.filter(node__in=codes).values_list(
            "node", "measure", "dimension", "count", "amount_fen"):
        out[node][(measure, dimension)] = int(count)
        if amounts is not None and fen:
            amounts[(node, measure)] = int(fen)
    return out


def _by(totals: dict[tuple[str, str], int], measure: str) -> dict[str, int]:
    return dict(sorted(((dim, n) for (m, dim), n in totals.items() if m == measure and n), key=lambda kv: (-kv[1], kv[0])))


def share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


def summary(node: Region, *, today: dt.date | None = None) -> Summary:
    """Every card of a node, from its totals and its daily rows (two indexed reads)."""
    today = today or timezone.localdate()
    year_start, recent = today.replace(month=1, day=1), today - dt.timedelta(days=RECENT_DAYS - 1)
    amounts: dict[tuple[str, str], int] = {}
    totals = _totals([node.code], amounts).get(node.code, {})
    flows: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    rows = DailyAggregate.objects.filter(
        node=node.code, day__gte=min(year_start, recent), day__lte=today,
        measure__in=[agg.REGISTERED, agg.DEREGISTERED, agg.MOVED_IN, agg.MOVED_OUT, agg.PAYOUTS, agg.CASES_DECIDED,
                     agg.CASES_AUTO])
    for measure, dimension, day, count, fen in rows.values_list("measure", "dimension", "day", "count", "amount_fen"):
        in_window = day >= recent if measure in (agg.REGISTERED, agg.DEREGISTERED, agg.MOVED_IN, agg.MOVED_OUT) \
            else day >= year_start
        if in_window:
            flows[(measure, dimension)][0] += count
            flows[(measure, dimension)][1] += fen
    policies = _policy_titles([dim for (m, dim) in flows if m == agg.PAYOUTS and dim])
    by_policy = sorted(((policies.get(dim, dim), c, agg.to_yuan(f)) for (m, dim), (c, f) in flows.items()
                        if m == agg.PAYOUTS and dim and c), key=lambda t: (-t[2], t[0]))
    decided, auto = flows[(agg.CASES_DECIDED, "")][0], flows[(agg.CASES_AUTO, "")][0]
    return Summary(
        enterprises=totals.get((agg.ENTERPRISES, ""), 0),
        by_status=_by(totals, agg.STATUS), by_industry=_by(totals, agg.INDUSTRY), by_size=_by(totals, agg.SIZE),
        by_capital_band=_by(totals, agg.BAND), by_tag=_by(totals, agg.TAG),
        registered_30d=flows[(agg.REGISTERED, "")][0], deregistered_30d=flows[(agg.DEREGISTERED, "")][0],
        moved_in_30d=flows[(agg.MOVED_IN, "")][0], moved_out_30d=flows[(agg.MOVED_OUT, "")][0],
        payouts_count=flows[(agg.PAYOUTS, "")][0], payouts_amount=agg.to_yuan(flows[(agg.PAYOUTS, "")][1]),
        payouts_by_policy=by_policy, cases_handled=decided, miaoban_share=share(auto, decided),
        alerts_open=totals.get((agg.ALERTS_OPEN, ""), 0), visits_open=totals.get((agg.VISITS_OPEN, ""), 0),
        visits_overdue=totals.get((agg.VISITS_OVERDUE, ""), 0), today=today, year_start=year_start,
        tax_paid=agg.to_yuan(amounts.get((node.code, agg.TAX), 0)), tax_enterprises=totals.get((agg.TAX, ""), 0),
    )


def _policy_titles(codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    from qinqing.policies.models import Policy

    return dict(Policy.objects.filter(code__in=codes).values_list("code", "title"))


# ---- drill-down ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChildRow:
    code: str
    name: str
    level: str
    enterprises: int
    registered_30d: int
    payouts_amount: Decimal
    alerts_open: int


def children(node: Region, *, today: dt.date | None = None) -> list[ChildRow]:
    """The node's direct children with their headline figures (payouts since 1 January), in code order."""
    today = today or timezone.localdate()
    kids = list(Region.objects.filter(parent=node, active=True).order_by("code"))
    codes = [k.code for k in kids]
    if not codes:
        return []
    totals = _totals(codes)
    recent, year_start = today - dt.timedelta(days=RECENT_DAYS - 1), today.replace(month=1, day=1)
    registered = dict(DailyAggregate.objects.filter(node__in=codes, measure=agg.REGISTERED, dimension="",
                                                    day__gte=recent, day__lte=today)
                      .values("node").annotate(n=Sum("count")).values_list("node", "n"))
    paid = dict(DailyAggregate.objects.filter(node__in=codes, measure=agg.PAYOUTS, dimension="",
                                              day__gte=year_start, day__lte=today)
                .values("node").annotate(f=Sum("amount_fen")).values_list("node", "f"))
    return [ChildRow(code=k.code, name=k.name, level=k.level,
                     enterprises=totals.get(k.code, {}).get((agg.ENTERPRISES, ""), 0),
                     registered_30d=int(registered.get(k.code) or 0), payouts_amount=agg.to_yuan(paid.get(k.code) or 0),
                     alerts_open=totals.get(k.code, {}).get((agg.ALERTS_OPEN, ""), 0)) for k in kids]


# ---- over time --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Point:
    start: dt.date
    value: int | Decimal


def bucket_start(day: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _next(day: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return day + dt.timedelta(days=7)
    if interval == "month":
        return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return day + dt.timedelta(days=1)


def check_series(measure: str, date_from: dt.date | None, date_to: dt.date | None, interval: str) -> None:
    """Refuse an unknown measure or interval, a missing or reversed range, or too many points (422 per field)."""
    errors: dict[str, list[str]] = {}
    if measure not in MEASURES:
        errors["measure"] = [_("Choose one of: %(names)s.") % {"names": ", ".join(MEASURES)}]
    if interval not in INTERVALS:
        errors["interval"] = [_("Choose day, week or month.")]
    if date_from is None:
        errors["from"] = [_("Give the first day (YYYY-MM-DD).")]
    if date_to is None:
        errors["to"] = [_("Give the last day (YYYY-MM-DD).")]
    if date_from is not None and date_to is not None:
        if date_to < date_from:
            errors["to"] = [_("The last day comes before the first day.")]
        elif interval in INTERVALS:
            points, day = 0, bucket_start(date_from, interval)
            while day <= date_to and points <= MAX_POINTS:
                points, day = points + 1, _next(day, interval)
            if points > MAX_POINTS:
                errors["from"] = [_("At most %(n)s points: choose a shorter range or a longer interval.")
                                  % {"n": MAX_POINTS}]
    if errors:
        raise ValidationFailed(_("The time series cannot be drawn: check the highlighted fields."), errors=errors)


def timeseries(node: Region, measure: str, date_from: dt.date, date_to: dt.date, interval: str) -> list[Point]:
    """One point per interval (weeks start on Monday, months on the 1st), zeros included, days outside the range left out."""
    check_series(measure, date_from, date_to, interval)
    stored, what = MEASURES[measure]
    rows = (DailyAggregate.objects.filter(node=node.code, measure=stored, dimension="", day__gte=date_from,
                                          day__lte=date_to).values_list("day", "count", "amount_fen"))
    sums: dict[dt.date, int] = defaultdict(int)
    for day, count, fen in rows:
        sums[bucket_start(day, interval)] += fen if what == "amount" else count
    points, day = [], bucket_start(date_from, interval)
    while day <= date_to:
        value = sums.get(day, 0)
        points.append(Point(day, agg.to_yuan(value) if what == "amount" else int(value)))
        day = _next(day, interval)
    return points


# ---- lists ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EnterpriseFilters:
    """status: a status or "in_business" (active and abnormal); industry: a GB/T 4754 section letter;
    tag; capital_band; q: the start of a name or a USCC."""

    status: str = ""
    industry: str = ""
    tag: str = ""
    capital_band: str = ""
    q: str = ""


IN_BUSINESS = "in_business"


def check_filters(filters: EnterpriseFilters) -> None:
    errors: dict[str, list[str]] = {}
    if filters.status and filters.status not in (*classify.STATUSES, IN_BUSINESS):
        errors["status"] = [_("Choose one of: %(names)s.") % {"names": ", ".join((*classify.STATUSES, IN_BUSINESS))}]
    if filters.industry and not (len(filters.industry) == 1 and "A" <= filters.industry.upper() <= "T"):
        errors["industry"] = [_("Give a GB/T 4754 section letter, A to T.")]
    if filters.tag and filters.tag not in classify.TAGS:
        errors["tag"] = [_("Choose one of: %(names)s.") % {"names": ", ".join(classify.TAGS)}]
    if filters.capital_band and filters.capital_band not in classify.BAND_KEYS:
        errors["capital_band"] = [_("Choose one of: %(names)s.") % {"names": ", ".join(classify.BAND_KEYS)}]
    if len(filters.q) > 100:
        errors["q"] = [_("At most 100 characters.")]
    if errors:
        raise ValidationFailed(_("The filters cannot be applied: check the highlighted fields."), errors=errors)


def enterprises(node: Region, *, filters: EnterpriseFilters | None = None, cursor: str | None = None,
                limit: int = DEFAULT_LIMIT) -> Page[EnterpriseState]:
    """The enterprises in the node's subtree, filtered, in USCC order, one keyset page at a time."""
    filters = filters or EnterpriseFilters()
    check_filters(filters)
    rows = EnterpriseState.objects.filter(path__startswith=node.path)
    if filters.status == IN_BUSINESS:
        rows = rows.filter(status__in=sorted(classify.IN_BUSINESS))
    elif filters.status:
        rows = rows.filter(status=filters.status)
    if filters.industry:
        rows = rows.filter(industry=filters.industry.upper())
    if filters.tag:
        rows = rows.filter(tags__contains=f",{filters.tag},")
    if filters.capital_band:
        rows = rows.filter(capital_band=filters.capital_band)
    q = filters.q.strip()
    if q:
        rows = rows.filter(Q(name__startswith=q) | Q(uscc__startswith=q.upper()))
    return keyset_page(rows, ordering=["uscc"], kinds=[str], cursor=cursor or "", limit=limit)


def alerts(node: Region, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT, open_only: bool = False,
           ) -> Page[Alert]:
    """The node's alert feed, newest first, one keyset page at a time."""
    rows = Alert.objects.filter(path__startswith=node.path).select_related("rule", "acknowledged_by")
    if open_only:
        rows = rows.filter(acknowledged_at__isnull=True)
    return keyset_page(rows, ordering=["-raised_at", "-id"], kinds=[dt.datetime, int], cursor=cursor or "",
                       limit=limit)


# ---- service-desk activity (read through the desk's own query: the cockpit sits above the desk) -------

def desk_activity(node: Region, *, today: dt.date | None = None, days: int = RECENT_DAYS) -> RegionActivity:
    """The desk's chats, work orders, response shares, ratings and open rectifications for the node's subtree,
    over the last `days` days ending today (Beijing time), as the other "last 30 days" figures."""
    today = today or timezone.localdate()
    zone = timezone.get_current_timezone()
    until = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    since = until - dt.timedelta(days=days)
    return region_activity(node.path, since=since, until=until)
