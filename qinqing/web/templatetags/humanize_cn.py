"""Display helpers for Chinese users: thousands separators, yuan, local dates, status labels."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from qinqing.core.i18n import english

register = template.Library()
_HAN = re.compile(r"[\u4e00-\u9fff]")


@register.filter
def thousands(value: Any) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def yuan(value: Any) -> str:
    """An amount of money: ¥ and two decimals, zero included (a fund with nothing paid shows ¥0.00)."""
    if value in (None, ""):
        return ""
    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    return f"¥{amount:,}"


@register.filter
def amount(value: Any) -> str:
    """An amount in a column headed with its unit (元): thousands separators and two decimals, no ¥ sign."""
    if value in (None, ""):
        return ""
    return f"{Decimal(str(value)).quantize(Decimal('0.01')):,}"


@register.filter
def fee(value: Any) -> str:
    """A matter's fee: 不收费 when there is none, else the amount."""
    if value in (None, ""):
        return ""
    return _("free") if Decimal(str(value)) == 0 else yuan(value)


@register.filter
def with_unit(value: Any, unit: str) -> str:
    """A figure as a person reads it: thousands separators, then its unit (元, 人, m² …) when it has one."""
    from qinqing.core.values import unit_label

    if value in (None, ""):
        return ""
    text = str(value)
    try:
        number = Decimal(text)
    except ArithmeticError:
        return text
    if not number.is_finite():
        return text
    shown = f"{number:,}" if number == number.to_integral_value() and "." not in text else f"{number:,.2f}"
    label = unit_label(unit or "", english())
    if not label:
        return shown
    return f"{shown} {label}" if english() or label.isascii() else f"{shown}{label}"


@register.filter
def local(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not value:
        return ""
    return timezone.localtime(value).strftime(fmt)


@register.filter
def limit_label(amount: int, unit: str) -> str:
    """"5个工作日" / "5 working days"; 0 is on the spot."""
    if not amount:
        return _("on the spot")
    if unit == "working_days":
        return ngettext("%(n)d working day", "%(n)d working days", amount) % {"n": amount}
    return ngettext("%(n)d calendar day", "%(n)d calendar days", amount) % {"n": amount}


@register.filter
def choice_label(field: Any, value: Any) -> str:
    """The label of a choice field's stored value, in the current language."""
    english = (get_language() or "").startswith("en")
    for choice in getattr(field, "choices", None) or []:
        if str(choice.get("value")) == str(value):
            return str((choice.get("label_en") if english else "") or choice.get("label") or value)
    return "" if value is None else str(value)


@register.filter
def yesno_cn(value: Any) -> Any:
    """Show booleans as 是/否 (Yes/No); other values unchanged."""
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    return value


@register.filter
def get(mapping: Any, key: str) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def case_status(value: str) -> str:
    """The translated name of a case status."""
    from qinqing.cases.workflow import Status

    try:
        return str(Status(value).label)
    except ValueError:
        return value


@register.filter(name="action_label")
def action_label_filter(action: str) -> str:
    """The translated name of a case timeline action."""
    from qinqing.cases.workflow import action_label

    return action_label(action)


@register.filter
def source_label(info: Any) -> str:
    """The name of the source a prefilled value came from (a provenance dict), in the current language."""
    if not isinstance(info, dict):
        return ""
    name = str(info.get("source_name") or "")
    if english() and info.get("source"):
        from qinqing.datahub.models import Source

        name_en = Source.objects.filter(code=info["source"]).values_list("name_en", flat=True).first()
        return name_en or name
    return name


@register.filter
def lang_attr(value: Any) -> str:
    """` lang="zh-CN"` for a recorded value written in Chinese (so English pages mark it), else ""."""
    return ' lang="zh-CN"' if _HAN.search(str(value or "")) else ""


@register.filter
def case_title(case: Any) -> str:
    """A case's title in the current language; a 一件事 parent (a case or its summary) by its bundle's name."""
    if isinstance(case, dict):
        code, matter, title = case.get("bundle"), case.get("matter"), str(case.get("title") or "")
    else:
        code, matter, title = getattr(case, "bundle_code", ""), getattr(case, "matter_id", None), case.display_title
    if code and matter is None and english():
        from qinqing.bundles.models import Bundle

        return Bundle.objects.filter(code=code).values_list("name_en", flat=True).first() or title
    return title
