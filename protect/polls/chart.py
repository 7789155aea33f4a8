"""The results bar chart: one row per location, its name and figures as text, its bar drawn in SVG.

The name and figures are HTML text (they wrap, and are as large as the page's text at every width); each bar
is a small SVG whose rectangle is as wide, in per cent of the row, as the location's count relative to the
largest. Widths are SVG attributes, never style attributes (the CSP forbids those). A winner is marked with a
star and tied locations with "=", besides their colour, and the legend under the chart names the colours.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_number

from protect.polls.tally import Row, percent_text


@dataclass(frozen=True)
class Bar:
    row: Row
    percent_width: float  # of the row's width: the count relative to the largest count
    value: str  # "3 (60.0%)", in the interface's language

    @property
    def kind(self) -> str:
        return "winner" if self.row.winner else "tied" if self.row.tied else "other"


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]

    @property
    def kinds(self) -> list[str]:
        """The kinds of bar the chart shows, in legend order ("winner", "tied", "other")."""
        present = {bar.kind for bar in self.bars}
        return [kind for kind in ("winner", "tied", "other") if kind in present]


def bar_chart(rows: list[Row]) -> Chart:
    largest = max((row.count for row in rows), default=0)
    return Chart(
        [
            Bar(
                row=row,
                percent_width=round(100 * row.count / largest, 1) if largest else 0.0,
                value=f"{format_number(row.count)} ({percent_text(row.share)})",
            )
            for row in rows
        ]
    )
