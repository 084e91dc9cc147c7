"""Reads of the yard queue: a trip's place and predicted call-up, an operator's view of a passage
with the reason each truck waits, a yard's display board, and the public record of calls.

Callers scope trips to the user first (``trips_for``); the board and the audit are public and
carry no personal data beyond the plate a yard's screen shows anyway."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from cuakhau.declarations.lifecycle import TripState
from cuakhau.gates import capacity as plan
from cuakhau.gates.models import CalendarEntry, CapacityPlan, Passage, WorkingHours, Yard
from cuakhau.queueing.capacity import (
    CapacityNow,
    base_calls,
    capacity_now,
    living_queue_hours,
    policy_config,
)
from cuakhau.queueing.models import CallForecast, CallUp, DispatchRun, QueueEntry
from cuakhau.queueing.policy import (
    Hold,
    Tier,
    choose_calls,
    ordered,
    predict_call_times,
)
from cuakhau.queueing.services import waiting_trucks

# How far ahead predictions look: beyond it a truck is told "not within three days".
PREDICTION_HOURS = 72

OrderRow = tuple[int, float, float, int]


@dataclass(frozen=True, slots=True)
class QueuePlace:
    status: str  # waiting | called | done | left
    number: int
    yard: str
    passage: str
    priority: str
    goods_group: str
    joined_at: datetime
    position: int | None = None  # 1 = next to be called
    waiting: int | None = None  # trucks waiting in the passage's queue
    # The expected call: the twin's P50 while its forecast is fresh, else the plan's estimate.
    predicted_call_at: datetime | None = None
    predicted_call_p90_at: datetime | None = None  # the twin's P90 (none from the plan)
    prediction_source: str = ""  # "twin" | "plan" while waiting
    slot_start: datetime | None = None
    slot_fit: str = ""
    called_at: datetime | None = None
    call_rule: str = ""
    call_expires_at: datetime | None = None
    lane: int | None = None
    can_extend: bool = False
    no_shows: int = 0

    @property
    def predicted_range(self) -> bool:
        """Whether the twin's P50 and P90 differ enough to show both (a minute or more)."""
        p50, p90 = self.predicted_call_at, self.predicted_call_p90_at
        return p50 is not None and p90 is not None and (p90 - p50).total_seconds() >= 60


def _order_rows(passage_id: int, direction: str) -> list[OrderRow]:
    """The passage's waiting trucks as sorted order keys (tier, order time, arrival, trip)."""
    rows = (
        QueueEntry.objects.waiting()
        .filter(passage_id=passage_id, direction=direction)
        .values_list("order_tier", "order_time", "joined_at", "trip_id")
    )
    keys = [(tier, when, joined.timestamp(), trip_id) for tier, when, joined, trip_id in rows]
    keys.sort()
    return keys


def queue_places(trip_ids: Iterable[int], *, now: datetime | None = None) -> dict[int, QueuePlace]:
    """Each queued trip's place: position and predicted call-up while waiting, the call while
    called. The prediction is the twin's forecast (P50 and P90) while it is fresh, the plan's
    simple estimate otherwise. A fixed number of queries per passage involved, whatever the
    number of trips."""
    now = now or timezone.now()
    entries = list(
        QueueEntry.objects.filter(trip_id__in=list(trip_ids)).select_related(
            "trip", "yard", "passage"
        )
    )
    places: dict[int, QueuePlace] = {}
    groups: dict[tuple[int, str], list[QueueEntry]] = {}
    for entry in entries:
        if entry.status == QueueEntry.Status.WAITING and entry.trip.state == TripState.ARRIVED:
            groups.setdefault((entry.passage_id, entry.direction), []).append(entry)
        else:
            places[entry.trip_id] = _place(entry)
    if not groups:
        return places
    forecasts = _fresh_forecasts([entry for members in groups.values() for entry in members], now)
    plans = {
        (p.passage_id, p.direction): p
        for p in CapacityPlan.objects.select_related("passage").filter(
            passage_id__in={key[0] for key in groups}
        )
    }
    config = policy_config()
    for (passage_id, direction), members in groups.items():
        keys = _order_rows(passage_id, direction)
        capacity_plan = plans.get((passage_id, direction))
        positions = {
            entry.trip_id: bisect_left(
                keys,
                (entry.order_tier, entry.order_time, entry.joined_at.timestamp(), entry.trip_id),
            )
            + 1
            for entry in members
        }
        planned = [entry for entry in members if entry.trip_id not in forecasts]
        times: list[float | None] = []
        if planned and capacity_plan is not None:
            hours = living_queue_hours(capacity_plan, now, PREDICTION_HOURS)
            furthest = max(positions[entry.trip_id] for entry in planned)
            times = predict_call_times(furthest, now.timestamp(), hours)
        for entry in members:
            position = positions[entry.trip_id]
            forecast = forecasts.get(entry.trip_id)
            if forecast is not None:
                # A forecast call already due is still to come: "now", not a time past.
                p50 = max(forecast.p50_at, now) if forecast.p50_at else None
                p90 = max(forecast.p90_at, p50) if forecast.p90_at and p50 else None
                places[entry.trip_id] = _place(
                    entry,
                    position=position,
                    waiting=len(keys),
                    predicted=p50,
                    p90=p90,
                    source="twin",
                )
                continue
            predicted = times[position - 1] if times else None
            if predicted is not None and entry.order_tier == Tier.SLOT and entry.slot_start:
                # A booked truck that came early waits for its window.
                opens = entry.slot_start.timestamp() - config.slot_grace
                predicted = max(predicted, opens)
            places[entry.trip_id] = _place(
                entry,
                position=position,
                waiting=len(keys),
                predicted=(datetime.fromtimestamp(predicted, tz=now.tzinfo) if predicted else None),
                source="plan",
            )
    return places


def _fresh_forecasts(entries: Sequence[QueueEntry], now: datetime) -> dict[int, CallForecast]:
    """The twin's forecasts still worth showing: younger than the maximum age, and made after
    the truck joined the queue (again, after a no-show) and after any priority it was given."""
    max_age = timedelta(minutes=settings.CUAKHAU_FORECAST_MAX_AGE_MINUTES)
    found = {
        forecast.trip_id: forecast
        for forecast in CallForecast.objects.filter(
            trip_id__in=[entry.trip_id for entry in entries], computed_at__gte=now - max_age
        )
    }
    fresh = {}
    for entry in entries:
        forecast = found.get(entry.trip_id)
        if (
            forecast is not None
            and forecast.computed_at >= entry.joined_at
            and (entry.override_at is None or forecast.computed_at >= entry.override_at)
        ):
            fresh[entry.trip_id] = forecast
    return fresh


def queue_place(trip_id: int, *, now: datetime | None = None) -> QueuePlace | None:
    return queue_places([trip_id], now=now).get(trip_id)


def _place(
    entry: QueueEntry,
    *,
    position: int | None = None,
    waiting: int | None = None,
    predicted: datetime | None = None,
    p90: datetime | None = None,
    source: str = "",
) -> QueuePlace:
    called = entry.status == QueueEntry.Status.CALLED and entry.trip.state == TripState.CALLED
    return QueuePlace(
        status=entry.status,
        number=entry.number,
        yard=entry.yard.code,
        passage=entry.passage.code,
        priority=entry.priority,
        goods_group=entry.goods_group,
        joined_at=entry.joined_at,
        position=position,
        waiting=waiting,
        predicted_call_at=predicted,
        predicted_call_p90_at=p90,
        prediction_source=source,
        slot_start=entry.slot_start,
        slot_fit=entry.slot_fit,
        called_at=entry.called_at if called else None,
        call_rule=entry.call_rule if entry.status != QueueEntry.Status.WAITING else "",
        call_expires_at=entry.call_expires_at if called else None,
        lane=entry.lane if called else None,
        can_extend=called and entry.extended_at is None,
        no_shows=entry.no_shows,
    )


# --- An operator's view of a passage ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueLine:
    position: int
    trip_code: str
    number: int
    tractor_plate: str
    priority: str
    goods_group: str
    joined_at: datetime
    slot_start: datetime | None
    override_reason: str
    would_call: bool
    rule: str  # the rule that would call it now, if it would be called
    hold: str  # why it would wait, if it would


@dataclass(frozen=True, slots=True)
class PassageQueue:
    passage: Passage
    direction: str
    capacity_plan: CapacityPlan
    calls_per_hour: int
    seen: CapacityNow
    lines: list[QueueLine]
    waiting: int
    called: int
    last_runs: list[DispatchRun] = field(default_factory=list)


def passage_queue(
    capacity_plan: CapacityPlan, *, now: datetime | None = None, limit: int = 200
) -> PassageQueue:
    """The passage's queue in call order, each truck with what the dispatcher would do with it
    right now and why (the same policy call as the dispatch cycle, without writing)."""
    now = now or timezone.now()
    passage = capacity_plan.passage
    direction = capacity_plan.direction
    trucks = waiting_trucks(passage.pk, direction)
    seen = capacity_now(capacity_plan, now)
    config = policy_config()
    decision = choose_calls(trucks, seen.capacity, now.timestamp(), config)
    calls = {call.trip_id: call for call in decision.calls}
    queue = ordered(trucks, config)[:limit]
    details = {
        row[0]: row[1:]
        for row in QueueEntry.objects.filter(
            trip_id__in=[truck.trip_id for _, truck in queue]
        ).values_list("trip_id", "trip__code", "number", "trip__tractor_plate", "override_reason")
    }
    lines = []
    for position, (key, truck) in enumerate(queue, start=1):
        code, number, plate, override_reason = details[truck.trip_id]
        call = calls.get(truck.trip_id)
        lines.append(
            QueueLine(
                position=position,
                trip_code=code,
                number=number,
                tractor_plate=plate,
                priority=truck.priority.value,
                goods_group=truck.goods_group,
                joined_at=_at(truck.arrived_at, now),
                slot_start=_at(truck.slot_start, now) if key[0] == Tier.SLOT else None,
                override_reason=override_reason,
                would_call=call is not None,
                rule=call.rule.value if call else "",
                hold=decision.holds.get(truck.trip_id, Hold.CAPACITY).value if not call else "",
            )
        )
    called = QueueEntry.objects.called().filter(passage_id=passage.pk, direction=direction).count()
    runs = list(
        DispatchRun.objects.filter(passage_id=passage.pk, direction=direction).order_by("-at")[:5]
    )
    return PassageQueue(
        passage=passage,
        direction=direction,
        capacity_plan=capacity_plan,
        calls_per_hour=base_calls(capacity_plan),
        seen=seen,
        lines=lines,
        waiting=len(trucks),
        called=called,
        last_runs=runs,
    )


def _at(seconds: float | None, now: datetime) -> datetime:
    assert seconds is not None
    return datetime.fromtimestamp(seconds, tz=now.tzinfo)


# --- The yard's display board ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoardCall:
    tractor_plate: str
    number: int
    lane: int | None
    passage: str
    called_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class BoardNext:
    tractor_plate: str
    number: int
    passage: str
    green: bool
    booked: bool


@dataclass(frozen=True, slots=True)
class BoardLanes:
    passage: Passage
    lanes_open: int
    paused: bool
    pause_reason: str
    open_now: bool


@dataclass(frozen=True, slots=True)
class Board:
    yard: Yard
    called: list[BoardCall]
    upcoming: list[BoardNext]
    lanes: list[BoardLanes]
    waiting: int
    version: str  # changes whenever what the board shows changes


def yard_board(yard: Yard, *, now: datetime | None = None, upcoming: int = 10) -> Board:
    """What the yard's screen shows: trucks called now, the next in line, lanes open."""
    now = now or timezone.now()
    called = [
        BoardCall(plate, number, lane, passage, called_at, expires)
        for plate, number, lane, passage, called_at, expires in QueueEntry.objects.called()
        .filter(yard_id=yard.pk)
        .order_by("-called_at", "number")
        .values_list(
            "trip__tractor_plate", "number", "lane", "passage__code", "called_at", "call_expires_at"
        )[:30]
    ]
    waiting_rows = list(
        QueueEntry.objects.waiting()
        .filter(yard_id=yard.pk)
        .values_list(
            "order_tier",
            "order_time",
            "joined_at",
            "trip_id",
            "trip__tractor_plate",
            "number",
            "passage__code",
            "priority",
            "slot_start",
        )
    )
    waiting_rows.sort(key=lambda row: (row[0], row[1], row[2], row[3]))
    upcoming_rows = [
        BoardNext(plate, number, passage, priority == "green", tier == Tier.SLOT)
        for tier, _, _, _, plate, number, passage, priority, _ in waiting_rows[:upcoming]
    ]
    gate_ids = list(yard.gates.values_list("pk", flat=True))
    lanes = []
    for capacity_plan in CapacityPlan.objects.select_related("passage").filter(
        passage__gate_id__in=gate_ids, direction="export", passage__is_active=True
    ):
        seen = capacity_now(capacity_plan, now)
        lanes.append(
            BoardLanes(
                passage=capacity_plan.passage,
                lanes_open=capacity_plan.lanes_open,
                paused=capacity_plan.is_paused,
                pause_reason=capacity_plan.pause_reason,
                open_now=seen.open_now,
            )
        )
    version = "|".join(
        [
            ",".join(f"{c.number}:{c.lane}:{c.expires_at}" for c in called),
            ",".join(str(n.number) for n in upcoming_rows),
            ",".join(
                f"{lane.lanes_open}{lane.paused}{lane.open_now}{lane.pause_reason}"
                for lane in lanes
            ),
            str(len(waiting_rows)),
        ]
    )
    return Board(yard, called, upcoming_rows, lanes, len(waiting_rows), version)


# --- The public record of calls --------------------------------------------------------------


def call_record(
    passage: Passage, direction: str, day: date, *, limit: int = 1000
) -> Sequence[CallUp]:
    """The calls of one local day at a passage, in order: trip code, rule, and the inputs of the
    order key, so anyone can recompute the order from the published rules."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=plan.VIETNAM)
    return list(
        CallUp.objects.filter(
            passage_id=passage.pk,
            direction=direction,
            at__gte=start,
            at__lt=start + timedelta(days=1),
        ).order_by("at", "pk")[:limit]
    )


# --- Working hours, closures and extended hours ----------------------------------------------

# What the public pages and API show of the calendar ahead.
CALENDAR_DAYS = 14
# A Monday: weekly hours are turned into both sides' clocks on a real date (neither side keeps
# daylight saving time, so any week gives the same answer).
_A_MONDAY = date(2026, 1, 5)


@dataclass(frozen=True, slots=True)
class WeekdayHours:
    weekday: int  # Monday = 0
    opens: time  # Vietnam's time
    closes: time  # 00:00 = midnight at the day's end
    vietnam: str  # "07:00–19:00"
    china: str  # "08:00–20:00"


@dataclass(frozen=True, slots=True)
class HoursSpan:
    """Weekdays in a row with the same hours: "Monday–Sunday, 07:00–19:00"."""

    first: int
    last: int
    vietnam: str
    china: str


@dataclass(frozen=True, slots=True)
class CalendarLine:
    entry: CalendarEntry
    whole_gate: bool
    starts_vietnam: str  # "HH:MM dd/mm"
    starts_china: str
    ends_vietnam: str
    ends_china: str
    ongoing: bool


@dataclass(frozen=True, slots=True)
class GateCalendar:
    gate_id: int
    passage_id: int | None
    start: datetime
    end: datetime
    hours: list[WeekdayHours]  # empty: open around the clock
    entries: list[CalendarLine]

    @property
    def around_the_clock(self) -> bool:
        return not self.hours

    @property
    def spans(self) -> list[HoursSpan]:
        """The week's hours grouped by runs of weekdays with the same hours."""
        by_day: dict[int, tuple[list[str], list[str]]] = {}
        for row in self.hours:
            vietnam, china = by_day.setdefault(row.weekday, ([], []))
            vietnam.append(row.vietnam)
            china.append(row.china)
        spans: list[HoursSpan] = []
        for weekday in sorted(by_day):
            vietnam_text = ", ".join(by_day[weekday][0])
            china_text = ", ".join(by_day[weekday][1])
            last = spans[-1] if spans else None
            if (
                last is not None
                and last.last == weekday - 1
                and (last.vietnam, last.china) == (vietnam_text, china_text)
            ):
                spans[-1] = HoursSpan(last.first, weekday, vietnam_text, china_text)
            else:
                spans.append(HoursSpan(weekday, weekday, vietnam_text, china_text))
        return spans

    @property
    def closures(self) -> list[CalendarLine]:
        return [line for line in self.entries if line.entry.kind == CalendarEntry.Kind.CLOSURE]

    @property
    def extensions(self) -> list[CalendarLine]:
        return [line for line in self.entries if line.entry.kind == CalendarEntry.Kind.EXTENDED]


def _interval(weekday: int, opens: time, closes: time) -> WeekdayHours:
    day = _A_MONDAY + timedelta(days=weekday)
    begin = datetime.combine(day, opens, tzinfo=plan.VIETNAM)
    finish = datetime.combine(day, closes, tzinfo=plan.VIETNAM)
    if finish <= begin:  # 00:00 closes at midnight at the day's end
        finish += timedelta(days=1)

    def label(zone: ZoneInfo) -> str:
        a, b = begin.astimezone(zone), finish.astimezone(zone)
        end = "24:00" if b.time() == time(0) and b.date() > a.date() else b.strftime("%H:%M")
        return f"{a:%H:%M}–{end}"

    return WeekdayHours(weekday, opens, closes, label(plan.VIETNAM), label(plan.CHINA))


def _line(entry: CalendarEntry, now: datetime) -> CalendarLine:
    starts_vietnam, starts_china = plan.both_local_times(entry.starts_at)
    ends_vietnam, ends_china = plan.both_local_times(entry.ends_at)
    return CalendarLine(
        entry=entry,
        whole_gate=entry.passage_id is None,
        starts_vietnam=starts_vietnam,
        starts_china=starts_china,
        ends_vietnam=ends_vietnam,
        ends_china=ends_china,
        ongoing=entry.starts_at <= now < entry.ends_at,
    )


def calendars_for(
    keys: Sequence[tuple[int, int | None]],
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
) -> dict[tuple[int, int | None], GateCalendar]:
    """The calendars of several (gate, passage or ``None`` for the gate as a whole) at once, in
    two queries: each with its weekly working hours and the closures and extended hours that
    overlap ``start``–``end``, every time on both sides' clocks."""
    now = now or timezone.now()
    gate_ids = {gate_id for gate_id, _ in keys}
    hours: dict[int, list[WeekdayHours]] = {gate_id: [] for gate_id in gate_ids}
    for gate_id, weekday, opens, closes in (
        WorkingHours.objects.filter(gate_id__in=gate_ids)
        .order_by("gate_id", "weekday", "opens")
        .values_list("gate_id", "weekday", "opens", "closes")
    ):
        hours[gate_id].append(_interval(weekday, opens, closes))
    entries = list(
        CalendarEntry.objects.filter(gate_id__in=gate_ids, starts_at__lt=end, ends_at__gt=start)
        .select_related("gate", "passage")
        .order_by("starts_at", "pk")
    )
    calendars = {}
    for gate_id, passage_id in keys:
        lines = [
            _line(entry, now)
            for entry in entries
            if entry.gate_id == gate_id
            and (passage_id is None or entry.passage_id in (None, passage_id))
        ]
        calendars[(gate_id, passage_id)] = GateCalendar(
            gate_id, passage_id, start, end, hours[gate_id], lines
        )
    return calendars


def calendar_for(
    gate_id: int,
    passage_id: int | None,
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
) -> GateCalendar:
    """A passage's calendar (``passage_id=None``: the gate's, every passage's entries)."""
    return calendars_for([(gate_id, passage_id)], start, end, now=now)[(gate_id, passage_id)]


def calendar_ahead(
    gate_id: int, passage_id: int | None, *, now: datetime | None = None
) -> GateCalendar:
    """The calendar from now to ``CALENDAR_DAYS`` ahead."""
    now = now or timezone.now()
    return calendar_for(gate_id, passage_id, now, now + timedelta(days=CALENDAR_DAYS), now=now)
