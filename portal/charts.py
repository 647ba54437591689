"""Charts drawn on the server as inline SVG: no script, no web font, nothing from another host.

Each chart is one image for assistive technologies (``role="img"``, named and
described by its ``<title>`` and ``<desc>``); the page puts the same numbers in
a table beside it, which is what a screen reader reads. Every bar carries its
number as text, so the chart does not rely on colour or on reading a scale.

A bar whose value is not published is drawn hatched with a dashed outline and
labelled with its text (e.g. "< 5"): its ``value`` is then the upper limit of
what it may be (the bar spans the whole range), or ``None`` for a bar of
unknown size, drawn as a small hatched mark at the baseline.

Colours meet WCAG 2.1 AA on white: bars #095797 (7.4:1, 3:1 is needed for
graphics), text #1d2632 (15.3:1), hatching and axes #4e5662 (7.4:1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR = "#095797"
TEXT = "#1d2632"
MUTED = "#4e5662"
RULE = "#c5cad2"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
FONT_SIZE = 13
#: An average character's width at FONT_SIZE, to size the room for labels.
CHAR_WIDTH = 7.2


@dataclass(frozen=True)
class Bar:
    label: str
    #: The length to draw; for a hatched bar, the upper limit of its range; ``None``: unknown.
    value: float | None
    #: What is written at the end of the bar: the formatted number, or e.g. "< 5".
    text: str
    hatched: bool = False


def _nice_maximum(largest: float) -> tuple[float, list[float]]:
    """A round top for the scale (1, 2 or 5 × 10ⁿ steps) and its ticks, 0 included."""
    if largest <= 0:
        return 1, [0, 1]
    raw_step = largest / 4
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw_step)
    step = max(step, 1)
    top = step * math.ceil(largest / step)
    return top, [step * index for index in range(round(top / step) + 1)]


def _number(value: float) -> str:
    """A scale's number in the active language's format (1 000 in French, 1,000 in English)."""
    return number_format(value, decimal_pos=0 if float(value).is_integer() else 1, use_l10n=True, force_grouping=True)


def _open(chart_id: str, width: int, height: int, title: str, description: str) -> list[str]:
    ident = escape(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="{escape(FONT)}" font-size="{FONT_SIZE}">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        "<defs>"
        f'<pattern id="{ident}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" '
        'patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{MUTED}" stroke-width="2"/>'
        "</pattern></defs>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def _bar_rect(bar: Bar, chart_id: str, x: float, y: float, width: float, height: float) -> str:
    if bar.hatched:
        return (
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
            f'fill="url(#{escape(chart_id)}-hatch)" stroke="{MUTED}" stroke-width="1.5" stroke-dasharray="4 3"/>'
        )
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="{BAR}"/>'


def bar_chart(*, chart_id: str, title: str, description: str, bars: Sequence[Bar]) -> SafeString:
    """Vertical bars (e.g. one per month), each with its text above it and its label below."""
    slot = 52
    left, right, top, bottom, plot_height = 40, 12, 24, 30, 180
    width = left + right + slot * max(len(bars), 1)
    height = top + plot_height + bottom
    maximum, ticks = _nice_maximum(max((bar.value or 0 for bar in bars), default=0))
    parts = _open(chart_id, width, height, title, description)
    baseline = top + plot_height
    for tick in ticks:
        y = baseline - plot_height * tick / maximum
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{RULE}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{escape(_number(tick))}</text>'
        )
    bar_width = slot * 0.62
    for index, bar in enumerate(bars):
        centre = left + slot * index + slot / 2
        length = 8.0 if bar.value is None else plot_height * bar.value / maximum
        y = baseline - length
        parts.append("<g>")
        if bar.value is None:
            parts.append(_bar_rect(bar, chart_id, centre - 4, y, 8, length))
        elif length > 0:
            parts.append(_bar_rect(bar, chart_id, centre - bar_width / 2, y, bar_width, length))
        parts.append(
            f'<text x="{centre:.1f}" y="{y - 5:.1f}" text-anchor="middle" fill="{TEXT}">{escape(bar.text)}</text>'
        )
        parts.append(
            f'<text x="{centre:.1f}" y="{baseline + 18}" text-anchor="middle" fill="{TEXT}">{escape(bar.label)}</text>'
        )
        parts.append("</g>")
    parts.append(
        f'<line x1="{left}" y1="{baseline}" x2="{width - right}" y2="{baseline}" stroke="{MUTED}" stroke-width="1.5"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()


def _wrap(label: str, columns: int) -> list[str]:
    """``label`` in lines of at most ``columns`` characters, broken between words (a long word stays whole)."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= columns:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def horizontal_bar_chart(*, chart_id: str, title: str, description: str, bars: Sequence[Bar]) -> SafeString:
    """Horizontal bars (e.g. one per category), labels on the left, each bar's text at its end."""
    width = 560
    columns = 24
    labels = [_wrap(bar.label, columns) for bar in bars]
    label_width = min(max((len(line) for lines in labels for line in lines), default=0), columns) * CHAR_WIDTH + 12
    line_height = FONT_SIZE + 3
    rows = [max(26, len(lines) * line_height + 10) for lines in labels]
    top, bottom, text_room = 8, 8, 70
    left = label_width
    plot_width = width - left - text_room
    height = top + sum(rows) + bottom
    maximum, _ticks = _nice_maximum(max((bar.value or 0 for bar in bars), default=0))
    parts = _open(chart_id, width, int(height), title, description)
    y = top
    for bar, lines, row in zip(bars, labels, rows, strict=True):
        middle = y + row / 2
        parts.append("<g>")
        first = middle - (len(lines) - 1) * line_height / 2 + 4
        parts.append(f'<text x="{left - 8:.1f}" y="{first:.1f}" text-anchor="end" fill="{TEXT}">')
        parts.extend(
            f'<tspan x="{left - 8:.1f}" dy="{0 if number == 0 else line_height}">{escape(line)}</tspan>'
            for number, line in enumerate(lines)
        )
        parts.append("</text>")
        thickness = 16
        length = 8.0 if bar.value is None else plot_width * bar.value / maximum
        if length > 0:
            parts.append(_bar_rect(bar, chart_id, left, middle - thickness / 2, length, thickness))
        parts.append(f'<text x="{left + length + 6:.1f}" y="{middle + 4:.1f}" fill="{TEXT}">{escape(bar.text)}</text>')
        parts.append("</g>")
        y += row
    parts.append(
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="{MUTED}" stroke-width="1.5"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()
