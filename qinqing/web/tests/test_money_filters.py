"""Money on pages: an amount is always an amount; only a matter's fee of zero reads 不收费."""

from decimal import Decimal

from django.utils import translation

from qinqing.web.templatetags.humanize_cn import fee, yuan


def test_a_zero_amount_is_shown_as_zero_yuan_not_as_free():
    with translation.override("zh-hans"):
        assert yuan(Decimal("0")) == "¥0.00"
        assert yuan(Decimal("400000")) == "¥400,000.00"


def test_a_zero_fee_reads_free_in_chinese_and_english():
    with translation.override("zh-hans"):
        assert fee(Decimal("0")) == "不收费"
        assert fee(Decimal("12.5")) == "¥12.50"
    with translation.override("en"):
        assert fee(0) == "free"


def test_missing_values_show_nothing():
    assert yuan(None) == "" and fee("") == ""


def test_an_amount_under_a_yuan_heading_has_separators_and_two_decimals():
    from qinqing.web.templatetags.humanize_cn import amount

    assert amount(Decimal("126000")) == "126,000.00"
    assert amount(0) == "0.00" and amount(None) == ""
