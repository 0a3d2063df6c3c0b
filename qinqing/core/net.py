"""The client's address: the TCP peer, or what explicitly trusted proxies say it is.

`X-Forwarded-For` is read only when the peer (REMOTE_ADDR) is one of `QINQING_TRUSTED_PROXIES`
(addresses or networks; default none). The header is then walked from the right, skipping
trusted hops; the first address that is not a trusted proxy is the client. A malformed entry
stops the walk at the last trusted hop, so a client can never choose its own address.
Login throttling, the public endpoints' rate limits and the audit all use `client_address`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Parse `10.0.0.5`, `10.0.0.0/8`, `::1`; raise ImproperlyConfigured naming a bad entry."""
    networks = []
    for raw in values:
        text = raw.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(f"QINQING_TRUSTED_PROXIES: {text!r} is not an address or network") from exc
    return tuple(networks)


@lru_cache(maxsize=8)
def _trusted(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def trusted_proxies() -> tuple[Network, ...]:
    """The configured proxies whose `X-Forwarded-For` is believed."""
    return _trusted(tuple(getattr(settings, "QINQING_TRUSTED_PROXIES", ())))


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, proxies: tuple[Network, ...]) -> bool:
    return any(address in network for network in proxies)


def peer_is_trusted_proxy(request: HttpRequest) -> bool:
    """Tell whether the TCP peer is one of the configured proxies."""
    peer = _address(str(request.META.get("REMOTE_ADDR", "")))
    proxies = trusted_proxies()
    return peer is not None and bool(proxies) and _is_trusted(peer, proxies)


def client_address(request: HttpRequest) -> str | None:
    """Return the client's IP address as text, or None when the peer's address is unknown."""
    peer = _address(str(request.META.get("REMOTE_ADDR", "")))
    if peer is None:
        return None
    proxies = trusted_proxies()
    if not proxies or not _is_trusted(peer, proxies):
        return str(peer)
    hops = [h for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if h.strip()]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        client = address
        if not _is_trusted(address, proxies):
            break
    return str(client)
