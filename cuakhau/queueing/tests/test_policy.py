"""Tests of the dispatch policy (domain.md §6); pure Python, no database.

The properties the issue asks for: capacity is never exceeded, the decision is deterministic,
booked trucks in their window go before the living queue, the green lane's aging bound holds,
and every call carries the rule that put it there. Times sit on a quarter-second grid near a
2026 Unix time, so every sum and difference the policy takes is exact in floating point.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cuakhau.queueing.policy import (
    DEFAULT_CONFIG,
    HOUR,
    Capacity,
    Decision,
    GoodsGroup,
    Hold,
    HourCapacity,
    Outcome,
    PenaltyConfig,
    PolicyConfig,
    PriorityClass,
    Rule,
    SlotFit,
    Tier,
    WaitingTruck,
    admit,
    booking_block_until,
    choose_calls,
    classify,
    goods_group_of,
    order_key,
    ordered,
    predict_call_times,
    slot_fit,
)

MINUTE = 60.0
DAY = 24 * HOUR
T0 = 1_780_000_000.0  # a Unix time in 2026, on the hour; any clock would do
SPAN = 3 * DAY
YARD_SPAN = 8 * HOUR  # a yard's arrivals: close enough that the green lead comes into play

PROPERTY = settings(max_examples=200, deadline=None)
YARD_PROPERTY = settings(max_examples=100, deadline=None)  # a yard takes longer to draw


@pytest.fixture(autouse=True)
def _open_around_the_clock() -> None:
    """The policy is pure: this module overrides the package conftest's autouse fixture of this
    name, which would give every test here the database."""


GREEN = PriorityClass.GREEN
ORDINARY = PriorityClass.ORDINARY
WAITING_FOR_A_CALL = (Hold.CAPACITY, Hold.ROOM)
LIVING_QUEUE = (Rule.GREEN_LANE, Rule.QUEUE)


def truck(
    trip_id: int,
    arrived_at: float,
    priority: PriorityClass = ORDINARY,
    goods_group: str = GoodsGroup.GENERAL,
    slot_start: float | None = None,
    override_at: float | None = None,
) -> WaitingTruck:
    return WaitingTruck(trip_id, arrived_at, priority, goods_group, slot_start, override_at)


def open_capacity(calls: int = 10, room: int = 10, **quotas: int) -> Capacity:
    return Capacity(calls=calls, room=room, quotas=quotas)


def called(decision: Decision) -> list[int]:
    return [call.trip_id for call in decision.calls]


def expected_rule(waiting: WaitingTruck, config: PolicyConfig) -> Rule:
    if waiting.override_at is not None:
        return Rule.OVERRIDE
    if waiting.slot_start is not None and (
        slot_fit(waiting.arrived_at, waiting.slot_start, config) is not SlotFit.LATE
    ):
        return Rule.SLOT
    return Rule.GREEN_LANE if waiting.priority is GREEN else Rule.QUEUE


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

# Fine times (quarter seconds) and coarse ones (quarter hours), so that ties between arrivals,
# slot edges and the green lead come up often.
offsets = st.one_of(
    st.integers(0, int(SPAN * 4)).map(lambda q: q / 4),
    st.integers(0, int(SPAN / (15 * MINUTE))).map(lambda k: k * 15 * MINUTE),
)
moments = offsets.map(lambda offset: T0 + offset)
short_delays = st.one_of(
    st.integers(0, int(6 * HOUR * 4)).map(lambda q: q / 4),
    st.integers(0, 24).map(lambda k: k * 15 * MINUTE),
)

configs = st.builds(
    PolicyConfig,
    green_lead=st.one_of(
        st.sampled_from([2 * HOUR, 3 * HOUR, HOUR, 30 * MINUTE, 0.0]),
        st.sampled_from(range(1, int(6 * HOUR * 4))).map(lambda q: q / 4),
    ),
    slot_length=st.sampled_from([HOUR, 30 * MINUTE, 2 * HOUR]),
    slot_grace=st.sampled_from([0.0, 15 * MINUTE, 30 * MINUTE, 45 * MINUTE]),
)


def hour_of(moment: float) -> float:
    return T0 + math.floor((moment - T0) / HOUR) * HOUR


GROUPS = list(GoodsGroup)

# One truck as a handful of integers (cheaper for hypothesis to draw than nested strategies;
# sampled_from spreads them more evenly than integers, which favour the low end): its arrival
# quarter hour in the yard's span, a fine offset (half the time none, so arrivals tie often),
# the slot (-3..+4 hours from its arrival hour, a third of the time), the override (after its
# arrival, an eighth of the time), green or not, and the goods group.
truck_specs = st.tuples(
    st.sampled_from(range(int(YARD_SPAN / (15 * MINUTE)) + 1)),
    st.integers(0, 2 * 3600 - 1),
    st.integers(0, 23),
    st.integers(0, 399),
    st.booleans(),
    st.integers(0, len(GROUPS) - 1),
)


def truck_from(trip_id: int, spec: tuple[int, int, int, int, bool, int]) -> WaitingTruck:
    quarter_hour, fine, slot, override, green, group = spec
    arrived_at = T0 + quarter_hour * 15 * MINUTE + (0.0 if fine < 3600 else (fine - 3600) / 4)
    return WaitingTruck(
        trip_id=trip_id,
        arrived_at=arrived_at,
        priority=GREEN if green else ORDINARY,
        goods_group=GROUPS[group],
        slot_start=hour_of(arrived_at) + (slot - 3) * HOUR if slot < 8 else None,
        override_at=arrived_at + (override - 350) * 433.5 if override >= 350 else None,
    )


def yards(max_size: int = 12) -> st.SearchStrategy[list[WaitingTruck]]:
    """The trucks waiting at one passage and direction (at least one: the empty yard has its own
    test); trip ids are unique."""
    return st.lists(
        st.tuples(st.integers(1, 10**6), truck_specs),
        min_size=1,
        max_size=max_size,
        unique_by=lambda pair: pair[0],
    ).map(lambda pairs: [truck_from(trip_id, spec) for trip_id, spec in pairs])


# mostly some room, now and then none (or less than none: more inside than planned)
caps = st.sampled_from([*range(1, 13), *range(1, 7), 0, -2])
capacities = st.builds(
    Capacity,
    calls=caps,
    room=caps,
    quotas=st.dictionaries(st.sampled_from(GoodsGroup), st.integers(-1, 6), max_size=4),
    hold=st.one_of(st.none(), st.none(), st.none(), st.sampled_from([Hold.PAUSED, Hold.CLOSED])),
)
open_capacities = capacities.map(lambda capacity: replace(capacity, hold=None))


@st.composite
def situations(
    draw: st.DrawFn, capacity: st.SearchStrategy[Capacity] = capacities
) -> tuple[list[WaitingTruck], Capacity, float, PolicyConfig]:
    """A yard, what may be called, the time of the dispatch cycle (after the last arrival),
    and the rules in force."""
    trucks = draw(yards())
    latest = max((waiting.arrived_at for waiting in trucks), default=T0)
    return trucks, draw(capacity), latest + draw(short_delays), draw(configs)


def living_queue_only(trucks: list[WaitingTruck]) -> list[WaitingTruck]:
    return [replace(waiting, slot_start=None, override_at=None) for waiting in trucks]


# Yards where the green lane is at work: no bookings or overrides, only the living queue.
living_situations = situations(open_capacities).map(
    lambda situation: (living_queue_only(situation[0]), *situation[1:])
)


# ---------------------------------------------------------------------------------------------
# Given / when / then: the green lane in one picture
# ---------------------------------------------------------------------------------------------


def test_a_durian_truck_arriving_90_minutes_after_a_steel_truck_is_called_first():
    # Given a steel truck in the living queue and, 90 minutes later, a durian truck
    green, group = classify(["08106000"], perishable=False)
    steel = truck(1, T0, ORDINARY, GoodsGroup.GENERAL)
    durian = truck(2, T0 + 90 * MINUTE, green, group)
    # When the passage can take one call
    decision = choose_calls([steel, durian], open_capacity(calls=1), now=T0 + 2 * HOUR)
    # Then the durian goes first, by the green-lane rule, and the steel truck waits for the hour
    assert [(call.trip_id, call.rule) for call in decision.calls] == [(2, Rule.GREEN_LANE)]
    assert decision.holds == {1: Hold.CAPACITY}


def test_a_durian_truck_arriving_3_hours_after_a_steel_truck_is_not_called_first():
    # Given a steel truck and a durian truck that arrived 3 h later, beyond the 2 h green lead
    steel = truck(1, T0, ORDINARY, GoodsGroup.GENERAL)
    durian = truck(2, T0 + 3 * HOUR, GREEN, GoodsGroup.FRUIT)
    # When the passage can take one call
    decision = choose_calls([steel, durian], open_capacity(calls=1), now=T0 + 4 * HOUR)
    # Then the steel truck is not overtaken
    assert [(call.trip_id, call.rule) for call in decision.calls] == [(1, Rule.QUEUE)]
    assert decision.holds == {2: Hold.CAPACITY}


def test_the_green_lead_is_exclusive_a_green_truck_exactly_the_lead_later_comes_second():
    steel = truck(1, T0)
    durian = truck(2, T0 + DEFAULT_CONFIG.green_lead, GREEN, GoodsGroup.FRUIT)
    just_inside = truck(3, T0 + DEFAULT_CONFIG.green_lead - 0.25, GREEN, GoodsGroup.FRUIT)
    assert [t.trip_id for _, t in ordered([durian, steel])] == [1, 2]
    assert [t.trip_id for _, t in ordered([steel, just_inside])] == [3, 1]


def test_the_call_order_by_tier_override_then_slot_then_living_queue():
    # Given one truck of each kind, the living-queue ones having arrived first
    queued = truck(1, T0)
    green = truck(2, T0 + 10 * MINUTE, GREEN, GoodsGroup.VEGETABLES)
    booked = truck(3, T0 + 40 * MINUTE, slot_start=T0 + HOUR)  # in its window (from T0 + 30 min)
    overridden = truck(4, T0 + 50 * MINUTE, override_at=T0 + 55 * MINUTE)
    # When all can be called
    decision = choose_calls([queued, green, booked, overridden], open_capacity(), now=T0 + HOUR)
    # Then the override goes first, then the booking, then the living queue with green ahead
    assert [(call.trip_id, call.rule) for call in decision.calls] == [
        (4, Rule.OVERRIDE),
        (3, Rule.SLOT),
        (2, Rule.GREEN_LANE),
        (1, Rule.QUEUE),
    ]
    assert [call.key[0] for call in decision.calls] == [
        Tier.OVERRIDE,
        Tier.SLOT,
        Tier.QUEUE,
        Tier.QUEUE,
    ]
    assert decision.holds == {}


# ---------------------------------------------------------------------------------------------
# 1. Capacity is never exceeded
# ---------------------------------------------------------------------------------------------


@YARD_PROPERTY
@given(situations())
def test_capacity_is_never_exceeded(situation):
    trucks, capacity, now, config = situation
    decision = choose_calls(trucks, capacity, now, config)
    assert len(decision.calls) <= capacity.limit
    assert len(decision.calls) <= max(0, capacity.calls)
    assert len(decision.calls) <= max(0, capacity.room)
    if capacity.hold is not None:
        assert decision.calls == []
    by_trip = {waiting.trip_id: waiting for waiting in trucks}
    per_group = Counter(by_trip[call.trip_id].goods_group for call in decision.calls)
    for group, quota in capacity.quotas.items():
        assert per_group[group] <= max(0, quota)


@YARD_PROPERTY
@given(situations(open_capacities))
def test_the_walk_stops_only_at_a_cap(situation):
    """Work-conserving: below the limit nobody waits for the hour or the room, a group waits for
    its quota only once the quota is used up, and the reason given for the hour names the cap
    that binds."""
    trucks, capacity, now, config = situation
    decision = choose_calls(trucks, capacity, now, config)
    by_trip = {waiting.trip_id: waiting for waiting in trucks}
    per_group = Counter(by_trip[call.trip_id].goods_group for call in decision.calls)
    reasons = set(decision.holds.values())
    if reasons & set(WAITING_FOR_A_CALL):
        assert len(decision.calls) == capacity.limit
        assert reasons & set(WAITING_FOR_A_CALL) == {capacity.binding}
        assert capacity.binding is (Hold.ROOM if capacity.room < capacity.calls else Hold.CAPACITY)
    for trip_id, reason in decision.holds.items():
        if reason is Hold.QUOTA:
            group = by_trip[trip_id].goods_group
            assert per_group[group] == max(0, capacity.quotas[group])


def test_capacity_limit_and_binding_cap():
    assert Capacity(calls=5, room=3).limit == 3
    assert Capacity(calls=5, room=3).binding is Hold.ROOM
    assert Capacity(calls=3, room=5).binding is Hold.CAPACITY
    assert Capacity(calls=3, room=3).binding is Hold.CAPACITY
    assert Capacity(calls=-2, room=4).limit == 0
    assert Capacity(calls=5, room=5, hold=Hold.PAUSED).limit == 0
    assert Capacity(calls=5, room=5, hold=Hold.CLOSED).binding is Hold.CLOSED


def test_a_full_control_area_stops_calls_with_its_own_reason():
    trucks = [truck(1, T0), truck(2, T0 + MINUTE), truck(3, T0 + 2 * MINUTE)]
    decision = choose_calls(trucks, Capacity(calls=5, room=1), now=T0 + HOUR)
    assert called(decision) == [1]
    assert decision.holds == {2: Hold.ROOM, 3: Hold.ROOM}


# ---------------------------------------------------------------------------------------------
# 2. Deterministic
# ---------------------------------------------------------------------------------------------


@YARD_PROPERTY
@given(st.data(), situations())
def test_the_decision_does_not_depend_on_the_input_order(data, situation):
    trucks, capacity, now, config = situation
    shuffled = data.draw(st.permutations(trucks))
    first = choose_calls(trucks, capacity, now, config)
    assert choose_calls(shuffled, capacity, now, config) == first
    assert choose_calls(trucks, capacity, now, config) == first  # and again
    assert ordered(shuffled, config) == ordered(trucks, config)


@YARD_PROPERTY
@given(yards(), configs, short_delays)
def test_with_every_window_open_the_yard_is_called_in_key_order_at_any_time(trucks, config, later):
    """The key is fixed when the truck joins: calling at any time gives the same order."""
    calls = [
        called(choose_calls(trucks, Capacity(calls=100, room=100), now, config))
        for now in (T0 + YARD_SPAN + 5 * HOUR, T0 + YARD_SPAN + 5 * HOUR + later)
    ]
    # With every window open the whole yard is called, in the same order both times.
    assert calls[0] == calls[1] == [waiting.trip_id for _, waiting in ordered(trucks, config)]


# ---------------------------------------------------------------------------------------------
# 3. Booked in the window before the living queue
# ---------------------------------------------------------------------------------------------


@YARD_PROPERTY
@given(situations())
def test_bookings_in_their_window_go_before_the_living_queue(situation):
    trucks, capacity, now, config = situation
    decision = choose_calls(trucks, capacity, now, config)
    # overrides, then slots, then the living queue, in the list of calls
    tiers = [call.key[0] for call in decision.calls]
    assert tiers == sorted(tiers)
    place = {Rule.OVERRIDE: 0, Rule.SLOT: 1, Rule.GREEN_LANE: 2, Rule.QUEUE: 2}
    places = [place[call.rule] for call in decision.calls]
    assert places == sorted(places)
    # a booking whose window is open never waits for the hour while the living queue is called
    living_queue_called = any(call.rule in LIVING_QUEUE for call in decision.calls)
    for waiting in trucks:
        key = order_key(waiting, config)
        if key[0] != Tier.SLOT or now < waiting.slot_start - config.slot_grace:
            continue
        assert decision.holds.get(waiting.trip_id) is not Hold.SLOT_NOT_OPEN
        if decision.holds.get(waiting.trip_id) in WAITING_FOR_A_CALL:
            assert not living_queue_called


@YARD_PROPERTY
@given(situations())
def test_who_waits_for_the_hour_or_the_room_comes_after_everyone_called(situation):
    trucks, capacity, now, config = situation
    decision = choose_calls(trucks, capacity, now, config)
    keys = [call.key for call in decision.calls]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    for waiting in trucks:
        if decision.holds.get(waiting.trip_id) in WAITING_FOR_A_CALL:
            assert all(key < order_key(waiting, config) for key in keys)


# ---------------------------------------------------------------------------------------------
# 4. The green lane's aging bound, and first come first served
# ---------------------------------------------------------------------------------------------


def overtakings(
    trucks: list[WaitingTruck], decision: Decision, config: PolicyConfig
) -> list[tuple[WaitingTruck, WaitingTruck]]:
    """Pairs (ahead, behind) of living-queue trucks where ``ahead`` was called and ``behind``
    was called later in the list or left waiting for the hour or the room."""
    by_trip = {waiting.trip_id: waiting for waiting in trucks}
    position = {call.trip_id: i for i, call in enumerate(decision.calls)}
    living = {waiting.trip_id for waiting in trucks if order_key(waiting, config)[0] == Tier.QUEUE}
    pairs = []
    for ahead_id, ahead_at in position.items():
        if ahead_id not in living:
            continue
        for behind_id in living - {ahead_id}:
            later = position.get(behind_id, -1) > ahead_at
            waits = decision.holds.get(behind_id) in WAITING_FOR_A_CALL
            if later or waits:
                pairs.append((by_trip[ahead_id], by_trip[behind_id]))
    return pairs


@YARD_PROPERTY
@given(st.one_of(situations(open_capacities), living_situations))
def test_a_green_truck_overtakes_an_ordinary_one_only_within_the_green_lead(situation):
    trucks, capacity, now, config = situation
    decision = choose_calls(trucks, capacity, now, config)
    for ahead, behind in overtakings(trucks, decision, config):
        overtaken = ahead.arrived_at > behind.arrived_at
        if ahead.priority is GREEN and behind.priority is ORDINARY and overtaken:
            assert ahead.arrived_at - behind.arrived_at < config.green_lead
        if ahead.priority is ORDINARY and behind.priority is GREEN:
            # an ordinary truck goes ahead of a green one only if it came more than the lead
            # earlier
            assert behind.arrived_at - ahead.arrived_at >= config.green_lead


@YARD_PROPERTY
@given(st.one_of(situations(open_capacities), living_situations))
def test_within_a_class_the_living_queue_is_first_come_first_served(situation):
    trucks, capacity, now, config = situation
    decision = choose_calls(trucks, capacity, now, config)
    for ahead, behind in overtakings(trucks, decision, config):
        if ahead.priority is behind.priority:
            assert (ahead.arrived_at, ahead.trip_id) < (behind.arrived_at, behind.trip_id)


@PROPERTY
@given(moments, short_delays, configs, st.booleans())
def test_a_green_truck_is_ordered_ahead_exactly_when_it_came_less_than_the_lead_later(
    ordinary_at, delay, config, green_first
):
    plain = truck(1, ordinary_at)
    fresh = truck(2, ordinary_at + delay, GREEN, GoodsGroup.FRUIT)
    trucks = [fresh, plain] if green_first else [plain, fresh]
    first = ordered(trucks, config)[0][1]
    assert (first is fresh) == (delay < config.green_lead)


@YARD_PROPERTY
@given(yards(), configs)
def test_with_no_green_lead_the_living_queue_is_plain_arrival_order(trucks, config):
    config = replace(config, green_lead=0.0)
    living = [waiting for key, waiting in ordered(trucks, config) if key[0] == Tier.QUEUE]
    assert living == sorted(living, key=lambda w: (w.arrived_at, w.trip_id))


# ---------------------------------------------------------------------------------------------
# 5. Every call carries a rule; every other truck exactly one reason
# ---------------------------------------------------------------------------------------------


@YARD_PROPERTY
@given(situations())
def test_every_call_carries_the_rule_of_its_truck(situation):
    trucks, capacity, now, config = situation
    decision = choose_calls(trucks, capacity, now, config)
    by_trip = {waiting.trip_id: waiting for waiting in trucks}
    for call in decision.calls:
        waiting = by_trip[call.trip_id]
        assert call.rule is expected_rule(waiting, config)
        assert call.key == order_key(waiting, config)


@YARD_PROPERTY
@given(situations())
def test_every_truck_not_called_has_exactly_one_reason_that_fits_it(situation):
    trucks, capacity, now, config = situation
    decision = choose_calls(trucks, capacity, now, config)
    called_ids = called(decision)
    assert len(called_ids) == len(set(called_ids))
    assert set(called_ids).isdisjoint(decision.holds)
    assert set(called_ids) | set(decision.holds) == {waiting.trip_id for waiting in trucks}
    assert all(isinstance(reason, Hold) for reason in decision.holds.values())
    by_trip = {waiting.trip_id: waiting for waiting in trucks}
    for trip_id, reason in decision.holds.items():
        waiting = by_trip[trip_id]
        if capacity.hold is not None:
            assert reason is capacity.hold
        elif reason is Hold.SLOT_NOT_OPEN:
            assert expected_rule(waiting, config) is Rule.SLOT
            assert now < waiting.slot_start - config.slot_grace
        elif reason is Hold.QUOTA:
            assert waiting.goods_group in capacity.quotas
        else:
            assert reason in WAITING_FOR_A_CALL


# ---------------------------------------------------------------------------------------------
# 6. Holds
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hold", [Hold.PAUSED, Hold.CLOSED])
def test_a_paused_or_closed_passage_calls_nobody_and_says_why(hold):
    trucks = [
        truck(1, T0),
        truck(2, T0, GREEN, GoodsGroup.FRUIT),
        truck(3, T0, slot_start=T0),
        truck(4, T0, override_at=T0 + MINUTE),
    ]
    decision = choose_calls(trucks, Capacity(calls=10, room=10, hold=hold), now=T0 + HOUR)
    assert decision.calls == []
    assert decision.holds == dict.fromkeys([1, 2, 3, 4], hold)


@YARD_PROPERTY
@given(situations(capacities.map(lambda c: replace(c, hold=Hold.PAUSED))))
def test_a_paused_passage_holds_every_truck_for_that_reason(situation):
    trucks, capacity, now, config = situation
    decision = choose_calls(trucks, capacity, now, config)
    assert decision == Decision([], dict.fromkeys((w.trip_id for w in trucks), Hold.PAUSED))


def test_a_used_up_quota_holds_its_group_while_other_groups_are_called():
    # Given China accepts one more fruit truck today and no more electronics
    trucks = [
        truck(1, T0, GREEN, GoodsGroup.FRUIT),
        truck(2, T0 + MINUTE, GREEN, GoodsGroup.FRUIT),
        truck(3, T0 + 2 * MINUTE, ORDINARY, GoodsGroup.ELECTRONICS),
        truck(4, T0 + 3 * MINUTE, ORDINARY, GoodsGroup.GENERAL),
        truck(5, T0 + 4 * MINUTE, GREEN, GoodsGroup.VEGETABLES),
    ]
    capacity = open_capacity(**{GoodsGroup.FRUIT: 1, GoodsGroup.ELECTRONICS: 0})
    decision = choose_calls(trucks, capacity, now=T0 + HOUR)
    assert called(decision) == [1, 5, 4]
    assert decision.holds == {2: Hold.QUOTA, 3: Hold.QUOTA}


def test_a_used_up_quota_is_the_reason_even_when_the_hour_is_full_too():
    trucks = [
        truck(1, T0),
        truck(2, T0 + MINUTE, ORDINARY, GoodsGroup.ELECTRONICS),
        truck(3, T0 + 2 * MINUTE),
    ]
    capacity = Capacity(calls=1, room=5, quotas={GoodsGroup.ELECTRONICS: 0})
    decision = choose_calls(trucks, capacity, now=T0 + 2 * HOUR)
    assert called(decision) == [1]
    assert decision.holds == {2: Hold.QUOTA, 3: Hold.CAPACITY}


def test_an_early_booking_waits_for_its_window_then_goes_before_the_living_queue():
    config = DEFAULT_CONFIG
    slot = T0 + 3 * HOUR
    opens = slot - config.slot_grace
    # Given a booked truck two hours early and a living-queue truck that came before it
    queued = truck(1, T0)
    booked = truck(2, T0 + HOUR, slot_start=slot)
    assert slot_fit(booked.arrived_at, slot) is SlotFit.EARLY
    # When the dispatcher runs a quarter second before the window opens
    before = choose_calls([queued, booked], open_capacity(), now=opens - 0.25)
    # Then the booked truck waits for its window and the living queue is called
    assert [(c.trip_id, c.rule) for c in before.calls] == [(1, Rule.QUEUE)]
    assert before.holds == {2: Hold.SLOT_NOT_OPEN}
    # And once the window opens it is called first, by its slot
    at_open = choose_calls([queued, booked], open_capacity(calls=1), now=opens)
    assert [(c.trip_id, c.rule, c.key[0]) for c in at_open.calls] == [(2, Rule.SLOT, Tier.SLOT)]
    assert at_open.holds == {1: Hold.CAPACITY}


def test_bookings_are_called_by_slot_start_then_arrival():
    trucks = [
        truck(1, T0 + 20 * MINUTE, slot_start=T0 + HOUR),
        truck(2, T0 + 10 * MINUTE, slot_start=T0 + HOUR),
        truck(3, T0, slot_start=T0),
    ]
    decision = choose_calls(trucks, open_capacity(), now=T0 + 40 * MINUTE)
    assert [(c.trip_id, c.rule) for c in decision.calls] == [
        (3, Rule.SLOT),
        (2, Rule.SLOT),
        (1, Rule.SLOT),
    ]


def test_a_late_booking_joins_the_living_queue_by_its_arrival():
    config = DEFAULT_CONFIG
    slot = T0
    late_at = slot + config.slot_length + config.slot_grace + 0.25
    # Given a booked truck that missed its window and an ordinary one that came just before it
    queued = truck(1, late_at - 0.25)
    late = truck(2, late_at, slot_start=slot)
    # Then the late truck queues behind, by the queue rule
    decision = choose_calls([late, queued], open_capacity(), now=late_at + HOUR)
    assert [(c.trip_id, c.rule, c.key[0]) for c in decision.calls] == [
        (1, Rule.QUEUE, Tier.QUEUE),
        (2, Rule.QUEUE, Tier.QUEUE),
    ]
    # And a late green booking gets the green lane like any fresh-produce arrival
    late_green = truck(3, late_at, GREEN, GoodsGroup.FRUIT, slot_start=slot)
    assert choose_calls([late_green], open_capacity(), now=late_at).calls[0].rule is (
        Rule.GREEN_LANE
    )


def test_an_override_goes_ahead_of_slots_even_before_their_window():
    overridden = truck(1, T0 + HOUR, slot_start=T0 + 5 * HOUR, override_at=T0 + HOUR)
    booked = truck(2, T0, slot_start=T0)
    decision = choose_calls([booked, overridden], open_capacity(calls=1), now=T0 + HOUR)
    assert [(c.trip_id, c.rule) for c in decision.calls] == [(1, Rule.OVERRIDE)]
    assert decision.holds == {2: Hold.CAPACITY}


def test_an_empty_yard_calls_nobody():
    assert choose_calls([], open_capacity(), now=T0) == Decision([], {})


# ---------------------------------------------------------------------------------------------
# 7. The twin's fast path
# ---------------------------------------------------------------------------------------------


@YARD_PROPERTY
@given(situations())
def test_the_fast_path_makes_the_same_calls(situation):
    trucks, capacity, now, config = situation
    queue = ordered(trucks, config)
    explained = admit(queue, capacity, now, config, explain=True)
    fast = admit(iter(queue), capacity, now, config, explain=False)
    assert fast.calls == explained.calls
    # whatever reasons the fast path does give are the full ones
    assert fast.holds.items() <= explained.holds.items()


# ---------------------------------------------------------------------------------------------
# 8. A heap keyed by order_key gives the same order
# ---------------------------------------------------------------------------------------------


@YARD_PROPERTY
@given(st.data(), yards(), configs)
def test_a_heap_keyed_by_order_key_pops_in_the_sorted_order_of_unique_keys(data, trucks, config):
    heap: list[tuple[tuple[int, float, float, int], WaitingTruck]] = []
    for waiting in data.draw(st.permutations(trucks)):
        heapq.heappush(heap, (order_key(waiting, config), waiting))
    popped = [heapq.heappop(heap) for _ in range(len(heap))]
    assert popped == ordered(trucks, config)
    keys = [order_key(waiting, config) for waiting in trucks]
    assert len(set(keys)) == len(keys)
    for key, waiting in zip(keys, trucks, strict=True):
        assert key[-1] == waiting.trip_id
        assert key[2] == waiting.arrived_at


# ---------------------------------------------------------------------------------------------
# 9. Goods: priority class and goods group
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hs_code", "group"),
    [
        ("08106000", GoodsGroup.FRUIT),  # durian, 0810.60
        ("0810.60", GoodsGroup.FRUIT),
        ("08039010", GoodsGroup.FRUIT),  # bananas
        ("07099990", GoodsGroup.VEGETABLES),
        ("0603", GoodsGroup.VEGETABLES),  # cut flowers
        ("85423100", GoodsGroup.ELECTRONICS),
        ("85414100", GoodsGroup.ELECTRONICS),
        ("85437090", GoodsGroup.GENERAL),
        ("72085100", GoodsGroup.GENERAL),  # steel
        ("09011100", GoodsGroup.GENERAL),  # coffee: chapter 09 is not fresh produce
        ("05", GoodsGroup.GENERAL),
    ],
)
def test_goods_group_of(hs_code, group):
    assert goods_group_of(hs_code) is group


@pytest.mark.parametrize(
    ("hs_codes", "perishable", "expected"),
    [
        (["08106000"], False, (GREEN, GoodsGroup.FRUIT)),
        (["07020000"], False, (GREEN, GoodsGroup.VEGETABLES)),
        (["06031100"], False, (GREEN, GoodsGroup.VEGETABLES)),
        (["85423100"], False, (ORDINARY, GoodsGroup.ELECTRONICS)),
        (["85423100"], True, (GREEN, GoodsGroup.ELECTRONICS)),
        (["03028900"], False, (ORDINARY, GoodsGroup.GENERAL)),  # fish: flag it to go green
        (["03028900"], True, (GREEN, GoodsGroup.GENERAL)),
        (["85423100", "07020000", "08106000"], False, (GREEN, GoodsGroup.FRUIT)),
        (["72085100", "85423100"], False, (ORDINARY, GoodsGroup.ELECTRONICS)),
        (["72085100", "07020000"], False, (GREEN, GoodsGroup.VEGETABLES)),
        ([], False, (ORDINARY, GoodsGroup.GENERAL)),
        ([], True, (GREEN, GoodsGroup.GENERAL)),
    ],
)
def test_classify(hs_codes, perishable, expected):
    assert classify(hs_codes, perishable=perishable) == expected


hs_codes = st.from_regex(r"\A[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{2})?)?)?\Z")


@PROPERTY
@given(st.lists(hs_codes, max_size=6), st.booleans())
def test_classify_is_order_free_and_green_exactly_for_chapters_06_to_08_or_perishables(
    codes, perishable
):
    priority, group = classify(codes, perishable=perishable)
    assert classify(list(reversed(codes)), perishable=perishable) == (priority, group)
    fresh = any(code[:2] in {"06", "07", "08"} for code in codes)
    assert (priority is GREEN) == (fresh or perishable)
    groups = {goods_group_of(code) for code in codes}
    assert group in groups or (not codes and group is GoodsGroup.GENERAL)
    if GoodsGroup.FRUIT in groups:
        assert group is GoodsGroup.FRUIT


# ---------------------------------------------------------------------------------------------
# 10. Predicted call-up times
# ---------------------------------------------------------------------------------------------


def test_predictions_spread_an_hours_calls_evenly():
    hours = [HourCapacity(T0, 4), HourCapacity(T0 + HOUR, 2)]
    assert predict_call_times(5, T0, hours) == [
        T0,
        T0 + 15 * MINUTE,
        T0 + 30 * MINUTE,
        T0 + 45 * MINUTE,
        T0 + HOUR,
    ]
    assert predict_call_times(8, T0, hours)[-2:] == [None, None]  # beyond the horizon
    assert predict_call_times(0, T0, hours) == []
    assert predict_call_times(2, T0, []) == [None, None]


def test_predictions_spread_a_partly_elapsed_hours_calls_over_what_is_left_of_it():
    hours = [
        HourCapacity(T0 - HOUR, 10),  # over
        HourCapacity(T0, 5),  # half over, 5 calls left: every 6 minutes from now
        HourCapacity(T0 + HOUR, 0),  # closed
        HourCapacity(T0 + 2 * HOUR, 1),
    ]
    now = T0 + 30 * MINUTE
    assert predict_call_times(7, now, hours) == [
        now,
        now + 6 * MINUTE,
        now + 12 * MINUTE,
        now + 18 * MINUTE,
        now + 24 * MINUTE,
        T0 + 2 * HOUR,
        None,
    ]
    # the hour's last second still gets its calls, all of them in that second
    assert predict_call_times(2, T0 + HOUR - 1, [HourCapacity(T0, 2)]) == [
        T0 + HOUR - 1,
        T0 + HOUR - 0.5,
    ]
    assert predict_call_times(1, T0 + HOUR, [HourCapacity(T0, 2)]) == [None]  # now over


@st.composite
def plans(draw: st.DrawFn) -> tuple[int, float, list[HourCapacity]]:
    """Hour plans as ``predict_call_times`` takes them: hour-aligned, ascending, perhaps with
    gaps; the current hour's calls are those left in it."""
    hour_numbers = draw(st.lists(st.integers(-2, 12), unique=True, max_size=8))
    hours = [HourCapacity(T0 + n * HOUR, draw(st.integers(-1, 20))) for n in sorted(hour_numbers)]
    now = T0 + draw(short_delays)
    return draw(st.integers(0, 80)), now, hours


@PROPERTY
@given(plans())
def test_predicted_times_are_ordered_bounded_and_within_each_hours_calls(plan):
    count, now, hours = plan
    times = predict_call_times(count, now, hours)
    assert len(times) == count
    known = [t for t in times if t is not None]
    assert times == known + [None] * (count - len(known))  # None only beyond the horizon
    assert known == sorted(known)
    assert all(t >= now for t in known)
    per_hour: dict[HourCapacity, list[float]] = {hour: [] for hour in hours}
    for t in known:
        per_hour[next(h for h in hours if h.start <= t < h.start + HOUR)].append(t)
    for hour, got in per_hour.items():
        planned = max(0, hour.calls) if hour.start + HOUR > now else 0
        assert len(got) <= planned
        if len(known) < count:  # the horizon ran out: every hour gave all it had
            assert len(got) == planned
        if got:  # evenly spread over what is left of the hour
            begin = max(hour.start, now)
            step = (hour.start + HOUR - begin) / hour.calls
            assert got == [begin + i * step for i in range(len(got))]


# ---------------------------------------------------------------------------------------------
# 11. Booking blocks after no-shows and cancellations
# ---------------------------------------------------------------------------------------------

NO_SHOW = Outcome.NO_SHOW
SHOWED = Outcome.SHOWED
CANCELLED = Outcome.BOOKING_CANCELLED


@pytest.mark.parametrize(
    ("history", "until"),
    [
        ([], None),
        ([(0, NO_SHOW)], None),
        ([(0, NO_SHOW), (DAY, NO_SHOW)], DAY + 14 * DAY),
        ([(0, SHOWED), (DAY, NO_SHOW), (2 * DAY, NO_SHOW)], 2 * DAY + 14 * DAY),
        ([(0, NO_SHOW), (DAY, SHOWED), (2 * DAY, NO_SHOW)], None),  # a show resets
        ([(0, NO_SHOW), (DAY, CANCELLED), (2 * DAY, NO_SHOW)], 16 * DAY),  # not a show
        (
            [(0, NO_SHOW), (DAY, CANCELLED), (1.5 * DAY, CANCELLED), (40 * DAY, NO_SHOW)],
            54 * DAY,
        ),
        ([(0, CANCELLED)], None),
        ([(0, CANCELLED), (29 * DAY, CANCELLED)], 43 * DAY),
        ([(0, CANCELLED), (30 * DAY - 1, CANCELLED)], 44 * DAY - 1),
        ([(0, CANCELLED), (31 * DAY, CANCELLED)], None),
        ([(0, CANCELLED), (10 * DAY, NO_SHOW), (20 * DAY, CANCELLED)], 34 * DAY),
        ([(0, CANCELLED), (31 * DAY, CANCELLED), (32 * DAY, CANCELLED)], 46 * DAY),
    ],
)
def test_booking_block(history, until):
    history = [(T0 + at, outcome) for at, outcome in history]
    expected = None if until is None else T0 + until
    assert booking_block_until(history) == expected


def test_booking_block_follows_a_custom_penalty_config():
    config = PenaltyConfig(
        no_shows_in_a_row=3, cancellations=3, cancellation_window=7 * DAY, block_for=7 * DAY
    )
    two = [(T0, NO_SHOW), (T0 + DAY, NO_SHOW)]
    assert booking_block_until(two, config) is None
    assert booking_block_until([*two, (T0 + 2 * DAY, NO_SHOW)], config) == T0 + 9 * DAY
    cancels = [(T0, CANCELLED), (T0 + 3 * DAY, CANCELLED)]
    assert booking_block_until(cancels, config) is None
    assert booking_block_until([*cancels, (T0 + 6 * DAY, CANCELLED)], config) == T0 + 13 * DAY
    assert booking_block_until([*cancels, (T0 + 8 * DAY, CANCELLED)], config) is None
    single = PenaltyConfig(no_shows_in_a_row=1)
    assert booking_block_until([(T0, NO_SHOW)], single) == T0 + 14 * DAY


outcomes = st.sampled_from(Outcome)


@st.composite
def histories(draw: st.DrawFn, *, tail: list[Outcome] | None = None) -> list:
    kinds = draw(st.lists(outcomes, max_size=8)) + (tail or [])
    gaps = draw(st.lists(st.integers(1, 40 * 24 * 4), min_size=len(kinds), max_size=len(kinds)))
    at, history = T0, []
    for kind, gap in zip(kinds, gaps, strict=True):
        at += gap * 15 * MINUTE
        history.append((at, kind))
    return history


@PROPERTY
@given(st.data(), st.integers(1, 4))
def test_n_no_shows_in_a_row_block_whatever_cancellations_come_between(data, n):
    config = PenaltyConfig(no_shows_in_a_row=n)
    between = [
        kind
        for _ in range(n)
        for kind in [*data.draw(st.lists(st.just(CANCELLED), max_size=2)), NO_SHOW]
    ]
    history = data.draw(histories(tail=between))
    assert booking_block_until(history, config) == history[-1][0] + config.block_for


@PROPERTY
@given(histories())
def test_no_block_without_no_shows_or_enough_cancellations(history):
    kinds = [kind for _, kind in history]
    if NO_SHOW not in kinds and kinds.count(CANCELLED) < PenaltyConfig().cancellations:
        assert booking_block_until(history) is None
    until = booking_block_until(history)
    assert until is None or until == history[-1][0] + PenaltyConfig().block_for


@pytest.mark.parametrize(
    "history",
    [
        [(0, NO_SHOW), (DAY, NO_SHOW), (2 * DAY, SHOWED)],
        [(0, NO_SHOW), (DAY, NO_SHOW), (2 * DAY, CANCELLED)],
        [(0, CANCELLED), (DAY, CANCELLED), (2 * DAY, SHOWED)],
        [(0, CANCELLED), (DAY, CANCELLED), (2 * DAY, NO_SHOW)],
    ],
)
def test_the_block_is_the_one_the_latest_outcome_earns(history):
    """The function answers "does this new outcome earn a block?": the caller records each
    block when it is earned (queueing.services), so a later outcome that earns none does not
    lift it."""
    history = [(T0 + at, outcome) for at, outcome in history]
    assert booking_block_until(history[:-1]) == T0 + 15 * DAY
    assert booking_block_until(history) is None


# ---------------------------------------------------------------------------------------------
# 12. Slot window boundaries
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrived", "fit"),
    [
        (-30 * MINUTE - 0.25, SlotFit.EARLY),
        (-30 * MINUTE, SlotFit.IN_WINDOW),
        (0.0, SlotFit.IN_WINDOW),
        (HOUR + 30 * MINUTE, SlotFit.IN_WINDOW),
        (HOUR + 30 * MINUTE + 0.25, SlotFit.LATE),
    ],
)
def test_slot_fit_boundaries_are_inclusive(arrived, fit):
    assert slot_fit(T0 + arrived, T0) is fit


@PROPERTY
@given(moments, configs)
def test_slot_fit_edges_for_any_config(slot_start, config):
    opens = slot_start - config.slot_grace
    closes = slot_start + config.slot_length + config.slot_grace
    assert slot_fit(opens - 0.25, slot_start, config) is SlotFit.EARLY
    assert slot_fit(opens, slot_start, config) is SlotFit.IN_WINDOW
    assert slot_fit(closes, slot_start, config) is SlotFit.IN_WINDOW
    assert slot_fit(closes + 0.25, slot_start, config) is SlotFit.LATE


@PROPERTY
@given(moments, moments, configs)
def test_slot_fit_is_monotonic_in_arrival(slot_start, arrived, config):
    rank = {SlotFit.EARLY: 0, SlotFit.IN_WINDOW: 1, SlotFit.LATE: 2}
    later = arrived + 15 * MINUTE
    assert rank[slot_fit(arrived, slot_start, config)] <= rank[slot_fit(later, slot_start, config)]
