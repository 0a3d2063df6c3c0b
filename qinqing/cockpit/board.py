"""What a cockpit page, the big screen and the export show of one node: shaped from `queries` only.

Every figure here is for the node's subtree (the queries promise it) and carries its unit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from qinqing.cockpit import classify, labels, queries
from qinqing.cockpit.models import Alert, CockpitModule
from qinqing.cockpit.modules import evaluate, months_back
from qinqing.regions.models import Region
from qinqing.servicedesk.queries import RegionActivity

TREND_MONTHS = 12
FEED_SIZE = 12
TREEMAP_CHILDREN = 40
CHILDREN_SHOWN = 8  # the page lists this many areas below (most enterprises first); the rest behind "show all"
EXPORT_ROWS = 100_000  # an export's enterprise list stops here (a street has far fewer)


def node_url(code: str) -> str:
    return reverse("cockpit:node", args=[code])


def _money(value: Any) -> str:
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


def grouped(value: Any) -> str:
    """An amount in yuan with thousands separators, as the cards show it (126,000.00)."""
    return f"{Decimal(value or 0).quantize(Decimal('0.01')):,}"


def _share(value: Decimal | None) -> str | None:
    """A share as a percentage with one decimal (None when nothing was decided)."""
    if value is None:
        return None
    value = Decimal(value)
    if value <= 1:
        value *= 100
    return str(value.quantize(Decimal("0.1")))


ORDER = {"status": classify.STATUSES, "size": classify.SIZES, "capital_band": classify.BAND_KEYS, "tag": classify.TAGS}


def breakdown(counts: dict[str, int], dimension: str) -> list[dict[str, Any]]:
    """A dimension's counts in its natural order (sizes large to micro, bands high to low, sections A to T)."""
    order = ORDER.get(dimension)
    if order is None:
        keys = sorted(counts)
    else:
        keys = sorted(counts, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [{"key": k, "label": labels.dimension_label(dimension, k), "value": counts[k]} for k in keys]


def cards(summary: Any) -> list[dict[str, Any]]:
    """The key figures as (label, value, unit) cards."""
    items = [
        (_("Enterprises in operation"), summary.enterprises, labels.ENTERPRISES, "enterprises"),
        (_("Registered, last 30 days"), summary.registered_30d, labels.ENTERPRISES, "registered_30d"),
        (_("Deregistered, last 30 days"), summary.deregistered_30d, labels.ENTERPRISES, "deregistered_30d"),
        (_("Moved in, last 30 days"), summary.moved_in_30d, labels.ENTERPRISES, "moved_in_30d"),
        (_("Moved out, last 30 days"), summary.moved_out_30d, labels.ENTERPRISES, "moved_out_30d"),
        (_("Policy payouts"), summary.payouts_count, labels.PAYMENTS, "payouts_count"),
        (_("Payout amount"), grouped(summary.payouts_amount), labels.YUAN, "payouts_amount"),
        (_("Cases handled"), summary.cases_handled, labels.CASES, "cases_handled"),
        (_("Decided at once (秒办)"), _share(summary.miaoban_share), "%", "miaoban_share"),
        (_("Open alerts"), summary.alerts_open, labels.ALERTS, "alerts_open"),
        (_("Open visits"), getattr(summary, "visits_open", 0), labels.VISITS, "visits_open"),
        (_("Overdue visits"), getattr(summary, "visits_overdue", 0), labels.VISITS, "visits_overdue"),
    ]
    return [{"label": str(label), "value": value, "unit": str(unit), "key": key} for label, value, unit, key in items]


def child_rows(node: Region) -> list[dict[str, Any]]:
    rows = []
    for row in queries.children(node):
        code = labels.row_code(row)
        rows.append({"code": code, "name": labels.row_name(row), "level": labels.level_label(labels.row_level(row)),
                     "url": node_url(code), "enterprises": row.enterprises,
                     "registered_30d": row.registered_30d, "payouts_amount": _money(row.payouts_amount),
                     "alerts_open": row.alerts_open})
    return rows


def split_children(children: list[dict[str, Any]], shown: int = CHILDREN_SHOWN) -> tuple[list[dict[str, Any]],
                                                                                  list[dict[str, Any]]]:
    """The areas with the most enterprises first (then by code), cut after `shown`: what a phone lists at once."""
    ranked = sorted(children, key=lambda c: (-c["enterprises"], c["code"]))
    return ranked[:shown], ranked[shown:]


def treemap(node: Region, children: list[dict[str, Any]]) -> dict[str, Any]:
    """The node and two levels below it (children, and the children of the largest ones), sized by enterprises."""
    ids, names, parents, values, urls = [node.code], [node.name], [""], [0], [node_url(node.code)]
    for child in sorted(children, key=lambda c: -c["enterprises"])[:TREEMAP_CHILDREN]:
        grand = [] if child["enterprises"] == 0 else child_rows(Region.objects.get(code=child["code"]))
        inner = sum(g["enterprises"] for g in grand)
        ids.append(child["code"])
        names.append(child["name"])
        parents.append(node.code)
        values.append(max(child["enterprises"] - inner, 0))
        urls.append(child["url"])
        for g in grand:
            if g["enterprises"]:
                ids.append(g["code"])
                names.append(g["name"])
                parents.append(child["code"])
                values.append(g["enterprises"])
                urls.append(g["url"])
    return {"ids": ids, "labels": names, "parents": parents, "values": values, "urls": urls}


def series(node: Region, measures: tuple[str, ...], today: dt.date) -> dict[str, Any]:
    start = months_back(today, TREND_MONTHS)
    out: dict[str, Any] = {"from": start.isoformat(), "to": today.isoformat(), "lines": []}
    for measure in measures:
        points = queries.timeseries(node, measure, start, today, "month")
        out["lines"].append({"measure": measure, "name": str(labels.TREND_LABELS[measure]),
                             "unit": str(labels.TREND_UNITS[measure]),
                             "x": [p.start.isoformat() for p in points], "y": [str(p.value) for p in points]})
    return out


def alert_row(alert: Alert) -> dict[str, Any]:
    """One alert in one shape for the page, the screen, its JSON and the export."""
    english = (get_language() or "").startswith("en")
    rule = alert.rule
    return {
        "id": alert.pk, "signal": alert.get_signal_display(), "severity": alert.severity,
        "severity_label": alert.get_severity_display(),
        "title": (rule.name_en if english and rule.name_en else rule.name) if rule else alert.get_signal_display(),
        "enterprise_name": alert.enterprise_name, "uscc": alert.uscc,
        "portrait": reverse("cockpit:portrait", args=[alert.uscc]) if alert.uscc else "",
        "at": timezone.localtime(alert.raised_at).strftime("%Y-%m-%d %H:%M"),
        "acknowledged": alert.acknowledged_at is not None,
    }


def alert_rows(node: Region, limit: int = FEED_SIZE) -> list[dict[str, Any]]:
    """The newest alerts of the subtree, newest first."""
    return [alert_row(a) for a in queries.alerts(node, cursor=None, limit=limit).items]


ROSTER_SIZE = 20  # the enterprises a page lists (the export has them all)


def roster(node: Region, limit: int = ROSTER_SIZE) -> list[dict[str, Any]]:
    """The first enterprises in operation of the subtree (USCC order), each with its place and a link to its portrait."""
    page = queries.enterprises(node, filters=queries.EnterpriseFilters(status=queries.IN_BUSINESS), limit=limit)
    codes = {classify.ancestors(e.path)[-1] for e in page.items if e.path}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    return [{"uscc": e.uscc, "name": e.name, "url": reverse("cockpit:portrait", args=[e.uscc]),
             "place": names.get(classify.ancestors(e.path)[-1], "") if e.path else "",
             "status": labels.status_label(e.status),
             "industry": labels.section_name(e.industry) if e.industry else "—"} for e in page.items]


def module_view(data: dict[str, Any]) -> dict[str, Any]:
    """A module's answer with its rows as cells in column order (and a link where a row is a region node)."""
    rows = [{"label": r["label"], "url": node_url(r["code"]) if r.get("code") else "",
             "values": [r.get(c["key"]) for c in data["columns"]]} for r in data["rows"]]
    return {**data, "module_rows": rows}


def modules_for(node: Region) -> list[dict[str, Any]]:
    return [module_view(evaluate(module, node))
            for module in CockpitModule.objects.for_node(node).select_related("region")]


def crumbs(node: Region, viewer_root: Region | None) -> list[dict[str, Any]]:
    """From the city down to the node; steps above the viewer's own node are named, not linked (they would 404)."""
    top = viewer_root.path if viewer_root is not None else ""
    return [{"code": r.code, "name": r.name, "url": node_url(r.code) if r.path.startswith(top) else ""}
            for r in queries.breadcrumb(node)]


def desk_view(activity: RegionActivity) -> dict[str, Any]:
    """The service desk's activity as cards, shares and the five official satisfaction levels."""
    chat_share = queries.share(activity.chats_on_time, activity.chats_decided)
    order_share = queries.share(activity.orders_on_time, activity.orders_decided)
    counts = [
        (_("Consultations opened"), activity.conversations_opened, labels.CONVERSATIONS, "conversations_opened"),
        (_("Consultations closed"), activity.conversations_closed, labels.CONVERSATIONS, "conversations_closed"),
        (_("Work orders opened"), activity.orders_opened, labels.WORK_ORDERS, "orders_opened"),
        (_("Work orders closed"), activity.orders_closed, labels.WORK_ORDERS, "orders_closed"),
        (_("Open rectifications"), activity.rectifications_open, labels.WORK_ORDERS, "rectifications_open"),
    ]
    shares = [
        (_("Consultations answered within %(limit)s") % {"limit": activity.chat_limit}, _share(chat_share),
         activity.chats_on_time, activity.chats_decided, "chats_on_time"),
        (_("Work orders resolved within %(limit)s") % {"limit": activity.order_limit}, _share(order_share),
         activity.orders_on_time, activity.orders_decided, "orders_on_time"),
    ]
    satisfied = _share(queries.share(activity.satisfied, activity.rated))
    out: dict[str, Any] = {
        "cards": [{"label": str(label), "value": value, "unit": str(unit), "key": key}
                  for label, value, unit, key in counts],
        "shares": [{"label": str(label), "value": value, "part": part, "whole": whole, "key": key}
                   for label, value, part, whole, key in shares],
        "ratings": [{"key": level, "label": str(label), "value": activity.ratings.get(level, 0)}
                    for level, label in labels.RATING_LEVELS],
        "rated": activity.rated,
        "satisfied_share": satisfied,
    }
    # The same figures as one list of (label, value, unit) for the big screen, each share with its part and whole.
    out["figures"] = [*out["cards"], *[
        {"label": s["label"], "key": s["key"], "value": "—" if s["value"] is None else s["value"],
         "unit": str(_("nothing decided yet")) if s["value"] is None else f"%（{s['part']} / {s['whole']}）"}
        for s in out["shares"]], {
        "label": str(_("Basically satisfied or better")), "key": "satisfied_share",
        "value": "—" if satisfied is None else satisfied,
        "unit": str(_("no rating yet")) if satisfied is None else f"%（{activity.satisfied} / {activity.rated}）"}]
    return out


def page(node: Region, *, today: dt.date | None = None, with_modules: bool = True,
         viewer_root: Region | None = None) -> dict[str, Any]:
    """Everything the node's page shows."""
    today = today or timezone.localdate()
    summary = queries.summary(node, today=today)
    children = child_rows(node)
    desk = desk_view(queries.desk_activity(node, today=today))
    top, rest = split_children(children)
    return {
        "node": node,
        "level_label": labels.level_label(node.level),
        "breadcrumb": crumbs(node, viewer_root),
        "summary": summary,
        "cards": cards(summary),
        "children": children,
        "children_top": top,
        "children_rest": rest,
        "payouts": [{"policy": name, "count": count, "amount": _money(amount)}
                    for name, count, amount in summary.payouts_by_policy],
        "alerts": alert_rows(node),
        "roster": roster(node),
        "desk": desk,
        "modules": modules_for(node) if with_modules else [],
        "charts": {
            "status": breakdown(summary.by_status, "status"),
            "industry": breakdown(summary.by_industry, "industry"),
            "size": breakdown(summary.by_size, "size"),
            "capital_band": breakdown(summary.by_capital_band, "capital_band"),
            "tag": breakdown(summary.by_tag, "tag"),
            "moves": series(node, ("moved_in", "moved_out"), today),
            "registrations": series(node, ("registered", "deregistered"), today),
            "payouts": series(node, ("payouts_amount",), today),
            "cases": series(node, ("cases_decided", "cases_auto"), today),
            "treemap": treemap(node, children),
            "satisfaction": desk["ratings"],
        },
        "today": today,
    }


def screen(node: Region, *, today: dt.date | None = None) -> dict[str, Any]:
    """The big screen's figures as JSON (its refresh endpoint answers this)."""
    data = page(node, today=today, with_modules=False)
    return {
        "region": node.code, "name": node.name, "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "cards": data["cards"], "alerts": data["alerts"], "children": data["children"], "payouts": data["payouts"],
        "desk": data["desk"],
        "charts": {k: data["charts"][k] for k in ("industry", "moves", "registrations", "payouts", "treemap")},
    }
