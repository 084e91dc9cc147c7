"""Capacity and calendars as plain functions: calls per hour, working hours, closures, extended
hours, operators' overrides, and both sides' local times."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cuakhau.gates.capacity import (
    ALWAYS_OPEN,
    VIETNAM,
    CalendarException,
    ExceptionKind,
    both_local_times,
    calls_per_hour,
    open_fraction,
    open_minutes,
    plan_hours,
    slot_capacity,
)

DAY_SHIFT = {day: ((time(7, 0), time(19, 0)),) for day in range(7)}


def at(hour: int, minute: int = 0, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=VIETNAM)


def test_calls_per_hour_is_lanes_times_sixty_over_minutes_per_vehicle():
    assert calls_per_hour(3, 5) == 36
    assert calls_per_hour(2, 6) == 20
    assert calls_per_hour(1, 7) == 8  # 8.57: a started vehicle is not a call
    assert calls_per_hour(0, 5) == 0
    assert calls_per_hour(2, 0) == 0


def test_working_hours_open_and_close_on_the_minute():
    assert open_fraction(at(6), DAY_SHIFT) == 0
    assert open_fraction(at(7), DAY_SHIFT) == 1
    assert open_fraction(at(18), DAY_SHIFT) == 1
    assert open_fraction(at(19), DAY_SHIFT) == 0
    half = {0: ((time(7, 30), time(19, 0)),)}  # Monday 23/11/2026
    assert open_fraction(at(7), half) == 0.5
    assert open_minutes(at(7), half)[29:31] == [False, True]


def test_midnight_as_an_end_means_the_end_of_the_day():
    evening = {0: ((time(22, 0), time(0, 0)),)}
    assert open_fraction(at(23), evening) == 1
    assert open_fraction(at(21), evening) == 0


def test_closures_win_over_working_and_extended_hours():
    closure = CalendarException(ExceptionKind.CLOSURE, at(10, 15), at(10, 45))
    extended = CalendarException(ExceptionKind.EXTENDED, at(19), at(22))
    assert open_fraction(at(10), DAY_SHIFT, [closure]) == 0.5
    assert open_fraction(at(20), DAY_SHIFT, [extended]) == 1
    both = [extended, CalendarException(ExceptionKind.CLOSURE, at(20, 30), at(23))]
    assert open_fraction(at(20), DAY_SHIFT, both) == 0.5


def test_plan_hours_scales_by_the_open_share_and_takes_overrides_as_given():
    plans = plan_hours(
        at(6),
        3,
        base_calls=36,
        weekly={0: ((time(7, 30), time(19, 0)),)},
        overrides={at(8): 50},
    )
    assert [(p.calls, p.overridden) for p in plans] == [(0, False), (18, False), (50, True)]


def test_slot_capacity_keeps_the_rest_of_the_hour_for_the_living_queue():
    assert slot_capacity(36, 50) == 18
    assert slot_capacity(7, 50) == 3
    assert slot_capacity(10, 0) == 0
    assert slot_capacity(10, 150) == 10


def test_both_sides_local_times_differ_by_one_hour():
    assert both_local_times(at(7)) == ("07:00 23/11", "08:00 23/11")
    assert both_local_times(at(23, 30)) == ("23:30 23/11", "00:30 24/11")


@given(
    st.integers(min_value=0, max_value=23),
    st.lists(
        st.tuples(
            st.sampled_from(list(ExceptionKind)),
            st.integers(min_value=0, max_value=24 * 60),
            st.integers(min_value=1, max_value=6 * 60),
        ),
        max_size=4,
    ),
)
def test_the_open_share_is_a_fraction_and_always_open_is_whole(hour, raw):
    exceptions = [
        CalendarException(kind, at(0) + timedelta(minutes=s), at(0) + timedelta(minutes=s + d))
        for kind, s, d in raw
    ]
    share = open_fraction(at(hour), DAY_SHIFT, exceptions)
    assert 0 <= share <= 1
    if not any(e.kind is ExceptionKind.CLOSURE for e in exceptions):
        assert open_fraction(at(hour), ALWAYS_OPEN, exceptions) == 1
