import pytest

from qinqing.core.forms import parse_bool, post_bool


@pytest.mark.parametrize("raw", ["true", "on", "1", "yes", " TRUE ", True])
def test_yes_words_are_true(raw):
    assert parse_bool(raw) is True
    assert post_bool(raw) is True


@pytest.mark.parametrize("raw", ["false", "off", "0", "no", "", False])
def test_no_words_are_false(raw):
    assert parse_bool(raw) is False
    assert post_bool(raw) is False


@pytest.mark.parametrize("raw", [None, "maybe", 1, 0.0, ["true"]])
def test_anything_else_is_neither_and_an_unticked_checkbox(raw):
    assert parse_bool(raw) is None
    assert post_bool(raw) is False
