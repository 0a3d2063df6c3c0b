"""What the page's words claim: the two "moved out" figures each say what they count and count it, data sources are
named as people know them, and the wall's alert feed holds what fits and counts the rest."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from qinqing.cockpit import board, queries
from qinqing.cockpit.models import Alert
from qinqing.cockpit.tests.support import (
    PUYAN,
    REGISTRY_FIELDS,
    XIXING,
    catch_up,
    change_registry,
    fresh_uscc,
    new_registration,
    node,
    staff,
)
from qinqing.datahub.models import RegistryRecord, Source
from qinqing.regions.models import Region

pytestmark = pytest.mark.django_db


def _client(language: str = "") -> Client:
    client = Client()
    client.force_login(staff("pl_puyan", PUYAN), backend="django.contrib.auth.backends.ModelBackend")
    if language:
        client.cookies["django_language"] = language
    return client


def _registry(uscc: str, **changes: Any) -> dict[str, Any]:
    record = RegistryRecord.objects.get(uscc=uscc)
    return {"uscc": uscc, **{f: getattr(record, f) for f in REGISTRY_FIELDS}, **changes}


def _card(html: str, key: str) -> tuple[str, str, int]:
    """A key figure's card as the page shows it: its label, its help text and its figure."""
    found = re.search(rf'<li class="stat" data-key="{key}" title="([^"]*)"><span class="label">([^<]*)</span>\s*'
                      r'<span class="value">(\d+)</span>', html)
    assert found, f"no card {key} with a help text"
    return found.group(2), found.group(1), int(found.group(3))


def _charts(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="cockpit-charts" type="application/json">(.*?)</script>', html, re.S)
    assert found
    return dict(json.loads(found.group(1)))


def _status_bars(html: str) -> dict[str, dict[str, Any]]:
    return {bar["key"]: bar for bar in _charts(html)["status"]}


def _community(code: str) -> Region:
    community = Region.objects.filter(parent__code=code).order_by("code").first()
    assert community is not None
    return community


def test_the_moved_out_bar_and_the_moved_out_card_say_what_they_count_and_count_it() -> None:
    catch_up()
    home = _community(PUYAN)
    leaving, closing = fresh_uscc(71), fresh_uscc(72)
    new_registration(leaving, region=home.code, name="杭州迁址测试科技有限公司")
    new_registration(closing, region=home.code, name="杭州迁出登记测试科技有限公司")
    catch_up()
    before = queries.summary(node(PUYAN))

    change_registry(_registry(leaving, region_code=_community(XIXING).code))  # moves to another street
    change_registry(_registry(closing, status="迁出"))  # stays at its address, its registry status turns 迁出
    catch_up()

    summary = queries.summary(node(PUYAN))
    html = _client().get(f"/cockpit/{PUYAN}/").content.decode()
    label, help_text, figure = _card(html, "moved_out_30d")
    assert label == "近30天迁出本辖区" and "离开本辖区" in help_text
    assert figure == summary.moved_out_30d == before.moved_out_30d + 2  # the move and the registry's 迁出
    bar = _status_bars(html)["moved_out"]
    assert bar["label"] == "登记状态：迁出"
    assert bar["value"] == summary.by_status["moved_out"] == before.by_status.get("moved_out", 0) + 1
    assert "“登记状态：迁出”统计本辖区内登记状态目前为“迁出”的企业" in html  # the chart's note
    assert [line["name"] for line in _charts(html)["moves"]["lines"]] == ["迁入本辖区", "迁出本辖区"]  # as the card

    english = _client("en").get(f"/cockpit/{PUYAN}/").content.decode()
    assert _card(english, "moved_out_30d")[0] == "Moved out of this area, last 30 days"
    assert _status_bars(english)["moved_out"]["label"] == "Registry status: moved out"


@pytest.mark.parametrize("language", ["", "en"])
def test_a_modules_source_note_names_the_source_never_its_code(language: str) -> None:
    catch_up()
    html = _client(language).get(f"/cockpit/{PUYAN}/").content.decode()
    annual = Source.objects.get(code="enterprise_annual")
    assert 'class="hint source"' in html  # 楼宇经济's tax columns carry their source
    assert (annual.name_en if language else annual.name) in html
    codes = list(Source.objects.values_list("code", flat=True))
    notes = re.findall(r'<p class="hint source">(.*?)</p>', html, re.S)
    assert notes and not [code for code in codes for note in notes if code in note]
    # Nowhere in what the page shows is a source's code (the JSON its charts read is not shown).
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", html, flags=re.S))
    assert not [code for code in codes if "_" in code and code in text]


def test_the_walls_alert_feed_holds_what_fits_and_counts_the_rest() -> None:
    catch_up()
    home, away = _community(PUYAN), _community(XIXING)
    usccs = [fresh_uscc(80 + i) for i in range(board.SCREEN_FEED + 2)]
    for i, uscc in enumerate(usccs):
        new_registration(uscc, region=home.code, name=f"杭州预警测试{i}科技有限公司")
    catch_up()
    for uscc in usccs:
        change_registry(_registry(uscc, region_code=away.code))  # each move out raises an alert in 浦沿
    catch_up()
    total = Alert.objects.filter(path__startswith=node(PUYAN).path).count()
    assert total > board.SCREEN_FEED

    client = _client()
    data = client.get(f"/cockpit/{PUYAN}/screen.json").json()
    assert len(data["alerts"]) == board.SCREEN_FEED
    assert data["alerts_more"] == total - board.SCREEN_FEED
    assert data["alerts_more_text"] == f"另有{total - board.SCREEN_FEED}条预警"
    html = client.get(f"/cockpit/{PUYAN}/screen/").content.decode()
    assert html.count('<li class="sev-') == board.SCREEN_FEED
    assert f'<a href="/cockpit/{PUYAN}/#alerts-h">另有{total - board.SCREEN_FEED}条预警</a>' in html
