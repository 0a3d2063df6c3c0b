"""`among`: the same rows as `field__in`, combinable with other conditions."""

from __future__ import annotations

import pytest

from qinqing.core.lookups import among, among_q
from qinqing.regions.models import Region

pytestmark = pytest.mark.django_db


def test_among_selects_the_rows_field_in_selects():
    regions = Region.objects.all()
    wanted = [*regions.values_list("id", flat=True)[:7], 0, -1]
    assert len(wanted) == 9, "the region tree ships with the migrations"
    assert set(among(regions, "id", wanted)) == set(regions.filter(id__in=wanted))
    assert list(among(regions, "id", [])) == []
    codes = list(regions.values_list("code", flat=True)[:3])
    assert set(regions.filter(among_q(Region, "code", codes)).values_list("code", flat=True)) == set(codes)


def test_among_combines_with_other_conditions():
    regions = Region.objects.all()
    first, second = regions.order_by("id").values_list("id", flat=True)[:2]
    either = regions.filter(among_q(Region, "id", [first]) | among_q(Region, "id", [second]))
    assert set(either.values_list("id", flat=True)) == {first, second}
    assert not regions.filter(among_q(Region, "id", [first]), id=second).exists()
