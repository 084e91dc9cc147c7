"""What a twin run tells planners: measures of each replication, then means with 95 % confidence
intervals over the replications, and the bottleneck named.

Pure Python (no Django). Times are reported in minutes, throughput per day, utilisation as a
share (0–1). Metric names are flat (``wait.fruit.p90``) so that runs compare row by row.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from cuakhau.queueing.policy import Hold
from cuakhau.twin.engine import Replication
from cuakhau.twin.scenario import DAY, GREEN_GROUPS, GROUPS, HOUR, MINUTE, Scenario

# Student's t, two-sided 95 %, by degrees of freedom (1–30); beyond, the normal's 1.96 is used.
_T95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip

# The share of time the partner's quota must hold the queue to be named the limit.
PARTNER_MATERIAL = 0.05

# How a cause of waiting in the yard maps onto the resource to relieve.
HELD_RESOURCE = {
    Hold.CLOSED.value: "hours",
    Hold.CAPACITY.value: "call_plan",
    Hold.ROOM.value: "control_area",
    Hold.QUOTA.value: "partner",
}


def t95(n: int) -> float:
    """The 95 % two-sided Student t quantile for ``n`` observations."""
    if n < 2:
        return math.inf
    return _T95[n - 2] if n - 1 <= len(_T95) else 1.96


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0–1) of sorted values, by linear interpolation."""
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _describe(values: list[float], prefix: str, metrics: dict[str, float]) -> None:
    values.sort()
    metrics[f"{prefix}.n"] = float(len(values))
    metrics[f"{prefix}.mean"] = statistics.fmean(values) / MINUTE if values else 0.0
    for name, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
        metrics[f"{prefix}.{name}"] = percentile(values, q) / MINUTE


def _wait_classes(waits: Mapping[str, list[float]]) -> dict[str, list[float]]:
    """Waits of each truck class: all, green lane, ordinary, booked, living queue, each goods
    group."""
    classes: dict[str, list[float]] = {
        "all": [],
        "green": [],
        "ordinary": [],
        "booked": [],
        "living": [],
    }
    for name, values in waits.items():
        group, _, booked = name.partition("/")
        classes["all"].extend(values)
        classes["green" if group in GREEN_GROUPS else "ordinary"].extend(values)
        classes["booked" if booked else "living"].extend(values)
        classes.setdefault(group, []).extend(values)
    return classes


def summarise(rep: Replication, scenario: Scenario) -> dict[str, Any]:
    """One replication's measures: ``metrics`` (flat name → number) and ``series``."""
    measured = max(rep.horizon - rep.warmup, 1.0)
    days = measured / DAY
    first_day = int(rep.warmup // DAY)
    last_day = max(first_day + 1, math.ceil(rep.horizon / DAY))
    crossed_daily = rep.crossed_daily[first_day:last_day]
    m: dict[str, float] = {
        "throughput_per_day": sum(crossed_daily) / days,
        "arrivals_per_day": rep.measured_arrivals / days,
        "calls_per_day": rep.calls_made / days,
        "no_shows_per_day": rep.no_shows / (rep.horizon / DAY),
        "waiting_at_end": float(rep.waiting_at_end),
    }
    for name, values in _wait_classes(rep.waits).items():
        if values or name in ("all", "green", "ordinary"):
            _describe(values, f"wait.{name}", m)
    _describe([v for values in rep.system_times.values() for v in values], "system_time.all", m)

    utilisation: dict[str, float] = {}
    for step, tally in zip(scenario.steps, rep.steps, strict=True):
        prefix = f"step.{step.name}"
        n = max(tally.trucks, 1)
        m[f"{prefix}.trucks_per_day"] = tally.trucks / days
        m[f"{prefix}.wait_mean"] = tally.wait / n / MINUTE
        m[f"{prefix}.service_mean"] = tally.service / n / MINUTE
        m[f"{prefix}.held_share"] = tally.held / n
        m[f"{prefix}.time_mean"] = (statistics.fmean(tally.times) if tally.times else 0) / MINUTE
        m[f"{prefix}.time_p90"] = percentile(sorted(tally.times), 0.9) / MINUTE
        for lane_type in ("manual", "smart"):
            lanes = tally.lanes[lane_type]
            if lanes:
                share = tally.busy[lane_type] / (lanes * measured)
                m[f"{prefix}.utilisation_{lane_type}"] = share
                utilisation[f"{step.name}.{lane_type}"] = share
    if rep.calls_offered:
        utilisation["call_plan"] = m["utilisation.call_plan"] = rep.calls_made / rep.calls_offered
    if rep.room:
        room_use = rep.inside_area / measured / rep.room
        utilisation["control_area"] = m["utilisation.control_area"] = room_use
    for cause, seconds in rep.held_time.items():
        m[f"held_share.{cause}"] = seconds / measured

    waiting = rep.hourly_waiting or [0]
    m["yard.waiting_mean"] = statistics.fmean(waiting)
    m["yard.waiting_max"] = float(max(waiting))
    m["yard.road_max"] = float(max(rep.hourly_road or [0]))
    m["yard.inside_mean"] = rep.inside_area / measured
    for code, peak in rep.yard_max.items():
        m[f"yard.{code}.max"] = float(peak)
    for group in GROUPS:
        trucks = rep.shelf_trucks.get(group, 0)
        if group in scenario.shelf_life:
            over = rep.shelf_over.get(group, 0)
            m[f"shelf.{group}.over"] = float(over)
            m[f"shelf.{group}.share"] = over / trucks if trucks else 0.0
    # Little's law (L = λW) on the whole run, for the system and the yard queue: the time
    # average of the count against arrivals per second × mean time per truck.
    m["little.system.error"] = _relative(rep.system_area, rep.system_time_sum)
    m["little.yard.error"] = _relative(rep.yard_area, rep.yard_time_sum)
    return {
        "metrics": m,
        "series": {
            "crossed_daily": [float(v) for v in crossed_daily],
            "hourly_waiting": [float(v) for v in rep.hourly_waiting],
            "hourly_inside": [float(v) for v in rep.hourly_inside],
            "hourly_road": [float(v) for v in rep.hourly_road],
        },
        "bottleneck": bottleneck(utilisation, {c: m[f"held_share.{c}"] for c in rep.held_time}),
    }


def _relative(a: float, b: float) -> float:
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale else 0.0


def bottleneck(utilisation: Mapping[str, float], held: Mapping[str, float]) -> dict[str, Any]:
    """What limits the gate. If the yard queue waits mostly because the control area is full,
    the busiest control step is the bottleneck; if it waits for the hour's calls, the working
    hours or the partner's quota, that is."""
    cause = max(held, key=lambda c: held[c], default=None)
    if held.get(Hold.QUOTA.value, 0.0) > PARTNER_MATERIAL:
        # The partner's daily acceptance cannot be caught up by working longer or faster: once
        # it holds trucks for a material share of the time, it is the limit, whatever else
        # (nights included) holds them too.
        cause = Hold.QUOTA.value
    steps = {k: v for k, v in utilisation.items() if "." in k}
    busiest = max(steps, key=lambda k: steps[k], default=None)
    if cause is None or held[cause] <= 0.01:
        name = busiest or "none"
        return {
            "resource": name,
            "kind": "step" if busiest else "none",
            "utilisation": steps.get(name, 0.0),
            "held_share": 0.0,
            "cause": "",
        }
    resource = HELD_RESOURCE.get(cause, cause)
    if resource == "control_area" and busiest is not None:
        return {
            "resource": busiest,
            "kind": "step",
            "utilisation": steps[busiest],
            "held_share": held[cause],
            "cause": cause,
        }
    return {
        "resource": resource,
        "kind": resource,
        "utilisation": utilisation.get(resource, 0.0),
        "held_share": held[cause],
        "cause": cause,
    }


def aggregate(summaries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Means over replications with 95 % confidence half-widths; series averaged point by
    point; the bottleneck most replications name."""
    n = len(summaries)
    names: list[str] = []
    for summary in summaries:
        for name in summary["metrics"]:
            if name not in names:
                names.append(name)
    metrics: dict[str, dict[str, float]] = {}
    for name in names:
        values = [float(s["metrics"].get(name, 0.0)) for s in summaries]
        mean = statistics.fmean(values)
        half = t95(n) * statistics.stdev(values) / math.sqrt(n) if n > 1 else 0.0
        metrics[name] = {
            "mean": mean,
            "half_width": half,
            "low": mean - half,
            "high": mean + half,
            "min": min(values),
            "max": max(values),
        }
    series: dict[str, list[float]] = {}
    for key in summaries[0]["series"] if summaries else ():
        columns = [s["series"][key] for s in summaries]
        length = min(len(c) for c in columns)
        series[key] = [statistics.fmean(c[i] for c in columns) for i in range(length)]
    votes: dict[str, int] = {}
    for summary in summaries:
        resource = summary["bottleneck"]["resource"]
        votes[resource] = votes.get(resource, 0) + 1
    top = max(votes, key=lambda r: votes[r]) if votes else "none"
    example = next(s["bottleneck"] for s in summaries if s["bottleneck"]["resource"] == top)
    return {
        "replications": n,
        "metrics": metrics,
        "series": series,
        "bottleneck": {**example, "votes": votes.get(top, 0)},
    }


def erlang_c(servers: int, offered: float) -> float:
    """The probability that an arrival waits in an M/M/c queue (offered load a = λ/μ < c)."""
    if offered <= 0:
        return 0.0
    if offered >= servers:
        return 1.0
    # Erlang B by its stable recursion, then C from B.
    b = 1.0
    for k in range(1, servers + 1):
        b = offered * b / (k + offered * b)
    rho = offered / servers
    return b / (1 - rho + rho * b)


def erlang_c_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """The mean wait before service in an M/M/c queue (time units of the rates)."""
    offered = arrival_rate / service_rate
    if offered >= servers:
        return math.inf
    return erlang_c(servers, offered) / (servers * service_rate - arrival_rate)


__all__ = [
    "HOUR",
    "aggregate",
    "bottleneck",
    "erlang_c",
    "erlang_c_wait",
    "percentile",
    "summarise",
    "t95",
]
