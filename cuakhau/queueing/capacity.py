"""Reading a passage's capacity and calendar from the database into the pure plan (gates.capacity)
and the policy's ``Capacity``. Reads only; the dispatcher calls it under its plan-row lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Q

from cuakhau.declarations.lifecycle import TripState
from cuakhau.gates import capacity as plan
from cuakhau.gates.models import (
    CalendarEntry,
    CapacityOverride,
    CapacityPlan,
    PartnerQuota,
    WorkingHours,
)
from cuakhau.queueing.models import CallUp, QueueEntry, SlotHour
from cuakhau.queueing.policy import (
    Capacity,
    Hold,
    HourCapacity,
    PenaltyConfig,
    PolicyConfig,
)

# Trips of a passage that take room in the control area: called and on their way, or inside.
INSIDE_STATES = (TripState.CALLED, TripState.AT_GATE, TripState.HELD, TripState.CLEARED)


def policy_config() -> PolicyConfig:
    return PolicyConfig(
        green_lead=settings.CUAKHAU_GREEN_LANE_LEAD_MINUTES * 60.0,
        slot_length=3600.0,
        slot_grace=settings.CUAKHAU_SLOT_GRACE_MINUTES * 60.0,
    )


def penalty_config() -> PenaltyConfig:
    day = 24 * 3600.0
    return PenaltyConfig(
        no_shows_in_a_row=settings.CUAKHAU_NO_SHOWS_TO_BLOCK,
        cancellations=settings.CUAKHAU_CANCELLATIONS_TO_BLOCK,
        cancellation_window=30 * day,
        block_for=settings.CUAKHAU_BOOKING_BLOCK_DAYS * day,
    )


def weekly_hours(gate_id: int) -> plan.WeeklyHours:
    """The gate's regular hours; a gate without any is open around the clock."""
    rows = list(
        WorkingHours.objects.filter(gate_id=gate_id).values_list("weekday", "opens", "closes")
    )
    if not rows:
        return plan.ALWAYS_OPEN
    weekly: dict[int, list[tuple[time, time]]] = {}
    for weekday, opens, closes in rows:
        weekly.setdefault(weekday, []).append((opens, closes))
    return weekly


def calendar_exceptions(
    gate_id: int, passage_id: int, start: datetime, end: datetime
) -> list[plan.CalendarException]:
    rows = CalendarEntry.objects.filter(
        Q(passage_id=passage_id) | Q(passage__isnull=True),
        gate_id=gate_id,
        starts_at__lt=end,
        ends_at__gt=start,
    ).values_list("kind", "starts_at", "ends_at")
    return [plan.CalendarException(plan.ExceptionKind(k), s, e) for k, s, e in rows]


def hour_plans(
    capacity_plan: CapacityPlan, first_hour: datetime, hours: int
) -> list[plan.HourPlan]:
    """The plan's calls for ``hours`` hours from ``first_hour``, calendar and overrides applied."""
    passage = capacity_plan.passage
    end = first_hour + timedelta(hours=hours)
    overrides = dict(
        CapacityOverride.objects.filter(
            passage_id=passage.pk,
            direction=capacity_plan.direction,
            hour_start__gte=first_hour,
            hour_start__lt=end,
        ).values_list("hour_start", "calls")
    )
    return plan.plan_hours(
        first_hour,
        hours,
        base_calls=base_calls(capacity_plan),
        weekly=weekly_hours(passage.gate_id),
        exceptions=calendar_exceptions(passage.gate_id, passage.pk, first_hour, end),
        overrides=overrides,
    )


def base_calls(capacity_plan: CapacityPlan) -> int:
    return plan.calls_per_hour(capacity_plan.lanes_open, float(capacity_plan.minutes_per_vehicle))


@dataclass(frozen=True, slots=True)
class CapacityNow:
    capacity: Capacity
    hour: plan.HourPlan
    calls_this_hour: int
    inside: int
    open_now: bool

    def as_json(self) -> dict[str, object]:
        return {
            "hour_calls": self.hour.calls,
            "calls_this_hour": self.calls_this_hour,
            "calls_left": self.capacity.calls,
            "room": self.capacity.room,
            "inside": self.inside,
            "quotas_left": dict(self.capacity.quotas),
            "hold": self.capacity.hold.value if self.capacity.hold else None,
        }


def capacity_now(capacity_plan: CapacityPlan, now: datetime) -> CapacityNow:
    """What the passage may call at ``now``: the hour's calls left, the control area's room, the
    partner side's remaining acceptance today, and whether it is paused or closed."""
    passage = capacity_plan.passage
    direction = capacity_plan.direction
    hour_start = plan.hour_floor(now)
    hour = hour_plans(capacity_plan, hour_start, 1)[0]
    minute = int((now - hour_start).total_seconds() // 60)
    open_now = plan.open_minutes(
        hour_start,
        weekly_hours(passage.gate_id),
        calendar_exceptions(passage.gate_id, passage.pk, hour_start, hour_start + plan.HOUR),
    )[minute]
    calls_this_hour = CallUp.objects.filter(
        passage_id=passage.pk, direction=direction, at__gte=hour_start
    ).count()
    inside = inside_count(passage.pk, direction)
    hold = None
    if capacity_plan.is_paused:
        hold = Hold.PAUSED
    elif not open_now and not hour.overridden:
        hold = Hold.CLOSED
    capacity = Capacity(
        calls=max(0, hour.calls - calls_this_hour),
        room=max(0, capacity_plan.control_area_room - inside),
        quotas=quotas_left(passage.gate_id, direction, now),
        hold=hold,
    )
    return CapacityNow(capacity, hour, calls_this_hour, inside, open_now)


def inside_count(passage_id: int, direction: str) -> int:
    return QueueEntry.objects.filter(
        passage_id=passage_id,
        direction=direction,
        status__in=(QueueEntry.Status.CALLED, QueueEntry.Status.DONE),
        trip__state__in=INSIDE_STATES,
    ).count()


def local_day_start(now: datetime) -> datetime:
    local = now.astimezone(plan.VIETNAM)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def quotas_left(gate_id: int, direction: str, now: datetime) -> dict[str, int]:
    """The partner side's acceptance today per goods group, minus the calls already made."""
    day_start = local_day_start(now)
    quotas = dict(
        PartnerQuota.objects.filter(
            gate_id=gate_id, direction=direction, day=day_start.date()
        ).values_list("goods_group", "trucks")
    )
    if not quotas:
        return {}
    used = dict(
        CallUp.objects.filter(
            gate_id_cache=gate_id,
            direction=direction,
            at__gte=day_start,
            goods_group__in=list(quotas),
        )
        .values_list("goods_group")
        .annotate(n=Count("pk"))
        .values_list("goods_group", "n")
    )
    return {group: max(0, trucks - used.get(group, 0)) for group, trucks in quotas.items()}


def living_queue_hours(
    capacity_plan: CapacityPlan, now: datetime, hours: int
) -> list[HourCapacity]:
    """Calls each coming hour leaves for trucks already waiting: the plan's calls minus the slots
    booked by trucks not yet here (they will go first), for the prediction of call-up times."""
    first = plan.hour_floor(now)
    plans = hour_plans(capacity_plan, first, hours)
    booked = dict(
        SlotHour.objects.filter(
            passage_id=capacity_plan.passage_id,
            direction=capacity_plan.direction,
            start__gte=first,
            start__lt=first + timedelta(hours=hours),
        ).values_list("start", "booked")
    )
    result = []
    for hour in plans:
        calls = hour.calls - booked.get(hour.start, 0)
        if hour.start == first:
            made = CallUp.objects.filter(
                passage_id=capacity_plan.passage_id,
                direction=capacity_plan.direction,
                at__gte=first,
            ).count()
            calls = max(0, calls - made)
            result.append(HourCapacity(first.timestamp(), calls))
            continue
        result.append(HourCapacity(hour.start.timestamp(), max(0, calls)))
    if capacity_plan.is_paused:
        return []
    return result
