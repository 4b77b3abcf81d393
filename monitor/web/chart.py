"""Server-rendered SVG: relevant items per day, stacked by theme. No script, no inline style.

The drawing is narrow (a phone shows it at nearly its own size, so its labels stay legible) and
the legend is HTML text below it.
"""

from __future__ import annotations

from datetime import date, timedelta

from markupsafe import Markup, escape

WIDTH, HEIGHT = 420, 210
LEFT, RIGHT, TOP, BOTTOM = 34, 6, 10, 28
PALETTE_SIZE = 8


def theme_chart(counts: dict[str, dict[date, int]], *, days: int, today: date) -> Markup:
    """A stacked bar chart (one bar per day) with a legend; colours come from CSS classes."""
    themes = sorted(counts)
    first = today - timedelta(days=days - 1)
    day_list = [first + timedelta(days=i) for i in range(days)]
    totals = [sum(counts[t].get(d, 0) for t in themes) for d in day_list]
    peak = max([*totals, 1])
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    bar_w = plot_w / days
    parts = [
        f'<figure class="chart"><svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Relevant items per day and theme</title>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}"/>',
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end">{peak}</text>',
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end">0</text>',
    ]
    for i, day in enumerate(day_list):
        x = LEFT + i * bar_w
        y = float(TOP + plot_h)
        for t_index, theme in enumerate(themes):
            n = counts[theme].get(day, 0)
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            parts.append(
                f'<rect class="c{t_index % PALETTE_SIZE}" x="{x + 1:.1f}" y="{y:.1f}" '
                f'width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}">'
                f"<title>{escape(day.isoformat())} {escape(theme)}: {n}</title></rect>"
            )
        if i % max(1, days // 5) == 0:
            parts.append(
                f'<text class="tick" x="{x + bar_w / 2:.1f}" y="{TOP + plot_h + 16}" '
                f'text-anchor="middle">{escape(day.strftime("%d %b"))}</text>'
            )
    if not themes:
        parts.append(
            f'<text class="tick" x="{WIDTH / 2}" y="{TOP + plot_h / 2}" text-anchor="middle">'
            "No relevant items in this period</text>"
        )
    parts.append("</svg>")
    if themes:
        parts.append('<ul class="legend" aria-label="Themes">')
        parts += [
            f'<li><span class="swatch c{t_index % PALETTE_SIZE}" aria-hidden="true"></span>'
            f"{escape(theme)}</li>"
            for t_index, theme in enumerate(themes)
        ]
        parts.append("</ul>")
    parts.append("</figure>")
    return Markup("".join(parts))  # noqa: S704 - every scraped or stored value above is escaped
