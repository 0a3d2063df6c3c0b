"""A fixed-window rate limit per client address, in the cache (shared through Redis when REDIS_URL is set)."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from qinqing.core.errors import DomainError
from qinqing.core.net import client_address


class RateLimited(DomainError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def limit(request: HttpRequest, *, scope: str, per_minute: int) -> None:
    """Count one request of this client for `scope`; raise RateLimited past `per_minute` in the current minute."""
    address = client_address(request) or "unknown"
    now = int(time.time())
    window = 60
    key = f"ratelimit:{scope}:{now // window}:{hashlib.sha256(address.encode()).hexdigest()[:32]}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count > per_minute:
        wait = window - now % window
        raise RateLimited(_("Too many requests from your address: try again in %(s)d seconds.") % {"s": wait},
                          retry_after=wait)
