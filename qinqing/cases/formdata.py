"""Validate an application against its matter's form schema, with prefill applied."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict

from django.http import QueryDict
from django.utils.translation import gettext as _

from qinqing.accounts.errors import USCC_REASONS
from qinqing.catalog.models import FormField
from qinqing.core import ids
from qinqing.core.forms import FALSE_WORDS, TRUE_WORDS, post_bool
from qinqing.core.text import check_visible
from qinqing.core.values import convert, convertible, validate_amount, validate_area
from qinqing.datahub.queries import Fact, Provenance, missing_sources, provenance


class MissingData(TypedDict):
    """A source that holds no record of the enterprise, and the form fields it would have filled."""

    source_name: str
    fields: list[str]


class Prefill(TypedDict):
    """What government already holds for a form: values, where each comes from, which may be changed,
    and which government data is missing."""

    data: dict[str, Any]
    sources: dict[str, Provenance]
    editable: dict[str, bool]
    missing: list[MissingData]


def _uscc(value: str) -> str:
    try:
        return ids.validate_uscc(ids.normalise_identifier(value))
    except ids.InvalidUSCC as exc:
        raise ValueError(str(USCC_REASONS.get(exc.reason, _("This is not a valid unified social credit code.")))) from None


def _resident_id(value: str) -> str:
    try:
        return ids.validate_resident_id(value)
    except ids.InvalidResidentId as exc:
        raise ValueError(exc.reason) from None


def _id_or_uscc(value: str) -> str:
    """A natural person's resident ID number or an organisation's credit code, both 18 characters."""
    try:
        return ids.validate_resident_id(value)
    except ids.InvalidResidentId as person:
        try:
            return ids.validate_uscc(ids.normalise_identifier(value))
        except ids.InvalidUSCC:
            raise ValueError(_("Enter an 18-character resident ID number (natural person) or unified social "
                               "credit code (organisation). As an ID number: %(reason)s")
                             % {"reason": person.reason}) from None


def _contact(validator: Callable[[str], str]) -> Callable[[str], str]:
    def check(value: str) -> str:
        try:
            return validator(value)
        except ids.InvalidIdentifier as exc:
            raise ValueError(exc.reason) from None
    return check


TEXT_KINDS: dict[str, Callable[[str], str]] = {
    FormField.Kind.USCC: _uscc,
    FormField.Kind.RESIDENT_ID: _resident_id,
    FormField.Kind.ID_OR_USCC: _id_or_uscc,
    FormField.Kind.MOBILE: _contact(ids.validate_mobile),
    FormField.Kind.LANDLINE: _contact(ids.validate_landline),
    FormField.Kind.PHONE: _contact(ids.validate_phone),
    FormField.Kind.BANK_ACCOUNT: _contact(ids.validate_bank_account),
    FormField.Kind.POSTCODE: _contact(ids.validate_postcode),
    FormField.Kind.EMAIL: _contact(ids.validate_email),
}
NUMBER_KINDS: dict[str, Callable[[object], Decimal]] = {
    FormField.Kind.AMOUNT: validate_amount,
    FormField.Kind.AREA: validate_area,
}


def _coerce(field: FormField, raw: Any) -> Any:
    """Return the typed value or raise ValueError with a translated message."""
    kind = field.type
    if kind in (FormField.Type.TEXT, FormField.Type.TEXTAREA):
        if not isinstance(raw, str):
            raise ValueError(_("Enter text."))
        value = raw.strip()
        limit = field.max_length or (2000 if kind == FormField.Type.TEXTAREA else 200)
        if len(value) > limit:
            raise ValueError(_("At most %(n)d characters.") % {"n": limit})
        check_visible(value, multiline=kind == FormField.Type.TEXTAREA)
        check = TEXT_KINDS.get(field.kind)
        return check(value) if check is not None else value
    if kind == FormField.Type.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS | FALSE_WORDS:
            return raw.strip().lower() in TRUE_WORDS
        raise ValueError(_("Choose yes or no."))
    if kind == FormField.Type.INTEGER:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise ValueError(_("Enter a whole number."))
        try:
            number = int(str(raw).strip())
        except ValueError:
            raise ValueError(_("Enter a whole number.")) from None
        _check_range(field, Decimal(number))
        return number
    if kind == FormField.Type.DECIMAL:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
            raise ValueError(_("Enter a number."))
        number_check = NUMBER_KINDS.get(field.kind)
        if number_check is not None:
            checked = number_check(raw if not isinstance(raw, float) else repr(raw))
            _check_range(field, checked)
            return str(checked)
        try:
            amount = Decimal(str(raw).strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not amount.is_finite() or amount.copy_abs() >= Decimal("1e15"):  # copy_abs: no Overflow
            raise ValueError(_("Enter a number."))
        amount = amount.quantize(Decimal("0.01"))
        _check_range(field, amount)
        return str(amount)
    if kind == FormField.Type.DATE:
        if not isinstance(raw, str):
            raise ValueError(_("Enter a date as YYYY-MM-DD."))
        try:
            return dt.date.fromisoformat(raw.strip()).isoformat()
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None
    if kind == FormField.Type.CHOICE:
        values = [str(c.get("value")) for c in field.choices or []]
        if not isinstance(raw, str) or raw not in values:
            raise ValueError(_("Choose one of the listed options."))
        return raw
    raise ValueError(_("Unsupported field type."))


def _check_range(field: FormField, number: Decimal) -> None:
    if field.min_value is not None and number < field.min_value:
        raise ValueError(_("Must be at least %(n)s.") % {"n": field.min_value.normalize()})
    if field.max_value is not None and number > field.max_value:
        raise ValueError(_("Must be at most %(n)s.") % {"n": field.max_value.normalize()})


def _empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def prefill_value(field: FormField, facts: Mapping[str, Fact]) -> Any:
    """Return the value a field takes from shared data, in the form's own type, or None."""
    fact = facts.get(field.prefill) if field.prefill else None
    if fact is None or fact.value is None:
        return None
    value = fact.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if fact.unit != field.unit:
        # A figure in another unit is converted (元 → 万元, 亩 → m²); one that cannot be is not prefilled.
        if not convertible(fact.unit, field.unit) or isinstance(value, bool) or not isinstance(value, int | Decimal):
            return None
        places = 0 if field.type == FormField.Type.INTEGER else 2
        value = convert(value, fact.unit, field.unit, places=places)
        return int(value) if field.type == FormField.Type.INTEGER else str(value)
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if field.type == FormField.Type.CHOICE:
        # Sources hold the words (工业用地); the form stores the choice's value (industrial).
        for choice in field.choices or []:
            if str(value) in (str(choice.get("value")), choice.get("label"), choice.get("label_en")):
                return str(choice.get("value"))
    return value


def posted_form_data(post: QueryDict, fields: Iterable[tuple[str, FormField]]) -> dict[str, Any]:
    """Read a posted form: every checkbox as True or False, other fields only when posted."""
    data: dict[str, Any] = {}
    for key, field in fields:
        if field.type == FormField.Type.BOOLEAN:
            data[key] = post_bool(post.get(key))
        elif key in post:
            data[key] = post.get(key)
    return data


def build_prefill(fields: Iterable[tuple[str, FormField]], facts: Mapping[str, Fact]) -> Prefill:
    """Return the prefill of a form whose fields are (key, field) pairs, each value with its provenance."""
    prefill: Prefill = {"data": {}, "sources": {}, "editable": {}, "missing": []}
    absent = missing_sources(dict(facts))
    missing: dict[str, list[str]] = {}
    for key, field in fields:
        value = prefill_value(field, facts)
        if value is None:
            prefix = field.prefill.split(".", 1)[0] if field.prefill else ""
            if prefix in absent and field.display_label not in missing.setdefault(prefix, []):
                missing[prefix].append(field.display_label)
            continue
        prefill["data"][key] = value
        prefill["sources"][key] = provenance(facts[field.prefill])
        prefill["editable"][key] = field.editable
    prefill["missing"] = [{"source_name": absent[prefix], "fields": labels} for prefix, labels in missing.items()]
    return prefill


def clean_form_data(
    fields: Iterable[FormField], data: Mapping[str, Any], facts: Mapping[str, Fact], *, fill_booleans: bool = False,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, list[str]]]:
    """Return (cleaned data, prefill sources, field errors).

    Prefilled values fill what the applicant left empty; a value that is not editable must equal
    the one government holds; a correction of an editable value is recorded as such.
    """
    fields = list(fields)
    known = {f.key for f in fields}
    errors: dict[str, list[str]] = {}
    for key in data:
        if key not in known:
            errors.setdefault(str(key), []).append(_("Unknown field."))
    cleaned: dict[str, Any] = {}
    sources: dict[str, dict[str, Any]] = {}
    for field in fields:
        raw = data.get(field.key)
        if fill_booleans and field.type == FormField.Type.BOOLEAN and raw is None:
            raw = False
        held = prefill_value(field, facts)
        fact = facts.get(field.prefill) if field.prefill else None
        if _empty(raw) and held is not None:
            raw = held
        if _empty(raw):
            if field.required:
                errors.setdefault(field.key, []).append(_("This field is required."))
            continue
        try:
            value = _coerce(field, raw)
        except ValueError as exc:
            errors.setdefault(field.key, []).append(str(exc))
            continue
        if held is not None and fact is not None:
            same = str(value) == str(held)
            if not same and not field.editable:
                errors.setdefault(field.key, []).append(
                    _("This value comes from %(source)s and cannot be changed here.") % {"source": fact.source_name}
                )
                continue
            sources[field.key] = {**provenance(fact), "corrected": not same, "held_value": str(held)}
        if field.type == FormField.Type.BOOLEAN and field.required and value is False:
            errors.setdefault(field.key, []).append(_("This must be confirmed."))
            continue
        cleaned[field.key] = value
    return cleaned, sources, errors


def rule_facts(fields: Iterable[FormField], cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """Form values typed for rule evaluation (decimals as numbers)."""
    out: dict[str, Any] = {}
    types = {f.key: f.type for f in fields}
    for key, value in cleaned.items():
        out[key] = float(value) if types.get(key) == FormField.Type.DECIMAL else value
    return out
