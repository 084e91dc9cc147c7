"""Capacity search on the twin: how many trucks a day a configuration sustains, and what must
change to reach a target.

Pure Python (no Django). Both searches run the twin (``runner.run_replications``) on a shorter
horizon than the scenario's (by default 21 days, of which 3 warm up) with the same seed at every
volume (common random numbers), so that two volumes differ by the volume and not by the luck of
the draw.

A volume (``arrivals.per_day``) is *sustained* when, over the measured days,

* the P90 yard wait (``wait.all.p90``, upper end of its 95 % confidence interval) stays within
  the scenario's ``wait_bound``;
* the queue does not grow: the trucks still waiting at the end are no more than arrive within
  one wait bound (by Little's law a longer queue, cleared at the arrival rate, would keep the
  next truck waiting longer than the bound), and the gate clears what arrives (throughput at
  least 97 % of arrivals).

``max_volume`` brackets the largest sustained volume (×1.5 steps from the scenario's own
volume) and bisects it. ``plan_for_target`` runs the target volume and, while it is not
sustained, pulls the lever the bottleneck names and runs again:

* a step's lane type (``customs.manual``) → one more lane of that type, up to the site's
  ``max_lanes`` (else double), then 10 % fewer minutes per truck; but when the control area is
  full while trucks inside hardly queue for any lane, the room is taken by trucks travelling or
  held aside, and the lever is 25 % more control-area room;
* the call plan → calls per hour raised to what the lanes clear (if it already calls that many,
  one more lane on the tightest lane type). This is also done first, before reading the
  bottleneck, whenever the plan cannot offer the target's calls (with no-shows) at 95 % load;
* the working hours → one hour longer at each end, toward 24 h;
* the partner's quota (named whenever a capped goods group's demand uses more than 90 % of its
  quota) → reported: the partner's acceptance must rise, which cannot be fixed on our side, and
  the plan stops there.

The plan stops when the target is sustained, at the partner, or after ``max_changes`` changes.
These are heuristics a planner would follow, not an optimisation: the changes are sufficient,
not proven minimal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from typing import Any

from cuakhau.core.errors import FieldError, InvalidInput
from cuakhau.core.text import Text
from cuakhau.twin.runner import run_replications
from cuakhau.twin.scenario import (
    DAY,
    MINUTE,
    WEEKDAYS,
    Lanes,
    Scenario,
    SmartLanes,
    Step,
    arrival_rates,
    hour_calls,
    quotas_on,
    season_mix,
)

Progress = Callable[[float], None]
Runner = Callable[..., dict[str, Any]]

# A volume is sustained only if the gate clears at least this share of what arrives.
THROUGHPUT_SHARE = 0.97
# Bracketing: each step multiplies (or divides) the volume by this.
GROWTH = 1.5
MAX_BRACKET_PROBES = 12
# The call plan must offer the target's calls at no more than this load.
CALL_PLAN_LOAD = 0.95
# A partner quota used above this share on average leaves no room for day-to-day swings.
QUOTA_LOAD = 0.9
# Trucks inside queue for a step's lanes when their mean wait is at least this share of the
# mean service; below it, a full control area is not the lanes' doing.
QUEUED = 0.1
# Cutting minutes per truck: each change takes this share off the mean.
SPEEDUP = 0.9
# A lane type may at most double (at least +2) unless the scenario sets its ``max_lanes``.
LANE_GROWTH = 2
DEFAULT_DAYS = 21
DEFAULT_WARMUP_DAYS = 3
DEFAULT_REPLICATIONS = 5

_REPLAY = Text(
    "Kịch bản phát lại lịch sử có lưu lượng cố định: không tìm được năng lực.",
    "A replayed history has a fixed volume: the capacity cannot be searched.",
    "回放历史的流量固定，无法搜索通行能力。",
)
_REPLAY_FIELD = Text(
    "Chọn kind = profile hoặc poisson để tìm năng lực.",
    "Use kind = profile or poisson to search the capacity.",
    "请使用 kind = profile 或 poisson 搜索通行能力。",
)
_TARGET = Text(
    "Mục tiêu phải là một số xe/ngày lớn hơn 0.",
    "The target must be a number of trucks a day above 0.",
    "目标必须是大于 0 的每日车辆数。",
)


# --- Results -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Probe:
    """One run at one volume, and whether the gate sustained it."""

    per_day: float  # the volume asked for (arrivals.per_day)
    arrivals_per_day: float  # measured
    throughput_per_day: float
    wait_p50: float  # minutes, mean over replications
    wait_p90: float
    wait_p90_high: float  # upper end of the 95 % interval: the figure held against the bound
    fruit_wait_p90: float
    waiting_at_end: float
    fruit_over_shelf_life: float  # share of fruit trucks that waited beyond its shelf life
    sustained: bool
    failed: tuple[str, ...]  # "wait", "queue", "throughput": which test it failed
    bottleneck: str  # the resource the results name (results.bottleneck)
    bottleneck_kind: str
    bottleneck_utilisation: float
    held_share: float  # share of the time the yard queue waited for the bottleneck
    # Each step's lane types: utilisation over the 24 h ("customs.manual" → 0–1), and each step's
    # mean wait for a lane inside the control area as a share of its mean service.
    lane_use: Mapping[str, float] = field(default_factory=dict)
    step_queue: Mapping[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "per_day": self.per_day,
            "arrivals_per_day": round(self.arrivals_per_day, 1),
            "throughput_per_day": round(self.throughput_per_day, 1),
            "wait_p50_minutes": round(self.wait_p50, 1),
            "wait_p90_minutes": round(self.wait_p90, 1),
            "wait_p90_high_minutes": round(self.wait_p90_high, 1),
            "fruit_wait_p90_minutes": round(self.fruit_wait_p90, 1),
            "waiting_at_end": round(self.waiting_at_end, 1),
            "fruit_over_shelf_life": round(self.fruit_over_shelf_life, 4),
            "sustained": self.sustained,
            "failed": list(self.failed),
            "bottleneck": self.bottleneck,
            "bottleneck_kind": self.bottleneck_kind,
            "bottleneck_utilisation": round(self.bottleneck_utilisation, 3),
            "held_share": round(self.held_share, 3),
            "lane_use": {k: round(v, 3) for k, v in self.lane_use.items()},
            "step_queue": {k: round(v, 3) for k, v in self.step_queue.items()},
        }


@dataclass(frozen=True, slots=True)
class VolumeResult:
    """The largest sustained daily volume found, with every probe in the order it ran."""

    scenario: str
    max_per_day: float  # 0 when not even the smallest volume tried was sustained
    bottleneck: str  # what stops the next volume up (the smallest unsustained probe)
    capped: bool  # every volume tried was sustained: the real maximum is higher
    wait_bound_minutes: float
    resolution: float
    probes: tuple[Probe, ...]
    days: int
    warmup_days: int
    replications: int
    seed: int

    @property
    def limit(self) -> Probe | None:
        """The smallest volume tried that was not sustained."""
        failed = [p for p in self.probes if not p.sustained]
        return min(failed, key=lambda p: p.per_day) if failed else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "max_per_day": self.max_per_day,
            "bottleneck": self.bottleneck,
            "capped": self.capped,
            "wait_bound_minutes": self.wait_bound_minutes,
            "resolution": self.resolution,
            "days": self.days,
            "warmup_days": self.warmup_days,
            "replications": self.replications,
            "seed": self.seed,
            "probes": [p.as_dict() for p in self.probes],
            "table": sorted((p.as_dict() for p in self.probes), key=lambda p: p["per_day"]),
        }


@dataclass(frozen=True, slots=True)
class Change:
    """One lever pulled: what, from which value to which, why, and the run after it."""

    lever: str  # lanes | minutes_per_truck | calls_per_hour | control_area_room | hours | partner
    resource: str  # what it acts on: "customs.manual", "call_plan", "hours", "partner.fruit" …
    before: float | str
    after: float | str
    why: Text
    result: Probe | None  # None for the partner: nothing was changed, nothing re-run

    def as_dict(self) -> dict[str, Any]:
        return {
            "lever": self.lever,
            "resource": self.resource,
            "from": self.before,
            "to": self.after,
            "why": self.why.as_dict(),
            "result": self.result.as_dict() if self.result else None,
        }

    def describe(self, language: str = "en") -> str:
        """One line for a report: ``lanes customs.manual 8 → 9: … (sustained: no, …)``."""
        line = f"{self.lever} {self.resource}: {self.before} → {self.after}: "
        line += self.why.get(language)
        if self.result is not None:
            r = self.result
            line += (
                f" [then {r.throughput_per_day:.0f}/day, P90 wait {r.wait_p90:.0f} min"
                f" (≤{r.wait_p90_high:.0f}), bottleneck {r.bottleneck},"
                f" {'sustained' if r.sustained else 'not sustained'}]"
            )
        return line


@dataclass(frozen=True, slots=True)
class TargetPlan:
    """What must change for the configuration to sustain ``target_per_day``."""

    scenario: str
    target_per_day: float
    reached: bool
    limited_by: str  # "" when reached; "partner", "hours" (closures), "steps" (step limit), "none"
    start: Probe  # the configuration as it is, at the target volume
    changes: tuple[Change, ...]
    final: Scenario
    days: int
    warmup_days: int
    replications: int
    seed: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "target_per_day": self.target_per_day,
            "reached": self.reached,
            "limited_by": self.limited_by,
            "start": self.start.as_dict(),
            "changes": [c.as_dict() for c in self.changes],
            "configuration": configuration(self.final),
            "days": self.days,
            "warmup_days": self.warmup_days,
            "replications": self.replications,
            "seed": self.seed,
        }


# --- Judging one run ---------------------------------------------------------------------------


def _metric(metrics: Mapping[str, Mapping[str, float]], name: str, key: str = "mean") -> float:
    value = metrics.get(name)
    return float(value[key]) if value else 0.0


def assess(result: Mapping[str, Any], scenario: Scenario, per_day: float) -> Probe:
    """A run's aggregate (``run_replications``) of ``scenario`` at ``per_day``, judged against
    the scenario's wait bound. When it is not sustained and a goods group's demand exceeds the
    partner's daily quota, the partner is named the bottleneck whatever else holds the queue at
    the moment (closed hours at night, say): that backlog grows by the day and only the partner
    can clear it."""
    wait_bound = scenario.wait_bound
    m: Mapping[str, Mapping[str, float]] = result["metrics"]
    arrivals = _metric(m, "arrivals_per_day")
    throughput = _metric(m, "throughput_per_day")
    p90_high = _metric(m, "wait.all.p90", "high")
    waiting = _metric(m, "waiting_at_end")
    failed = []
    if p90_high > wait_bound / MINUTE:
        failed.append("wait")
    if waiting > arrivals * wait_bound / DAY:
        failed.append("queue")
    if throughput < THROUGHPUT_SHARE * arrivals:
        failed.append("throughput")
    neck: Mapping[str, Any] = result.get("bottleneck", {})
    if failed and neck.get("kind") != "partner" and partner_shortfall(scenario, per_day):
        neck = {
            "resource": "partner",
            "kind": "partner",
            "utilisation": 0.0,
            "held_share": _metric(m, "held_share.partner_quota"),
        }
    return Probe(
        per_day=per_day,
        arrivals_per_day=arrivals,
        throughput_per_day=throughput,
        wait_p50=_metric(m, "wait.all.p50"),
        wait_p90=_metric(m, "wait.all.p90"),
        wait_p90_high=p90_high,
        fruit_wait_p90=_metric(m, "wait.fruit.p90"),
        waiting_at_end=waiting,
        fruit_over_shelf_life=_metric(m, "shelf.fruit.share"),
        sustained=not failed,
        failed=tuple(failed),
        bottleneck=str(neck.get("resource", "none")),
        bottleneck_kind=str(neck.get("kind", "none")),
        bottleneck_utilisation=float(neck.get("utilisation", 0.0)),
        held_share=float(neck.get("held_share", 0.0)),
        lane_use={
            f"{step.name}.{kind}": _metric(m, f"step.{step.name}.utilisation_{kind}")
            for step in scenario.steps
            for kind in ("manual", "smart")
            if kind == "manual" or step.smart is not None
        },
        step_queue={
            step.name: _metric(m, f"step.{step.name}.wait_mean")
            / max(_metric(m, f"step.{step.name}.service_mean"), 1e-9)
            for step in scenario.steps
        },
    )


class _Meter:
    """Progress over a search whose number of runs is only estimated: never goes back."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.done = 0
        self.expected = 1
        self.last = 0.0

    def report(self, inner: float = 0.0) -> None:
        if self.progress is None:
            return
        fraction = min(0.99, (self.done + inner) / max(self.expected, self.done + 1))
        if fraction > self.last:
            self.last = fraction
            self.progress(fraction)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(1.0)


@dataclass(frozen=True, slots=True)
class _Setup:
    scenario: Scenario  # on the search's horizon
    replications: int
    seed: int
    workers: int | None
    runner: Runner

    def run(self, per_day: float, meter: _Meter, scenario: Scenario | None = None) -> Probe:
        s = scenario or self.scenario
        result = self.runner(
            s,
            self.replications,
            seed=self.seed,
            per_day=per_day,
            workers=self.workers,
            progress=meter.report if meter.progress else None,
        )
        meter.done += 1
        meter.report()
        return assess(result, s, per_day)


def _setup(
    scenario: Scenario,
    replications: int,
    days: int | None,
    warmup_days: int | None,
    seed: int | None,
    workers: int | None,
    runner: Runner | None,
) -> _Setup:
    if scenario.arrivals.kind == "replay":
        raise InvalidInput(
            "search_replay", _REPLAY, [FieldError("arrivals.kind", "choice", _REPLAY_FIELD)]
        )
    horizon = max(2, days or DEFAULT_DAYS)
    warmup = DEFAULT_WARMUP_DAYS if warmup_days is None else warmup_days
    warmup = max(0, min(warmup, horizon - 1))
    return _Setup(
        replace(scenario, days=horizon, warmup_days=warmup),
        max(1, replications),
        scenario.seed if seed is None else seed,
        workers,
        runner or run_replications,
    )


# --- The largest sustained volume ----------------------------------------------------------------


def max_volume(
    scenario: Scenario,
    *,
    replications: int = DEFAULT_REPLICATIONS,
    days: int | None = DEFAULT_DAYS,
    warmup_days: int | None = DEFAULT_WARMUP_DAYS,
    start: float | None = None,
    resolution: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    runner: Runner | None = None,
) -> VolumeResult:
    """The largest ``arrivals.per_day`` the configuration sustains (see the module's rules).

    Starts at ``start`` (default: the scenario's volume), brackets by ×1.5 steps and bisects
    until the bracket is narrower than ``resolution`` trucks a day (default 1 % of the upper end,
    at least 2). The volume's hourly, weekly and seasonal profile and goods mix stay as the
    scenario has them; runs use ``days`` days from the scenario's start.
    """
    setup = _setup(scenario, replications, days, warmup_days, seed, workers, runner)
    meter = _Meter(progress)
    probes: list[Probe] = []

    def probe(volume: float) -> Probe:
        result = setup.run(volume, meter)
        probes.append(result)
        return result

    first = float(max(1, round(start or scenario.arrivals.per_day)))
    meter.expected = 9
    low, high = 0.0, math.inf
    volume = first
    capped = False
    for i in range(MAX_BRACKET_PROBES):
        result = probe(volume)
        if result.sustained:
            low = volume
            if high < math.inf:
                break
            volume = float(math.ceil(volume * GROWTH))
        else:
            high = volume
            if low > 0:
                break
            volume = float(math.floor(volume / GROWTH))
            if volume < 1:
                break
        meter.expected = len(probes) + 7
        if i == MAX_BRACKET_PROBES - 1 and high == math.inf:
            capped = True
    if high < math.inf and low > 0:
        step = resolution or max(2.0, 0.01 * high)
        meter.expected = len(probes) + max(0, math.ceil(math.log2(max(1.0, (high - low) / step))))
        while high - low > step:
            middle = float(round((low + high) / 2))
            if middle in (low, high):
                break
            if probe(middle).sustained:
                low = middle
            else:
                high = middle
    else:
        step = resolution or max(2.0, 0.01 * (low if high == math.inf else high))
    beyond = min((p for p in probes if not p.sustained), key=lambda p: p.per_day, default=None)
    meter.finish()
    return VolumeResult(
        scenario=scenario.name,
        max_per_day=low,
        bottleneck=beyond.bottleneck if beyond else "none",
        capped=capped,
        wait_bound_minutes=scenario.wait_bound / MINUTE,
        resolution=step,
        probes=tuple(probes),
        days=setup.scenario.days,
        warmup_days=setup.scenario.warmup_days,
        replications=setup.replications,
        seed=setup.seed,
    )


# --- What it takes to reach a target --------------------------------------------------------------


def partner_shortfall(
    scenario: Scenario, per_day: float | None = None
) -> dict[str, tuple[float, float]]:
    """Goods groups whose expected arrivals use more than 90 % of the partner's daily quota (no
    room left for day-to-day swings), on average over the measured days a quota applies:
    group → (trucks a day arriving, trucks a day accepted)."""
    rates = arrival_rates(scenario, per_day)
    demand: dict[str, float] = {}
    accepted: dict[str, float] = {}
    days: dict[str, int] = {}
    for index in range(scenario.warmup_days, scenario.days):
        day = scenario.start + timedelta(days=index)
        quotas = quotas_on(scenario, day)
        if not quotas:
            continue
        mix = season_mix(scenario, day)
        total = sum(mix.values()) or 1.0
        volume = sum(rates[index * 24 : (index + 1) * 24])
        for group, quota in quotas.items():
            demand[group] = demand.get(group, 0.0) + volume * mix.get(group, 0.0) / total
            accepted[group] = accepted.get(group, 0.0) + quota
            days[group] = days.get(group, 0) + 1
    return {
        group: (demand[group] / days[group], accepted[group] / days[group])
        for group in demand
        if demand[group] > QUOTA_LOAD * accepted[group]
    }


def lane_rates(scenario: Scenario) -> dict[str, float]:
    """Trucks an hour each step's lane type can clear, counting every truck the gate calls:
    lanes × 60 / (mean minutes × the share of trucks that use that lane type), for the base goods
    mix and each season's (the lowest is kept). Holds do not occupy a lane."""
    mixes = [dict(scenario.arrivals.mix)]
    mixes += [season_mix(scenario, season.starts) for season in scenario.arrivals.seasons]
    rates: dict[str, float] = {}
    for mix in mixes:
        total = sum(mix.values())
        if total <= 0:
            continue
        for step in scenario.steps:
            manual = smart = 0.0
            for group, weight in mix.items():
                if group not in step.applies_to:
                    continue
                share = weight / total
                if step.smart is not None and group in step.smart.eligible:
                    smart += share * step.smart.share
                    manual += share * (1 - step.smart.share)
                else:
                    manual += share
            for kind, used, lanes in (
                ("manual", manual, step.manual),
                ("smart", smart, step.smart),
            ):
                if lanes is None:
                    continue
                minutes = lanes.service.expected / MINUTE
                name = f"{step.name}.{kind}"
                rate = (
                    math.inf if used <= 0 or minutes <= 0 else lanes.lanes * 60 / (minutes * used)
                )
                rates[name] = min(rates.get(name, math.inf), rate)
    return rates


def lane_limit(lanes: Lanes | SmartLanes) -> int:
    """The most lanes of a type a plan may open: the scenario's ``max_lanes``, else double."""
    if lanes.max_lanes:
        return lanes.max_lanes
    return max(lanes.lanes * LANE_GROWTH, lanes.lanes + 2)


def _span_minutes(span: tuple[time, time]) -> tuple[int, int]:
    """An open span as minutes of the day; an end at 00:00 is midnight (1440)."""
    begin = span[0].hour * 60 + span[0].minute
    end = span[1].hour * 60 + span[1].minute
    return begin, end if end > begin else 1440


def _clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def hours_text(scenario: Scenario) -> str:
    """Working hours as one line: ``07:00–22:00`` when every day is alike, else by weekday."""

    def day_text(spans: tuple[tuple[time, time], ...]) -> str:
        if not spans:
            return "closed"
        parts = (_span_minutes(span) for span in spans)
        return ", ".join(f"{_clock_text(a)}–{_clock_text(b)}" for a, b in parts)

    texts = [day_text(tuple(scenario.weekly_hours.get(d, ()))) for d in range(7)]
    if len(set(texts)) == 1:
        return texts[0]
    return "; ".join(f"{WEEKDAYS[d]} {t}" for d, t in enumerate(texts))


def open_hours_per_week(scenario: Scenario) -> float:
    minutes = 0
    for spans in scenario.weekly_hours.values():
        for span in spans:
            begin, end = _span_minutes(span)
            minutes += end - begin
    return minutes / 60


def _widen(scenario: Scenario) -> Scenario | None:
    """Working hours one hour longer at each end of every open day, toward 24 h (gaps inside
    a day close too); when every open day is 24 h, closed weekdays open all day; None when the
    gate is already always open."""
    weekly: dict[int, tuple[tuple[time, time], ...]] = {}
    widened = False
    for day in range(7):
        spans = tuple(scenario.weekly_hours.get(day, ()))
        weekly[day] = spans
        if not spans:
            continue
        parts = [_span_minutes(span) for span in spans]
        begin, end = min(a for a, _ in parts), max(b for _, b in parts)
        if begin == 0 and end == 1440 and sum(b - a for a, b in parts) >= 1440:
            continue
        begin, end = max(0, begin - 60), min(1440, end + 60)
        weekly[day] = ((time(begin // 60, begin % 60), time((end // 60) % 24, end % 60)),)
        widened = True
    if not widened:
        closed = [d for d in range(7) if not weekly[d]]
        if not closed:
            return None
        for day in closed:
            weekly[day] = ((time(0, 0), time(0, 0)),)
    return replace(scenario, weekly_hours=weekly)


def _with_step(scenario: Scenario, index: int, step: Step) -> Scenario:
    steps = list(scenario.steps)
    steps[index] = step
    return replace(scenario, steps=tuple(steps))


def _lane_change(scenario: Scenario, resource: str, reason: Text) -> tuple[Scenario, Change]:
    """Add a lane of the type ``resource`` names (``customs.manual``), or, when it already has
    as many as the site allows, cut its minutes per truck by 10 %."""
    name, _, kind = resource.rpartition(".")
    index = next(i for i, s in enumerate(scenario.steps) if s.name == name)
    step = scenario.steps[index]
    lanes: Lanes | SmartLanes | None = step.smart if kind == "smart" else step.manual
    assert lanes is not None
    limit = lane_limit(lanes)
    if lanes.lanes < limit:
        new_lanes = replace(lanes, lanes=lanes.lanes + 1)
        why = Text(
            f"{reason.vi} Mở thêm một làn {resource}.",
            f"{reason.en} Open one more {resource} lane.",
            f"{reason.zh}增开一条 {resource} 车道。",
        )
        change = Change("lanes", resource, lanes.lanes, new_lanes.lanes, why, None)
    else:
        new_lanes = replace(lanes, service=lanes.service.scaled(SPEEDUP))
        before = round(lanes.service.expected / MINUTE, 2)
        after = round(new_lanes.service.expected / MINUTE, 2)
        why = Text(
            f"{reason.vi} {resource} đã có {lanes.lanes} làn, tối đa {limit}: giảm 10 % số "
            "phút mỗi xe.",
            f"{reason.en} {resource} already has {lanes.lanes} lanes, the most allowed "
            f"({limit}): cut its minutes per truck by 10 %.",
            f"{reason.zh}{resource} 已有 {lanes.lanes} 条车道（上限 {limit}）：每车用时减少 10 %。",
        )
        change = Change("minutes_per_truck", resource, before, after, why, None)
    if kind == "smart":
        assert isinstance(new_lanes, SmartLanes)
        new_step = replace(step, smart=new_lanes)
    else:
        assert isinstance(new_lanes, Lanes)
        new_step = replace(step, manual=new_lanes)
    return _with_step(scenario, index, new_step), change


def _queued_lanes(probe: Probe, resource: str) -> str | None:
    """The lane type trucks in a full control area queue for: the one the results name if its
    step has a queue (mean wait at least QUEUED of the mean service), else the lane type of the
    step with the longest relative queue; None when no step has one, so that the room is full of
    trucks travelling or held aside and more lanes would stand idle."""
    name = resource.rpartition(".")[0]
    if probe.step_queue.get(name, 0.0) >= QUEUED:
        return resource
    queued = {k: v for k, v in probe.step_queue.items() if v >= QUEUED}
    if not queued:
        return None
    step = max(queued, key=lambda k: queued[k])
    types = {k: v for k, v in probe.lane_use.items() if k.rpartition(".")[0] == step}
    return max(types, key=lambda k: types[k]) if types else f"{step}.manual"


def _step_reason(resource: str, probe: Probe) -> Text:
    busy = f"{probe.lane_use.get(resource, probe.bottleneck_utilisation):.0%}"
    held = f"{probe.held_share:.0%}"
    return Text(
        f"Làn {resource} là nút thắt: bận {busy} của 24 giờ; hàng chờ ở bãi bị giữ vì khu kiểm "
        f"soát đầy {held} thời gian.",
        f"{resource} lanes are the bottleneck: busy {busy} of the 24 h; the yard queue is held "
        f"by a full control area {held} of the time.",
        f"{resource} 车道是瓶颈：24 小时中忙碌 {busy}；堆场排队因监管区已满而受阻 {held} 的时间。",
    )


def _tightest_reason(resource: str, rate: float, probe: Probe) -> Text:
    held = f"{probe.held_share:.0%}"
    return Text(
        f"Hết lượt gọi của giờ {held} thời gian, và kế hoạch đã gọi bằng mức các làn thông quan "
        f"được ({rate:.0f} xe/giờ, hạn chế bởi {resource}).",
        f"The hour's calls run out {held} of the time, and the plan already calls what the "
        f"lanes clear ({rate:.0f} trucks an hour, limited by {resource}).",
        f"本小时调用额度用完的时间占 {held}，且计划已等于车道通关能力（每小时 {rate:.0f} 辆，"
        f"受限于 {resource}）。",
    )


def calls_per_day(scenario: Scenario) -> float:
    """Calls the plan offers in a day on average (calls per hour × open hours, less closures);
    infinite when calls are not limited."""
    calls = hour_calls(scenario)
    if any(c < 0 for c in calls):
        return math.inf
    return sum(calls) / max(1, scenario.days)


def _calls_change(scenario: Scenario, reason: Text) -> tuple[Scenario, Change] | None:
    """Raise the call plan to what the lanes clear; None when it already calls that many."""
    rates = lane_rates(scenario)
    clear = min(rates.values(), default=math.inf)
    current = scenario.dispatch.calls_per_hour
    if current <= 0 or not math.isfinite(clear) or int(clear) <= current:
        return None
    new = int(clear)
    tightest = min(rates, key=lambda k: rates[k])
    why = Text(
        f"{reason.vi} Các làn thông quan được {clear:.0f} xe/giờ (hạn chế bởi {tightest}): "
        "nâng kế hoạch gọi xe lên mức đó.",
        f"{reason.en} The lanes clear {clear:.0f} trucks an hour (limited by {tightest}): raise "
        "the call plan to that.",
        f"{reason.zh}车道每小时可通关 {clear:.0f} 辆（受限于 {tightest}）：将调用计划提高到该值。",
    )
    dispatch = replace(scenario.dispatch, calls_per_hour=new)
    return replace(scenario, dispatch=dispatch), Change(
        "calls_per_hour", "call_plan", current, new, why, None
    )


def _short_call_plan(scenario: Scenario, target: float) -> tuple[Scenario, Change] | None:
    """When the plan cannot offer the target's calls (with no-shows, at most 95 % used), raise
    it before anything else; None when it offers enough or already calls what the lanes clear."""
    offered = calls_per_day(scenario)
    needed = target * (1 + scenario.dispatch.no_show_probability) / CALL_PLAN_LOAD
    if offered >= needed:
        return None
    reason = Text(
        f"Kế hoạch gọi xe chỉ có {offered:.0f} lượt/ngày ({scenario.dispatch.calls_per_hour}/giờ "
        f"× giờ mở cửa), mục tiêu cần {needed:.0f}.",
        f"The call plan offers {offered:.0f} calls a day ({scenario.dispatch.calls_per_hour} an "
        f"hour × open hours); the target needs {needed:.0f}.",
        f"调用计划每天仅 {offered:.0f} 次（每小时 {scenario.dispatch.calls_per_hour} 次 × "
        f"开放小时），目标需要 {needed:.0f} 次。",
    )
    return _calls_change(scenario, reason)


def _room_change(scenario: Scenario, probe: Probe) -> tuple[Scenario, Change]:
    room = scenario.dispatch.control_area_room
    new = max(room + 10, math.ceil(room * 1.25))
    held = f"{probe.held_share:.0%}"
    why = Text(
        f"Khu kiểm soát đầy {held} thời gian mà xe bên trong hầu như không phải chờ làn: chỗ "
        "bị chiếm bởi xe đang di chuyển hoặc bị giữ lại kiểm tra. Mở rộng khu kiểm soát.",
        f"The control area is full {held} of the time while the trucks inside hardly queue for "
        "a lane: it is taken by trucks on their way or held aside. Make room for more trucks.",
        f"监管区 {held} 的时间已满，而区内车辆几乎无需排队等车道：空间被行驶中或被扣查的车辆"
        "占用。扩大监管区容量。",
    )
    dispatch = replace(scenario.dispatch, control_area_room=new)
    return replace(scenario, dispatch=dispatch), Change(
        "control_area_room", "control_area", room, new, why, None
    )


def _hours_change(scenario: Scenario, probe: Probe) -> tuple[Scenario, Change] | None:
    widened = _widen(scenario)
    if widened is None:
        return None
    before, after = hours_text(scenario), hours_text(widened)
    why = Text(
        f"Hàng chờ chờ giờ mở cửa {probe.held_share:.0%} thời gian: kéo dài giờ làm việc thêm "
        "một giờ mỗi đầu (hướng tới 24 giờ; cần phía bạn đồng ý).",
        f"The yard queue waits for opening time {probe.held_share:.0%} of the time: extend the "
        "working hours by an hour at each end (toward 24 h; the partner side must agree).",
        f"排队 {probe.held_share:.0%} 的时间在等待开放时间：工作时间两端各延长一小时"
        "（逐步至 24 小时；需对方同意）。",
    )
    return widened, Change("hours", "hours", before, after, why, None)


def _partner_change(scenario: Scenario, probe: Probe, per_day: float) -> Change:
    short = partner_shortfall(scenario, per_day)
    if short:
        groups = ", ".join(
            f"{g} {demand:.0f}/day arriving, {quota:.0f}/day accepted"
            for g, (demand, quota) in sorted(short.items())
        )
        before = ", ".join(f"{g} {quota:.0f}/day" for g, (_, quota) in sorted(short.items()))
        after = ", ".join(f"{g} ≥ {demand:.0f}/day" for g, (demand, _) in sorted(short.items()))
        resource = "partner." + "+".join(sorted(short))
    else:
        quotas = sorted({(q.goods_group, q.trucks_per_day) for q in scenario.quotas})
        groups = before = ", ".join(f"{g} {n}/day" for g, n in quotas) or "—"
        after = "higher (partner side)"
        resource = "partner." + "+".join(g for g, _ in quotas) if quotas else "partner"
    why = Text(
        f"Phía bạn nhận không đủ so với số xe đến ({groups}); hàng chờ bị giữ vì chỉ tiêu "
        f"{probe.held_share:.0%} thời gian: phía bạn phải nâng mức tiếp nhận; phía ta không tự "
        "khắc phục được.",
        f"The partner side's acceptance leaves no room for the trucks arriving ({groups}); "
        f"the yard queue is held by its quota {probe.held_share:.0%} of the time: the partner's "
        "acceptance must rise; it cannot be fixed on our side.",
        f"对方接收量不足以应对到达量（{groups}）；堆场排队因配额受阻 "
        f"{probe.held_share:.0%} 的时间：须由对方提高接收量，我方无法解决。",
    )
    return Change("partner", resource, before, after, why, None)


def plan_for_target(
    scenario: Scenario,
    target_per_day: float,
    *,
    max_changes: int = 20,
    replications: int = DEFAULT_REPLICATIONS,
    days: int | None = DEFAULT_DAYS,
    warmup_days: int | None = DEFAULT_WARMUP_DAYS,
    seed: int | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    runner: Runner | None = None,
) -> TargetPlan:
    """The changes, in order, that make the configuration sustain ``target_per_day``.

    Each round runs the target volume; if it is not sustained, the bottleneck the results name
    picks the lever: a step's lane type → one more lane of that type (or, at the site's limit,
    10 % fewer minutes per truck); the call plan → calls per hour raised to what the lanes clear
    (or, if it already calls that many, one more lane on the tightest lane type); the control
    area → 25 % more room; the working hours → an hour longer at each end; the partner's quota →
    reported, not fixable here, and the search stops.
    """
    if not (isinstance(target_per_day, int | float) and target_per_day > 0):
        raise InvalidInput("search_target", _TARGET, [FieldError("target_per_day", "min", _TARGET)])
    setup = _setup(scenario, replications, days, warmup_days, seed, workers, runner)
    meter = _Meter(progress)
    meter.expected = max_changes + 1
    current = setup.scenario
    start = probe = setup.run(target_per_day, meter, current)
    changes: list[Change] = []
    limited_by = ""
    while not probe.sustained:
        if len(changes) >= max_changes:
            limited_by = "steps"
            break
        resource = probe.bottleneck
        kind = probe.bottleneck_kind
        step_names = {s.name for s in current.steps}
        proposal: tuple[Scenario, Change] | None = None
        if kind == "partner":
            changes.append(_partner_change(current, probe, target_per_day))
            limited_by = "partner"
            break
        proposal = _short_call_plan(current, target_per_day)
        if proposal is not None:
            pass
        elif kind == "step" and resource.rpartition(".")[0] in step_names:
            queued = _queued_lanes(probe, resource)
            if queued is None and current.dispatch.control_area_room > 0:
                proposal = _room_change(current, probe)
            else:
                queued = queued or resource
                proposal = _lane_change(current, queued, _step_reason(queued, probe))
        elif kind == "call_plan":
            reason = Text(
                f"Hàng chờ bị giữ {probe.held_share:.0%} thời gian vì hết lượt gọi của giờ.",
                f"The yard queue waits for the hour's calls {probe.held_share:.0%} of the time.",
                f"排队 {probe.held_share:.0%} 的时间在等待本小时的调用额度。",
            )
            proposal = _calls_change(current, reason)
            if proposal is None:
                rates = lane_rates(current)
                if rates:
                    tightest = min(rates, key=lambda k: rates[k])
                    reason = _tightest_reason(tightest, rates[tightest], probe)
                    proposal = _lane_change(current, tightest, reason)
        elif kind == "control_area":
            proposal = _room_change(current, probe)
        elif kind == "hours":
            proposal = _hours_change(current, probe)
            if proposal is None:
                limited_by = "hours"
                break
        if proposal is None:
            limited_by = kind or "none"
            break
        current, change = proposal
        probe = setup.run(target_per_day, meter, current)
        changes.append(replace(change, result=probe))
    meter.finish()
    return TargetPlan(
        scenario=scenario.name,
        target_per_day=float(target_per_day),
        reached=probe.sustained,
        limited_by=limited_by,
        start=start,
        changes=tuple(changes),
        final=replace(current, days=scenario.days, warmup_days=scenario.warmup_days),
        days=setup.scenario.days,
        warmup_days=setup.scenario.warmup_days,
        replications=setup.replications,
        seed=setup.seed,
    )


def configuration(scenario: Scenario) -> dict[str, Any]:
    """The levers' settings of a configuration, JSON-able (lanes and mean minutes per step and
    lane type, calls per hour, control-area room, working hours)."""
    steps = []
    for step in scenario.steps:
        entry: dict[str, Any] = {
            "name": step.name,
            "manual": {
                "lanes": step.manual.lanes,
                "minutes": round(step.manual.service.expected / MINUTE, 2),
            },
        }
        if step.smart is not None:
            entry["smart"] = {
                "lanes": step.smart.lanes,
                "minutes": round(step.smart.service.expected / MINUTE, 2),
                "share": step.smart.share,
                "eligible": sorted(step.smart.eligible),
            }
        steps.append(entry)
    rates = lane_rates(scenario)
    return {
        "steps": steps,
        "calls_per_hour": scenario.dispatch.calls_per_hour,
        "control_area_room": scenario.dispatch.control_area_room,
        "hours": hours_text(scenario),
        "open_hours_per_week": open_hours_per_week(scenario),
        "lanes_clear_per_hour": round(min(rates.values()), 1)
        if rates and math.isfinite(min(rates.values()))
        else None,
        "quotas": [
            {"goods_group": q.goods_group, "trucks_per_day": q.trucks_per_day}
            for q in scenario.quotas
        ],
    }


__all__ = [
    "Change",
    "Probe",
    "TargetPlan",
    "VolumeResult",
    "assess",
    "configuration",
    "lane_rates",
    "max_volume",
    "plan_for_target",
]
