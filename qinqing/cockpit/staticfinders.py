"""plotly.js, served from our own origin: the copy shipped inside the `plotly` Python package.

Only that one file is exposed, as ``cockpit/vendor/plotly.min.js`` (MIT licence; its notice heads the
file, and `LICENSE` of the plotly package holds the full text). No CDN: the browser tests assert every
request of the cockpit pages is same-origin.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage

PLOTLY_STATIC = "cockpit/vendor/plotly.min.js"


def plotly_bundle() -> Path | None:
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


class _Storage(FileSystemStorage):
    prefix = "cockpit/vendor"


class PlotlyFinder(BaseFinder):
    """Finds ``cockpit/vendor/plotly.min.js`` and nothing else."""

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        if plotly_bundle() is None:
            return [Error("plotly.min.js not found: install the `plotly` package (pyproject dependency)",
                          id="qinqing.cockpit.E001")]
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        bundle = plotly_bundle()
        if path == PLOTLY_STATIC and bundle is not None:
            return [str(bundle)] if find_all or kwargs.get("all") else str(bundle)
        return [] if find_all or kwargs.get("all") else None

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        bundle = plotly_bundle()
        if bundle is not None:
            storage = _Storage(location=str(bundle.parent))
            yield "plotly.min.js", storage
