"""Geometry of the server-rendered bar chart (SVG attributes only: the CSP forbids style attributes)."""

from __future__ import annotations

from dataclasses import dataclass

from protect.polls.tally import Row

WIDTH = 640
LABEL_WIDTH = 220
VALUE_WIDTH = 110
BAR_HEIGHT = 26
GAP = 14
TOP = 8


@dataclass(frozen=True)
class Bar:
    row: Row
    y: int
    width: float
    text_y: int
    value_x: float
    value: str


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    bar_x: int
    description: str


def percent_text(row: Row) -> str:
    return f"{row.percent:.1f}%"


def bar_chart(rows: list[Row], count_label: str) -> Chart:
    """Horizontal bars, one per option, as long as the option's count relative to the largest."""
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    largest = max((row.count for row in rows), default=0)
    bars = []
    for index, row in enumerate(rows):
        y = TOP + index * (BAR_HEIGHT + GAP)
        width = round(room * row.count / largest, 1) if largest else 0.0
        bars.append(
            Bar(
                row=row,
                y=y,
                width=width,
                text_y=y + BAR_HEIGHT // 2 + 5,
                value_x=LABEL_WIDTH + width + 8,
                value=f"{row.count} ({percent_text(row)})",
            )
        )
    height = TOP * 2 + len(rows) * (BAR_HEIGHT + GAP) - GAP if rows else TOP * 2
    description = "; ".join(
        f"{row.label}: {row.count} ({percent_text(row)}){' — winner' if row.winner else ''}"
        f"{' — tied for first' if row.tied else ''}"
        for row in rows
    )
    return Chart(bars, WIDTH, height, LABEL_WIDTH, f"{count_label} per location. {description}.")
