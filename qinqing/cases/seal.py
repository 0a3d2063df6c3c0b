"""The issuing authority's electronic seal (电子印章), drawn by the platform: one layout, two renderers.

A red round seal: a ring, the department's full name around the upper rim, a five-pointed star in the
middle and 电子证照专用章 below it. `layout` computes the geometry on a unit circle (y up); `draw_seal`
paints it on a reportlab canvas (the licence PDF), `seal_svg` writes it as inline SVG (the verify page),
so both show the same seal without any external image or font file.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape

RED = "#d7261e"
PURPOSE = "电子证照专用章"
RING_RADIUS = 0.95
RING_WIDTH = 0.06
RIM_RADIUS = 0.72
STAR_RADIUS = 0.30
PURPOSE_Y = -0.52
PURPOSE_SIZE = 0.13


@dataclass(frozen=True)
class Glyph:
    """One character of the rim: centre (x, y), upright rotation in degrees (counter-clockwise), size."""

    char: str
    x: float
    y: float
    rotation: float
    size: float


@dataclass(frozen=True)
class SealLayout:
    rim: tuple[Glyph, ...]
    star: tuple[tuple[float, float], ...]
    purpose: str
    purpose_y: float
    purpose_size: float


def _printable(name: str, *, spaces: bool = False) -> str:
    """Keep the characters a seal may carry: no control or format (bidi) characters, spaces only if asked."""
    text = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "CZ" or (spaces and ch == " "))


def layout(name: str) -> SealLayout:
    """Place the department's name around the rim, centred on the top, left to right, and the star."""
    text = _printable(name)[:24] or "?"
    n = len(text)
    span = min(max(n * 22.0, 140.0), 250.0)  # degrees of rim the name occupies
    step = span / n
    arc = math.radians(step) * RIM_RADIUS
    size = min(0.27, arc * 0.92)
    rim = []
    for i, char in enumerate(text):
        theta = 90.0 + span / 2 - (i + 0.5) * step
        rad = math.radians(theta)
        rim.append(Glyph(char, RIM_RADIUS * math.cos(rad), RIM_RADIUS * math.sin(rad), theta - 90.0, size))
    star = []
    for k in range(10):
        radius = STAR_RADIUS if k % 2 == 0 else STAR_RADIUS * 0.382
        angle = math.radians(90.0 + k * 36.0)
        star.append((radius * math.cos(angle), 0.02 + radius * math.sin(angle)))
    return SealLayout(tuple(rim), tuple(star), PURPOSE, PURPOSE_Y, PURPOSE_SIZE)


def draw_seal(pdf: Any, *, cx: float, cy: float, radius: float, name: str, font: str) -> None:
    """Paint the seal on a reportlab canvas, centred at (cx, cy) with the given radius in points."""
    from reportlab.lib.colors import HexColor

    seal = layout(name)
    red = HexColor(RED)
    pdf.saveState()
    pdf.setStrokeColor(red)
    pdf.setFillColor(red)
    pdf.setLineWidth(RING_WIDTH * radius)
    pdf.circle(cx, cy, RING_RADIUS * radius, stroke=1, fill=0)
    path = pdf.beginPath()
    first, *rest = seal.star
    path.moveTo(cx + first[0] * radius, cy + first[1] * radius)
    for x, y in rest:
        path.lineTo(cx + x * radius, cy + y * radius)
    path.close()
    pdf.drawPath(path, stroke=0, fill=1)
    for glyph in seal.rim:
        pdf.saveState()
        pdf.translate(cx + glyph.x * radius, cy + glyph.y * radius)
        pdf.rotate(glyph.rotation)
        pdf.setFont(font, glyph.size * radius)
        pdf.drawCentredString(0, -glyph.size * radius * 0.38, glyph.char)
        pdf.restoreState()
    pdf.setFont(font, seal.purpose_size * radius)
    pdf.drawCentredString(cx, cy + (seal.purpose_y - seal.purpose_size * 0.38) * radius, seal.purpose)
    pdf.restoreState()


def _f(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"


def seal_svg(name: str, *, label: str = "", size_px: int = 168) -> str:
    """The seal as an inline SVG element (SVG's y axis points down, so every y is negated)."""
    seal = layout(name)
    fonts = "'Noto Serif CJK SC','Source Han Serif SC','Songti SC',SimSun,'Noto Sans CJK SC',serif"
    parts = [
        f'<svg class="seal" lang="zh-Hans" xmlns="http://www.w3.org/2000/svg" viewBox="-1 -1 2 2" width="{size_px}" '
        f'height="{size_px}" role="img" aria-label="{escape(_printable(label or name, spaces=True))}">',
        f'<circle cx="0" cy="0" r="{_f(RING_RADIUS)}" fill="none" stroke="{RED}" stroke-width="{_f(RING_WIDTH)}"/>',
        '<polygon fill="{}" points="{}"/>'.format(RED, " ".join(f"{_f(x)},{_f(-y)}" for x, y in seal.star)),
        f'<g fill="{RED}" font-family="{escape(fonts)}" text-anchor="middle" font-weight="bold">',
    ]
    for glyph in seal.rim:
        parts.append(
            f'<text font-size="{_f(glyph.size)}" dominant-baseline="central" '
            f'transform="translate({_f(glyph.x)} {_f(-glyph.y)}) rotate({_f(-glyph.rotation)})">'
            f"{escape(glyph.char)}</text>"
        )
    parts.append(f'<text font-size="{_f(seal.purpose_size)}" dominant-baseline="central" x="0" '
                 f'y="{_f(-seal.purpose_y)}">{escape(seal.purpose)}</text>')
    parts.append("</g></svg>")
    return "".join(parts)
