"""The twin's call-up forecast on the live queue (domain.md §10): read a passage into the twin's
``LiveState``, run ``twin.forecast.forecast_calls`` and keep each waiting truck's P50 and P90
for the trip page, the driver page, the enterprise's list and the API (``selectors.queue_places``
shows them while they are fresh, the plan's simple estimate otherwise).

The worker calls ``forecasts_refresh_all`` every ``CUAKHAU_FORECAST_INTERVAL_SECONDS``. The runs
take a second or so and happen outside any transaction; the write is one short transaction on the
forecasts' own table. A refresh never writes the queue's rows nor takes their locks, so the
dispatcher calling trucks meanwhile loses nothing: a forecast made before a truck was called,
moved up or returned after a no-show is simply not shown for it (``selectors``).
"""

from __future__ import annotations

import time as monotonic
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from cuakhau.declarations.lifecycle import EXPORT, TripState
from cuakhau.gates import capacity as plan
from cuakhau.gates.models import CapacityPlan, PartnerQuota
from cuakhau.queueing.capacity import INSIDE_STATES, hour_plans, policy_config, quotas_left
from cuakhau.queueing.models import (
    CallForecast,
    CallUp,
    EnterpriseOutcome,
    QueueEntry,
    SlotBooking,
)
from cuakhau.queueing.policy import Outcome
from cuakhau.queueing.services import waiting_trucks
from cuakhau.twin.forecast import DEFAULT_CALL_TO_LEAVE, LiveState, forecast_calls

HORIZON_HOURS = 72  # as the simple estimate's (selectors.PREDICTION_HOURS)
REPLICATIONS = 50
HISTORY_DAYS = 28  # arrivals, no-shows and stays are estimated from these last days
STAY_SAMPLES = 500  # the most recent calls whose time to leaving the control area is drawn from
MIN_STAYS = 10  # fewer observed stays than this: the twin's default (45 minutes) instead
# No-shows: the observed share, pulled towards this prior as if it came from PRIOR_CALLS calls,
# so that a passage's first few calls do not make it 0 % or 50 %.
NO_SHOW_PRIOR = 0.02
PRIOR_CALLS = 20


@dataclass(frozen=True, slots=True)
class ForecastRefresh:
    passage_id: int
    direction: str
    computed_at: datetime
    trucks: int  # waiting trucks forecast
    duration_ms: float


def forecast_refresh(
    passage_id: int,
    direction: str,
    *,
    now: datetime | None = None,
    replications: int = REPLICATIONS,
    seed: int = 0,
) -> ForecastRefresh:
    """Forecast every waiting truck's call-up at one passage and direction, and store it.

    A paused passage, or one without room in its control area, calls nobody: its forecasts are
    removed and the pages say what the plan says. The same queue and seed give the same forecast,
    so it does not flicker from one refresh to the next when nothing changed."""
    started = monotonic.perf_counter()
    now = now or timezone.now()
    capacity_plan = CapacityPlan.objects.select_related("passage").get(
        passage_id=passage_id, direction=direction
    )
    state = live_state(capacity_plan, now)
    results = (
        forecast_calls(state, replications=replications, seed=seed, horizon_hours=HORIZON_HOURS)
        if state is not None
        else {}
    )
    rows = [
        CallForecast(
            trip_id=trip_id,
            passage_id=passage_id,
            direction=direction,
            p50_at=_moment(forecast.p50),
            p90_at=_moment(forecast.p90),
            called_share=forecast.called_share,
            computed_at=now,
        )
        for trip_id, forecast in results.items()
    ]
    with transaction.atomic(durable=True):
        if rows:
            CallForecast.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["trip"],
                update_fields=[
                    "passage",
                    "direction",
                    "p50_at",
                    "p90_at",
                    "called_share",
                    "computed_at",
                ],
            )
        # Trucks no longer waiting (a later refresh's rows are newer and stay).
        CallForecast.objects.filter(
            passage_id=passage_id, direction=direction, computed_at__lt=now
        ).delete()
    return ForecastRefresh(
        passage_id=passage_id,
        direction=direction,
        computed_at=now,
        trucks=len(rows),
        duration_ms=round((monotonic.perf_counter() - started) * 1000, 2),
    )


def forecasts_refresh_all(*, now: datetime | None = None) -> list[ForecastRefresh]:
    """The scheduled refresh: every export passage with a plan, as ``dispatch_all`` dispatches."""
    now = now or timezone.now()
    return [
        forecast_refresh(passage_id, direction, now=now)
        for passage_id, direction in CapacityPlan.objects.filter(
            direction=EXPORT, passage__is_active=True
        )
        .order_by("pk")
        .values_list("passage_id", "direction")
    ]


def live_state(capacity_plan: CapacityPlan, now: datetime) -> LiveState | None:
    """The passage now, as the twin's forecast reads it; ``None`` when it can call nobody."""
    if capacity_plan.is_paused or capacity_plan.control_area_room <= 0:
        return None
    passage = capacity_plan.passage
    direction = capacity_plan.direction
    # The forecast assumes an unpaid fee is paid by the truck's turn: the driver is told when
    # the call can come, and a truck held for its fee would otherwise be "never".
    waiting = waiting_trucks(passage.pk, direction)
    first_hour = plan.hour_floor(now)
    hours = HORIZON_HOURS + 1
    reserved = _bookings_to_come(capacity_plan, now)
    hour_calls = [
        max(0, hour.calls - reserved.get(hour.start, 0))
        for hour in hour_plans(capacity_plan, first_hour, hours)
    ]
    inside_since = QueueEntry.objects.filter(
        passage_id=passage.pk,
        direction=direction,
        status__in=(QueueEntry.Status.CALLED, QueueEntry.Status.DONE),
        trip__state__in=INSIDE_STATES,
    ).values_list("called_at", flat=True)
    since = now - timedelta(days=HISTORY_DAYS)
    stays = _stays(capacity_plan, since)
    return LiveState(
        now=now.timestamp(),
        waiting=waiting,
        hour_calls=hour_calls,
        arrivals=_arrival_rates(capacity_plan, now, since, hours),
        calls_this_hour=CallUp.objects.filter(
            passage_id=passage.pk, direction=direction, at__gte=first_hour
        ).count(),
        room=capacity_plan.control_area_room,
        inside_elapsed=[
            max(0.0, (now - called_at).total_seconds()) if called_at else 0.0
            for called_at in inside_since
        ],
        quotas_left=quotas_left(passage.gate_id, direction, now),
        quotas_ahead=_quotas_ahead(passage.gate_id, direction, now),
        no_show_probability=_no_show_share(capacity_plan, since),
        call_expiry=settings.CUAKHAU_CALL_EXPIRY_MINUTES * 60.0,
        config=policy_config(),
        dispatch_interval=float(settings.CUAKHAU_DISPATCH_INTERVAL_SECONDS),
        call_to_leave=stays if len(stays) >= MIN_STAYS else (DEFAULT_CALL_TO_LEAVE,),
    )


def _bookings_to_come(capacity_plan: CapacityPlan, now: datetime) -> dict[datetime, int]:
    """Booked slots whose trucks have not arrived yet, by hour: their calls are reserved. A
    window still open from an earlier hour counts against the current one."""
    config = policy_config()
    current = plan.hour_floor(now)
    still_open = now - timedelta(seconds=config.slot_length + config.slot_grace)
    counts: dict[datetime, int] = {}
    for start, n in (
        SlotBooking.objects.filter(
            slot_hour__passage_id=capacity_plan.passage_id,
            slot_hour__direction=capacity_plan.direction,
            status=SlotBooking.Status.BOOKED,
            start__gt=still_open,
            start__lt=current + timedelta(hours=HORIZON_HOURS + 1),
        )
        .values_list("start")
        .annotate(n=Count("pk"))
        .values_list("start", "n")
    ):
        hour = max(start, current)
        counts[hour] = counts.get(hour, 0) + n
    return counts


def _arrival_rates(
    capacity_plan: CapacityPlan, now: datetime, since: datetime, hours: int
) -> list[dict[str, float]]:
    """Expected arrivals without a booking in each coming hour, by goods group: the count seen
    at that hour of the week over the history, divided by how often that hour came round (the
    same hour of any day while the history is shorter than a week). No history: none."""
    current = plan.hour_floor(now)
    history = QueueEntry.objects.filter(
        passage_id=capacity_plan.passage_id,
        direction=capacity_plan.direction,
        joined_at__gte=since,
        joined_at__lt=current,
    )
    first = history.aggregate(first=Min("joined_at"))["first"]
    if first is None:
        return []
    by_week: dict[tuple[int, int], dict[str, int]] = {}
    by_day: dict[int, dict[str, int]] = {}
    for weekday, hour, group, n in (
        history.filter(slot_start__isnull=True)
        .annotate(
            weekday=ExtractIsoWeekDay("joined_at", tzinfo=plan.VIETNAM),
            hour=ExtractHour("joined_at", tzinfo=plan.VIETNAM),
        )
        .values_list("weekday", "hour", "goods_group")
        .annotate(n=Count("pk"))
        .values_list("weekday", "hour", "goods_group", "n")
    ):
        week_counts = by_week.setdefault((weekday, hour), {})
        week_counts[group] = week_counts.get(group, 0) + n
        day_counts = by_day.setdefault(hour, {})
        day_counts[group] = day_counts.get(group, 0) + n
    # How often each hour of the week (and of the day) came round in the history.
    seen_week: dict[tuple[int, int], int] = {}
    seen_day: dict[int, int] = {}
    moment = plan.hour_floor(first).astimezone(plan.VIETNAM)
    while moment < current:
        key = (moment.isoweekday(), moment.hour)
        seen_week[key] = seen_week.get(key, 0) + 1
        seen_day[moment.hour] = seen_day.get(moment.hour, 0) + 1
        moment += plan.HOUR
    rates = []
    for i in range(hours):
        local = (current + i * plan.HOUR).astimezone(plan.VIETNAM)
        key = (local.isoweekday(), local.hour)
        counts: Mapping[str, int]
        if seen_week.get(key):
            counts, times = by_week.get(key, {}), seen_week[key]
        else:
            counts, times = by_day.get(local.hour, {}), seen_day.get(local.hour, 0)
        rates.append({group: n / times for group, n in counts.items()} if times else {})
    return rates


def _stays(capacity_plan: CapacityPlan, since: datetime) -> list[float]:
    """Seconds from the latest call to leaving the control area (departed or refused) of the
    most recent trucks."""
    rows = (
        QueueEntry.objects.filter(
            passage_id=capacity_plan.passage_id,
            direction=capacity_plan.direction,
            status=QueueEntry.Status.DONE,
            called_at__gte=since,
            trip__state__in=(TripState.DEPARTED, TripState.REFUSED),
        )
        .order_by("-called_at")
        .values_list("called_at", "trip__state_changed_at")[:STAY_SAMPLES]
    )
    return [
        seconds
        for called_at, left_at in rows
        if (seconds := (left_at - called_at).total_seconds()) > 0
    ]


def _no_show_share(capacity_plan: CapacityPlan, since: datetime) -> float:
    counts = dict(
        EnterpriseOutcome.objects.filter(
            at__gte=since,
            kind__in=(Outcome.SHOWED.value, Outcome.NO_SHOW.value),
            trip__declaration__passage_id=capacity_plan.passage_id,
            trip__declaration__direction=capacity_plan.direction,
        )
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    no_shows = counts.get(Outcome.NO_SHOW.value, 0)
    calls = no_shows + counts.get(Outcome.SHOWED.value, 0)
    return (no_shows + NO_SHOW_PRIOR * PRIOR_CALLS) / (calls + PRIOR_CALLS)


def _quotas_ahead(gate_id: int, direction: str, now: datetime) -> dict[date, dict[str, int]]:
    """The partner side's acceptance recorded for the coming days (today's is ``quotas_left``)."""
    today = now.astimezone(plan.VIETNAM).date()
    ahead: dict[date, dict[str, int]] = {}
    for day, group, trucks in PartnerQuota.objects.filter(
        gate_id=gate_id,
        direction=direction,
        day__gt=today,
        day__lte=today + timedelta(days=HORIZON_HOURS // 24 + 1),
    ).values_list("day", "goods_group", "trucks"):
        ahead.setdefault(day, {})[group] = trucks
    return ahead


def _moment(seconds: float | None) -> datetime | None:
    """A forecast time to the second (finer means nothing here)."""
    return None if seconds is None else datetime.fromtimestamp(round(seconds), tz=plan.VIETNAM)
