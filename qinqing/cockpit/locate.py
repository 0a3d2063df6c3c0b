"""Where an enterprise sits and who may see it: the platform's account first, else the market registry."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from qinqing.accounts.models import Enterprise
from qinqing.accounts.scope import scope_of
from qinqing.core.errors import NotFound
from qinqing.core.ids import normalise_uscc
from qinqing.datahub.models import RegistryRecord
from qinqing.regions.models import Region


@dataclass(frozen=True)
class Located:
    """An enterprise found by its USCC: its name, its node (down to the unit), its account and registry record."""

    uscc: str
    name: str
    region: Region
    enterprise: Enterprise | None
    registry: RegistryRecord | None

    @property
    def capital(self) -> Decimal | None:
        return self.registry.registered_capital if self.registry is not None else None


def locate(uscc: str) -> Located | None:
    """Find an enterprise's node as the cockpit places it: the registry record's region, or the account's region when
    it lies inside that one (down to the unit); the account's alone without a registry record; None if neither.

    An enterprise that moved (the registry's region changed) is where the registry says, not where its account
    was placed before the move: the street it moved into sees its portrait, the one it left no longer does.
    """
    code = normalise_uscc(uscc)
    enterprise = Enterprise.objects.select_related("region").filter(uscc=code).first()
    registry = RegistryRecord.objects.filter(uscc=code).first()
    account = enterprise.region if enterprise is not None else None
    registered = Region.objects.filter(code=registry.region_code).first() if registry is not None else None
    region = account if registered is None or (account is not None and account.path.startswith(registered.path)) \
        else registered
    if region is None:
        return None
    name = enterprise.name if enterprise is not None else registry.name if registry is not None else code
    return Located(uscc=code, name=name, region=region, enterprise=enterprise, registry=registry)


def in_scope(user: object, region: Region) -> bool:
    """Whether a region lies in what the user reads as street, grid or district staff (or is the superuser)."""
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    return scope.is_regional and region.path.startswith(scope.region_path)


def locate_for(user: object, uscc: str) -> Located:
    """The enterprise if the user's region scope contains it; NotFound (404) when unknown or outside it."""
    found = locate(uscc)
    if found is None or not in_scope(user, found.region):
        raise NotFound(_("No such enterprise."))
    return found
