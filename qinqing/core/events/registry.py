"""Who reacts to which event: the registry module named by `settings.QINQING_EVENT_FLOWS`."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from qinqing.core.events.types import DomainEvent


@dataclass(frozen=True)
class Stored:
    """An event read back from the outbox, with its place in it."""

    seq: int
    txid: int
    occurred_at: dt.datetime
    event: DomainEvent


class ConsumerApply(Protocol):
    def __call__(self, batch: Sequence[Stored], /) -> None: ...


@dataclass(frozen=True)
class Consumer:
    """An asynchronous reader of the outbox: `apply` gets batches of the events it `handles`.

    `apply` runs inside the transaction that also moves the consumer's cursor, so it must keep
    its effects in the database (or hand them on through rows written there).
    """

    name: str
    handles: frozenset[type[DomainEvent]]
    apply: ConsumerApply
    batch_size: int = 500


@dataclass(frozen=True)
class Flows:
    """Every reaction to every event: synchronous subscribers and asynchronous consumers."""

    subscribers: dict[type[DomainEvent], tuple[Callable[[Any], None], ...]] = field(default_factory=dict)
    consumers: tuple[Consumer, ...] = ()

    def subscribers_of(self, event: DomainEvent) -> tuple[Callable[[Any], None], ...]:
        return self.subscribers.get(type(event), ())

    def consumer(self, name: str) -> Consumer:
        for consumer in self.consumers:
            if consumer.name == name:
                return consumer
        raise LookupError(f"no outbox consumer named {name!r}")


_flows: Flows | None = None


def flows() -> Flows:
    """The platform's flows, from the registry module named in settings (loaded once)."""
    global _flows
    if _flows is None:
        loaded = import_string(f"{settings.QINQING_EVENT_FLOWS}.FLOWS")
        if not isinstance(loaded, Flows):
            raise TypeError(f"{settings.QINQING_EVENT_FLOWS}.FLOWS is not a Flows")
        _flows = loaded
    return _flows


@contextlib.contextmanager
def flows_replaced(replacement: Flows) -> Iterator[None]:
    """Run with other flows (tests of the mechanism itself)."""
    global _flows
    before = _flows
    _flows = replacement
    try:
        yield
    finally:
        _flows = before
