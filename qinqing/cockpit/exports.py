"""The tables a street reports upward, as an Excel workbook (openpyxl): one sheet per table.

Each sheet opens with the region's name and code and the generation time (Asia/Shanghai), then a header
row in the chosen language (Chinese by default) with the unit in brackets, then the rows.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from qinqing.cockpit import board, classify, labels, queries
from qinqing.regions.models import Region

TABLES = ("summary", "children", "enterprises", "payouts", "alerts", "desk")


def _header(label: str, unit: str) -> str:
    return f"{label}（{unit}）" if unit else label


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "、".join(f"{k}:{v}" for k, v in value.items())
    return value


def _summary(node: Region) -> tuple[list[str], Iterator[list[Any]]]:
    summary = queries.summary(node)
    exact = {"payouts_amount": Decimal(summary.payouts_amount).quantize(Decimal("0.01"))}  # a number, not text
    rows = [[c["label"], exact.get(c["key"], c["value"] if c["value"] is not None else "—"), c["unit"]]
            for c in board.cards(summary)]
    for dimension in ("status", "industry", "size", "capital_band", "tag"):
        for item in board.breakdown(getattr(summary, f"by_{dimension}"), dimension):
            rows.append([f"{labels.DIMENSION_LABELS[dimension]}：{item['label']}", item["value"],
                         str(labels.ENTERPRISES)])
    return [_("Figure"), _("Value"), _("Unit of measure")], iter(rows)


def _children(node: Region) -> tuple[list[str], Iterator[list[Any]]]:
    header = [_("Region code"), _("Region"), _("Level"), _header(_("Enterprises in operation"), str(labels.ENTERPRISES)),
              _header(_("Registered, last 30 days"), str(labels.ENTERPRISES)),
              _header(_("Payout amount"), str(labels.YUAN)), _header(_("Open alerts"), str(labels.ALERTS))]
    children = board.child_rows(node)
    unplaced = board.unplaced_row(queries.summary(node), children)
    rows = ([r["code"], r["name"], r["level"], r["enterprises"], r["registered_30d"], Decimal(r["payouts_amount"]),
             r["alerts_open"]] for r in [*children, *([unplaced] if unplaced else [])])
    return header, rows


def _payouts(node: Region) -> tuple[list[str], Iterator[list[Any]]]:
    header = [_("Policy"), _header(_("Payouts"), str(labels.PAYMENTS)), _header(_("Amount"), str(labels.YUAN))]
    summary = queries.summary(node)
    return header, ([name, count, Decimal(amount)] for name, count, amount in summary.payouts_by_policy)


def _paged(fetch: Callable[[str | None], Any], limit: int) -> Iterator[Any]:
    """Every row of a keyset-paged query, page after page, up to `limit` rows."""
    cursor: str | None = None
    seen = 0
    while True:
        page = fetch(cursor)
        for row in page.items:
            yield row
            seen += 1
            if seen >= limit:
                return
        cursor = page.next_cursor
        if not cursor:
            return


def _enterprises(node: Region) -> tuple[list[str], Iterator[list[Any]]]:
    header = [_("USCC"), _("Enterprise"), _("Region code"), _("Status"), _("Industry"), _("Size"),
              _header(_("Registered capital"), str(labels.YUAN)), _("Registered capital band"), _("Tags"),
              _header(_("Insured employees"), str(labels.PEOPLE)), _("Registered on")]
    names = dict(Region.objects.subtree(node).values_list("code", "name"))

    def rows() -> Iterator[list[Any]]:
        filters = queries.EnterpriseFilters()
        for e in _paged(lambda cursor: queries.enterprises(node, filters=filters, cursor=cursor, limit=500),
                        board.EXPORT_ROWS):
            code = classify.ancestors(e.path)[-1] if e.path else ""
            yield [e.uscc, e.name, f"{names.get(code, '')}（{code}）" if code else "",
                   labels.status_label(e.status), labels.section_name(e.industry) if e.industry else "",
                   labels.dimension_label("size", e.size), e.capital, labels.dimension_label("capital_band",
                                                                                             e.capital_band),
                   "、".join(labels.dimension_label("tag", t) for t in classify.tag_list(e.tags)),
                   e.headcount, e.established_on]

    return header, rows()


def _alerts(node: Region) -> tuple[list[str], Iterator[list[Any]]]:
    header = [_("Raised at"), _("Severity"), _("Signal"), _("Rule"), _("Enterprise"), _("USCC"), _("Acknowledged")]

    def rows() -> Iterator[list[Any]]:
        for alert in _paged(lambda cursor: queries.alerts(node, cursor=cursor, limit=500), board.EXPORT_ROWS):
            row = board.alert_row(alert)
            yield [row["at"], row["severity_label"], row["signal"], row["title"], row["enterprise_name"], row["uscc"],
                   _("yes") if row["acknowledged"] else _("no")]

    return header, rows()


def _desk(node: Region) -> tuple[list[str], Iterator[list[Any]]]:
    """The service desk's card (亲清D小二, last 30 days): its counts, its two on-time shares, the five levels."""
    desk = board.desk_view(queries.desk_activity(node))
    rows: list[list[Any]] = [[c["label"], c["value"], c["unit"]] for c in desk["cards"]]
    for share in desk["shares"]:
        value = Decimal(share["value"]) if share["value"] is not None else _("nothing decided yet")
        rows.append([f"{share['label']}（{share['part']} / {share['whole']}）", value, "%"])
    for level in desk["ratings"]:
        rows.append([f"{_('Satisfaction')}：{level['label']}", level["value"], str(labels.RATINGS)])
    return [_("Figure"), _("Value"), _("Unit of measure")], iter(rows)


BUILDERS: dict[str, Callable[[Region], tuple[list[str], Iterator[list[Any]]]]] = {
    "summary": _summary, "children": _children, "enterprises": _enterprises, "payouts": _payouts, "alerts": _alerts,
    "desk": _desk,
}


def sheet_title(table: str) -> str:
    return {"summary": _("Summary figures"), "children": _("Areas below"), "enterprises": _("Enterprise list"),
            "payouts": _("Payouts by policy"), "alerts": _("Alerts"),
            "desk": _("Service desk, last 30 days")}[table]


def workbook(node: Region, tables: tuple[str, ...] = TABLES) -> bytes:
    """The workbook of the given tables for the node's subtree."""
    book = Workbook()
    generated = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
    for index, table in enumerate(tables):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = sheet_title(table)[:31]
        sheet.append([_("Region"), f"{node.name}（{node.code}）"])
        sheet.append([_("Generated at"), f"{generated}（{_('Beijing time')}）"])
        sheet.append([_("Table"), sheet_title(table)])
        sheet.append([])
        header, rows = BUILDERS[table](node)
        sheet.append(header)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_cell(v) for v in row])
        sheet.freeze_panes = "A6"
        for column, width in zip("ABCDEFGHIJ", (22, 28, 14, 16, 16, 16, 16, 16, 16, 16), strict=False):
            sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
