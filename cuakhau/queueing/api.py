"""HTTP API of the yard queue: slots, places and predictions, the operators' passage view and
controls, and the public board and call record."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from cuakhau.accounts.auth import AUTH
from cuakhau.accounts.models import User
from cuakhau.accounts.permissions import require_gate, require_role
from cuakhau.accounts.roles import CALL_ROLES
from cuakhau.core.api import InputSchema, actor_of, responses
from cuakhau.core.errors import NotFound
from cuakhau.core.schemas import DbId, IsoDate, IsoDateTime, LongStr, NameStr, ShortStr
from cuakhau.core.text import Text
from cuakhau.declarations.schemas import ReasonIn
from cuakhau.declarations.selectors import trip_for
from cuakhau.gates import capacity as plan
from cuakhau.gates.models import CalendarEntry, CapacityPlan, Passage, Yard
from cuakhau.queueing import selectors, services
from cuakhau.queueing.capacity import base_calls, capacity_now
from cuakhau.queueing.messages import PASSAGE_NONE
from cuakhau.queueing.models import SlotBooking

router = Router(tags=["queue"], auth=AUTH)
public_router = Router(tags=["public"], auth=None)

Direction = Literal["export", "import"]

NOT_QUEUED = Text(
    "Chuyến {code} không ở trong hàng chờ.",
    "Trip {code} is not in a yard queue.",
    "车次 {code} 不在排队中。",
)
NO_PLAN = Text(
    "Không có lối thông quan «{code}» cho chiều này.",
    "There is no passage «{code}» for this direction.",
    "该方向不存在通道「{code}」。",
)
NO_YARD = Text("Không có bãi «{code}».", "There is no yard «{code}».", "不存在堆场「{code}」。")


# --- Shapes ---------------------------------------------------------------------------------


class QueuePlaceOut(Schema):
    trip: str
    status: str
    number: int
    yard: str
    passage: str
    priority: str
    goods_group: str
    joined_at: datetime
    position: int | None
    waiting: int | None
    predicted_call_at: datetime | None = Field(
        description="While waiting: the expected call-up. The digital twin's P50 (half of its "
        "simulated runs call the truck by then) when prediction_source is twin, the plan's "
        "estimate when it is plan; null when not within the next three days."
    )
    predicted_call_p90_at: datetime | None = Field(
        description="The twin's P90: nine in ten of its runs call the truck by then (null from "
        "the plan, or when later than three days in more than a tenth of the runs)."
    )
    prediction_source: Literal["twin", "plan", ""] = Field(
        description="twin: the twin's forecast from the live queue (refreshed every few "
        "minutes); plan: the simple estimate from the passage's capacity plan; empty when the "
        "truck is not waiting."
    )
    slot_start: datetime | None
    slot_fit: str
    called_at: datetime | None
    call_rule: str
    call_expires_at: datetime | None
    lane: int | None
    can_extend: bool
    no_shows: int


class SlotOut(Schema):
    code: str
    trip: str
    start: datetime
    start_vietnam: str
    start_china: str
    status: str
    tractor_plate: str
    trailer_plate: str


class SlotHourOut(Schema):
    start: datetime
    start_vietnam: str
    start_china: str
    capacity: int
    booked: int
    free: int


class SlotIn(InputSchema):
    start: IsoDateTime = Field(description="Start of the one-hour slot, on the hour, with offset.")


class PauseIn(InputSchema):
    paused: bool
    reason: LongStr


class PlanIn(InputSchema):
    lanes_open: int = Field(ge=0, le=50)
    minutes_per_vehicle: Decimal = Field(gt=0, le=600, max_digits=5, decimal_places=2)
    control_area_room: int = Field(ge=0, le=5000)
    slot_share_percent: int = Field(ge=0, le=100)
    booking_days_ahead: int = Field(ge=0, le=30)
    reason: LongStr


class HourIn(InputSchema):
    hour_start: IsoDateTime
    calls: int | None = Field(default=None, ge=0, le=2000)
    reason: LongStr


class QuotaIn(InputSchema):
    day: IsoDate
    goods_group: ShortStr
    trucks: int = Field(ge=0, le=100_000)
    note: LongStr = ""


class CalendarEntryIn(InputSchema):
    kind: Literal["closure", "extended"] = Field(
        description="closure: the passage is closed; extended: open beyond its working hours."
    )
    cause: Literal["holiday", "partner_closed", "event", "peak_season", "other"]
    starts_at: IsoDateTime
    ends_at: IsoDateTime = Field(description="After the start, at most 90 days later.")
    name_vi: NameStr = Field(description="What it is, in Vietnamese (required).")
    name_en: NameStr = ""
    name_zh: NameStr = ""
    whole_gate: bool = Field(default=False, description="For every passage of the gate.")


class CalendarEntryOut(Schema):
    id: int
    gate: str
    passage: str | None = Field(description="None: the whole gate.")
    kind: str
    cause: str
    names: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    starts_vietnam: str = Field(description="HH:MM dd/mm, Vietnam time (UTC+7).")
    starts_china: str = Field(description="HH:MM dd/mm, China time (UTC+8).")
    ends_vietnam: str
    ends_china: str


class WorkingHoursOut(Schema):
    weekday: int = Field(description="Monday = 0.")
    opens: str = Field(description="HH:MM, Vietnam time.")
    closes: str = Field(description="HH:MM, Vietnam time; 00:00 is midnight at the day's end.")
    vietnam: str = Field(description='"07:00–19:00", Vietnam time (UTC+7).')
    china: str = Field(description='"08:00–20:00", China time (UTC+8).')


class PassageCalendarOut(Schema):
    passage: str
    names: dict[str, str]
    gate: str
    start: datetime
    end: datetime
    around_the_clock: bool = Field(description="No working hours: open day and night.")
    working_hours: list[WorkingHoursOut]
    entries: list[CalendarEntryOut]


class PassageCapacityOut(Schema):
    passage: str
    names: dict[str, str]
    gate: str
    border_markers: str
    direction: str
    lanes_open: int
    minutes_per_vehicle: Decimal
    calls_per_hour: int
    hour_calls: int
    calls_this_hour: int
    control_area_room: int
    inside: int
    open_now: bool
    paused: bool
    pause_reason: str
    slot_share_percent: int
    booking_days_ahead: int
    quotas_left: dict[str, int]


class QueueLineOut(Schema):
    position: int
    trip: str
    number: int
    tractor_plate: str
    priority: str
    goods_group: str
    joined_at: datetime
    slot_start: datetime | None
    override_reason: str
    would_call: bool
    rule: str
    hold: str


class PassageQueueOut(PassageCapacityOut):
    waiting: int
    called: int
    lines: list[QueueLineOut]


class CallOut(Schema):
    trip: str
    rule: str
    lane: int | None


class DispatchOut(Schema):
    at: datetime
    waiting: int
    calls: list[CallOut]
    expired: int
    holds: dict[str, int]
    capacity: dict[str, Any]
    duration_ms: float


class CallRecordOut(Schema):
    at: datetime
    trip: str
    rule: str
    priority: str
    goods_group: str
    joined_at: datetime
    slot_start: datetime | None
    order_tier: int
    order_time: datetime
    override_reason: str
    lane: int | None
    called_by: str


class BoardCallOut(Schema):
    tractor_plate: str
    number: int
    lane: int | None
    passage: str
    called_at: datetime
    expires_at: datetime | None


class BoardNextOut(Schema):
    tractor_plate: str
    number: int
    passage: str
    green: bool
    booked: bool


class BoardLanesOut(Schema):
    passage: str
    names: dict[str, str]
    lanes_open: int
    paused: bool
    pause_reason: str
    open_now: bool


class BoardOut(Schema):
    yard: str
    names: dict[str, str]
    called: list[BoardCallOut]
    upcoming: list[BoardNextOut]
    lanes: list[BoardLanesOut]
    waiting: int
    version: str
    at: datetime


# --- Enterprises and drivers: slots, place, extension ---------------------------------------


@router.get("/trips/{code}/queue", response=responses({200: QueuePlaceOut}))
def trip_queue_place(request: HttpRequest, code: str) -> Any:
    """The trip's place in its yard queue and its predicted call-up time (or its call)."""
    trip = trip_for(request.auth, code)  # type: ignore[arg-type, attr-defined]
    place = selectors.queue_place(trip.pk)
    if place is None:
        raise NotFound("not_queued", NOT_QUEUED.format(code=trip.code))
    return place_out(trip.code, place)


@router.post("/trips/{code}/slot", response=responses({201: SlotOut}, 409, 429))
def slot_book(request: HttpRequest, code: str, payload: SlotIn) -> Any:
    """Book a one-hour slot for a declared trip (bound to its plates; not transferable)."""
    booking = services.slot_book(actor=actor_of(request), trip_code=code, start=payload.start)
    return Status(201, slot_out(booking))


@router.post("/trips/{code}/slot/cancel", response=responses({200: SlotOut}, 409))
def slot_cancel(request: HttpRequest, code: str, payload: ReasonIn) -> Any:
    """Give the slot back (counts towards a booking block: two in 30 days)."""
    booking = services.slot_cancel(actor=actor_of(request), trip_code=code, reason=payload.reason)
    return slot_out(booking)


@router.post("/trips/{code}/extend", response=responses({200: QueuePlaceOut}, 409))
def call_extend(request: HttpRequest, code: str) -> Any:
    """More time for a called truck to come in, once per trip."""
    entry = services.call_extend(actor=actor_of(request), trip_code=code)
    return _place_reply(entry.trip_id, entry.trip.code)


@router.post("/trips/{code}/prioritise", response=responses({200: QueuePlaceOut}, 409))
def queue_prioritise(request: HttpRequest, code: str, payload: ReasonIn) -> Any:
    """Out-of-turn priority (operators): the reason is published with the call."""
    entry = services.queue_prioritise(
        actor=actor_of(request), trip_code=code, reason=payload.reason
    )
    return _place_reply(entry.trip_id, entry.trip.code)


@router.get(
    "/queue/passages/{passage}/{direction}/slots", response=responses({200: list[SlotHourOut]})
)
def slot_hours(request: HttpRequest, passage: ShortStr, direction: Direction) -> Any:
    """The bookable hours ahead with their free places."""
    capacity_plan = _plan(passage, direction)
    rows = services.slot_hours(capacity_plan, timezone.now())
    return [_slot_hour_out(hour.start, capacity, used) for hour, capacity, used in rows]


# --- Operators: the passage, its controls ----------------------------------------------------


@router.get("/queue/passages/{passage}/{direction}", response=responses({200: PassageQueueOut}))
def passage_queue(request: HttpRequest, passage: ShortStr, direction: Direction) -> Any:
    """The queue in call order, each truck with what the dispatcher would do now and why."""
    capacity_plan = _operator_plan(request.auth, passage, direction)  # type: ignore[attr-defined]
    view = selectors.passage_queue(capacity_plan)
    return {
        **passage_out(capacity_plan, view.seen),
        "waiting": view.waiting,
        "called": view.called,
        "lines": [{**_slots(line), "trip": line.trip_code} for line in view.lines],
    }


@router.post(
    "/queue/passages/{passage}/{direction}/dispatch", response=responses({200: DispatchOut}, 409)
)
def dispatch(request: HttpRequest, passage: ShortStr, direction: Direction) -> Any:
    """Run a dispatch cycle now (it also runs on a schedule)."""
    capacity_plan = _plan(passage, direction)
    result = services.dispatch_passage(
        actor=actor_of(request), passage_id=capacity_plan.passage_id, direction=direction
    )
    run = result.run
    return {
        "at": run.at,
        "waiting": run.waiting,
        "calls": [{"trip": c.trip_code, "rule": c.rule, "lane": c.lane} for c in result.call_ups],
        "expired": run.expired,
        "holds": run.holds,
        "capacity": run.capacity,
        "duration_ms": run.duration_ms,
    }


@router.post(
    "/queue/passages/{passage}/{direction}/pause",
    response=responses({200: PassageCapacityOut}, 409),
)
def pause(request: HttpRequest, passage: ShortStr, direction: Direction, payload: PauseIn) -> Any:
    """Pause calls at the passage (or resume them), with the reason."""
    capacity_plan = services.passage_pause(
        actor=actor_of(request),
        passage_code=passage,
        direction=direction,
        paused=payload.paused,
        reason=payload.reason,
    )
    return _passage_reply(capacity_plan)


@router.put(
    "/queue/passages/{passage}/{direction}/plan", response=responses({200: PassageCapacityOut}, 409)
)
def plan_update(
    request: HttpRequest, passage: ShortStr, direction: Direction, payload: PlanIn
) -> Any:
    """Set lanes open, minutes per vehicle, control-area room and booking rules."""
    capacity_plan = services.capacity_plan_update(
        actor=actor_of(request),
        passage_code=passage,
        direction=direction,
        change=services.PlanChange(
            lanes_open=payload.lanes_open,
            minutes_per_vehicle=payload.minutes_per_vehicle,
            control_area_room=payload.control_area_room,
            slot_share_percent=payload.slot_share_percent,
            booking_days_ahead=payload.booking_days_ahead,
        ),
        reason=payload.reason,
    )
    return _passage_reply(capacity_plan)


@router.put(
    "/queue/passages/{passage}/{direction}/hours",
    response=responses({200: PassageCapacityOut}, 409),
)
def hour_set(request: HttpRequest, passage: ShortStr, direction: Direction, payload: HourIn) -> Any:
    """Set one hour's calls instead of the plan's (``calls: null`` clears it)."""
    services.capacity_hour_set(
        actor=actor_of(request),
        passage_code=passage,
        direction=direction,
        hour_start=payload.hour_start,
        calls=payload.calls,
        reason=payload.reason,
    )
    return _passage_reply(_plan(passage, direction))


@router.put(
    "/queue/passages/{passage}/{direction}/quotas",
    response=responses({200: PassageCapacityOut}, 409),
)
def quota_set(
    request: HttpRequest, passage: ShortStr, direction: Direction, payload: QuotaIn
) -> Any:
    """Record the partner side's acceptance for a day and goods group."""
    services.partner_quota_set(
        actor=actor_of(request),
        passage_code=passage,
        direction=direction,
        day=payload.day,
        goods_group=payload.goods_group,
        trucks=payload.trucks,
        note=payload.note,
    )
    return _passage_reply(_plan(passage, direction))


@router.post(
    "/queue/passages/{passage}/{direction}/calendar",
    response=responses({201: CalendarEntryOut}, 409),
)
def calendar_entry_create(
    request: HttpRequest, passage: ShortStr, direction: Direction, payload: CalendarEntryIn
) -> Any:
    """Close the passage for a while (a holiday, the partner side closed, an event) or open it
    beyond its working hours; ``whole_gate`` for every passage of its gate. Public at once."""
    entry = services.calendar_entry_create(
        actor=actor_of(request),
        passage_code=passage,
        direction=direction,
        kind=payload.kind,
        cause=payload.cause,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        names=Text(payload.name_vi, payload.name_en, payload.name_zh),
        whole_gate=payload.whole_gate,
    )
    return Status(201, calendar_entry_out(entry))


@router.post("/queue/calendar/{entry_id}/delete", response=responses({204: None}, 409))
def calendar_entry_delete(request: HttpRequest, entry_id: DbId, payload: ReasonIn) -> Any:
    """Take a closure or extended hours off the calendar, with the reason (kept in the
    passage's record of changes). An entry that has ended stays on record (409)."""
    services.calendar_entry_delete(
        actor=actor_of(request), entry_id=entry_id, reason=payload.reason
    )
    return Status(204, None)


# --- Public: capacity, the board, the record of calls ---------------------------------------


@public_router.get(
    "/public/passages", response=responses({200: list[PassageCapacityOut]}, public=True)
)
def passages(request: HttpRequest) -> Any:
    """Every passage's capacity now: lanes, calls per hour, room, open or paused."""
    now = timezone.now()
    plans = CapacityPlan.objects.select_related("passage", "passage__gate").filter(
        passage__is_active=True
    )
    return [passage_out(p, capacity_now(p, now)) for p in plans]


@public_router.get(
    "/public/passages/{passage}/calls", response=responses({200: list[CallRecordOut]}, public=True)
)
def call_record(
    request: HttpRequest,
    passage: ShortStr,
    direction: Direction = "export",
    day: IsoDate | None = None,
) -> Any:
    """The day's calls in order with their rules and the inputs of the order (trip codes only,
    no personal data): anyone can check that no truck jumped the queue without a reason."""
    capacity_plan = _plan(passage, direction)
    day = day or timezone.localdate()
    now = timezone.now()
    return [
        {
            "at": c.at,
            "trip": c.trip_code,
            "rule": c.rule,
            "priority": c.priority,
            "goods_group": c.goods_group,
            "joined_at": c.joined_at,
            "slot_start": c.slot_start,
            "order_tier": c.order_tier,
            "order_time": datetime.fromtimestamp(c.order_time, tz=now.tzinfo),
            "override_reason": c.override_reason,
            "lane": c.lane,
            "called_by": "dispatcher" if c.run_id else "operator",
        }
        for c in selectors.call_record(capacity_plan.passage, direction, day)
    ]


@public_router.get(
    "/public/passages/{passage}/calendar",
    response=responses({200: PassageCalendarOut}, public=True),
)
def passage_calendar(request: HttpRequest, passage: ShortStr) -> Any:
    """The passage's working hours per weekday and its closures and extended hours in the next
    14 days, on both sides' clocks (Vietnam UTC+7, China UTC+8), named in three languages."""
    found = (
        Passage.objects.select_related("gate").filter(code=passage.upper(), is_active=True).first()
    )
    if found is None:
        raise NotFound("passage_not_found", PASSAGE_NONE.format(code=passage))
    calendar = selectors.calendar_ahead(found.gate_id, found.pk)
    return {
        "passage": found.code,
        "names": found.names.as_dict(),
        "gate": found.gate.code,
        "start": calendar.start,
        "end": calendar.end,
        "around_the_clock": calendar.around_the_clock,
        "working_hours": [
            {
                "weekday": row.weekday,
                "opens": row.opens.strftime("%H:%M"),
                "closes": row.closes.strftime("%H:%M"),
                "vietnam": row.vietnam,
                "china": row.china,
            }
            for row in calendar.hours
        ],
        "entries": [calendar_entry_out(line.entry) for line in calendar.entries],
    }


@public_router.get("/public/yards/{yard}/board", response=responses({200: BoardOut}, public=True))
def board(request: HttpRequest, yard: ShortStr) -> Any:
    """What the yard's screen shows: called trucks with their lane, the next ones, lanes open."""
    found = Yard.objects.filter(code=yard.upper(), is_active=True).first()
    if found is None:
        raise NotFound("yard_not_found", NO_YARD.format(code=yard))
    return board_out(selectors.yard_board(found))


# --- Helpers --------------------------------------------------------------------------------


def place_out(code: str, place: selectors.QueuePlace) -> dict[str, Any]:
    return {"trip": code, **{name: getattr(place, name) for name in place.__slots__}}


def _place_reply(trip_id: int, code: str) -> dict[str, Any]:
    place = selectors.queue_place(trip_id)
    assert place is not None
    return place_out(code, place)


def slot_out(booking: SlotBooking) -> dict[str, Any]:
    vietnam, china = plan.both_local_times(booking.start)
    return {
        "code": booking.code,
        "trip": booking.trip.code,
        "start": booking.start,
        "start_vietnam": vietnam,
        "start_china": china,
        "status": booking.status,
        "tractor_plate": booking.tractor_plate,
        "trailer_plate": booking.trailer_plate,
    }


def calendar_entry_out(entry: CalendarEntry) -> dict[str, Any]:
    starts_vietnam, starts_china = plan.both_local_times(entry.starts_at)
    ends_vietnam, ends_china = plan.both_local_times(entry.ends_at)
    return {
        "id": entry.pk,
        "gate": entry.gate.code,
        "passage": entry.passage.code if entry.passage else None,
        "kind": entry.kind,
        "cause": entry.cause,
        "names": entry.names.as_dict(),
        "starts_at": entry.starts_at,
        "ends_at": entry.ends_at,
        "starts_vietnam": starts_vietnam,
        "starts_china": starts_china,
        "ends_vietnam": ends_vietnam,
        "ends_china": ends_china,
    }


def _slot_hour_out(start: datetime, capacity: int, used: int) -> dict[str, Any]:
    vietnam, china = plan.both_local_times(start)
    return {
        "start": start,
        "start_vietnam": vietnam,
        "start_china": china,
        "capacity": capacity,
        "booked": used,
        "free": max(0, capacity - used),
    }


def passage_out(capacity_plan: CapacityPlan, seen: Any) -> dict[str, Any]:
    passage = capacity_plan.passage
    names = passage.names
    return {
        "passage": passage.code,
        "names": {"vi": names.vi, "en": names.en, "zh": names.zh},
        "gate": passage.gate.code,
        "border_markers": passage.border_markers,
        "direction": capacity_plan.direction,
        "lanes_open": capacity_plan.lanes_open,
        "minutes_per_vehicle": capacity_plan.minutes_per_vehicle,
        "calls_per_hour": base_calls(capacity_plan),
        "hour_calls": seen.hour.calls,
        "calls_this_hour": seen.calls_this_hour,
        "control_area_room": capacity_plan.control_area_room,
        "inside": seen.inside,
        "open_now": seen.open_now,
        "paused": capacity_plan.is_paused,
        "pause_reason": capacity_plan.pause_reason,
        "slot_share_percent": capacity_plan.slot_share_percent,
        "booking_days_ahead": capacity_plan.booking_days_ahead,
        "quotas_left": dict(seen.capacity.quotas),
    }


def board_out(board: selectors.Board) -> dict[str, Any]:
    names = board.yard.names
    return {
        "yard": board.yard.code,
        "names": {"vi": names.vi, "en": names.en, "zh": names.zh},
        "called": [_slots(c) for c in board.called],
        "upcoming": [_slots(n) for n in board.upcoming],
        "lanes": [
            {
                "passage": lane.passage.code,
                "names": {
                    "vi": lane.passage.names.vi,
                    "en": lane.passage.names.en,
                    "zh": lane.passage.names.zh,
                },
                "lanes_open": lane.lanes_open,
                "paused": lane.paused,
                "pause_reason": lane.pause_reason,
                "open_now": lane.open_now,
            }
            for lane in board.lanes
        ],
        "waiting": board.waiting,
        "version": board.version,
        "at": timezone.now(),
    }


def _slots(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__slots__}


def _passage_reply(capacity_plan: CapacityPlan) -> dict[str, Any]:
    """The passage's capacity as it stands after an operator's change."""
    return passage_out(capacity_plan, capacity_now(capacity_plan, timezone.now()))


def _plan(passage: str, direction: str) -> CapacityPlan:
    found = (
        CapacityPlan.objects.select_related("passage", "passage__gate")
        .filter(passage__code=passage.upper(), direction=direction, passage__is_active=True)
        .first()
    )
    if found is None:
        raise NotFound("passage_not_found", NO_PLAN.format(code=passage))
    return found


def _operator_plan(user: User, passage: str, direction: str) -> CapacityPlan:
    require_role(user, CALL_ROLES)
    capacity_plan = _plan(passage, direction)
    require_gate(user, capacity_plan.passage.gate_id)
    return capacity_plan
