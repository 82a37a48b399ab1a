"""Server-rendered SVG bar charts: pure, no JavaScript, readable without colour.

Each bar carries its label above it and its value written after it, so the chart reads in
greyscale and on a phone; ``role="img"`` with ``<title>`` and ``<desc>`` gives screen readers the
same figures (the table beside the chart has them too). The drawing is always left to right,
also inside right-to-left pages, and uses presentation attributes only (no inline styles, which
the Content-Security-Policy forbids); static/style.css may restyle the classes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape as _escape

WIDTH = 400
VALUE_SPACE = 88  # room after the longest bar for its value ("47 / 47,6")
LABEL_HEIGHT = 18
BAR_HEIGHT = 16
GAP = 10
PAD = 4
MAX_LABEL = 48  # longer labels are shortened in the drawing (the title keeps them whole)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # the length; never negative
    text: str  # the value as written next to the bar, formatted for the reader


# Characters XML 1.0 does not allow at all, even escaped.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def escape(text: str) -> str:
    return _escape(_NOT_XML.sub("", text))


def _shorten(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


def bar_chart(chart_id: str, title: str, description: str, bars: Sequence[Bar], empty: str) -> str:
    """An SVG document fragment with one horizontal bar per entry, in the given order.

    ``chart_id`` must be unique on the page (it names the title and description);
    ``empty`` is written when there are no bars.
    """
    assert chart_id.replace("-", "").replace("_", "").isalnum(), "chart ids are plain words"
    head_ids = f"{chart_id}-title {chart_id}-desc"
    summary = "; ".join(f"{bar.label}: {bar.text}" for bar in bars)
    full_description = f"{description} {summary}".strip() if bars else f"{description} {empty}"
    row_height = LABEL_HEIGHT + BAR_HEIGHT + GAP
    height = PAD * 2 + (row_height * len(bars) if bars else LABEL_HEIGHT + GAP)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'direction="ltr" font-size="13" aria-labelledby="{head_ids}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(full_description)}</desc>',
    ]
    if not bars:
        parts.append(
            f'<text class="chart-empty" x="{PAD}" y="{PAD + LABEL_HEIGHT - 4}" '
            f'fill="currentColor">{escape(empty)}</text>'
        )
    largest = max((bar.value for bar in bars), default=0)
    scale = (WIDTH - VALUE_SPACE - PAD) / largest if largest > 0 else 0
    for index, bar in enumerate(bars):
        top = PAD + index * row_height
        length = max(bar.value, 0) * scale
        if bar.value > 0:
            length = max(length, 2)  # a small value still shows
        bar_top = top + LABEL_HEIGHT
        parts.append(
            f'<g class="chart-row"><title>{escape(bar.label)}: {escape(bar.text)}</title>'
            f'<text class="chart-label" x="{PAD}" y="{top + LABEL_HEIGHT - 5}" '
            f'fill="currentColor">{escape(_shorten(bar.label))}</text>'
            f'<rect class="chart-bar" x="{PAD}" y="{bar_top}" width="{length:.1f}" '
            f'height="{BAR_HEIGHT}" fill="#0b5cad"/>'
            f'<text class="chart-value" x="{PAD + length + 6:.1f}" '
            f'y="{bar_top + BAR_HEIGHT - 3}" fill="currentColor" font-weight="bold">'
            f"{escape(bar.text)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
