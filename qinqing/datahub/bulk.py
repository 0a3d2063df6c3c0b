"""Bulk work: parsing and importing 100,000 rows without the cyclic garbage collector in the way."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class CyclicGcPause:
    """Pause CPython's cyclic collector while any bulk parse or import runs (they may overlap in threads).

    A 100,000-row import allocates millions of small acyclic objects (dicts, model instances,
    SQL parameters); every full collection would walk all of them again, which costs more than
    the INSERTs. Nothing here makes reference cycles; collection resumes when the last one ends.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.was_enabled = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self.lock:
            if self.depth == 0:
                self.was_enabled = gc.isenabled()
            self.depth += 1
            gc.disable()
        try:
            yield
        finally:
            with self.lock:
                self.depth -= 1
                if self.depth == 0 and self.was_enabled:
                    gc.enable()


cyclic_gc_paused = CyclicGcPause()
