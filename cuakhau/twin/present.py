"""A run's result as people read it: labelled tables (means with their 95 % confidence
half-widths), the bottleneck said in words, and charts as coordinates for inline SVG.

Shared by the pages and ``cuakhau twin``. Labels are gettext (the reader's language); numbers
stay numbers here and are formatted where they are shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cuakhau.core.errors import InvalidInput
from cuakhau.twin.scenario import HOUR, SCENARIO_DIR, parse_scenario

PALETTE = ("#1f6f50", "#1d5a9a", "#b5471b", "#7b3fa0")
SERIES_COLOURS = {"hourly_waiting": "#b5471b", "hourly_inside": "#1f6f50", "hourly_road": "#1d5a9a"}


@dataclass(frozen=True)
class Cell:
    """One measure: the mean over replications and its 95 % half-width, in ``unit``."""

    mean: float | None
    half_width: float | None = None
    digits: int = 0
    unit: str = ""

    @property
    def missing(self) -> bool:
        return self.mean is None


NONE = Cell(None)


@dataclass(frozen=True)
class Row:
    key: str
    label: Any
    cells: list[Cell]
    highlight: bool = False
    note: Any = ""


# Key measures: (metric, label, digits, unit, scale). Utilisations are shares (×100 → %).
KEY_METRICS: tuple[tuple[str, Any, int, str, float], ...] = (
    ("throughput_per_day", gettext_lazy("Trucks crossing per day"), 0, "", 1),
    ("arrivals_per_day", gettext_lazy("Trucks arriving per day"), 0, "", 1),
    ("calls_per_day", gettext_lazy("Call-ups per day"), 0, "", 1),
    ("no_shows_per_day", gettext_lazy("No-shows per day"), 1, "", 1),
    ("wait.all.mean", gettext_lazy("Mean wait in the yards"), 0, "min", 1),
    ("wait.all.p50", gettext_lazy("Wait in the yards, median (P50)"), 0, "min", 1),
    ("wait.all.p90", gettext_lazy("Wait in the yards, P90"), 0, "min", 1),
    ("wait.all.p99", gettext_lazy("Wait in the yards, P99"), 0, "min", 1),
    ("system_time.all.mean", gettext_lazy("Mean time from arrival to crossing"), 0, "min", 1),
    ("system_time.all.p90", gettext_lazy("Time from arrival to crossing, P90"), 0, "min", 1),
    ("yard.waiting_mean", gettext_lazy("Trucks waiting in the yards (mean)"), 0, "", 1),
    ("yard.waiting_max", gettext_lazy("Trucks waiting in the yards (most)"), 0, "", 1),
    ("yard.road_max", gettext_lazy("Trucks on the road to the gate (most)"), 0, "", 1),
    ("yard.inside_mean", gettext_lazy("Trucks in the control area (mean)"), 1, "", 1),
    ("utilisation.call_plan", gettext_lazy("Planned call-ups used"), 0, "%", 100),
    ("utilisation.control_area", gettext_lazy("Control area occupied"), 0, "%", 100),
    ("waiting_at_end", gettext_lazy("Trucks still waiting at the end"), 0, "", 1),
)
# The measures the compare page and the CLI put first.
HEADLINE = ("throughput_per_day", "wait.all.p50", "wait.all.p90", "wait.all.p99")

WAIT_CLASSES: tuple[tuple[str, Any], ...] = (
    ("all", gettext_lazy("All trucks")),
    ("green", gettext_lazy("Green lane (fruit, vegetables)")),
    ("ordinary", gettext_lazy("Ordinary lane")),
    ("booked", gettext_lazy("With a booked slot")),
    ("living", gettext_lazy("Without a slot")),
    ("fruit", gettext_lazy("Fruit")),
    ("vegetables", gettext_lazy("Vegetables")),
    ("electronics", gettext_lazy("Electronics")),
    ("general", gettext_lazy("General goods")),
)
GROUP_NAMES = dict(WAIT_CLASSES[5:])

STEP_NAMES: dict[str, Any] = {
    "border_guard": gettext_lazy("Border guard"),
    "customs": gettext_lazy("Customs"),
    "plant_quarantine": gettext_lazy("Plant quarantine"),
    "animal_quarantine": gettext_lazy("Animal quarantine"),
    "medical_quarantine": gettext_lazy("Medical quarantine"),
    "scanner": gettext_lazy("Scanner"),
    "weighbridge": gettext_lazy("Weighbridge"),
}
LANE_NAMES: dict[str, Any] = {
    "manual": gettext_lazy("manual lanes"),
    "smart": gettext_lazy("smart lanes"),
}
# What keeps trucks waiting in the yards (``held_share.<cause>``).
HELD_CAUSES: tuple[tuple[str, Any], ...] = (
    ("closed", gettext_lazy("the gate was closed (working hours)")),
    ("hour_capacity", gettext_lazy("the hour's call-ups were used up")),
    ("control_area_full", gettext_lazy("the control area was full")),
    ("partner_quota", gettext_lazy("the partner side's daily quota was reached")),
)
RESOURCE_NAMES: dict[str, Any] = {
    "hours": gettext_lazy("the working hours: trucks wait while the gate is closed"),
    "call_plan": gettext_lazy("the call-up plan: the hour's calls are used up"),
    "control_area": gettext_lazy("the room in the control area"),
    "partner": gettext_lazy("the partner side's daily quota"),
}
RESOURCE_LABELS: dict[str, Any] = {
    "hours": gettext_lazy("working hours"),
    "call_plan": gettext_lazy("call-up plan"),
    "control_area": gettext_lazy("room in the control area"),
    "partner": gettext_lazy("partner side's quota"),
    "steps": gettext_lazy("the number of changes tried"),
    "none": gettext_lazy("nothing"),
    "": gettext_lazy("nothing"),
}


def resource_label(resource: str) -> str:
    """A resource the results name (``customs.manual``, ``call_plan``, ``partner.fruit``) in
    words."""
    if resource in RESOURCE_LABELS:
        return str(RESOURCE_LABELS[resource])
    head, _dot, rest = resource.partition(".")
    if head == "partner":
        return f"{RESOURCE_LABELS['partner']} ({GROUP_NAMES.get(rest, rest)})"
    if rest in LANE_NAMES:
        return f"{step_label(head)} ({LANE_NAMES[rest]})"
    return step_label(resource) if not rest else resource


def metric(
    result: Mapping[str, Any], name: str, *, digits: int = 0, unit: str = "", scale: float = 1
) -> Cell:
    found = (result.get("metrics") or {}).get(name)
    if not isinstance(found, Mapping) or found.get("mean") is None:
        return NONE
    half = found.get("half_width")
    return Cell(
        float(found["mean"]) * scale,
        float(half) * scale if half is not None else None,
        digits,
        unit,
    )


def key_rows(results: Sequence[Mapping[str, Any]]) -> list[Row]:
    """The key measures, one column per result (a single run: one column)."""
    rows = []
    for name, label, digits, unit, scale in KEY_METRICS:
        cells = [metric(r, name, digits=digits, unit=unit, scale=scale) for r in results]
        if any(not c.missing for c in cells):
            rows.append(Row(name, label, cells))
    return rows


def wait_rows(result: Mapping[str, Any]) -> list[Row]:
    """Waits in the yards per truck class: trucks measured, mean, P50, P90, P99 (minutes)."""
    rows = []
    for key, label in WAIT_CLASSES:
        n = metric(result, f"wait.{key}.n")
        if n.missing:
            continue
        cells = [n] + [
            metric(result, f"wait.{key}.{q}", unit="min") for q in ("mean", "p50", "p90", "p99")
        ]
        rows.append(Row(key, label, cells))
    return rows


def step_names(result: Mapping[str, Any]) -> list[str]:
    """The control steps of the result, in the scenario's order."""
    names: list[str] = []
    for name in result.get("metrics") or {}:
        if name.startswith("step.") and name.endswith(".trucks_per_day"):
            names.append(name[len("step.") : -len(".trucks_per_day")])
    return names


def step_label(name: str) -> str:
    return str(STEP_NAMES.get(name, name.replace("_", " ").capitalize()))


def step_rows(result: Mapping[str, Any]) -> list[Row]:
    """Per control step: trucks a day, wait, service, time in the step (mean, P90), share held
    aside, and how busy its manual and smart lanes were (%)."""
    bottleneck = (result.get("bottleneck") or {}).get("resource", "")
    rows = []
    for name in step_names(result):
        prefix = f"step.{name}"
        cells = [
            metric(result, f"{prefix}.trucks_per_day"),
            metric(result, f"{prefix}.wait_mean", digits=1, unit="min"),
            metric(result, f"{prefix}.service_mean", digits=1, unit="min"),
            metric(result, f"{prefix}.time_mean", digits=1, unit="min"),
            metric(result, f"{prefix}.time_p90", digits=1, unit="min"),
            metric(result, f"{prefix}.held_share", unit="%", scale=100),
            metric(result, f"{prefix}.utilisation_manual", unit="%", scale=100),
            metric(result, f"{prefix}.utilisation_smart", unit="%", scale=100),
        ]
        rows.append(Row(name, step_label(name), cells, highlight=bottleneck.split(".")[0] == name))
    return rows


def held_rows(result: Mapping[str, Any]) -> list[Row]:
    """Why the yard queue waited: share of the measured time each cause held it."""
    rows = []
    for key, label in HELD_CAUSES:
        cell = metric(result, f"held_share.{key}", unit="%", scale=100)
        if not cell.missing:
            rows.append(Row(key, label, [cell]))
    return rows


def yard_rows(result: Mapping[str, Any]) -> list[Row]:
    """The most trucks each yard held at once."""
    rows = []
    for name in result.get("metrics") or {}:
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "yard" and parts[2] == "max":
            rows.append(Row(parts[1], parts[1], [metric(result, name)]))
    return rows


def shelf_bounds(toml: str) -> dict[str, float]:
    """Hours each goods group keeps (``[results] shelf_life_hours``) in the run's scenario."""
    try:
        scenario = parse_scenario(toml, base=SCENARIO_DIR)
    except (InvalidInput, OSError):
        return {}
    return {group: seconds / HOUR for group, seconds in scenario.shelf_life.items()}


def shelf_rows(result: Mapping[str, Any], bounds: Mapping[str, float]) -> list[Row]:
    """Trucks of perishable goods that waited longer than their produce keeps: how many in a
    replication's measured days, and their share of that group's trucks (%)."""
    rows = []
    for group in sorted(
        {n.split(".")[1] for n in result.get("metrics") or {} if n.startswith("shelf.")}
    ):
        bound = bounds.get(group)
        rows.append(
            Row(
                group,
                GROUP_NAMES.get(group, group),
                [
                    Cell(bound, None, 0, "h") if bound is not None else NONE,
                    metric(result, f"shelf.{group}.over", digits=1),
                    metric(result, f"shelf.{group}.share", digits=2, unit="%", scale=100),
                ],
                highlight=(metric(result, f"shelf.{group}.over").mean or 0) > 0,
            )
        )
    return rows


def bottleneck_text(result: Mapping[str, Any]) -> str:
    """The bottleneck in words, with how sure the replications are."""
    found = result.get("bottleneck") or {}
    resource = str(found.get("resource", "none"))
    votes = int(found.get("votes") or 0)
    count = int(result.get("replications") or 0)
    share = found.get("utilisation") or 0.0
    held = found.get("held_share") or 0.0
    if resource in ("", "none"):
        return _("No bottleneck: trucks hardly waited for any resource.")
    if found.get("kind") == "step" or "." in resource:
        step, _dot, lane = resource.partition(".")
        what = step_label(step)
        if lane:
            what = f"{what} ({LANE_NAMES.get(lane, lane)})"
        text = _("The bottleneck is %(what)s: busy %(busy)s%% of the time.") % {
            "what": what,
            "busy": round(share * 100),
        }
    else:
        text = _("The bottleneck is %(what)s.") % {"what": RESOURCE_NAMES.get(resource, resource)}
    if held:
        text += " " + _("It held the yard queue %(held)s%% of the time.") % {
            "held": round(held * 100)
        }
    if count:
        text += " " + _("%(votes)s of %(count)s replications agree.") % {
            "votes": votes,
            "count": count,
        }
    return text


# --- Charts ---------------------------------------------------------------------------------

CHART_WIDTH = 720
CHART_HEIGHT = 180
LEFT = 44  # room for the y-axis labels
BOTTOM = 22  # room for the x-axis labels
MAX_POINTS = 720


def nice_top(value: float) -> float:
    """A round number at or above ``value`` for the y axis (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power:
            return step * power
    return 10 * power


def _ticks(top: float, height: float) -> list[dict[str, Any]]:
    return [
        {"y": round(_baseline(height) - f * height, 1), "label": _tick_label(top * f)}
        for f in (0, 0.25, 0.5, 0.75, 1)
    ]


def _baseline(height: float) -> float:
    return height + 4


def _tick_label(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _thin(values: Sequence[float], limit: int = MAX_POINTS) -> tuple[list[float], int]:
    """At most ``limit`` points: means of consecutive buckets (and the bucket size)."""
    if len(values) <= limit:
        return [float(v) for v in values], 1
    size = math.ceil(len(values) / limit)
    return [
        sum(values[i : i + size]) / len(values[i : i + size]) for i in range(0, len(values), size)
    ], size


@dataclass
class LineChart:
    width: int
    height: int
    baseline: float
    top: float
    ticks: list[dict[str, Any]]
    series: list[dict[str, Any]]
    labels: list[dict[str, Any]] = field(default_factory=list)
    left: int = LEFT

    @property
    def empty(self) -> bool:
        return not any(s["points"] for s in self.series)


def line_chart(
    series: Sequence[tuple[Any, Sequence[float], str]],
    *,
    per_label: int = 24,
    label_every: int | None = None,
    first_label: int = 1,
    unit_name: str = "",
) -> LineChart:
    """Lines of several series over the same x (hours or days). ``per_label`` points make one
    x label (24 hours: a day); labels count from ``first_label``."""
    longest = max((len(values) for _label, values, _colour in series), default=0)
    top = nice_top(max((max(values, default=0) for _l, values, _c in series), default=0))
    plot = CHART_WIDTH - LEFT - 8
    out = []
    for label, values, colour in series:
        thinned, size = _thin(values)
        count = max(math.ceil(longest / size) - 1, 1)
        points = " ".join(
            f"{LEFT + i / count * plot:.1f},{_baseline(CHART_HEIGHT) - v / top * CHART_HEIGHT:.1f}"
            for i, v in enumerate(thinned)
        )
        out.append(
            {
                "label": label,
                "colour": colour,
                "points": points,
                "last": values[-1] if values else 0,
            }
        )
    labels = []
    if longest:
        steps = max(1, longest // per_label)
        every = label_every or max(1, math.ceil(steps / 10))
        for index in range(0, steps + 1, every):
            position = index * per_label
            if position > longest:
                break
            labels.append(
                {
                    "x": round(LEFT + position / max(longest - 1, 1) * plot, 1),
                    "label": str(index + first_label),
                }
            )
    return LineChart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT + BOTTOM + 6,
        baseline=_baseline(CHART_HEIGHT),
        top=top,
        ticks=_ticks(top, CHART_HEIGHT),
        series=out,
        labels=labels,
    )


@dataclass
class BarChart:
    width: int
    height: int
    baseline: float
    top: float
    ticks: list[dict[str, Any]]
    bars: list[dict[str, Any]]
    left: int = LEFT

    @property
    def empty(self) -> bool:
        return not self.bars


def day_bars(values: Sequence[float], *, first_day: int = 1, colour: str = PALETTE[0]) -> BarChart:
    """One bar per day (crossings per day), scaled to the busiest day."""
    top = nice_top(max(values, default=0))
    plot = CHART_WIDTH - LEFT - 8
    width = plot / max(len(values), 1)
    bars = []
    every = max(1, math.ceil(len(values) / 12))
    for index, value in enumerate(values):
        height = value / top * CHART_HEIGHT if top else 0
        bars.append(
            {
                "x": round(LEFT + index * width + 1, 1),
                "y": round(_baseline(CHART_HEIGHT) - height, 1),
                "width": round(max(width - 2, 1), 1),
                "height": round(height, 1),
                "value": value,
                "day": index + first_day,
                "label": index % every == 0,
                "label_x": round(LEFT + index * width + width / 2, 1),
                "colour": colour,
            }
        )
    return BarChart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT + BOTTOM + 6,
        baseline=_baseline(CHART_HEIGHT),
        top=top,
        ticks=_ticks(top, CHART_HEIGHT),
        bars=bars,
    )


@dataclass
class UseChart:
    """Horizontal bars of how busy each resource was (0–100 %), several runs side by side."""

    width: int
    height: int
    rows: list[dict[str, Any]]
    left: int
    plot: int
    grid: list[dict[str, Any]]


def utilisation_chart(
    results: Sequence[Mapping[str, Any]], colours: Sequence[str] = PALETTE
) -> UseChart:
    keys: list[tuple[str, str]] = []  # (metric, label)
    for result in results:
        for step in step_names(result):
            for lane in ("manual", "smart"):
                name = f"step.{step}.utilisation_{lane}"
                if name in (result.get("metrics") or {}) and name not in (k for k, _l in keys):
                    keys.append((name, f"{step_label(step)} — {LANE_NAMES[lane]}"))
    for name, label in (
        ("utilisation.call_plan", _("Call-up plan")),
        ("utilisation.control_area", _("Control area")),
    ):
        if any(name in (r.get("metrics") or {}) for r in results):
            keys.append((name, label))
    left, plot, bar = 220, 440, 14
    per_row = bar * max(len(results), 1) + 10
    rows = []
    for index, (name, label) in enumerate(keys):
        y = index * per_row + 4
        bars = []
        for j, result in enumerate(results):
            share = metric(result, name).mean
            value = max(0.0, min(share or 0.0, 1.0))
            bottleneck = (result.get("bottleneck") or {}).get("resource", "")
            hot = name == f"step.{bottleneck.replace('.', '.utilisation_', 1)}" or (
                name == f"utilisation.{bottleneck}"
            )
            bars.append(
                {
                    "y": y + j * bar,
                    "width": round(value * plot, 1),
                    "height": bar - 2,
                    "percent": round((share or 0.0) * 100),
                    "colour": colours[j % len(colours)],
                    "bottleneck": hot,
                    "missing": share is None,
                }
            )
        rows.append({"label": label, "y": y, "text_y": y + per_row / 2, "bars": bars})
    height = len(keys) * per_row + 24
    grid = [
        {"x": left + round(f * plot), "label": f"{round(f * 100)}%", "y": height - 6}
        for f in (0, 0.25, 0.5, 0.75, 1)
    ]
    return UseChart(
        width=left + plot + 40, height=height, rows=rows, left=left, plot=plot, grid=grid
    )


@dataclass
class ProbeChart:
    """A capacity search's volumes tried: P90 wait (its upper 95 % end) against trucks a day,
    sustained in green, not in red, with the scenario's wait bound as a line."""

    width: int
    height: int
    baseline: float
    left: int
    ticks: list[dict[str, Any]]
    points: list[dict[str, Any]]
    labels: list[dict[str, Any]]
    bound_y: float | None

    @property
    def empty(self) -> bool:
        return not self.points


def probe_chart(probes: Sequence[Mapping[str, Any]], bound: float | None) -> ProbeChart:
    volumes = [float(p.get("per_day") or 0) for p in probes]
    waits = [
        float(p.get("wait_p90_high_minutes") or p.get("wait_p90_minutes") or 0) for p in probes
    ]
    top = nice_top(max([*waits, float(bound or 0)], default=0) * 1.05)
    low, high = min(volumes, default=0.0), max(volumes, default=1.0)
    span = (high - low) or 1.0
    plot = CHART_WIDTH - LEFT - 24
    points = []
    for probe, volume, wait in zip(probes, volumes, waits, strict=True):
        points.append(
            {
                "x": round(LEFT + 8 + (volume - low) / span * plot, 1),
                "y": round(_baseline(CHART_HEIGHT) - min(wait, top) / top * CHART_HEIGHT, 1),
                "volume": volume,
                "wait": wait,
                "sustained": bool(probe.get("sustained")),
            }
        )
    # Evenly spaced volumes on the x axis (the probes crowd where the search bisected).
    labels = [
        {"x": round(LEFT + 8 + f * plot, 1), "label": f"{low + f * span:.0f}"}
        for f in ((0.0, 0.25, 0.5, 0.75, 1.0) if high > low else (0.0,))
    ]
    return ProbeChart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT + BOTTOM + 6,
        baseline=_baseline(CHART_HEIGHT),
        left=LEFT,
        ticks=_ticks(top, CHART_HEIGHT),
        points=points,
        labels=labels,
        bound_y=round(_baseline(CHART_HEIGHT) - bound / top * CHART_HEIGHT, 1) if bound else None,
    )
