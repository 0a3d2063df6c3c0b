"""`qinqing createstaff`: region staff (street, grid, district) need a region and no department."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from qinqing.accounts.models import Role, User
from qinqing.accounts.scope import scope_of

pytestmark = pytest.mark.django_db


def test_createstaff_makes_street_and_grid_staff_scoped_to_their_region():
    call_command("createstaff", "--username", "cs_puyan", "--password", "Qinqing@2026", "--roles", "street_staff",
                 "--region", "330108003")
    call_command("createstaff", "--username", "cs_grid", "--password", "Qinqing@2026", "--roles", "grid_staff",
                 "--region", "330108003015")
    street, grid = User.objects.get(username="cs_puyan"), User.objects.get(username="cs_grid")
    assert street.department is None and street.is_regional_staff and scope_of(street).region_path.endswith(
        "330108003/")
    assert grid.roles == [Role.GRID_STAFF] and scope_of(grid).region_path.endswith("330108003015/")


def test_createstaff_refuses_region_staff_without_a_region_and_unknown_regions():
    with pytest.raises(CommandError, match="--region"):
        call_command("createstaff", "--username", "cs_nowhere", "--password", "Qinqing@2026", "--roles",
                     "grid_staff")
    with pytest.raises(CommandError):
        call_command("createstaff", "--username", "cs_bad", "--password", "Qinqing@2026", "--roles", "street_staff",
                     "--region", "330108999")
    assert not User.objects.filter(username__in=["cs_nowhere", "cs_bad"]).exists()
