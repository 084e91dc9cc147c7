"""The forecast from the live queue: the twin started from a passage's state tells each waiting
truck when it will be called, the live policy's order and the plan's calls built in."""

from __future__ import annotations

from datetime import datetime

import pytest

from cuakhau.gates.capacity import VIETNAM
from cuakhau.queueing.policy import DEFAULT_CONFIG, PriorityClass, WaitingTruck, ordered
from cuakhau.twin.forecast import LiveState, example_state, forecast_calls

GREEN, ORDINARY = PriorityClass.GREEN, PriorityClass.ORDINARY


def at(hour: int, minute: int = 0, day: int = 8) -> float:
    """A Vietnam wall-clock time in January 2025, as a Unix time."""
    return datetime(2025, 1, day, hour, minute, tzinfo=VIETNAM).timestamp()


def truck(
    trip_id: int, arrived: float, priority: PriorityClass = ORDINARY, **extra
) -> WaitingTruck:
    group = "fruit" if priority is GREEN else "general"
    return WaitingTruck(trip_id, arrived, priority, group, **extra)


def fixed(now: float, waiting: list[WaitingTruck], hour_calls: list[int], **extra) -> LiveState:
    """No arrivals, no no-shows, every truck ten minutes from its call to leaving."""
    return LiveState(now=now, waiting=waiting, hour_calls=hour_calls, call_to_leave=[600], **extra)


def times(forecast):
    return {trip: (f.p50, f.p90) for trip, f in forecast.items()}


def test_without_chance_the_forecast_is_the_policys_order_through_the_hours_calls():
    # Given at 10:20: one call left this hour, two at 11:00, closed at 12:00, two an hour after
    now = at(10, 20)
    waiting = [
        truck(1, at(9, 0)),  # living queue
        truck(2, at(10, 0), GREEN),  # green lane: counts from 08:00, ahead of truck 1
        truck(3, at(10, 5), slot_start=at(10)),  # booked, arrived in its window
        truck(4, at(9, 30)),
        truck(5, at(10, 10), slot_start=at(13)),  # booked for 13:00: waits for 12:30
        truck(6, at(10, 15), override_at=at(10, 18)),  # an operator's priority
    ]
    state = fixed(now, waiting, [3, 2, 0, 2, 2, 2], calls_this_hour=2)

    # When
    forecast = forecast_calls(state, replications=3)

    # Then, worked out by hand from the policy: override, slot, (early slot held), green, queue
    assert times(forecast) == {
        6: (now, now),
        3: (at(11), at(11)),
        2: (at(11), at(11)),
        5: (at(13), at(13)),
        1: (at(13), at(13)),
        4: (at(14), at(14)),
    }
    assert all(f.called_share == 1.0 for f in forecast.values())


def test_a_full_control_area_calls_the_next_truck_when_one_inside_leaves():
    now = at(10, 20)
    waiting = [truck(1, at(9)), truck(2, at(9, 5))]
    # Two places, both taken: one truck called 5 and one 8 minutes ago (10 minutes each).
    state = fixed(now, waiting, [20] * 4, room=2, inside_elapsed=[300, 480])

    forecast = forecast_calls(state, replications=2)

    assert times(forecast) == {1: (now + 120, now + 120), 2: (now + 300, now + 300)}


def test_a_closed_night_moves_the_calls_to_the_opening():
    # At 21:40 this hour's calls are used up; the passage is closed 22:00–07:00.
    now = at(21, 40)
    hours = [10] + [0] * 9 + [10] * 15
    waiting = [truck(i, at(20, i)) for i in range(1, 13)]
    night_arrivals = [{"general": 4.0}] * 10
    state = LiveState(
        now=now,
        waiting=waiting,
        hour_calls=hours,
        calls_this_hour=10,
        arrivals=night_arrivals,
        call_to_leave=[600, 900, 1800],
    )

    forecast = forecast_calls(state, replications=20)

    opening = at(7, 0, day=9)
    assert {f.p50 for trip, f in forecast.items() if trip <= 10} == {opening}
    assert {f.p90 for trip, f in forecast.items() if trip <= 10} == {opening}
    assert {f.p50 for trip, f in forecast.items() if trip > 10} == {at(8, 0, day=9)}


def test_green_trucks_arriving_later_can_overtake_so_an_ordinary_trucks_p90_is_later():
    # Six calls now, four at 11:00: trucks 1–6 go now, 7 and truck 8 at 11:00 — unless three or
    # more green trucks arrive before then (one run in three, at three an hour): a green truck
    # counts from two hours before its arrival, ahead of every truck here.
    now = at(10, 20)
    waiting = [truck(i, at(9, i)) for i in range(1, 8)] + [truck(8, at(10, 10))]
    hours = [6] + [4] * 11
    quiet = fixed(now, waiting, hours)
    busy = LiveState(
        now=now,
        waiting=waiting,
        hour_calls=hours,
        arrivals=[{"fruit": 3.0, "general": 10.0}] * 12,
        call_to_leave=[600],
    )

    alone = forecast_calls(quiet, replications=10)[8]
    overtaken = forecast_calls(busy, replications=200, seed=3)

    assert (alone.p50, alone.p90) == (at(11), at(11))
    assert overtaken[8].p50 == at(11)
    assert overtaken[8].p90 is not None and overtaken[8].p90 >= at(12)
    # Ordinary arrivals never pass a truck already waiting, and nobody passes the first six.
    assert {overtaken[i].p90 for i in range(1, 7)} == {now}


def test_trucks_not_called_within_the_horizon_are_said_to_be_later():
    now = at(10, 20)
    waiting = [truck(i, at(9, i)) for i in range(1, 11)]
    state = fixed(now, waiting, [1] * 100)

    forecast = forecast_calls(state, replications=5, horizon_hours=4)

    # 10:20, 11:00, 12:00, 13:00, 14:00 — the horizon ends at 14:20.
    assert [forecast[i].p50 for i in range(1, 6)] == [now, at(11), at(12), at(13), at(14)]
    assert all(forecast[i].p50 is None and forecast[i].p90 is None for i in range(6, 11))
    assert [forecast[i].called_share for i in (5, 6)] == [1.0, 0.0]


def test_p90_is_unknown_when_more_than_a_tenth_of_the_runs_call_too_late():
    # One place in the control area, an hour from call to leaving, closed from 11:00. Truck 1 is
    # called now; truck 2 only if truck 1 does not come (half of the calls here) and its call
    # expires after 30 minutes.
    now = at(10, 20)
    waiting = [truck(1, at(9, 1)), truck(2, at(9, 2))]
    state = LiveState(
        now=now,
        waiting=waiting,
        hour_calls=[3, 0, 0, 0],
        room=1,
        call_to_leave=[3600],
        no_show_probability=0.5,
    )

    forecast = forecast_calls(state, replications=100, horizon_hours=3)

    assert (forecast[1].p50, forecast[1].p90, forecast[1].called_share) == (now, now, 1.0)
    share = forecast[2].called_share
    assert 0.3 < share < 0.7
    assert forecast[2].p90 is None
    assert forecast[2].p50 == (at(10, 50) if share >= 0.5 else None)


def test_the_same_seed_gives_the_same_forecast_and_p50_never_exceeds_p90():
    state = example_state(300, seed=4)

    first = forecast_calls(state, replications=20, seed=7)
    again = forecast_calls(state, replications=20, seed=7)
    other = forecast_calls(state, replications=20, seed=8)
    in_two_processes = forecast_calls(state, replications=20, seed=7, workers=2)

    assert first == again == in_two_processes
    assert first != other
    assert len(first) == 300
    assert all(f.p50 is not None and f.p90 is not None for f in first.values())
    assert all(f.p50 <= f.p90 for f in first.values())  # type: ignore[operator]
    assert all(f.p50 >= state.now for f in first.values())  # type: ignore[operator]


def test_trucks_are_predicted_in_the_policys_order():
    # Stays in the control area vary and room binds, but nothing lets a truck pass another:
    # no arrivals, no quotas, no booked windows still to open.
    state = example_state(400, seed=5)
    waiting = [
        WaitingTruck(t.trip_id, t.arrived_at, t.priority, t.goods_group, override_at=t.override_at)
        for t in state.waiting
    ]
    calm = LiveState(
        now=state.now,
        waiting=waiting,
        hour_calls=state.hour_calls,
        room=state.room,
        inside_elapsed=state.inside_elapsed,
        call_to_leave=state.call_to_leave,
    )

    forecast = forecast_calls(calm, replications=10)

    in_order = [forecast[truck.trip_id].p50 for _, truck in ordered(waiting, DEFAULT_CONFIG)]
    assert None not in in_order
    assert in_order == sorted(in_order)  # type: ignore[type-var]
    assert in_order[-1] > in_order[0]  # type: ignore[operator]


def test_an_empty_queue_has_no_forecast():
    assert forecast_calls(fixed(at(10), [], [10]), replications=5) == {}


@pytest.mark.parametrize("waiting", [1, 50])
def test_the_example_state_is_a_busy_passage(waiting):
    state = example_state(waiting)
    assert len(state.waiting) == waiting
    assert state.room == 60 and max(state.hour_calls) == 90
    assert state.hour_calls[:12].count(0) == 0 and 0 in state.hour_calls[12:24]
