"""Pure classifications: status, size by the 2017 statistical standard, capital band, moves between nodes."""

from __future__ import annotations

from decimal import Decimal

from qinqing.cockpit import classify
from qinqing.cockpit.services.counting import move_nodes, status_flows


def test_status_keeps_an_abnormal_listing_only_for_an_active_enterprise() -> None:
    assert classify.status_of("存续", abnormal=True) == "abnormal"
    assert classify.status_of("在业", abnormal=False) == "active"
    assert classify.status_of("注销", abnormal=True) == "deregistered"
    assert classify.status_of("吊销", abnormal=False) == "revoked"
    assert classify.status_of("迁出", abnormal=False) == "moved_out"


def test_size_needs_every_threshold_and_is_unknown_without_data() -> None:
    wan = Decimal(10_000)
    assert classify.size_of("C3921", 1200, 50_000 * wan) == "large"
    assert classify.size_of("C3921", 1200, 1_000 * wan) == "small"  # revenue below the medium floor
    assert classify.size_of("I6513", 150, 2_000 * wan) == "medium"
    assert classify.size_of("I6513", 5, 20 * wan) == "micro"
    assert classify.size_of("L7262", 120, None) == "medium"  # other industries: employees only
    assert classify.size_of("I6513", None, 2_000 * wan) == "unknown"
    assert classify.size_of("F5179", 30, 6_000 * wan) == "medium"  # wholesale (F51)


def test_capital_bands_and_tags() -> None:
    assert classify.capital_band(Decimal("9999999.99")) == "5m_10m"
    assert classify.capital_band(Decimal("10000000")) == "10m_100m"
    assert classify.capital_band(None) == ""
    assert classify.tag_text(["specialised", "high_tech"]) == ",high_tech,specialised,"
    assert classify.tag_list(",high_tech,specialised,") == ["high_tech", "specialised"]
    assert classify.tags_of({"high_tech": "是", "specialised": "否", "above_scale": "是"}) == ["high_tech", "above_scale"]


def test_a_move_counts_only_in_the_nodes_it_left_and_entered() -> None:
    left, entered = move_nodes("330100/330108/330108002/330108002002/", "330100/330108/330108001/330108001001/")
    assert left == ["330108002", "330108002002"] and entered == ["330108001", "330108001001"]
    assert move_nodes("330100/330108/330108002/", "330100/330108/330108002/330108002005/") == ([], ["330108002005"])


def test_status_flows() -> None:
    assert status_flows("active", "deregistered") == ["deregistered"]
    assert status_flows("abnormal", "revoked") == ["deregistered"]
    assert status_flows("revoked", "deregistered") == []
    assert status_flows("active", "moved_out") == ["moved_out"]
    assert status_flows("active", "abnormal") == ["abnormal"]
    assert classify.headcount_drop(186, 120) == Decimal("0.3548") and classify.headcount_drop(5, 6) is None
