"""Geometry of the dashboard's two charts, drawn as inline SVG by the templates.

Coordinates are handed over as strings: a template would print a float the French way
("12,5"), which SVG does not read. Colours and dashes are SVG attributes, not styles: the
Content-Security-Policy refuses inline styles.
"""

import math

from django.utils.formats import date_format

from conventions.dashboard import FUNNEL, STATUSES
from conventions.enums import ConventionStatus

WIDTH = 660
LEFT, RIGHT, TOP = 56, 32, 28
BLUE = "#000091"  # the State's "bleu France"
RED = "#b34000"
GREY = "#666666"
# Two lines under each bar, so that the labels fit their slot at 12 px.
BAR_LABELS = {
    ConventionStatus.BROUILLON: ("brouillon", ""),
    ConventionStatus.EMISE: ("émise", ""),
    ConventionStatus.ENVOYEE: ("envoyée", ""),
    ConventionStatus.SIGNEE_COLLECTIVITE: ("signée par la", "collectivité"),
    ConventionStatus.SIGNEE_ACADEMIE: ("signée par", "l'académie"),
    ConventionStatus.FACTUREE: ("facturée", ""),
    ConventionStatus.ANNULEE: ("annulée", "(à part)"),
}


def fmt(number):
    return f"{number:.1f}"


def scale(maximum, ticks=4):
    """A round top of the axis and its tick values, integers only."""
    if maximum <= 0:
        return 1, [0, 1]
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    top = step * math.ceil(maximum / step)
    return top, list(range(0, top + 1, step))


def y_axis(ticks, top, plot_top, plot_bottom):
    height = plot_bottom - plot_top
    return [
        {
            "y": fmt(plot_bottom - value / top * height),
            "value": value,
            "label_y": fmt(plot_bottom - value / top * height + 4),
        }
        for value in ticks
    ]


def funnel_chart(figures, height=320):
    """Conventions by status: the six stages in order, the cancelled ones apart."""
    bottom = height - 52
    counts = [figures.by_status[status] for status in STATUSES]
    top, ticks = scale(max(counts))
    # Seven bars and half a slot of gap before "annulée".
    slot = (WIDTH - LEFT - RIGHT) / (len(STATUSES) + 0.5)
    bar_width = slot * 0.6
    bars = []
    for index, status in enumerate(STATUSES):
        count = figures.by_status[status]
        x = LEFT + slot * (index + (0.5 if status not in FUNNEL else 0)) + (slot - bar_width) / 2
        bar_height = count / top * (bottom - TOP)
        first, second = BAR_LABELS[status]
        bars.append(
            {
                "status": status,
                "label": ConventionStatus(status).label,
                "count": count,
                "x": fmt(x),
                "y": fmt(bottom - bar_height),
                "width": fmt(bar_width),
                "height": fmt(bar_height),
                "center": fmt(x + bar_width / 2),
                "value_y": fmt(bottom - bar_height - 6),
                "line1": first,
                "line2": second,
                "fill": BLUE if status in FUNNEL else GREY,
            }
        )
    return {
        "width": WIDTH,
        "height": height,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": fmt(bottom),
        "label1_y": fmt(bottom + 18),
        "label2_y": fmt(bottom + 33),
        "ticks": y_axis(ticks, top, TOP, bottom),
        "tick_x": LEFT - 8,
        "bars": bars,
    }


def signatures_chart(weeks, height=300):
    """Signatures per week: the collectivités' (solid line) and the académies' (dashed)."""
    if not weeks:
        return None
    bottom = height - 44
    top, ticks = scale(max(max(c, a) for _, c, a in weeks))
    plot_width = WIDTH - LEFT - RIGHT
    step = plot_width / (len(weeks) - 1) if len(weeks) > 1 else 0

    def x(index):
        return LEFT + (index * step if len(weeks) > 1 else plot_width / 2)

    def y(count):
        return bottom - count / top * (bottom - TOP)

    # At most about eight dates under the axis, so that they never overlap.
    every = math.ceil(len(weeks) / 8)
    points = []
    for index, (monday, by_collectivite, by_academie) in enumerate(weeks):
        points.append(
            {
                "x": fmt(x(index)),
                "y_collectivite": fmt(y(by_collectivite)),
                "y_academie": fmt(y(by_academie)),
                "week": date_format(monday, "j F Y"),
                "short": date_format(monday, "j N") if index % every == 0 else "",
                "collectivite": by_collectivite,
                "academie": by_academie,
            }
        )
    return {
        "width": WIDTH,
        "height": height,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": fmt(bottom),
        "date_y": fmt(bottom + 20),
        "ticks": y_axis(ticks, top, TOP, bottom),
        "tick_x": LEFT - 8,
        "points": points,
        "line_collectivite": " ".join(f"{p['x']},{p['y_collectivite']}" for p in points),
        "line_academie": " ".join(f"{p['x']},{p['y_academie']}" for p in points),
        "blue": BLUE,
        "red": RED,
        "legend_x": WIDTH - RIGHT - 320,
    }
