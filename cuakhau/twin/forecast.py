"""Forecast from the live queue: when each waiting truck will be called, as P50 and P90.

Pure Python (no Django). The live system reads a passage into a ``LiveState`` of plain values
(``cuakhau.queueing.forecasts`` does it from the database); ``forecast_calls`` starts the twin's
engine from that state ``replications`` times and reads each truck's first call in every run.

What the runs draw at random, and what they take as known:

* arrivals after now: a Poisson stream per hour and goods group at the rates estimated from
  history. Only trucks without a booking: green ones arriving in the next ``green_lead`` can
  overtake a truck already waiting, and any arrival can be called past a truck held by its
  partner quota or booked window;
* booked trucks not yet here: their calls are taken out of their hour's plan, as the simple
  estimate (``queueing.capacity.living_queue_hours``) does. Their arrival times inside the window
  are unknown, and a booked truck goes first within its hour wherever it arrives in the window,
  so reserving its call is what the policy does; only a booking that is never used makes this
  slightly pessimistic;
* no-shows (the truck returns to the end of the queue; its first call is what it was told);
* the time from a call to leaving the control area (travel and every control step), drawn from
  the observed times: it is what frees room for the next call. Trucks inside now leave after the
  rest of an observed time longer than the one they have already spent.

The plan's calls per hour, working hours, closures and the partner side's quotas are taken as
known. A truck that a run does not call within the horizon counts as "later than the horizon":
its P50 (P90) is ``None`` when more than half (a tenth) of the runs did not call it.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from random import Random

from cuakhau.gates.capacity import VIETNAM
from cuakhau.queueing.policy import (
    DEFAULT_CONFIG,
    PolicyConfig,
    PriorityClass,
    WaitingTruck,
)
from cuakhau.twin.engine import Initial, Simulation
from cuakhau.twin.runner import cores, pool_context
from cuakhau.twin.scenario import (
    DAY,
    GREEN_GROUPS,
    HOUR,
    MINUTE,
    Arrivals,
    Dispatch,
    Distribution,
    Quota,
    RecordedArrival,
    Scenario,
)

# A truck inside for longer than any observed stay is about to leave: this much more, say.
OVERDUE_LEFT = 5 * MINUTE
# Without history: the time from a call to leaving the control area.
DEFAULT_CALL_TO_LEAVE = 45 * MINUTE
# Trucks × replications from which the replications run on every core: a run costs about 15 µs
# per truck; forking the workers about 50 ms.
POOL_FROM = 40_000


@dataclass(frozen=True, slots=True)
class LiveState:
    """A passage and direction now, in plain values. Times are Unix timestamps (UTC)."""

    now: float
    # The queue as the policy sees it (``queueing.services.waiting_trucks``): Unix times.
    waiting: Sequence[WaitingTruck]
    # Calls of each hour from the start of the current one (index 0), from the live plan with
    # closures and overrides, minus the booked slots whose trucks have not arrived yet (their
    # calls are reserved); 0 = closed, -1 = no limit. Hours beyond the list are closed.
    hour_calls: Sequence[int]
    # Expected arrivals without a booking in each hour from the start of the current one, by
    # goods group (estimated from history); hours beyond the list bring none.
    arrivals: Sequence[Mapping[str, float]] = ()
    calls_this_hour: int = 0
    room: int = 0  # the control area's room (trucks called or inside); 0 = no limit
    # For each truck called or in the control area now: seconds since its call.
    inside_elapsed: Sequence[float] = ()
    # The partner side's remaining acceptance today per goods group (absent: no cap), and the
    # acceptance recorded for later days (local dates).
    quotas_left: Mapping[str, int] = field(default_factory=dict)
    quotas_ahead: Mapping[date, Mapping[str, int]] = field(default_factory=dict)
    no_show_probability: float = 0.0
    call_expiry: float = 30 * MINUTE
    # Observed seconds from a call to leaving the control area (drawn from; one value = fixed).
    call_to_leave: Sequence[float] = (DEFAULT_CALL_TO_LEAVE,)
    config: PolicyConfig = DEFAULT_CONFIG
    # Seconds between dispatch cycles; 0 = as soon as room or a call frees (the dispatcher's
    # 30 s cycle moves a call by 15 s on average, far below the forecast's spread).
    dispatch_interval: float = 0.0


@dataclass(frozen=True, slots=True)
class CallForecast:
    trip_id: int
    p50: float | None  # Unix time; None: later than the horizon in at least half of the runs
    p90: float | None  # None: later than the horizon in more than a tenth of the runs
    called_share: float  # of the runs, those that called it within the horizon


# An hour of arrivals: (start, end, arrivals per second, goods groups, cumulative weights).
ArrivalHour = tuple[float, float, float, tuple[str, ...], tuple[float, ...]]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What every replication shares: the scenario and the state on the run's clock."""

    scenario: Scenario
    origin: float  # Unix time of the run clock's zero (Vietnam midnight of today)
    clock: float
    first_until: float  # where a run stops first (see ``_replicate``)
    until: float
    waiting: tuple[WaitingTruck, ...]
    hour_calls: tuple[int, ...]
    calls_this_hour: int
    quotas_left: Mapping[str, int]
    arrival_hours: tuple[ArrivalHour, ...]
    inside_elapsed: tuple[float, ...]
    stays: tuple[float, ...]  # call-to-leave times, sorted


def forecast_calls(
    state: LiveState,
    *,
    replications: int = 50,
    seed: int = 0,
    horizon_hours: int = 72,
    workers: int | None = None,
) -> dict[int, CallForecast]:
    """Each waiting truck's first call-up over ``replications`` runs of the twin, by trip id.

    ``workers``: processes to run the replications in (forked); ``None`` takes every core for a
    long queue and stays in this process for a short one, where starting processes costs more
    than it saves. The same state and seed give the same forecast whatever the processes.
    """
    if not state.waiting or replications < 1:
        return {}
    plan = _prepare(state, horizon_hours)
    seeds = _seeds(seed, replications)
    if workers is None:
        workers = cores() if len(state.waiting) * replications >= POOL_FROM else 1
    processes = min(workers, replications)
    if processes > 1:
        runs = _in_pool(plan, seeds, processes)
    else:
        runs = [_replicate(plan, s) for s in seeds]
    return _summarise(state, plan, runs)


def _replicate(plan: _Plan, seed: int) -> list[float]:
    """One run: the first-call time of each waiting truck (Unix), ``inf`` if not called.

    Arrivals are drawn hour by hour from their own stream, only as far as the run goes: first to
    ``plan.first_until`` (when the plan's calls would have cleared the queue with room to
    spare), and again to the horizon if a truck is still waiting then. The engine's events up to
    a time do not depend on how far it was asked to run, so both give the run a single long one
    would have given."""
    stream = _ArrivalStream(plan.arrival_hours, Random(seed ^ _ARRIVAL_STREAM))
    until = plan.first_until
    while True:
        rng = Random(seed)
        arrivals = stream.drawn_to(until)
        scenario = plan.scenario
        if arrivals:
            scenario = replace(scenario, arrivals=Arrivals("replay", 0.0, replay=arrivals))
        initial = Initial(
            clock=plan.clock,
            waiting=plan.waiting,
            inside_left=_inside_left(plan, rng),
            calls_this_hour=plan.calls_this_hour,
            quotas_left=plan.quotas_left,
            hour_calls=plan.hour_calls,
        )
        calls = Simulation(scenario, rng, initial=initial, until=until, seed=seed).run().first_calls
        if len(calls) == len(plan.waiting) or until >= plan.until:
            break
        until = plan.until
    origin = plan.origin
    return [
        origin + calls[truck.trip_id] if truck.trip_id in calls else math.inf
        for truck in plan.waiting
    ]


# Seeds the arrivals' own random stream apart from the engine's (any fixed odd number).
_ARRIVAL_STREAM = 0x5DEECE66D


class _ArrivalStream:
    """A Poisson stream hour by hour, each arrival's goods by the hour's mix; drawn on demand,
    always in the same order, so a longer draw extends a shorter one."""

    def __init__(self, hours: Sequence[ArrivalHour], rng: Random) -> None:
        self._hours = hours
        self._next = 0
        self._rng = rng
        self._drawn: list[RecordedArrival] = []

    def drawn_to(self, end: float) -> tuple[RecordedArrival, ...]:
        """Every arrival of the hours that start before ``end`` (a few may come after it)."""
        expo, uniform = self._rng.expovariate, self._rng.random
        drawn = self._drawn
        while self._next < len(self._hours) and self._hours[self._next][0] < end:
            start, stop, rate, groups, weights = self._hours[self._next]
            self._next += 1
            last, top = len(groups) - 1, weights[-1]
            t = start + expo(rate)
            while t < stop:
                group = groups[min(bisect_right(weights, uniform() * top), last)]
                drawn.append(RecordedArrival(t, group))
                t += expo(rate)
        return tuple(drawn)


def _prepare(state: LiveState, horizon_hours: int) -> _Plan:
    local_now = datetime.fromtimestamp(state.now, VIETNAM)
    today = local_now.date()
    origin = datetime.combine(today, time(0, 0), tzinfo=VIETNAM).timestamp()
    clock = state.now - origin
    until = clock + horizon_hours * HOUR
    first_hour = int(clock // HOUR)
    hours = int(until // HOUR) + 1
    # The run's hours from midnight: before now they do not matter, after the plan it is closed.
    plan_hours = list(state.hour_calls[: hours - first_hour])
    hour_calls = [0] * first_hour + plan_hours + [0] * (hours - first_hour - len(plan_hours))

    def shifted(moment: float | None) -> float | None:
        return None if moment is None else moment - origin

    waiting = tuple(
        WaitingTruck(
            trip_id=truck.trip_id,
            arrived_at=truck.arrived_at - origin,
            priority=truck.priority,
            goods_group=truck.goods_group,
            slot_start=shifted(truck.slot_start),
            override_at=shifted(truck.override_at),
            paid=truck.paid,
        )
        for truck in state.waiting
    )
    arrival_hours = []
    for index, rates in enumerate(state.arrivals[: hours - first_hour]):
        start = (first_hour + index) * HOUR
        groups = tuple(group for group, rate in rates.items() if rate > 0)
        total = sum(rates[group] for group in groups)
        if total > 0:
            weights = tuple(accumulate(rates[group] for group in groups))
            arrival_hours.append((max(start, clock), start + HOUR, total / HOUR, groups, weights))
    stays = tuple(sorted(state.call_to_leave)) or (DEFAULT_CALL_TO_LEAVE,)
    travel = (
        Distribution("deterministic", stays[0])
        if len(set(stays)) == 1
        else Distribution("empirical", values=stays)
    )
    days = int(until // DAY) + 1
    scenario = Scenario(
        name="forecast",
        start=today,
        days=days,
        arrivals=Arrivals("replay", 0.0),
        # Leaving the control area is one observed time from the call: no steps of its own.
        dispatch=Dispatch(
            calls_per_hour=0,
            control_area_room=state.room,
            interval=state.dispatch_interval,
            call_expiry=state.call_expiry,
            no_show_probability=state.no_show_probability,
            green_lead=state.config.green_lead,
            slot_grace=state.config.slot_grace,
            travel=travel,
        ),
        steps=(),
        quotas=tuple(
            Quota(group, trucks, day, day)
            for day, quotas in sorted(state.quotas_ahead.items())
            if today < day < today + timedelta(days=days)
            for group, trucks in quotas.items()
        ),
    )
    return _Plan(
        scenario=scenario,
        origin=origin,
        clock=clock,
        first_until=_first_until(state, hour_calls, first_hour, clock, until, stays),
        until=until,
        waiting=waiting,
        hour_calls=tuple(hour_calls),
        calls_this_hour=state.calls_this_hour,
        quotas_left=dict(state.quotas_left),
        arrival_hours=tuple(arrival_hours),
        inside_elapsed=tuple(state.inside_elapsed),
        stays=stays,
    )


def _first_until(
    state: LiveState,
    hour_calls: Sequence[int],
    first_hour: int,
    clock: float,
    until: float,
    stays: Sequence[float],
) -> float:
    """When the plan's calls (and the room's pace) would have called the queue half as many
    times again as it is long, and two hours more: most runs have called every truck by then."""
    target = 1.5 * len(state.waiting) + 30
    room_pace = state.room * HOUR / max(sum(stays) / len(stays), 1.0) if state.room else math.inf
    offered = -float(state.calls_this_hour)
    for hour in range(first_hour, len(hour_calls)):
        calls = hour_calls[hour]
        offered += min(math.inf if calls < 0 else calls, room_pace)
        if offered >= target:
            return min(until, max(clock, (hour + 1) * HOUR) + 2 * HOUR)
    return until


def _inside_left(plan: _Plan, rng: Random) -> list[float]:
    """For each truck inside: the rest of an observed stay longer than its time so far."""
    stays = plan.stays
    left: list[float] = []
    for elapsed in plan.inside_elapsed:
        longer = bisect_right(stays, elapsed)
        if longer == len(stays):
            left.append(OVERDUE_LEFT)
        else:
            left.append(stays[longer + int(rng.random() * (len(stays) - longer))] - elapsed)
    return left


def _seeds(seed: int, replications: int) -> list[int]:
    master = Random(seed)
    return [master.getrandbits(63) for _ in range(replications)]


def _summarise(state: LiveState, plan: _Plan, runs: list[list[float]]) -> dict[int, CallForecast]:
    n = len(runs)
    # Nearest rank: the q quantile is the ceil(q·n)-th smallest run, a time some run produced.
    rank50, rank90 = math.ceil(0.5 * n) - 1, math.ceil(0.9 * n) - 1
    forecasts = {}
    for i, truck in enumerate(state.waiting):
        times = sorted(run[i] for run in runs)
        called = sum(1 for t in times if t != math.inf)
        p50, p90 = times[rank50], times[rank90]
        forecasts[truck.trip_id] = CallForecast(
            trip_id=truck.trip_id,
            p50=None if p50 == math.inf else p50,
            p90=None if p90 == math.inf else p90,
            called_share=called / n,
        )
    return forecasts


# --- In parallel -------------------------------------------------------------------------------

_pool_plan: _Plan | None = None


def _init_worker(plan: _Plan) -> None:
    global _pool_plan
    _pool_plan = plan


def _run_in_worker(seed: int) -> list[float]:
    assert _pool_plan is not None
    return _replicate(_pool_plan, seed)


def _in_pool(plan: _Plan, seeds: list[int], processes: int) -> list[list[float]]:
    # Each worker receives the plan once (forked workers inherit it); then only seeds and
    # first-call times cross the boundary.
    with ProcessPoolExecutor(
        max_workers=processes,
        mp_context=pool_context(),
        initializer=_init_worker,
        initargs=(plan,),
    ) as pool:
        return list(pool.map(_run_in_worker, seeds, chunksize=max(1, len(seeds) // processes)))


# --- A synthetic state, for tests and the benchmark --------------------------------------------

# Hữu Nghị's freight road (scenarios/huu-nghi-2025.toml): trucks reach the yards through the
# morning; the goods mix; a Wednesday at 10:20 Vietnam time.
_HOURLY = (1, 1, 1, 1, 1, 2, 4, 6, 7, 7, 7, 6, 5, 5, 6, 6, 6, 5, 4, 3, 3, 2, 2, 1)
_MIX = {"fruit": 0.35, "vegetables": 0.05, "electronics": 0.20, "general": 0.40}
_EXAMPLE_NOW = datetime(2025, 1, 8, 10, 20, tzinfo=VIETNAM)


def example_state(waiting: int, seed: int = 1) -> LiveState:
    """A busy export passage: ``waiting`` trucks of mixed goods (some booked, a few moved up by
    an operator), 60 places in the control area, 90 calls an hour from 07:00 to 22:00, the
    partner side's fruit quota, and history-like arrivals and stays."""
    rng = Random(seed)
    now = _EXAMPLE_NOW.timestamp()
    this_hour = now - now % HOUR
    groups = list(_MIX)
    weights = list(accumulate(_MIX.values()))
    span = max(HOUR, waiting / 45 * HOUR)  # the backlog built up at about 45 trucks an hour
    trucks = []
    for i in range(waiting):
        arrived = now - rng.random() * span
        group = groups[min(bisect_right(weights, rng.random() * weights[-1]), len(groups) - 1)]
        slot_start = None
        if now - arrived < 2 * HOUR and rng.random() < 0.25:
            # Booked: most arrived inside their hour, some came early for a later one.
            slot_start = arrived - arrived % HOUR
            if rng.random() < 0.3:
                slot_start = this_hour + HOUR * rng.randint(1, 3)
        trucks.append(
            WaitingTruck(
                trip_id=1000 + i,
                arrived_at=arrived,
                priority=PriorityClass.GREEN if group in GREEN_GROUPS else PriorityClass.ORDINARY,
                goods_group=group,
                slot_start=slot_start,
            )
        )
    for k, i in enumerate(rng.sample(range(waiting), min(3, waiting))):
        trucks[i] = _with_override(trucks[i], now - (k + 1) * 7 * MINUTE)
    local_hour = _EXAMPLE_NOW.hour
    hour_calls = []
    arrivals = []
    for h in range(96):
        hour = (local_hour + h) % 24
        open_hour = 7 <= hour < 22
        booked = 8 if open_hour and h < 48 else 0  # slots booked ahead by trucks not here yet
        hour_calls.append(90 - booked if open_hour else 0)
        # About 870 trucks a day, a tenth of them booked (their calls are reserved above).
        expected = 870 * 0.9 * _HOURLY[hour] / sum(_HOURLY)
        arrivals.append({group: expected * share for group, share in _MIX.items()})
    stays = [rng.triangular(20, 90, 35) * MINUTE for _ in range(200)]
    tomorrow = _EXAMPLE_NOW.date() + timedelta(days=1)
    return LiveState(
        now=now,
        waiting=trucks,
        hour_calls=hour_calls,
        arrivals=arrivals,
        calls_this_hour=28,
        room=60,
        inside_elapsed=[rng.random() * 50 * MINUTE for _ in range(52)],
        quotas_left={"fruit": 240},
        quotas_ahead={tomorrow + timedelta(days=d): {"fruit": 500} for d in range(3)},
        no_show_probability=0.02,
        call_expiry=30 * MINUTE,
        call_to_leave=stays,
        config=DEFAULT_CONFIG,
    )


def _with_override(truck: WaitingTruck, at: float) -> WaitingTruck:
    return WaitingTruck(
        trip_id=truck.trip_id,
        arrived_at=truck.arrived_at,
        priority=truck.priority,
        goods_group=truck.goods_group,
        slot_start=truck.slot_start,
        override_at=at,
        paid=truck.paid,
    )
