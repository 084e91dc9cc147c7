"""The twin's simulation engine: one replication of a gate, event by event, on a bare heap.

Pure Python (no Django). SimPy is the reference (``cuakhau.twin.reference``); this loop models
the same thing about 5× faster (``benchmarks/twin.py``) because a truck is a row in a few lists,
not a process, and a first-come-first-served step with ``c`` lanes needs no queue of its own:
trucks reach a step in time order, so each takes the lane that frees first (start =
max(arrival, lane free)). The policy's call per dispatch is most of what remains.

The call-up is decided by ``cuakhau.queueing.policy.admit`` — the module the live dispatcher
runs — walking ``TwinQueue``, a heap per goods group merged in the policy's order. Only the
random numbers come from the ``random.Random`` passed in: the same seed gives the same run.
"""

from __future__ import annotations

import gc
import heapq
import math
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import accumulate
from random import Random

from cuakhau.queueing.policy import (
    Call,
    Capacity,
    Hold,
    OrderKey,
    PolicyConfig,
    PriorityClass,
    WaitingTruck,
    admit,
    order_key,
)
from cuakhau.twin.scenario import (
    DAY,
    GREEN_GROUPS,
    GROUPS,
    HOUR,
    Scenario,
    arrival_rates,
    hour_calls,
    quotas_on,
    season_mix,
)

UNLIMITED = 1 << 40
HELD_ROOM, HELD_CAPACITY, HELD_QUOTA = Hold.ROOM.value, Hold.CAPACITY.value, Hold.QUOTA.value

# Event kinds, ordered so that at the same instant the clock's boundaries come first.
_HOUR, _EXPIRE, _REACH, _ARRIVE, _TICK, _DISPATCH = 0, 1, 2, 3, 4, 5


class TwinQueue:
    """The yard queue as the twin keeps it: one heap per goods group, keyed by the policy's
    clock-free order key. ``call`` hands ``admit`` the trucks in the policy's order and gives
    the same calls as ``policy.choose_calls`` on the whole list (a test checks it on random
    states and against the live dispatcher), in time proportional to the calls, not the queue."""

    __slots__ = ("_heaps", "config", "grouped", "size")

    def __init__(self, config: PolicyConfig, *, grouped: bool = True) -> None:
        self.config = config
        # Without partner quotas one heap serves every group.
        self.grouped = grouped
        self._heaps: dict[str, list[tuple[OrderKey, WaitingTruck]]] = {}
        self.size = 0

    def push(self, truck: WaitingTruck) -> None:
        heap = self._heaps.get(truck.goods_group if self.grouped else "")
        if heap is None:
            heap = self._heaps[truck.goods_group if self.grouped else ""] = []
        heapq.heappush(heap, (order_key(truck, self.config), truck))
        self.size += 1

    def __len__(self) -> int:
        return self.size

    def trucks(self) -> list[WaitingTruck]:
        return [truck for heap in self._heaps.values() for _, truck in heap]

    def call(self, capacity: Capacity, now: float) -> list[Call]:
        """Call the trucks the policy admits now and take them out of the queue."""
        if not self.size or capacity.hold is not None or capacity.calls <= 0 or capacity.room <= 0:
            return []
        quotas = capacity.quotas
        if self.grouped:
            # A group whose partner quota is used up would only be walked past (Hold.QUOTA).
            heaps = [
                heap
                for group, heap in self._heaps.items()
                if heap and (group not in quotas or quotas[group] > 0)
            ]
        else:
            heaps = [self._heaps[""]]
        if not heaps:
            return []
        popped: list[tuple[OrderKey, WaitingTruck]] = []
        decision = admit(self._walk(heaps, popped), capacity, now, self.config, explain=False)
        calls = decision.calls
        if len(calls) != len(popped):
            called = {call.trip_id for call in calls}
            for item in popped:
                if item[1].trip_id not in called:
                    heapq.heappush(self._heaps[item[1].goods_group if self.grouped else ""], item)
        self.size -= len(calls)
        return calls

    @staticmethod
    def _walk(
        heaps: list[list[tuple[OrderKey, WaitingTruck]]],
        popped: list[tuple[OrderKey, WaitingTruck]],
    ) -> Iterator[tuple[OrderKey, WaitingTruck]]:
        """The trucks in the policy's order. Each leaves its heap only when the policy asks for
        the next one, so the truck it stops at (the first beyond its limit) stays in place."""
        pop = heapq.heappop
        if len(heaps) == 1:
            heap = heaps[0]
            while heap:
                yield heap[0]
                popped.append(pop(heap))
            return
        while True:
            best: list[tuple[OrderKey, WaitingTruck]] | None = None
            for heap in heaps:
                if heap and (best is None or heap[0][0] < best[0][0]):
                    best = heap
            if best is None:
                return
            yield best[0]
            popped.append(pop(best))


@dataclass(frozen=True, slots=True)
class Initial:
    """The live queue at the start of a forecast. Times are on the run's clock (seconds from
    the local midnight the scenario starts at); ``clock`` is now."""

    clock: float
    waiting: Sequence[WaitingTruck]
    inside_left: Sequence[float] = ()  # for each truck called or inside: seconds until it leaves
    calls_this_hour: int = 0
    quotas_left: Mapping[str, int] | None = None  # today's remaining; None = from the scenario
    hour_calls: Sequence[int] | None = None  # calls of each hour from midnight (live plan)


@dataclass(slots=True)
class StepTally:
    name: str
    lanes: dict[str, int]
    busy: dict[str, float]
    trucks: int = 0
    held: int = 0
    wait: float = 0.0
    service: float = 0.0
    hold: float = 0.0
    times: list[float] = field(default_factory=list)


@dataclass(slots=True)
class Replication:
    """Raw measures of one run; ``twin.results`` summarises them."""

    scenario: str
    seed: int
    horizon: float
    warmup: float
    arrived: int = 0
    measured_arrivals: int = 0
    crossed_daily: list[int] = field(default_factory=list)
    calls_daily: list[int] = field(default_factory=list)
    waits: dict[str, list[float]] = field(default_factory=dict)  # class → yard waits (s)
    system_times: dict[str, list[float]] = field(default_factory=dict)
    steps: list[StepTally] = field(default_factory=list)
    hourly_waiting: list[int] = field(default_factory=list)
    hourly_road: list[int] = field(default_factory=list)
    hourly_inside: list[int] = field(default_factory=list)
    yard_max: dict[str, int] = field(default_factory=dict)
    held_time: dict[str, float] = field(default_factory=dict)  # the queue's wait, by cause
    calls_made: int = 0
    calls_offered: int = 0  # the call plan's calls over the measured hours (0 = unlimited)
    room: int = 0
    inside_area: float = 0.0
    shelf_over: dict[str, int] = field(default_factory=dict)
    shelf_trucks: dict[str, int] = field(default_factory=dict)
    no_shows: int = 0
    waiting_at_end: int = 0
    # Little's law, measured two ways over the whole run: the area under the count of trucks
    # (in the system, in the yard queue) against the sum of each truck's time there.
    system_area: float = 0.0
    system_time_sum: float = 0.0
    yard_area: float = 0.0
    yard_time_sum: float = 0.0
    first_calls: dict[int, float] = field(default_factory=dict)  # forecast: trip → first call


def poisson_arrivals(rates: Sequence[float], start: float, end: float, rng: Random) -> list[float]:
    """Arrival times from ``start`` to ``end`` of a Poisson stream whose rate is constant within
    each hour (``rates[h]`` trucks in hour ``h``): exponential gaps, started afresh each hour,
    which memorylessness makes exact."""
    times: list[float] = []
    append, expo = times.append, rng.expovariate
    for h in range(int(start // HOUR), min(len(rates), int(end // HOUR) + 1)):
        if rates[h] <= 0:
            continue
        rate = rates[h] / HOUR
        t = max(h * HOUR, start) + expo(rate)
        stop = min((h + 1) * HOUR, end)
        while t < stop:
            append(t)
            t += expo(rate)
    return times


def truck_class(group: str, booked: bool) -> str:
    return f"{group}/booked" if booked else group


class Simulation:
    """One replication. ``run()`` returns its ``Replication``."""

    def __init__(
        self,
        scenario: Scenario,
        rng: Random,
        *,
        per_day: float | None = None,
        initial: Initial | None = None,
        until: float | None = None,
        progress: Callable[[float], None] | None = None,
        seed: int = 0,
    ) -> None:
        self.s = scenario
        self.rng = rng
        self.initial = initial
        self.clock0 = initial.clock if initial else 0.0
        self.until = scenario.horizon if until is None else until
        self.progress = progress
        d = scenario.dispatch
        self.config = PolicyConfig(
            green_lead=d.green_lead, slot_length=HOUR, slot_grace=d.slot_grace
        )
        self.rates = arrival_rates(scenario, per_day)
        self.hour_calls = (
            list(initial.hour_calls) if initial and initial.hour_calls else hour_calls(scenario)
        )
        self.out = Replication(
            scenario.name,
            seed,
            self.until,
            float(scenario.warmup_days) * DAY if not initial else 0.0,
        )

    # --- The run -----------------------------------------------------------------------------

    def run(self) -> Replication:
        # The run allocates millions of short-lived tuples and no reference cycles: the cyclic
        # collector would only rescan the growing heaps.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._run()
        finally:
            if collecting:
                gc.enable()

    def _run(self) -> Replication:  # one loop on purpose: it is the hot path
        s, rng, out = self.s, self.rng, self.out
        d = s.dispatch
        until = self.until
        warmup = out.warmup
        heappush, heappop = heapq.heappush, heapq.heappop
        random = rng.random
        events: list[tuple[float, int, int, int, int]] = []  # (time, kind, seq, truck, step)
        seq = 0

        queue = TwinQueue(
            self.config,
            grouped=bool(s.quotas) or bool(self.initial and self.initial.quotas_left),
        )
        steps = s.steps
        n_steps = len(steps)
        step_samplers = [
            (
                step.manual.service.sampler(rng),
                step.smart.service.sampler(rng) if step.smart else None,
                step.hold.duration.sampler(rng) if step.hold else None,
            )
            for step in steps
        ]
        lanes_free: list[tuple[list[float], list[float]]] = [
            ([0.0] * step.manual.lanes, [0.0] * (step.smart.lanes if step.smart else 0))
            for step in steps
        ]
        tallies = [
            StepTally(
                step.name,
                {"manual": step.manual.lanes, "smart": step.smart.lanes if step.smart else 0},
                {"manual": 0.0, "smart": 0.0},
            )
            for step in steps
        ]
        out.steps = tallies
        travel = d.travel.sampler(rng)
        no_show = d.no_show_probability
        expiry = d.call_expiry
        room = d.control_area_room or UNLIMITED
        out.room = d.control_area_room

        # Per-truck rows.
        arrived_at: list[float] = []
        groups: list[str] = []
        class_of: list[str] = []  # the truck's class in the results ("fruit/booked")
        # One draw per truck decides whether its device checks all match (smart lanes at every
        # step whose share it falls under) or it is diverted to manual lanes.
        smart_draw: list[float] = []
        any_smart = any(step.smart is not None for step in s.steps)
        joined: list[float] = []  # start of the current spell in the yard queue
        called_at: list[float] = []
        yard_of: list[int] = []
        trip_ids: list[int] = []

        # Yards: counts per yard, and the trucks waiting on the road for room in one.
        yards = s.yards
        yard_room = [y.capacity for y in yards]
        yard_count = [0] * len(yards)
        yard_cum = list(accumulate(y.share for y in yards))
        yard_total = yard_cum[-1] if yards else 0.0
        n_yards = len(yards)
        road: deque[int] = deque()
        on_road = 0

        # Clock boundaries: hours (calls reset, occupancy sample), days (partner quotas reset).
        hour_calls_list = self.hour_calls
        n_hours = len(hour_calls_list)
        clock = self.clock0
        hour = int(clock // HOUR)
        calls_this_hour = self.initial.calls_this_hour if self.initial else 0
        day_index = int(clock // DAY)
        quotas: dict[str, int] = (
            dict(self.initial.quotas_left)
            if self.initial and self.initial.quotas_left is not None
            else quotas_on(s, s.start + timedelta(days=day_index))
        )
        inside = 0
        in_system = 0
        in_yard = 0
        # Sums of the arrival (join) times of the trucks in the system (yard queue): with the
        # counts they give everyone's time so far at the end, for Little's law.
        system_arrivals = 0.0
        yard_joins = 0.0
        system_area = yard_area = inside_area = system_time_sum = yard_time_sum = 0.0
        calls_made = arrivals = measured_arrivals = 0
        priority_of = {
            g: PriorityClass.GREEN if g in GREEN_GROUPS else PriorityClass.ORDINARY for g in GROUPS
        }
        holds = [step.hold.probability if step.hold else 0.0 for step in steps]
        step_wait = [0.0] * n_steps
        step_hold = [0.0] * n_steps
        step_held = [0] * n_steps
        step_busy = [[0.0, 0.0] for _ in steps]
        step_times: list[list[float]] = [[] for _ in steps]
        step_data = [
            (
                manual_sample,
                smart_sample or manual_sample,
                hold_sample or manual_sample,
                holds[k],
                step.smart.eligible if step.smart else None,
                step.smart.share if step.smart else 0.0,
                lanes_free[k],
                step_busy[k],
                step_times[k],
            )
            for k, (step, (manual_sample, smart_sample, hold_sample)) in enumerate(
                zip(steps, step_samplers, strict=True)
            )
        ]
        heapreplace = heapq.heapreplace
        # For each goods group, the first step at or after k that applies to it.
        next_step = {
            group: [
                next((j for j in range(k, n_steps) if group in steps[j].applies_to), n_steps)
                for k in range(n_steps + 1)
            ]
            for group in GROUPS
        }
        last_t = clock
        held_cause: str | None = None
        held_time = out.held_time
        for cause in (Hold.CLOSED, Hold.CAPACITY, Hold.ROOM, Hold.QUOTA):
            held_time[cause.value] = 0.0
        classes = {(g, b): truck_class(g, b) for g in GROUPS for b in (False, True)}
        waits = out.waits = {name: [] for name in classes.values()}
        system_times = out.system_times = {name: [] for name in classes.values()}
        first_calls = out.first_calls
        crossed_daily = [0] * (int(until // DAY) + 1)
        calls_daily = [0] * (int(until // DAY) + 1)
        out.crossed_daily, out.calls_daily = crossed_daily, calls_daily
        shelf = s.shelf_life
        tracked_initial: set[int] = set()
        stop_when_called = self.initial is not None

        def add_truck(t: float, group: str, is_booked: bool, trip_id: int) -> int:
            index = len(arrived_at)
            arrived_at.append(t)
            groups.append(group)
            class_of.append(classes[group, is_booked])
            smart_draw.append(random() if any_smart else 1.0)
            joined.append(t)
            called_at.append(-1.0)
            yard_of.append(-1)
            trip_ids.append(trip_id)
            return index

        def waiting_truck(index: int, t: float, slot_start: float | None) -> WaitingTruck:
            group = groups[index]
            return WaitingTruck(
                trip_id=index,
                arrived_at=t,
                priority=PriorityClass.GREEN if group in GREEN_GROUPS else PriorityClass.ORDINARY,
                goods_group=group,
                slot_start=slot_start,
            )

        def enter_yard(index: int) -> None:
            if not yards:
                return
            y = bisect_right(yard_cum, random() * yard_total)
            if y < n_yards and yard_count[y] < yard_room[y]:
                yard_count[y] += 1
                yard_of[index] = y
                return
            enter_other_yard(index)

        def enter_other_yard(index: int) -> None:
            """The yard drawn is full: the first with room, else the road."""
            nonlocal on_road
            for y in range(n_yards):
                if yard_count[y] < yard_room[y]:
                    yard_count[y] += 1
                    yard_of[index] = y
                    return
            road.append(index)
            on_road += 1

        def leave_yard(index: int) -> None:
            nonlocal on_road
            y = yard_of[index]
            if y < 0:
                if yards:  # it was called from the road
                    on_road -= 1
                return
            yard_of[index] = -1
            # The first truck still on the road takes the place.
            while road:
                nxt = road.popleft()
                if called_at[nxt] < 0 and yard_of[nxt] < 0:
                    yard_of[nxt] = y
                    on_road -= 1
                    return
            yard_count[y] -= 1

        # Arrivals: the initial queue, then a non-homogeneous Poisson stream (or the replay).
        if self.initial:
            for truck in self.initial.waiting:
                index = add_truck(
                    truck.arrived_at, truck.goods_group, truck.slot_start is not None, truck.trip_id
                )
                # Observed from now on: its time before now is not part of this run.
                arrived_at[index] = joined[index] = clock
                tracked_initial.add(index)
                yard_joins += clock
                system_arrivals += clock
                queue.push(
                    WaitingTruck(
                        trip_id=index,
                        arrived_at=truck.arrived_at,
                        priority=truck.priority,
                        goods_group=truck.goods_group,
                        slot_start=truck.slot_start,
                        override_at=truck.override_at,
                        paid=truck.paid,
                    )
                )
                in_yard += 1
                in_system += 1
            for left in self.initial.inside_left:
                index = add_truck(clock, "general", False, -2)
                called_at[index] = clock
                inside += 1
                in_system += 1
                system_arrivals += clock
                seq += 1
                heappush(events, (clock + left, _REACH, seq, index, n_steps))
        replay = s.arrivals.replay if s.arrivals.kind == "replay" else ()
        replay_at = 0
        while replay_at < len(replay) and replay[replay_at].at < clock:
            replay_at += 1
        # Arrival times are drawn up front and merged with the event heap as a sorted stream:
        # an arrival then costs no heap push and pop.
        if replay:
            arrival_times = [record.at for record in replay[replay_at:]]
        else:
            arrival_times = poisson_arrivals(self.rates, clock, until, rng)
        arrival_times.append(math.inf)
        next_arrival_at = arrival_times[0]
        arrival_i = 0
        mix_day = -1
        mix_groups: list[str] = []
        mix_cum: list[float] = []
        booked_share = s.arrivals.booked_share

        seq += 1
        heappush(events, ((hour + 1) * HOUR, _HOUR, seq, -1, 0))
        if d.interval > 0:
            seq += 1
            heappush(events, (clock + d.interval, _TICK, seq, -1, 0))
        interval_dispatch = d.interval > 0
        if self.initial:
            # A forecast starts with the cycle the live dispatcher runs now.
            seq += 1
            heappush(events, (clock, _DISPATCH, seq, -1, 0))
        progress = self.progress
        next_report = clock + DAY

        while True:
            # The heap always holds the next hour boundary, so it is never empty.
            if next_arrival_at < events[0][0]:
                t, kind = next_arrival_at, _ARRIVE
                arrival_i += 1
                next_arrival_at = arrival_times[arrival_i]
            else:
                t, kind, _, index, k = heappop(events)
            if t > until:
                break
            if kind == _REACH and k < n_steps:
                # A truck at a control step (the hot path): no count changes, no dispatch.
                (
                    manual_sample,
                    smart_sample,
                    hold_sample,
                    hold_p,
                    smart_groups,
                    smart_share,
                    lanes,
                    busy,
                    times,
                ) = step_data[k]
                group = groups[index]
                if (
                    smart_groups is not None
                    and group in smart_groups
                    and smart_draw[index] < smart_share
                ):
                    free = lanes[1]
                    service = smart_sample()
                    lane_type = 1
                else:
                    free = lanes[0]
                    service = manual_sample()
                    lane_type = 0
                start = free[0]
                if start < t:
                    start = t
                done = start + service
                heapreplace(free, done)
                # Holds are the manual lanes' (a truck cleared by the devices is not held).
                if not lane_type and hold_p and random() < hold_p:
                    extra = hold_sample()
                    done += extra
                    if start >= warmup:
                        step_held[k] += 1
                        step_hold[k] += extra
                if start >= warmup:
                    step_wait[k] += start - t
                    busy[lane_type] += service
                    times.append(done - t)
                seq += 1
                heappush(events, (done, _REACH, seq, index, next_step[group][k + 1]))
                continue
            # Integrate the counts and the queue's holding cause up to now.
            span = t - last_t
            if span:
                system_area += in_system * span
                yard_area += in_yard * span
                if t > warmup:
                    measured = span if last_t >= warmup else t - warmup
                    inside_area += inside * measured
                    if held_cause is not None:
                        held_time[held_cause] += measured
                last_t = t
            changed = False

            if kind == _REACH:  # k == n_steps
                # Crossed the border: the control area has room again.
                inside -= 1
                in_system -= 1
                system_arrivals -= arrived_at[index]
                system_time_sum += t - arrived_at[index]
                crossed_daily[int(t // DAY)] += 1
                changed = True
                if trip_ids[index] == -1 and arrived_at[index] >= warmup:
                    group = groups[index]
                    total = t - arrived_at[index]
                    system_times[class_of[index]].append(total)
                    bound = shelf.get(group)
                    if bound is not None:
                        out.shelf_trucks[group] = out.shelf_trucks.get(group, 0) + 1
                        if total > bound:
                            out.shelf_over[group] = out.shelf_over.get(group, 0) + 1
            elif kind == _ARRIVE:
                if replay:
                    record = replay[replay_at]
                    group, is_booked = record.goods_group, record.booked
                    replay_at += 1
                else:
                    day = int(t // DAY)
                    if day != mix_day:
                        mix_day = day
                        mix = season_mix(s, s.start + timedelta(days=day))
                        mix_groups = list(mix)
                        mix_cum = list(accumulate(mix.values()))
                    pick = bisect_right(mix_cum, random() * mix_cum[-1])
                    group = mix_groups[min(pick, len(mix_groups) - 1)]
                    is_booked = booked_share > 0 and random() < booked_share
                # The truck's row (as add_truck, inlined: this runs for every truck).
                index = len(arrived_at)
                arrived_at.append(t)
                groups.append(group)
                class_of.append(classes[group, is_booked])
                smart_draw.append(random() if any_smart else 1.0)
                joined.append(t)
                called_at.append(-1.0)
                yard_of.append(-1)
                trip_ids.append(-1)
                arrivals += 1
                if t >= warmup:
                    measured_arrivals += 1
                queue.push(
                    WaitingTruck(
                        index,
                        t,
                        priority_of[group],
                        group,
                        (t // HOUR) * HOUR if is_booked else None,
                    )
                )
                in_yard += 1
                yard_joins += t
                in_system += 1
                system_arrivals += t
                if n_yards:  # enter_yard, inlined for the common case
                    y = bisect_right(yard_cum, random() * yard_total)
                    if y < n_yards and yard_count[y] < yard_room[y]:
                        yard_count[y] += 1
                        yard_of[index] = y
                    else:
                        enter_other_yard(index)
                changed = True

            elif kind == _EXPIRE:
                # The called truck did not come: back to the end of the queue (domain.md §6).
                inside -= 1
                out.no_shows += 1
                called_at[index] = -1.0
                joined[index] = t
                queue.push(waiting_truck(index, t, None))
                in_yard += 1
                yard_joins += t
                enter_yard(index)
                changed = True

            elif kind == _HOUR:
                hour = round(t / HOUR)
                calls_this_hour = 0
                if t > warmup:
                    out.hourly_waiting.append(in_yard)
                    out.hourly_road.append(on_road)
                    out.hourly_inside.append(inside)
                    for y, yard in enumerate(yards):
                        if yard_count[y] > out.yard_max.get(yard.code, 0):
                            out.yard_max[yard.code] = yard_count[y]
                    if hour - 1 < n_hours and hour_calls_list[hour - 1] > 0:
                        out.calls_offered += hour_calls_list[hour - 1]
                if hour % 24 == 0:
                    day_index = hour // 24
                    quotas = quotas_on(s, s.start + timedelta(days=day_index))
                if t >= next_report and progress is not None:
                    progress(min(1.0, (t - self.clock0) / (until - self.clock0)))
                    next_report = t + DAY
                seq += 1
                heappush(events, (t + HOUR, _HOUR, seq, -1, 0))
                changed = True

            elif kind == _TICK:
                seq += 1
                heappush(events, (t + d.interval, _TICK, seq, -1, 0))
                changed = True

            else:  # _DISPATCH
                changed = True

            if not changed or (interval_dispatch and kind < _TICK):
                continue

            # --- Dispatch: the live policy decides who is called now. ---------------------
            if not queue.size:
                held_cause = None
                continue
            plan_calls = hour_calls_list[hour] if hour < n_hours else 0
            if plan_calls == 0:
                held_cause = Hold.CLOSED.value
                continue
            calls_left = UNLIMITED if plan_calls < 0 else plan_calls - calls_this_hour
            room_left = room - inside
            if calls_left <= 0 or room_left <= 0:
                # Nothing can be called (Capacity.limit would be 0): skip building it.
                held_cause = HELD_ROOM if room_left < calls_left else HELD_CAPACITY
                continue
            capacity = Capacity(calls=calls_left, room=room_left, quotas=quotas)
            limit = calls_left if calls_left < room_left else room_left
            calls = queue.call(capacity, t)
            for call in calls:
                index = call.trip_id
                quota_left = quotas.get(groups[index])
                if quota_left is not None:
                    quotas[groups[index]] = quota_left - 1
                calls_this_hour += 1
                inside += 1
                in_yard -= 1
                yard_time_sum += t - joined[index]
                yard_joins -= joined[index]
                called_at[index] = t
                y = yard_of[index]
                if y >= 0 and not road:  # leave_yard, inlined for the common case
                    yard_of[index] = -1
                    yard_count[y] -= 1
                else:
                    leave_yard(index)
                if t >= warmup:
                    calls_made += 1
                    calls_daily[int(t // DAY)] += 1
                if index in tracked_initial:
                    tracked_initial.discard(index)
                    first_calls[trip_ids[index]] = t
                seq += 1
                if no_show and random() < no_show:
                    heappush(events, (t + expiry, _EXPIRE, seq, index, 0))
                    continue
                if trip_ids[index] == -1 and arrived_at[index] >= warmup:
                    # The wait of the call it answered: from arrival, no-shows included.
                    waits[class_of[index]].append(t - arrived_at[index])
                heappush(events, (t + travel(), _REACH, seq, index, next_step[groups[index]][0]))
            if stop_when_called and not tracked_initial:
                break
            if queue.size and limit > len(calls):
                # Everyone left is held by a quota or a booked window.
                held_cause = HELD_QUOTA
            elif queue.size:
                held_cause = (
                    HELD_ROOM if room_left - len(calls) < calls_left - len(calls) else HELD_CAPACITY
                )
            else:
                held_cause = None

        # Close the books at the end: trucks still waiting or inside count up to it.
        end = min(until, last_t) if stop_when_called else until
        if end > last_t:
            system_area += in_system * (end - last_t)
            yard_area += in_yard * (end - last_t)
            if held_cause is not None and end > warmup:
                held_time[held_cause] += end - max(last_t, warmup)
            inside_area += inside * (end - max(last_t, warmup))
        out.system_area, out.yard_area, out.inside_area = system_area, yard_area, inside_area
        out.calls_made = calls_made
        out.arrived, out.measured_arrivals = arrivals, measured_arrivals
        for k, tally in enumerate(tallies):
            tally.trucks = len(step_times[k])
            tally.wait, tally.hold, tally.held = step_wait[k], step_hold[k], step_held[k]
            tally.service = step_busy[k][0] + step_busy[k][1]
            tally.busy = {"manual": step_busy[k][0], "smart": step_busy[k][1]}
            tally.times = step_times[k]
        out.system_time_sum = system_time_sum + in_system * end - system_arrivals
        out.yard_time_sum = yard_time_sum + in_yard * end - yard_joins
        out.waiting_at_end = in_yard
        for truck in queue.trucks():
            index = truck.trip_id
            if trip_ids[index] != -1 or arrived_at[index] < warmup:
                continue
            group = groups[index]
            age = end - arrived_at[index]
            # Still waiting: its wait so far is a lower bound, kept so that an overloaded
            # configuration does not look better than it is.
            waits[class_of[index]].append(age)
            bound = shelf.get(group)
            if bound is not None:
                out.shelf_trucks[group] = out.shelf_trucks.get(group, 0) + 1
                if age > bound:
                    out.shelf_over[group] = out.shelf_over.get(group, 0) + 1
        out.horizon = end
        if progress is not None:
            progress(1.0)
        return out
