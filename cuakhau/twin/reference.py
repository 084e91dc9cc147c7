"""The twin's model written the obvious way in SimPy: the reference the fast engine is checked
against, for correctness and for speed.

Pure Python (no Django). Every truck is a SimPy process; every control step has a
``simpy.Resource`` per lane type; a dispatcher calls the live policy
(``cuakhau.queueing.policy.choose_calls``) on the whole list of waiting trucks each time
something changes: a truck arrives, a truck crosses, a called truck fails to show, an hour
begins. Nothing here is tuned for speed; it should read like SimPy's own examples.

What it models, as ``cuakhau.twin.engine`` does: arrivals from the scenario's hourly rates (a
Poisson stream whose rate changes on the hour) or a replayed history, the goods mix and the
booked share; working hours and closures through ``scenario.hour_calls``; the calls per hour,
the control area's room and the partner side's daily quotas as the policy's caps; travel to the
control area; a no-show returns to the end of the queue when its call expires; each step's lanes
(manual, and smart lanes for eligible goods, one draw per truck whether its device checks match)
and the chance of being held aside on a manual lane; the yards as resources with their
capacities (a truck takes a place in the yard it is sent to, or the first with room, or waits on
the road for the first place that frees, and leaves its place when called).

The measures match the engine's raw ones (``engine.Replication``): yard waits per truck class,
crossings per day, busy time per step and lane type. Only the random numbers differ, so the two
agree statistically, not truck by truck.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_right
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import accumulate
from random import Random
from typing import Any

import simpy

from cuakhau.queueing.policy import (
    Capacity,
    Hold,
    PolicyConfig,
    PriorityClass,
    WaitingTruck,
    choose_calls,
)
from cuakhau.twin.scenario import (
    DAY,
    GREEN_GROUPS,
    HOUR,
    Scenario,
    Step,
    arrival_rates,
    hour_calls,
    quotas_on,
    season_mix,
)

NO_LIMIT = 10**9  # a cap the scenario leaves open (calls_per_hour or room of 0)

Process = Generator[simpy.Event, Any, None]


@dataclass(slots=True)
class ReferenceResult:
    """What one reference run measured. Times in seconds; only trucks that arrived after the
    warm-up count in waits and system times, as in the engine."""

    scenario: str
    seed: int
    horizon: float
    warmup: float
    arrived: int = 0
    # Truck class ("fruit", "fruit/booked", …) → yard wait of each truck called, from its
    # arrival to the call it answered (no-shows included).
    waits: dict[str, list[float]] = field(default_factory=dict)
    # Class → time waited so far by each truck still in the yard when the run ends.
    still_waiting: dict[str, list[float]] = field(default_factory=dict)
    system_times: dict[str, list[float]] = field(default_factory=dict)
    crossed_daily: list[int] = field(default_factory=list)
    calls: int = 0
    no_shows: int = 0
    # "step.lane_type" (e.g. "customs.manual") → lanes, busy seconds after the warm-up, trucks.
    lanes: dict[str, int] = field(default_factory=dict)
    busy: dict[str, float] = field(default_factory=dict)
    served: dict[str, int] = field(default_factory=dict)

    @property
    def measured(self) -> float:
        return self.horizon - self.warmup

    @property
    def utilisation(self) -> dict[str, float]:
        """Each step's lanes: the share of lane time spent serving trucks."""
        return {
            name: self.busy[name] / (lanes * self.measured)
            for name, lanes in self.lanes.items()
            if lanes
        }

    @property
    def throughput_per_day(self) -> float:
        """Trucks that crossed per measured day (as ``results.summarise``)."""
        first = int(self.warmup // DAY)
        last = max(first + 1, math.ceil(self.horizon / DAY))
        return sum(self.crossed_daily[first:last]) / (self.measured / DAY)

    def all_waits(self) -> list[float]:
        """Every measured truck's wait, those still waiting counted up to the end (as the
        engine's summary does, so that an overloaded gate does not look better than it is)."""
        values = [w for waits in self.waits.values() for w in waits]
        values += [w for waits in self.still_waiting.values() for w in waits]
        return values

    @property
    def mean_wait(self) -> float:
        values = self.all_waits()
        return statistics.fmean(values) if values else 0.0


def truck_class(group: str, booked: bool) -> str:
    return f"{group}/booked" if booked else group


class Gate:
    """One passage and direction of a gate: the yard queue, the dispatcher, the control steps."""

    def __init__(self, scenario: Scenario, rng: Random, seed: int = 0) -> None:
        self.s = scenario
        self.rng = rng
        self.env = simpy.Environment()
        d = scenario.dispatch
        self.config = PolicyConfig(
            green_lead=d.green_lead, slot_length=HOUR, slot_grace=d.slot_grace
        )
        self.hour_calls = hour_calls(scenario)
        self.travel = d.travel.sampler(rng)
        self.out = ReferenceResult(
            scenario.name, seed, scenario.horizon, scenario.warmup_days * DAY
        )
        self.out.crossed_daily = [0] * (int(scenario.horizon // DAY) + 1)

        # The control steps: a resource per lane type, with its service-time sampler.
        self.manual: list[simpy.Resource] = []
        self.smart: list[simpy.Resource | None] = []
        self.service: list[tuple[Callable[[], float], Callable[[], float] | None]] = []
        self.hold: list[Callable[[], float] | None] = []
        for step in scenario.steps:
            self.manual.append(simpy.Resource(self.env, capacity=step.manual.lanes))
            self.out.lanes[f"{step.name}.manual"] = step.manual.lanes
            smart_sample: Callable[[], float] | None = None
            if step.smart is not None:
                self.smart.append(simpy.Resource(self.env, capacity=step.smart.lanes))
                self.out.lanes[f"{step.name}.smart"] = step.smart.lanes
                smart_sample = step.smart.service.sampler(rng)
            else:
                self.smart.append(None)
            self.service.append((step.manual.service.sampler(rng), smart_sample))
            self.hold.append(step.hold.duration.sampler(rng) if step.hold else None)
        for name in self.out.lanes:
            self.out.busy[name] = 0.0
            self.out.served[name] = 0

        # The yards: a resource each; trucks waiting for a place are on the road.
        self.yards = [simpy.Resource(self.env, capacity=yard.capacity) for yard in scenario.yards]
        self.yard_cum = list(accumulate(yard.share for yard in scenario.yards))
        self.yard_total = self.yard_cum[-1] if self.yard_cum else 0.0
        self.road = 0
        self.any_smart = any(step.smart is not None for step in scenario.steps)

        # The dispatcher's state.
        self.waiting: dict[int, WaitingTruck] = {}  # trip id → the truck as the policy sees it
        self.call_of: dict[int, simpy.Event] = {}  # trip id → the event its call triggers
        self.inside = 0  # called and not yet crossed (a no-show until its call expires)
        self.yard: dict[int, tuple[float, str]] = {}  # trip id → arrival, class, until served
        self.hour = 0
        self.calls_this_hour = 0
        self.quotas = quotas_on(scenario, scenario.start)
        self.next_trip = 0

    # --- Processes --------------------------------------------------------------------------

    def arrivals(self) -> Process:
        """New trucks: the hourly rates (a Poisson stream per hour), or the recorded history."""
        env, rng = self.env, self.rng
        if self.s.arrivals.kind == "replay":
            for record in self.s.arrivals.replay:
                if record.at < env.now:
                    continue
                yield env.timeout(record.at - env.now)
                self.arrive(record.goods_group, record.booked)
            return
        booked_share = self.s.arrivals.booked_share
        for h, per_hour in enumerate(arrival_rates(self.s)):
            end = (h + 1) * HOUR
            day = self.s.start + timedelta(days=h // 24)
            mix = season_mix(self.s, day)
            groups, weights = list(mix), list(mix.values())
            while per_hour > 0:
                gap = rng.expovariate(per_hour / HOUR)
                if env.now + gap >= end:
                    break  # memoryless: the next hour starts its own stream
                yield env.timeout(gap)
                group = rng.choices(groups, weights)[0]
                self.arrive(group, booked_share > 0 and rng.random() < booked_share)
            yield env.timeout(end - env.now)

    def truck(self, trip_id: int, group: str, booked: bool) -> Process:
        """One truck: waits in the yard for its call, drives to the control area, goes through
        each step that applies to its goods, and crosses."""
        env, rng, out = self.env, self.rng, self.out
        arrived = env.now
        measured = arrived >= out.warmup
        name = truck_class(group, booked)
        priority = PriorityClass.GREEN if group in GREEN_GROUPS else PriorityClass.ORDINARY
        slot = math.floor(arrived / HOUR) * HOUR if booked else None
        matched = rng.random() if self.any_smart else 1.0
        place = self.take_yard_place()
        joined = arrived
        while True:
            yield self.join_queue(WaitingTruck(trip_id, joined, priority, group, slot))
            place = self.leave_yard(place)
            no_show = self.s.dispatch.no_show_probability
            if not (no_show and rng.random() < no_show):
                break
            # Did not come: the call expires and the truck goes back to the end of the queue,
            # its booking lost.
            yield env.timeout(self.s.dispatch.call_expiry)
            self.inside -= 1
            out.no_shows += 1
            joined, slot = env.now, None
            place = self.take_yard_place()
        del self.yard[trip_id]
        if measured:
            out.waits.setdefault(name, []).append(env.now - arrived)

        yield env.timeout(self.travel())
        for k, step in enumerate(self.s.steps):
            if group in step.applies_to:
                yield from self.control(k, step, group, matched)

        self.inside -= 1
        out.crossed_daily[int(env.now // DAY)] += 1
        if measured:
            out.system_times.setdefault(name, []).append(env.now - arrived)
        self.changed()

    def control(self, k: int, step: Step, group: str, matched: float) -> Process:
        """One control step: the first free lane of the truck's type, then, on a manual lane,
        perhaps held aside (the hold does not keep the lane). ``matched`` is the truck's draw
        for its device checks."""
        env, rng = self.env, self.rng
        manual_service, smart_service = self.service[k]
        lanes, service, lane_type = self.manual[k], manual_service, "manual"
        smart = self.smart[k]
        if (
            step.smart is not None
            and smart is not None
            and smart_service is not None
            and group in step.smart.eligible
            and matched < step.smart.share
        ):
            lanes, service, lane_type = smart, smart_service, "smart"
        with lanes.request() as request:
            yield request
            duration = service()
            if env.now >= self.out.warmup:
                self.out.busy[f"{step.name}.{lane_type}"] += duration
                self.out.served[f"{step.name}.{lane_type}"] += 1
            yield env.timeout(duration)
        hold = self.hold[k]
        if (
            lane_type == "manual"
            and step.hold is not None
            and hold is not None
            and rng.random() < step.hold.probability
        ):
            yield env.timeout(hold())

    def clock(self) -> Process:
        """The hours: each starts a fresh count of calls, each day fresh partner quotas."""
        while True:
            yield self.env.timeout(HOUR)
            self.hour = round(self.env.now / HOUR)
            self.calls_this_hour = 0
            if self.hour % 24 == 0:
                self.quotas = quotas_on(self.s, self.s.start + timedelta(days=self.hour // 24))
            self.changed()

    def ticks(self) -> Process:
        """With a dispatch interval, the dispatcher runs on its own clock instead."""
        while True:
            yield self.env.timeout(self.s.dispatch.interval)
            self.dispatch()

    # --- The yards ---------------------------------------------------------------------------

    def take_yard_place(self) -> dict[simpy.Resource, Any]:
        """Requests for a place: in the yard the truck is sent to if it has room, else in the
        first yard with room, else in every yard (the truck waits on the road for the first
        place that frees)."""
        if not self.yards:
            return {}
        share = self.rng.random() * self.yard_total
        drawn = min(bisect_right(self.yard_cum, share), len(self.yards) - 1)
        order = [self.yards[drawn], *(y for y in self.yards if y is not self.yards[drawn])]
        for yard in order:
            if yard.count < yard.capacity:
                return {yard: yard.request()}
        self.road += 1
        requests = {yard: yard.request() for yard in self.yards}
        self.env.process(self.wait_on_road(requests))
        return requests

    def wait_on_road(self, requests: dict[simpy.Resource, Any]) -> Process:
        """A truck on the road takes the first place that frees and gives up the others."""
        yield self.env.any_of(list(requests.values()))
        self.road -= 1
        granted = [yard for yard, request in requests.items() if request.triggered]
        for yard, request in list(requests.items()):
            if yard is not granted[0]:
                if request.triggered:
                    yard.release(request)
                else:
                    request.cancel()
                del requests[yard]

    def leave_yard(self, place: dict[simpy.Resource, Any]) -> dict[simpy.Resource, Any]:
        """Called: the truck gives back its place (or stops waiting for one on the road)."""
        if len(place) > 1:
            self.road -= 1
        for yard, request in place.items():
            if request.triggered:
                yard.release(request)
            else:
                request.cancel()
        return {}

    # --- The yard queue and the dispatcher --------------------------------------------------

    def arrive(self, group: str, booked: bool) -> None:
        self.out.arrived += 1
        self.next_trip += 1
        self.yard[self.next_trip] = (self.env.now, truck_class(group, booked))
        self.env.process(self.truck(self.next_trip, group, booked))

    def join_queue(self, truck: WaitingTruck) -> simpy.Event:
        """Put the truck in the yard queue; the event fires when it is called."""
        self.waiting[truck.trip_id] = truck
        call = self.call_of[truck.trip_id] = self.env.event()
        self.changed()
        return call

    def changed(self) -> None:
        if self.s.dispatch.interval <= 0:
            self.dispatch()

    def capacity(self) -> Capacity:
        planned = self.hour_calls[self.hour] if self.hour < len(self.hour_calls) else 0
        room = self.s.dispatch.control_area_room
        return Capacity(
            calls=NO_LIMIT if planned < 0 else planned - self.calls_this_hour,
            room=NO_LIMIT if room == 0 else room - self.inside,
            quotas=self.quotas,
            hold=Hold.CLOSED if planned == 0 else None,
        )

    def dispatch(self) -> None:
        """Ask the live policy whom to call now, and call them."""
        capacity = self.capacity()
        if not self.waiting or capacity.limit <= 0:
            return
        decision = choose_calls(list(self.waiting.values()), capacity, self.env.now, self.config)
        for call in decision.calls:
            truck = self.waiting.pop(call.trip_id)
            self.calls_this_hour += 1
            self.inside += 1
            self.out.calls += 1
            if truck.goods_group in self.quotas:
                self.quotas[truck.goods_group] -= 1
            self.call_of.pop(call.trip_id).succeed()

    # --- The run ----------------------------------------------------------------------------

    def run(self) -> ReferenceResult:
        env = self.env
        env.process(self.arrivals())
        env.process(self.clock())
        if self.s.dispatch.interval > 0:
            env.process(self.ticks())
        env.run(until=self.s.horizon)
        # Trucks still in the yard: their wait so far, as the engine keeps it.
        for trip_id in self.waiting:
            arrived, name = self.yard[trip_id]
            if arrived >= self.out.warmup:
                self.out.still_waiting.setdefault(name, []).append(self.s.horizon - arrived)
        return self.out


def run_reference(scenario: Scenario, seed: int) -> ReferenceResult:
    """One run of ``scenario`` with ``random.Random(seed)``."""
    return Gate(scenario, Random(seed), seed).run()
