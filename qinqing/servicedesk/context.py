"""What apps beside the desk add to a seat's view of an enterprise: a small registry of context providers.

The desk sits beside `policies` and `bundles` in the layering and never imports them. The project level
(`qinqing/flows.py`, which may import anything) registers a provider per sibling app, e.g. the
enterprise's payouts from `policies`. A provider receives the enterprise and the seat (to scope its
query: the seat sees only what it may read) and returns a section, or None to show nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from qinqing.accounts.models import Enterprise, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ContextRow:
    text: str
    detail: str = ""
    url: str = ""


@dataclass(frozen=True)
class ContextSection:
    key: str
    title: str
    rows: list[ContextRow] = field(default_factory=list)
    more_url: str = ""


Provider = Callable[[Enterprise, User], ContextSection | None]
# What a seat may start on the enterprise's behalf (政府替办) under an authorisation covering `codes` (empty:
# every 一件事 the government may act on): one row per 一件事, its name and the URL that starts it.
StartsProvider = Callable[[Enterprise, list[str]], list[ContextRow]]

_providers: dict[str, Provider] = {}
_starts: list[StartsProvider] = []


def register_starts(provider: StartsProvider) -> None:
    """Set the one provider of 一件事 a seat may start for an enterprise (the bundles app's, via flows)."""
    _starts[:] = [provider]


def starts(enterprise: Enterprise, codes: list[str]) -> list[ContextRow] | None:
    """The 一件事 to start on the enterprise's behalf, or None when no app provides them."""
    _load()
    if not _starts:
        return None
    try:
        return _starts[0](enterprise, codes)
    except Exception:
        log.exception("desk starts provider failed")
        return None


def register(key: str, provider: Provider) -> None:
    """Add (or replace) the provider named `key`; sections show in the order they were registered."""
    _providers[key] = provider


def unregister(key: str) -> None:
    _providers.pop(key, None)


def _load() -> None:
    """Providers are registered when the project's flows module loads: make sure it has."""
    from qinqing.core.events import flows

    flows()


def sections(enterprise: Enterprise, user: User) -> list[ContextSection]:
    """Every provider's section for this seat; a failing provider is logged and left out, never a 500."""
    _load()
    out = []
    for key, provider in list(_providers.items()):
        try:
            section = provider(enterprise, user)
        except Exception:
            log.exception("desk context provider %s failed", key)
            continue
        if section is not None:
            out.append(section)
    return out
