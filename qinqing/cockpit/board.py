"""What a cockpit page, the big screen and the export show of one node: shaped from `queries` only.

Every figure here is for the node's subtree (the queries promise it) and carries its unit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from qinqing.cockpit import classify, labels, queries
from qinqing.cockpit.models import Alert, CockpitModule, EnterpriseState
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
        (labels.MEASURE_LABELS["moved_out_30d"], summary.moved_out_30d, labels.ENTERPRISES, "moved_out_30d"),
        (_("Policy payouts"), summary.payouts_count, labels.PAYMENTS, "payouts_count"),
        (_("Payout amount"), grouped(summary.payouts_amount), labels.YUAN, "payouts_amount"),
        (_("Cases handled"), summary.cases_handled, labels.CASES, "cases_handled"),
        (_("Decided at once (秒办)"), _share(summary.miaoban_share), "%", "miaoban_share"),
        (_("Open alerts"), summary.alerts_open, labels.ALERTS, "alerts_open"),
        (_("Open visits"), getattr(summary, "visits_open", 0), labels.VISITS, "visits_open"),
        (_("Overdue visits"), getattr(summary, "visits_overdue", 0), labels.VISITS, "visits_overdue"),
    ]
    return [{"label": str(label), "value": value, "unit": str(unit), "key": key,
             "help": str(labels.MEASURE_HELP[key]) if key in labels.MEASURE_HELP else ""}
            for label, value, unit, key in items]


def child_rows(node: Region) -> list[dict[str, Any]]:
    rows = []
    for row in queries.children(node):
        code = labels.row_code(row)
        rows.append({"code": code, "name": labels.row_name(row), "level": labels.level_label(labels.row_level(row)),
                     "url": node_url(code), "enterprises": row.enterprises,
                     "registered_30d": row.registered_30d, "payouts_amount": _money(row.payouts_amount),
                     "alerts_open": row.alerts_open})
    return rows


def unplaced_row(summary: Any, children: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What the node holds itself, in none of the areas below (an enterprise registered to the community, not to one
    of its buildings): the row that makes the areas' table add up to the node's cards. None when nothing is."""
    if not children:
        return None
    row = {"code": "", "name": str(_("Placed at this level, in no area below")), "level": "", "url": "",
           "enterprises": summary.enterprises - sum(c["enterprises"] for c in children),
           "registered_30d": summary.registered_30d - sum(c["registered_30d"] for c in children),
           "payouts_amount": _money(Decimal(summary.payouts_amount) - sum(Decimal(c["payouts_amount"])
                                                                            for c in children)),
           "alerts_open": summary.alerts_open - sum(c["alerts_open"] for c in children)}
    figures = (row["enterprises"], row["registered_30d"], Decimal(row["payouts_amount"]), row["alerts_open"])
    return row if any(figures) else None


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
        "at": timezone.localtime(alert.raised_at).strftime("%Y-%m-%d %H:%M"),
        "acknowledged": alert.acknowledged_at is not None,
    }


def alert_rows(node: Region, limit: int = FEED_SIZE) -> list[dict[str, Any]]:
    """The newest alerts of the subtree, newest first; an enterprise still in the subtree links to its portrait (one
    that moved out or away is named only: its portrait is no longer this node's to show)."""
    alerts = queries.alerts(node, cursor=None, limit=limit).items
    here = set(EnterpriseState.objects.filter(uscc__in={a.uscc for a in alerts if a.uscc}, path__startswith=node.path)
               .values_list("uscc", flat=True))
    return [{**alert_row(a), "portrait": reverse("cockpit:portrait", args=[a.uscc]) if a.uscc in here else ""}
            for a in alerts]


ROSTER_SIZE = 20  # the enterprises a page lists (the export has them all)


def roster(node: Region, limit: int = ROSTER_SIZE) -> list[dict[str, Any]]:
    """The first enterprises in operation of the subtree (USCC order), each with its place and a link to its portrait."""
    page = queries.enterprises(node, filters=queries.EnterpriseFilters(status=queries.IN_BUSINESS), limit=limit)

    def below(path: str) -> list[str]:
        codes = classify.ancestors(path) if path else []
        return codes[codes.index(node.code) + 1:] if node.code in codes else []

    names = dict(Region.objects.filter(code__in={c for e in page.items for c in below(e.path)})
                 .values_list("code", "name"))
    # Where below this node: community, building, floor and unit, as far as the enterprise is placed.
    return [{"uscc": e.uscc, "name": e.name, "url": reverse("cockpit:portrait", args=[e.uscc]),
             "place": " ".join(names.get(c, c) for c in below(e.path)) or node.name,
             "status": labels.status_label(e.status),
             "industry": labels.section_name(e.industry) if e.industry else "—"} for e in page.items]


def _module_cell(value: Any, unit: str) -> str:
    """A module's figure as the page shows it: yuan grouped with two decimals (1,051,092.92), counts grouped."""
    if value is None or value == "":
        return "—"
    if unit == str(labels.YUAN):
        return grouped(value)
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return f"{int(value):,}"
    return str(value)


def module_view(data: dict[str, Any]) -> dict[str, Any]:
    """A module's answer with its rows as cells in column order, each with its column's label and unit (a phone shows
    them beside the figure), a link where a row is a region node, and what its chart draws."""
    columns = data["columns"]
    rows = [{"label": r["label"], "url": node_url(r["code"]) if r.get("code") else "",
             "values": [r.get(c["key"]) for c in columns],
             "cells": [{"value": _module_cell(r.get(c["key"]), c["unit"]), "label": f"{c['label']}（{c['unit']}）"}
                       for c in columns]} for r in data["rows"]]
    drawn = columns if data.get("chart") == "line" else columns[:1]
    return {**data, "module_rows": rows, "chart_of": "、".join(f"{c['label']}（{c['unit']}）" for c in drawn)}


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
    unplaced = unplaced_row(summary, children)
    if unplaced is not None:
        top = [*top, unplaced]  # listed with the first areas, so the table adds up to the cards at a glance
    return {
        "node": node,
        "level_label": labels.level_label(node.level),
        "breadcrumb": crumbs(node, viewer_root),
        "summary": summary,
        "cards": cards(summary),
        "status_help": str(labels.STATUS_CHART_HELP),
        "children": children,
        "children_top": top,
        "children_rest": rest,
        "unplaced": unplaced,
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


SCREEN_FEED = 7  # the alerts the wall's feed panel holds at 1920×1080 (one line each); the rest are counted, linked
SCREEN_BARS = 6  # a bar chart on the wall keeps its labels legible: the largest five and the rest summed


def fewer_bars(items: list[dict[str, Any]], bars: int = SCREEN_BARS) -> list[dict[str, Any]]:
    """The largest `bars - 1` items in their natural order and one bar for all the others (the total is unchanged)."""
    if len(items) <= bars:
        return items
    kept = {i["key"] for i in sorted(items, key=lambda i: -i["value"])[:bars - 1]}
    rest = [i for i in items if i["key"] not in kept]
    return [i for i in items if i["key"] in kept] + [{
        "key": "other", "value": sum(i["value"] for i in rest),
        "label": ngettext("%(n)d other section", "%(n)d other sections", len(rest)) % {"n": len(rest)}}]


def screen(node: Region, *, today: dt.date | None = None) -> dict[str, Any]:
    """The big screen's figures as JSON (its refresh endpoint answers this)."""
    data = page(node, today=today, with_modules=False)
    data["charts"]["industry"] = fewer_bars(data["charts"]["industry"])
    feed = data["alerts"]
    total = len(feed) if len(feed) < FEED_SIZE else Alert.objects.filter(path__startswith=node.path).count()
    more = max(total - SCREEN_FEED, 0)
    return {
        "region": node.code, "name": node.name, "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "cards": data["cards"], "alerts": feed[:SCREEN_FEED], "alerts_more": more,
        "alerts_more_text": ngettext("%(n)d more alert", "%(n)d more alerts", more) % {"n": more} if more else "",
        "alerts_url": f"{node_url(node.code)}#alerts-h",
        "children": data["children"], "payouts": data["payouts"],
        "desk": data["desk"],
        "charts": {k: data["charts"][k] for k in ("industry", "moves", "registrations", "payouts", "treemap")},
    }
