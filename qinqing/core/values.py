"""Amounts, areas and the units a figure is stated in (元, 万元, m², 亩, %, 人 …), as data.

A unit belongs to a dimension (money, area, share, people, …); figures convert only within one
dimension and one currency, exactly, with Decimal arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from django.utils.translation import gettext as _

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Unit:
    code: str
    symbol: str
    symbol_en: str
    dimension: str
    factor: Fraction  # how many of the dimension's base unit one of this unit is

    def display(self, english: bool = False) -> str:
        return self.symbol_en if english else self.symbol


# Base units: yuan, US dollar, square metre, percent, person, year, month, metre, piece.
UNITS: dict[str, Unit] = {u.code: u for u in (
    Unit("yuan", "元", "yuan", "money_cny", Fraction(1)),
    Unit("wan_yuan", "万元", "× 10,000 yuan", "money_cny", Fraction(10_000)),
    Unit("yi_yuan", "亿元", "× 100 million yuan", "money_cny", Fraction(100_000_000)),
    Unit("wan_usd", "万美元", "× 10,000 US dollars", "money_usd", Fraction(10_000)),
    Unit("m2", "m²", "m²", "area", Fraction(1)),
    Unit("mu", "亩", "mu", "area", Fraction(2000, 3)),
    Unit("hectare", "公顷", "ha", "area", Fraction(10_000)),
    Unit("percent", "%", "%", "share", Fraction(1)),
    Unit("person", "人", "persons", "people", Fraction(1)),
    Unit("year", "年", "years", "years", Fraction(1)),
    Unit("month", "月", "months", "months", Fraction(1)),
    Unit("metre", "米", "m", "length", Fraction(1)),
    Unit("piece", "个", "pcs", "count", Fraction(1)),
)}


class UnitError(ValueError):
    """A figure cannot be converted from one unit to another; `reason` is translated."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def unit_problem(code: str) -> str:
    """Why `code` is not a unit code ("" when it is, or when it is empty: no unit)."""
    if code == "" or code in UNITS:
        return ""
    return f"unknown unit {code!r} (one of {', '.join(UNITS)})"


def unit_label(code: str, english: bool = False) -> str:
    """The unit as a person writes it next to a figure ("" for none)."""
    unit = UNITS.get(code)
    return unit.display(english) if unit is not None else ""


def convertible(source: str, target: str) -> bool:
    """Tell whether a figure in `source` can be stated in `target` (same dimension, or both unitless)."""
    if source == target:
        return True
    if not source or not target:
        return False
    a, b = UNITS.get(source), UNITS.get(target)
    return a is not None and b is not None and a.dimension == b.dimension


def convert(value: Decimal | int, source: str, target: str, *, places: int = 2) -> Decimal:
    """Return `value` (in `source`) stated in `target`, rounded half-up to `places`; raise UnitError."""
    if not convertible(source, target):
        raise UnitError(_("A figure in %(a)s cannot be stated in %(b)s.")
                        % {"a": unit_label(source) or _("no unit"), "b": unit_label(target) or _("no unit")})
    exact = Fraction(Decimal(value))
    if source != target:
        exact = exact * UNITS[source].factor / UNITS[target].factor
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(quantum, rounding=ROUND_HALF_UP)


def _non_negative_cents(raw: object, kind: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | str | Decimal):
        raise ValueError(_("Enter an amount.") if kind == "amount" else _("Enter an area."))
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(_("Enter a number, e.g. 1234.56.")) from None
    if not value.is_finite() or value.copy_abs() >= Decimal("1e15"):  # copy_abs: no Overflow
        raise ValueError(_("Enter a number, e.g. 1234.56."))
    if value < 0:
        raise ValueError(_("An amount cannot be negative.") if kind == "amount" else _("An area cannot be negative."))
    if value != value.quantize(CENT):
        raise ValueError(_("At most two decimal places."))
    return value.quantize(CENT)


def validate_amount(raw: object) -> Decimal:
    """Return an amount of money: a Decimal, at least 0, with exactly two decimals."""
    return _non_negative_cents(raw, "amount")


def validate_area(raw: object) -> Decimal:
    """Return an area: a Decimal, at least 0, with two decimals."""
    return _non_negative_cents(raw, "area")
