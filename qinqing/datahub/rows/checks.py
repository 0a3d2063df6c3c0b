"""One check per field, compiled per import.

Each check returns the typed value (or None when blank) and appends (field, reason) to the row's
problem list instead of raising: a row is then one dict comprehension, and a bad value costs no
more than a good one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qinqing.accounts.errors import USCC_REASONS
from qinqing.core import ids
from qinqing.core.text import has_invisible, invisible_characters, invisible_message
from qinqing.datahub.rows.fields import DEFAULT_TEXT_LENGTH, FieldSpec

INTEGER_LIMIT = 2**53  # what every JSON reader still reads exactly
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)
_INTEGER = re.compile(r"[-+]?\d{1,16}\Z", re.ASCII)

Check = Callable[[Any], Any]
Problems = list[tuple[str, str]]


class Messages:
    """Translated messages, looked up once per import in the active language."""

    def __init__(self) -> None:
        self.required = _("This field is required.")
        self.text = _("Enter text.")
        self.integer = _("Enter a whole number.")
        self.number = _("Enter a number.")
        self.date = _("Enter a date as YYYY-MM-DD.")
        self.nul = _("Contains a character that cannot be stored.")
        self.unknown = _("Unknown column.")
        self.missing_column = _("Missing column.")
        self.too_large = _("The number is too large.")
        self.not_an_object = _("Each record must be an object.")


def _uscc(value: str) -> str:
    try:
        return ids.validate_uscc(ids.normalise_identifier(value))
    except ids.InvalidUSCC as exc:
        raise ValueError(str(USCC_REASONS[exc.reason])) from None


def _resident_id(value: str) -> str:
    try:
        return ids.validate_resident_id(value)
    except ids.InvalidResidentId as exc:
        raise ValueError(exc.reason) from None


def _contact(validator: Callable[[str], str]) -> Callable[[str], str]:
    def check(value: str) -> str:
        try:
            return validator(value)
        except ids.InvalidIdentifier as exc:
            raise ValueError(exc.reason) from None
    return check


KIND_CHECKS: dict[str, Callable[[str], str]] = {
    "uscc": _uscc, "resident_id": _resident_id, "mobile": _contact(ids.validate_mobile),
    "landline": _contact(ids.validate_landline), "phone": _contact(ids.validate_phone),
    "bank_account": _contact(ids.validate_bank_account), "postcode": _contact(ids.validate_postcode),
    "email": _contact(ids.validate_email),
}


def _text_check(spec: FieldSpec, m: Messages, problems: Problems, required: bool) -> Check:
    name = spec.name
    limit = spec.max_length or DEFAULT_TEXT_LENGTH
    too_long = _("At most %(n)d characters.") % {"n": limit}
    choices = frozenset(spec.choices)
    not_a_choice = _("Choose one of: %(choices)s.") % {"choices": "、".join(spec.choices)}
    pattern = re.compile(f"(?:{spec.pattern})\\Z") if spec.pattern else None
    wrong_format = _("Not in the expected format.")
    kind_check = KIND_CHECKS.get(spec.kind)

    def check(raw: Any) -> str | None:
        if raw.__class__ is str:
            value = raw.strip()
        elif raw is None:
            value = ""
        elif isinstance(raw, int) and not isinstance(raw, bool):
            value = str(raw)
        else:
            problems.append((name, m.text))
            return None
        if not value:
            if required:
                problems.append((name, m.required))
            return None
        if len(value) > limit:
            problems.append((name, too_long))
        elif "\x00" in value:
            problems.append((name, m.nul))
        elif not value.isprintable() and has_invisible(value, multiline=True):  # refused ⊂ not printable
            problems.append((name, invisible_message(invisible_characters(value, multiline=True))))
        elif choices and value not in choices:
            problems.append((name, not_a_choice))
        elif pattern is not None and pattern.match(value) is None:
            problems.append((name, wrong_format))
        elif kind_check is not None:
            try:
                return kind_check(value)
            except ValueError as exc:
                problems.append((name, str(exc)))
        return value

    return check


def _integer_check(spec: FieldSpec, m: Messages, problems: Problems, required: bool) -> Check:
    name = spec.name

    def check(raw: Any) -> int | None:
        kind = raw.__class__
        if kind is str:
            text = raw.strip()
            if not text:
                raw = None
            elif _INTEGER.match(text) is None:
                problems.append((name, m.integer))
                return None
            else:
                value = int(text)
        elif kind is int:
            value = raw
        elif kind is Decimal and raw.is_finite() and raw.adjusted() < 30 and raw == raw.to_integral_value():
            value = int(raw)
        elif raw is not None:
            problems.append((name, m.integer))
            return None
        if raw is None:
            if required:
                problems.append((name, m.required))
            return None
        if abs(value) >= INTEGER_LIMIT:
            problems.append((name, m.too_large))
        return value

    return check


def _decimal_check(spec: FieldSpec, m: Messages, problems: Problems, required: bool) -> Check:
    name = spec.name
    quantum = Decimal(1).scaleb(-spec.decimal_places)
    limit = Decimal(10) ** (spec.max_digits - spec.decimal_places)
    negative_refused = spec.kind in ("amount", "area")
    negative = _("An amount cannot be negative.") if spec.kind == "amount" else _("An area cannot be negative.")
    too_precise = ngettext("At most %(n)d decimal place.", "At most %(n)d decimal places.",
                           spec.decimal_places) % {"n": spec.decimal_places}

    def check(raw: Any) -> Decimal | None:
        kind = raw.__class__
        try:
            if kind is str:
                text = raw.strip()
                if not text:
                    raw = None
                else:
                    value = Decimal(text.replace(",", "") if "," in text else text)
            elif kind is Decimal or kind is int:
                value = Decimal(raw)
            elif kind is float:
                value = Decimal(repr(raw))
            elif raw is not None:
                problems.append((name, m.number))
                return None
            if raw is None:
                if required:
                    problems.append((name, m.required))
                return None
            if not value.is_finite():
                problems.append((name, m.number))
                return None
            if value.copy_abs() >= limit:  # copy_abs: exact, never decimal.Overflow
                problems.append((name, m.too_large))
                return None
            rounded = value.quantize(quantum)
        except InvalidOperation:
            problems.append((name, m.number))
            return None
        if rounded != value:
            problems.append((name, too_precise))
        elif negative_refused and rounded < 0:
            problems.append((name, negative))
        return rounded

    return check


def _date_check(spec: FieldSpec, m: Messages, problems: Problems, required: bool) -> Check:
    name = spec.name

    def check(raw: Any) -> dt.date | None:
        kind = raw.__class__
        if kind is str:
            text = raw.strip()
            if text:
                if _DATE.match(text) is not None:
                    try:
                        return dt.date.fromisoformat(text)
                    except ValueError:
                        pass
                problems.append((name, m.date))
                return None
            raw = None
        elif kind is dt.date:
            return cast(dt.date, raw)
        if raw is None:
            if required:
                problems.append((name, m.required))
            return None
        problems.append((name, m.date))
        return None

    return check


CHECKS: dict[str, Callable[[FieldSpec, Messages, Problems, bool], Check]] = {
    "text": _text_check, "integer": _integer_check, "decimal": _decimal_check, "date": _date_check,
}
