"""Charts drawn on the server as SVG, so that pages show them without any script (and without a CDN).

Only geometry and escaping live here; what the numbers mean is the caller's business.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class Series:
    """One kind of value drawn in every category, e.g. the announced money of each corridor."""

    label: str
    css_class: str
    values: Sequence[Decimal | int | float | None]


def compact_usd(value: Decimal | int | float | None) -> str:
    """US$ amounts as a reader scans them: ``US$22.2 bn``, ``US$450.0 M``; a dash when unknown."""
    if value is None:
        return "–"
    value = float(value)
    for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"US${value / size:,.1f} {suffix}"
    return f"US${value:,.0f}"


# Drawn twice, for wide and for narrow screens (CSS shows one): an SVG's text scales with the drawing, so one drawing
# readable at 1366 px would be unreadably small on a phone.
WIDTHS = {"wide": 640, "narrow": 340}


def grouped_bar_chart(*, title: str, categories: Sequence[str], series: Sequence[Series]) -> SafeString:
    """Horizontal bars, one group per category (its name above it) and one bar per series, scaled to the largest value.

    Every bar carries its value as text, so no value needs an axis; a <title> names the chart for screen readers.
    """
    drawings = [_bars(title, categories, series, width, variant) for variant, width in WIDTHS.items()]
    legend = format_html_join(
        " ",
        '<span class="legend-item"><span class="swatch {}"></span>{}</span>',
        ((one.css_class, one.label) for one in series),
    )
    return format_html(
        '<figure class="chart-figure">{}<figcaption class="legend">{}</figcaption></figure>',
        SafeString("".join(drawings)),
        legend,
    )


def _bars(title: str, categories: Sequence[str], series: Sequence[Series], width: int, variant: str) -> SafeString:
    bar, gap, heading, group_gap, value_room = 14, 3, 18, 12, 86
    values = [float(value) for s in series for value in s.values if value is not None]
    largest = max(values, default=0.0) or 1.0
    plot_width = width - value_room
    group_height = heading + len(series) * (bar + gap) + group_gap
    height = max(1, len(categories)) * group_height
    shapes = []
    for index, category in enumerate(categories):
        top = index * group_height
        shapes.append(format_html('<text class="chart-category" x="0" y="{}">{}</text>', top + 13, category))
        for position, one in enumerate(series):
            value = one.values[index]
            y = top + heading + position * (bar + gap)
            length = 0.0 if value is None else max(1.0, float(value) / largest * plot_width)
            shapes.append(
                format_html(
                    '<rect class="bar {}" x="0" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>'
                    '<text class="chart-value" x="{}" y="{}">{}</text>',
                    one.css_class,
                    y,
                    f"{length:.1f}",
                    bar,
                    one.label,
                    compact_usd(value),
                    f"{length + 4:.1f}",
                    y + bar - 3,
                    "no figure" if value is None else compact_usd(value),
                )
            )
    identifier = f"{_slug(title)}-{variant}"
    return format_html(
        '<svg class="chart chart-{}" viewBox="0 0 {} {}" role="img" aria-labelledby="{}">'
        '<title id="{}">{}</title>{}</svg>',
        variant,
        width,
        height,
        identifier,
        identifier,
        title,
        SafeString("".join(shapes)),
    )


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")
