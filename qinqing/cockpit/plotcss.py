"""plotly.js's own stylesheet, as a file: plotly.js inserts its rules into a <style> element at load, which our
strict CSP (style-src 'self', no 'unsafe-inline') refuses. plotly.js skips that when the page already has
``<link id="plotly.js-style-global" class="no-inline-styles">``; this module writes that stylesheet from the
rules in the bundle itself (`python -m qinqing.cockpit.plotcss`), and a test checks it matches the installed bundle.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from qinqing.cockpit.staticfinders import plotly_bundle

CSS_PATH = Path(__file__).resolve().parent / "static" / "cockpit" / "plotly.css"
_RULE = re.compile(r'"((?:[^"\\]|\\.)*)":(?:\'((?:[^\'\\]|\\.)*)\'|"((?:[^"\\]|\\.)*)")')


def rules_from_bundle(text: str) -> list[tuple[str, str]]:
    """The (selector, declarations) of plotly.js's global style rules, in the bundle's order."""
    start = text.index('{"X,X div":')
    end = text.index("};", start)
    out = []
    for match in _RULE.finditer(text[start + 1:end]):
        key, value = match.group(1), match.group(2) if match.group(2) is not None else match.group(3)
        selector = re.sub(r"^,", " ,", key).replace("X", ".js-plotly-plot .plotly").replace("Y", ".plotly-notifier")
        out.append((selector, value.replace("\\'", "'").replace('\\"', '"')))
    return out


def stylesheet(text: str) -> str:
    version = re.search(r"plotly\.js v([0-9.]+)", text)
    head = (f"/* plotly.js v{version.group(1) if version else '?'} global styles (MIT licence, Copyright Plotly, Inc.),\n"
            "   written from the bundle by qinqing.cockpit.plotcss so that no inline <style> is needed. */\n")
    return head + "".join(f"{selector}{{{declarations}}}\n" for selector, declarations in rules_from_bundle(text))


def main() -> None:
    bundle = plotly_bundle()
    if bundle is None:
        sys.exit("plotly is not installed")
    CSS_PATH.write_text(stylesheet(bundle.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {CSS_PATH}")


if __name__ == "__main__":
    main()
