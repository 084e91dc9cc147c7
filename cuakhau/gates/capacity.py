"""Capacity and calendars of a passage, as plain data and functions (no Django).

Calls per hour = lanes open × 60 / mean minutes per vehicle (domain.md §6), scaled by the share of
the hour the passage is open: weekly working hours, plus extended hours, minus closures (holidays,
the partner side closed, events). Operators may set an hour's calls outright. The calendar is kept
in Vietnam's time; both sides' local times are shown (Vietnam UTC+7, China UTC+8).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
CHINA = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)


def calls_per_hour(lanes_open: int, minutes_per_vehicle: float) -> int:
    """Vehicles the open lanes clear in an hour."""
    if lanes_open <= 0 or minutes_per_vehicle <= 0:
        return 0
    return int(lanes_open * 60 / minutes_per_vehicle + 1e-9)


class ExceptionKind(StrEnum):
    CLOSURE = "closure"
    EXTENDED = "extended"


@dataclass(frozen=True, slots=True)
class CalendarException:
    kind: ExceptionKind
    starts_at: datetime  # aware
    ends_at: datetime


# Weekday (Monday = 0) → open intervals in Vietnam's local time; an interval may end at 00:00 of
# the next day, written as time(0, 0) in the end position.
WeeklyHours = Mapping[int, Sequence[tuple[time, time]]]

ALWAYS_OPEN: WeeklyHours = {day: ((time(0, 0), time(0, 0)),) for day in range(7)}


def _minutes(start: time, end: time) -> tuple[int, int]:
    begin = start.hour * 60 + start.minute
    finish = end.hour * 60 + end.minute
    return begin, (finish if finish > begin else 24 * 60)


def open_minutes(
    hour_start: datetime, weekly: WeeklyHours, exceptions: Sequence[CalendarException] = ()
) -> list[bool]:
    """Minute by minute, whether the passage is open in the hour from ``hour_start`` (aware, on
    the hour): working hours, plus extended hours, minus closures (closures win)."""
    local = hour_start.astimezone(VIETNAM)
    day_minute = local.hour * 60 + local.minute
    minutes = [False] * 60
    for start, end in weekly.get(local.weekday(), ()):
        begin, finish = _minutes(start, end)
        for m in range(max(begin, day_minute), min(finish, day_minute + 60)):
            minutes[m - day_minute] = True
    hour_end = hour_start + HOUR
    for kind in (ExceptionKind.EXTENDED, ExceptionKind.CLOSURE):
        for exception in exceptions:
            if exception.kind is not kind:
                continue
            begin_at = max(exception.starts_at, hour_start)
            end_at = min(exception.ends_at, hour_end)
            if end_at <= begin_at:
                continue
            first = int((begin_at - hour_start).total_seconds() // 60)
            last = -int(-(end_at - hour_start).total_seconds() // 60)
            for m in range(first, min(last, 60)):
                minutes[m] = kind is ExceptionKind.EXTENDED
    return minutes


def open_fraction(
    hour_start: datetime, weekly: WeeklyHours, exceptions: Sequence[CalendarException] = ()
) -> float:
    """The share of the hour from ``hour_start`` that the passage is open."""
    return sum(open_minutes(hour_start, weekly, exceptions)) / 60


@dataclass(frozen=True, slots=True)
class HourPlan:
    start: datetime
    calls: int  # calls the passage can make in this hour
    open_share: float
    overridden: bool


def plan_hours(
    first_hour: datetime,
    hours: int,
    *,
    base_calls: int,
    weekly: WeeklyHours,
    exceptions: Sequence[CalendarException] = (),
    overrides: Mapping[datetime, int] | None = None,
) -> list[HourPlan]:
    """The calls of ``hours`` consecutive hours from ``first_hour`` (aware, on the hour)."""
    overrides = overrides or {}
    plans = []
    for i in range(hours):
        start = first_hour + i * HOUR
        share = open_fraction(start, weekly, exceptions)
        if start in overrides:
            plans.append(HourPlan(start, max(0, overrides[start]), share, overridden=True))
        else:
            plans.append(HourPlan(start, int(base_calls * share + 1e-9), share, overridden=False))
    return plans


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def slot_capacity(calls: int, slot_share_percent: int) -> int:
    """Calls of an hour that may be booked ahead; the rest is kept for the living queue."""
    return calls * max(0, min(100, slot_share_percent)) // 100


def both_local_times(moment: datetime) -> tuple[str, str]:
    """``moment`` as Vietnam's and China's wall clocks ("HH:MM dd/mm")."""
    fmt = "%H:%M %d/%m"
    return moment.astimezone(VIETNAM).strftime(fmt), moment.astimezone(CHINA).strftime(fmt)
