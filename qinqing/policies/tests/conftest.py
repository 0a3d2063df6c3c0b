from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def sandbox_bank() -> Iterator[Any]:
    """Every test starts with an empty, well-behaved sandbox bank."""
    from qinqing.policies.gateway import gateway

    bank = gateway()
    bank.forget()  # type: ignore[attr-defined]
    yield bank
    bank.forget()  # type: ignore[attr-defined]
