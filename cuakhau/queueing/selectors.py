"""Reads of the yard queue: a trip's place and predicted call-up, an operator's view of a passage
with the reason each truck waits, a yard's display board, and the public record of calls.

Callers scope trips to the user first (``trips_for``); the board and the audit are public and
carry no personal data beyond the plate a yard's screen shows anyway."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from cuakhau.declarations.lifecycle import TripState
from cuakhau.gates import capacity as plan
from cuakhau.gates.models import CapacityPlan, Passage, Yard
from cuakhau.queueing.capacity import (
    CapacityNow,
    base_calls,
    capacity_now,
    living_queue_hours,
    policy_config,
)
from cuakhau.queueing.models import CallUp, DispatchRun, QueueEntry
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
    predicted_call_at: datetime | None = None
    slot_start: datetime | None = None
    slot_fit: str = ""
    called_at: datetime | None = None
    call_rule: str = ""
    call_expires_at: datetime | None = None
    lane: int | None = None
    can_extend: bool = False
    no_shows: int = 0


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
    called. One query per passage involved, whatever the number of trips."""
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
        furthest = max(positions.values())
        times: list[float | None] = [None] * furthest
        if capacity_plan is not None:
            hours = living_queue_hours(capacity_plan, now, PREDICTION_HOURS)
            times = predict_call_times(furthest, now.timestamp(), hours)
        for entry in members:
            position = positions[entry.trip_id]
            predicted = times[position - 1]
            if predicted is not None and entry.order_tier == Tier.SLOT and entry.slot_start:
                # A booked truck that came early waits for its window.
                opens = entry.slot_start.timestamp() - config.slot_grace
                predicted = max(predicted, opens)
            places[entry.trip_id] = _place(
                entry,
                position=position,
                waiting=len(keys),
                predicted=(datetime.fromtimestamp(predicted, tz=now.tzinfo) if predicted else None),
            )
    return places


def queue_place(trip_id: int, *, now: datetime | None = None) -> QueuePlace | None:
    return queue_places([trip_id], now=now).get(trip_id)


def _place(
    entry: QueueEntry,
    *,
    position: int | None = None,
    waiting: int | None = None,
    predicted: datetime | None = None,
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
