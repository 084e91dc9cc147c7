"""Writes on the yard queue: joining it at check-in, slot bookings, dispatch cycles, call-ups,
no-shows, extensions, out-of-turn priority and pauses. Each public function is one transaction;
every call is a trip event and a public ``CallUp`` row, and its notifications are written to the
outbox in the same transaction.

Concurrency: a passage's ``CapacityPlan`` row is the lock every call-up takes first, so the
scheduled dispatcher and operators acting at the same moment never exceed the capacity.
"""

from __future__ import annotations

import secrets
import time as monotonic
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cuakhau.accounts.models import Enterprise, User
from cuakhau.accounts.permissions import require_enterprise, require_gate, require_role
from cuakhau.accounts.roles import CALL_ROLES, Role
from cuakhau.core.actors import Actor
from cuakhau.core.errors import Conflict, FieldError, NotAllowed, NotFound, RateLimited, invalid
from cuakhau.core.models import audit_values
from cuakhau.core.text import Text
from cuakhau.declarations.lifecycle import EXPORT, Action, TripState, next_state
from cuakhau.declarations.models import GoodsLine, Trip, TripEvent
from cuakhau.declarations.selectors import trip_for
from cuakhau.gates import capacity as plan
from cuakhau.gates.models import (
    CalendarEntry,
    CapacityOverride,
    CapacityPlan,
    Gate,
    PartnerQuota,
    Passage,
    Yard,
)
from cuakhau.queueing import messages as M
from cuakhau.queueing.capacity import capacity_now, hour_plans, penalty_config, policy_config
from cuakhau.queueing.models import (
    BookingBlock,
    CallUp,
    DispatchRun,
    EnterpriseOutcome,
    PassageEvent,
    QueueCounter,
    QueueEntry,
    SlotBooking,
    SlotHour,
)
from cuakhau.queueing.policy import (
    Call,
    Decision,
    GoodsGroup,
    Outcome,
    PriorityClass,
    Rule,
    SlotFit,
    WaitingTruck,
    booking_block_until,
    choose_calls,
    classify,
    order_key,
    rule_for,
    slot_fit,
)

DISPATCHER = Actor.system("dispatcher")


# --- Joining the queue ----------------------------------------------------------------------


def queue_join(trip: Trip, yard: Yard, now: datetime) -> QueueEntry:
    """Put a trip that checked in at ``yard`` into its passage's queue (inside the caller's
    check-in transaction, the trip row locked). A live booking is used if the truck arrived in
    or before its window, and lost if it came too late."""
    declaration = trip.declaration
    hs_codes = GoodsLine.objects.filter(
        customs_declaration__declaration_id=declaration.pk
    ).values_list("hs_code", flat=True)
    priority, group = classify(hs_codes, perishable=declaration.perishable)
    booking = (
        SlotBooking.objects.select_for_update()
        .filter(trip_id=trip.pk, status=SlotBooking.Status.BOOKED)
        .first()
    )
    entry = QueueEntry(
        trip=trip,
        passage_id=declaration.passage_id,
        direction=declaration.direction,
        yard=yard,
        enterprise_id=declaration.enterprise_id,
        number=_next_number(yard, now),
        priority=priority.value,
        goods_group=group.value,
        joined_at=now,
    )
    if booking is not None and (booking.tractor_plate, booking.trailer_plate) != (
        trip.tractor_plate,
        trip.trailer_plate,
    ):
        # Bound to the plates it was booked for: another vehicle cannot use it.
        booking.status = SlotBooking.Status.CANCELLED
        booking.closed_at = now
        booking.close_reason = M.PLATES_CHANGED.vi
        booking.save(update_fields=["status", "closed_at", "close_reason"])
        booking = None
    if booking is not None:
        fit = slot_fit(now.timestamp(), booking.start.timestamp(), policy_config())
        entry.booking = booking
        entry.slot_fit = fit.value
        if fit is SlotFit.LATE:
            booking.status = SlotBooking.Status.MISSED
        else:
            booking.status = SlotBooking.Status.USED
            entry.slot_start = booking.start
        booking.closed_at = now
        booking.save(update_fields=["status", "closed_at"])
    _set_order(entry)
    entry.save()
    return entry


def _next_number(yard: Yard, now: datetime) -> int:
    day = now.astimezone(plan.VIETNAM).date()
    counter, _ = QueueCounter.objects.get_or_create(yard=yard, day=day)
    QueueCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    return QueueCounter.objects.values_list("last", flat=True).get(pk=counter.pk)


def waiting_truck(entry: QueueEntry) -> WaitingTruck:
    return WaitingTruck(
        trip_id=entry.trip_id,
        arrived_at=entry.joined_at.timestamp(),
        priority=PriorityClass(entry.priority),
        goods_group=entry.goods_group,
        slot_start=entry.slot_start.timestamp() if entry.slot_start else None,
        override_at=entry.override_at.timestamp() if entry.override_at else None,
    )


def _set_order(entry: QueueEntry) -> None:
    key = order_key(waiting_truck(entry), policy_config())
    entry.order_tier = key[0]
    entry.order_time = key[1]


# --- Slots ----------------------------------------------------------------------------------


def slot_book(*, actor: Actor, trip_code: str, start: datetime) -> SlotBooking:
    """Book the one-hour slot from ``start`` for a declared trip of the actor's enterprise.

    The slot is bound to the trip's plates and declaration. A full hour answers with the nearest
    free ones; a blocked or over-eager enterprise is refused."""
    user = _user(actor)
    enterprise_id = require_enterprise(user)
    now = timezone.now()
    start = start.astimezone(plan.VIETNAM)
    with transaction.atomic(durable=True):
        # The enterprise row serialises its own bookings: the rate limit and the block hold.
        Enterprise.objects.select_for_update().filter(pk=enterprise_id).first()
        _require_not_blocked(enterprise_id, now)
        recent = SlotBooking.objects.filter(
            enterprise_id=enterprise_id, created_at__gte=now - timedelta(minutes=1)
        ).count()
        if recent >= settings.CUAKHAU_BOOKINGS_PER_MINUTE:
            raise RateLimited(code="booking_rate_limited", message=M.BOOKING_RATE)
        trip = _lock_visible_trip(user, trip_code)
        if trip.state != TripState.DECLARED:
            raise Conflict("booking_state", M.BOOKING_STATE.format(code=trip.code))
        if trip.bookings.filter(status=SlotBooking.Status.BOOKED).exists():
            raise Conflict("booking_exists", M.BOOKING_EXISTS.format(code=trip.code))
        capacity_plan = _plan_for(trip.declaration.passage_id, trip.declaration.direction)
        _validate_slot_start(capacity_plan, start, now)
        hour = _slot_hour(capacity_plan, start)
        taken = SlotHour.objects.filter(pk=hour.pk, booked__lt=F("capacity")).update(
            booked=F("booked") + 1
        )
        if taken != 1:
            free = nearest_free_slots(capacity_plan, start, now)
            shown = ", ".join(_hour_label(h) for h in free) or "—"
            raise Conflict("slot_full", M.SLOT_FULL.format(hour=_hour_label(start), free=shown))
        booking = SlotBooking.objects.create(
            code=_booking_code(),
            enterprise_id=enterprise_id,
            declaration_id=trip.declaration_id,
            trip=trip,
            slot_hour=hour,
            start=start,
            tractor_plate=trip.tractor_plate,
            trailer_plate=trip.trailer_plate,
            created_by=user,
            created_at=now,
        )
        _trip_note(trip, "slot_book", actor, now, data={"slot": start.isoformat()})
    return booking


def slot_cancel(*, actor: Actor, trip_code: str, reason: str) -> SlotBooking:
    """Give a booked slot back. Counts against the enterprise (two in 30 days block booking)."""
    user = _user(actor)
    require_enterprise(user)
    reason = _required_reason(reason)
    now = timezone.now()
    with transaction.atomic(durable=True):
        trip = _lock_visible_trip(user, trip_code)
        booking = (
            SlotBooking.objects.select_for_update()
            .filter(trip_id=trip.pk, status=SlotBooking.Status.BOOKED)
            .first()
        )
        if booking is None:
            raise NotFound("booking_not_found", M.BOOKING_NONE.format(code=trip.code))
        _release_booking(booking, now, reason)
        _trip_note(trip, "slot_cancel", actor, now, reason=booking.close_reason)
        _record_outcome(trip.declaration.enterprise_id, trip, Outcome.BOOKING_CANCELLED, now, actor)
    return booking


def cancel_bookings_of(trip: Trip, now: datetime, reason: str) -> int:
    """A cancelled trip frees its slot; returns how many bookings it gave back (the caller
    counts the cancellation once per action, see ``booking_cancellation_record``)."""
    released = 0
    for booking in SlotBooking.objects.select_for_update().filter(
        trip_id=trip.pk, status=SlotBooking.Status.BOOKED
    ):
        _release_booking(booking, now, reason)
        released += 1
    return released


def booking_cancellation_record(trip: Trip, now: datetime, actor: Actor) -> None:
    """Count a cancellation that gave back booked slots, like cancelling a slot itself:
    otherwise cancelling trips would dodge the booking rules. A declaration cancelled with
    several booked trucks counts once."""
    _record_outcome(trip.declaration.enterprise_id, trip, Outcome.BOOKING_CANCELLED, now, actor)


def _release_booking(booking: SlotBooking, now: datetime, reason: str) -> None:
    SlotHour.objects.filter(pk=booking.slot_hour_id, booked__gt=0).update(booked=F("booked") - 1)
    booking.status = SlotBooking.Status.CANCELLED
    booking.closed_at = now
    booking.close_reason = reason[:500]
    booking.save(update_fields=["status", "closed_at", "close_reason"])


def _validate_slot_start(capacity_plan: CapacityPlan, start: datetime, now: datetime) -> None:
    if start != plan.hour_floor(start):
        raise invalid([FieldError("start", "slot_not_on_hour", M.SLOT_ON_HOUR)])
    if start < plan.hour_floor(now) + plan.HOUR:
        raise invalid([FieldError("start", "slot_past", M.SLOT_PAST)])
    horizon = now + timedelta(days=capacity_plan.booking_days_ahead)
    if start > horizon:
        raise invalid(
            [
                FieldError(
                    "start",
                    "slot_too_far",
                    M.SLOT_TOO_FAR.format(days=capacity_plan.booking_days_ahead),
                )
            ]
        )


def _slot_hour(capacity_plan: CapacityPlan, start: datetime) -> SlotHour:
    hour_plan = hour_plans(capacity_plan, start, 1)[0]
    capacity = plan.slot_capacity(hour_plan.calls, capacity_plan.slot_share_percent)
    hour, created = SlotHour.objects.get_or_create(
        passage_id=capacity_plan.passage_id,
        direction=capacity_plan.direction,
        start=start,
        defaults={"capacity": capacity},
    )
    if not created and hour.capacity != capacity and capacity >= hour.booked:
        # The plan changed since the hour was first booked: follow it, never below bookings.
        SlotHour.objects.filter(pk=hour.pk, booked__lte=capacity).update(capacity=capacity)
    return hour


def slot_hours(capacity_plan: CapacityPlan, now: datetime) -> list[tuple[plan.HourPlan, int, int]]:
    """Bookable hours from the next one to the booking horizon: (plan, capacity, booked)."""
    first = plan.hour_floor(now) + plan.HOUR
    count = capacity_plan.booking_days_ahead * 24
    plans = hour_plans(capacity_plan, first, count)
    booked = {
        start: (capacity, used)
        for start, capacity, used in SlotHour.objects.filter(
            passage_id=capacity_plan.passage_id,
            direction=capacity_plan.direction,
            start__gte=first,
            start__lt=first + timedelta(hours=count),
        ).values_list("start", "capacity", "booked")
    }
    result = []
    for hour in plans:
        capacity = plan.slot_capacity(hour.calls, capacity_plan.slot_share_percent)
        _, used = booked.get(hour.start, (capacity, 0))
        result.append((hour, capacity, used))
    return result


def nearest_free_slots(
    capacity_plan: CapacityPlan, wanted: datetime, now: datetime, count: int = 3
) -> list[datetime]:
    free = [
        hour.start for hour, capacity, used in slot_hours(capacity_plan, now) if used < capacity
    ]
    free.sort(key=lambda start: (abs((start - wanted).total_seconds()), start))
    return sorted(free[:count])


def _booking_code() -> str:
    return "S" + secrets.token_hex(5).upper()


def _hour_label(start: datetime) -> str:
    vietnam, china = plan.both_local_times(start)
    return f"{vietnam} (CN {china[:5]})"


def _require_not_blocked(enterprise_id: int, now: datetime) -> None:
    block = (
        BookingBlock.objects.filter(
            enterprise_id=enterprise_id, ends_at__gt=now, lifted_at__isnull=True
        )
        .order_by("-ends_at")
        .first()
    )
    if block is not None:
        until = timezone.localtime(block.ends_at).strftime("%H:%M %d/%m/%Y")
        raise NotAllowed("booking_blocked", M.BOOKING_BLOCKED.format(until=until))


# --- Dispatch -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DispatchResult:
    run: DispatchRun
    decision: Decision
    call_ups: list[CallUp]


def dispatch_passage(
    *,
    actor: Actor,
    passage_id: int,
    direction: str,
    now: datetime | None = None,
    trigger: str = DispatchRun.Trigger.OPERATOR,
) -> DispatchResult:
    """One dispatch cycle: expire calls that ran out, then call the trucks the policy chooses."""
    if actor.user is not None:
        require_role(actor.user, CALL_ROLES)
    started = monotonic.perf_counter()
    with transaction.atomic(durable=True):
        capacity_plan = _lock_plan(passage_id, direction)
        if actor.user is not None:
            require_gate(actor.user, capacity_plan.passage.gate_id)
        now = now or timezone.now()
        expired = _expire_calls(capacity_plan, now)
        seen = capacity_now(capacity_plan, now)
        trucks = waiting_trucks(
            passage_id, direction, fee_before_call=fee_before_call(capacity_plan)
        )
        decision = choose_calls(trucks, seen.capacity, now.timestamp(), policy_config())
        run = DispatchRun.objects.create(
            passage_id=passage_id,
            direction=direction,
            at=now,
            trigger=trigger,
            actor_label=actor.label[:150],
            waiting=len(trucks),
            calls=len(decision.calls),
            expired=expired,
            capacity=seen.as_json(),
            holds=_count_holds(decision),
        )
        call_ups = _call(capacity_plan, decision.calls, actor, now, run, seen.calls_this_hour)
        run.duration_ms = round((monotonic.perf_counter() - started) * 1000, 2)
        DispatchRun.objects.filter(pk=run.pk).update(duration_ms=run.duration_ms)
    return DispatchResult(run, decision, call_ups)


def dispatch_all(*, now: datetime | None = None) -> list[DispatchResult]:
    """The scheduled cycle: every export passage with a plan (import trips are not queued)."""
    results = []
    for passage_id, direction in CapacityPlan.objects.filter(
        direction=EXPORT, passage__is_active=True
    ).values_list("passage_id", "direction"):
        results.append(
            dispatch_passage(
                actor=DISPATCHER,
                passage_id=passage_id,
                direction=direction,
                now=now,
                trigger=DispatchRun.Trigger.SCHEDULE,
            )
        )
    return results


def waiting_trucks(
    passage_id: int, direction: str, *, fee_before_call: bool = False
) -> list[WaitingTruck]:
    """The trucks waiting in the passage's queue, as the policy sees them (one query); with
    ``fee_before_call`` each says whether its fee is paid."""
    from cuakhau.fees.services import paid_queue_entries

    entries = QueueEntry.objects.waiting().filter(passage_id=passage_id, direction=direction)
    if fee_before_call:
        entries = entries.annotate(paid=paid_queue_entries())
    rows = entries.values_list(
        "trip_id",
        "joined_at",
        "priority",
        "goods_group",
        "slot_start",
        "override_at",
        "paid" if fee_before_call else "trip_id",
    )
    green = PriorityClass.GREEN
    ordinary = PriorityClass.ORDINARY
    return [
        WaitingTruck(
            trip_id=trip_id,
            arrived_at=joined_at.timestamp(),
            priority=green if priority == "green" else ordinary,
            goods_group=group,
            slot_start=slot_start.timestamp() if slot_start else None,
            override_at=override_at.timestamp() if override_at else None,
            paid=paid is True or not fee_before_call,
        )
        for trip_id, joined_at, priority, group, slot_start, override_at, paid in rows
    ]


def _count_holds(decision: Decision) -> dict[str, int]:
    counts: dict[str, int] = {}
    for hold in decision.holds.values():
        counts[hold.value] = counts.get(hold.value, 0) + 1
    return counts


def _call(
    capacity_plan: CapacityPlan,
    calls: list[Call],
    actor: Actor,
    now: datetime,
    run: DispatchRun | None,
    calls_this_hour: int,
    override_reason: str = "",
) -> list[CallUp]:
    """Call the trucks in bulk: a conditional update of their trips, then their events, queue
    entries, public call-ups and notifications (a handful of queries for any number)."""
    if not calls:
        return []
    from cuakhau.notifications.services import notices_enqueue

    ids = [call.trip_id for call in calls]
    entries = {
        entry.trip_id: entry
        for entry in QueueEntry.objects.filter(trip_id__in=ids).select_related(
            "trip", "trip__declaration"
        )
    }
    for call in calls:
        next_state(EXPORT, TripState(entries[call.trip_id].trip.state), Action.CALL)
    updated = Trip.objects.filter(pk__in=ids, state=TripState.ARRIVED).update(
        state=TripState.CALLED, state_changed_at=now
    )
    if updated != len(ids):
        raise Conflict("concurrent_update", M.CONCURRENT)
    expires = now + timedelta(minutes=settings.CUAKHAU_CALL_EXPIRY_MINUTES)
    lanes = max(1, capacity_plan.lanes_open)
    gate_id = capacity_plan.passage.gate_id
    events, call_ups, notices = [], [], []
    for index, call in enumerate(calls):
        entry = entries[call.trip_id]
        trip = entry.trip
        lane = (calls_this_hour + index) % lanes + 1
        reason = override_reason or entry.override_reason
        entry.status = QueueEntry.Status.CALLED
        entry.called_at = now
        entry.call_rule = call.rule.value
        entry.call_expires_at = expires
        entry.lane = lane
        data = {
            "rule": call.rule.value,
            "queue_number": entry.number,
            "lane": lane,
            "expires_at": expires.isoformat(),
            "run": run.pk if run else None,
        }
        events.append(
            TripEvent(
                trip_id=trip.pk,
                action=Action.CALL.value,
                state_before=TripState.ARRIVED,
                state_after=TripState.CALLED,
                actor=actor.user,
                actor_kind=actor.kind,
                actor_label=actor.label[:150],
                at=now,
                gate_id=gate_id,
                yard_id=entry.yard_id,
                reason=reason if call.rule is Rule.OVERRIDE else call.rule.value,
                data=data,
            )
        )
        call_ups.append(
            CallUp(
                passage_id=capacity_plan.passage_id,
                direction=capacity_plan.direction,
                gate_id_cache=gate_id,
                trip_id=trip.pk,
                trip_code=trip.code,
                at=now,
                rule=call.rule.value,
                priority=entry.priority,
                goods_group=entry.goods_group,
                joined_at=entry.joined_at,
                slot_start=entry.slot_start,
                order_tier=entry.order_tier,
                order_time=entry.order_time,
                override_reason=reason if call.rule is Rule.OVERRIDE else "",
                lane=lane,
                run=run,
                called_by=actor.label[:150],
            )
        )
        notices.append(M.call_notice(trip, entry, expires))
    _mark_called(entries.values(), now, expires)
    TripEvent.objects.bulk_create(events)
    created = CallUp.objects.bulk_create(call_ups)
    notices_enqueue(notices, now=now)
    return created


def _mark_called(entries: Iterable[QueueEntry], now: datetime, expires: datetime) -> None:
    """Write the calls onto the queue entries: one UPDATE for what they share and one per
    (rule, lane) — a handful — instead of a CASE per row and field, which costs more to build
    than to run."""
    groups: dict[tuple[str, int | None], list[int]] = {}
    for entry in entries:
        groups.setdefault((entry.call_rule, entry.lane), []).append(entry.pk)
    QueueEntry.objects.filter(pk__in=[pk for pks in groups.values() for pk in pks]).update(
        status=QueueEntry.Status.CALLED, called_at=now, call_expires_at=expires
    )
    for (rule, lane), pks in groups.items():
        QueueEntry.objects.filter(pk__in=pks).update(call_rule=rule, lane=lane)


def _expire_calls(capacity_plan: CapacityPlan, now: datetime) -> int:
    """Calls whose time ran out: the trucks go back to the queue as no-shows."""
    codes = list(
        QueueEntry.objects.filter(
            passage_id=capacity_plan.passage_id,
            direction=capacity_plan.direction,
            status=QueueEntry.Status.CALLED,
            call_expires_at__lt=now,
            trip__state=TripState.CALLED,
        ).values_list("trip__code", flat=True)
    )
    for code in codes:
        trip = _lock_trip_any(code)
        _no_show(trip, DISPATCHER, now, M.EXPIRED_REASON.vi)
    return len(codes)


# --- Out of turn, no-shows, extensions, entering the control area ---------------------------


def trip_call_up(*, actor: Actor, trip_code: str, reason: str = "") -> Trip:
    """An operator calls one truck. Calling the truck the policy would call next needs no
    reason; calling any other is out of turn and needs a written reason, published with the
    call. The control area's room holds either way."""
    user = _user(actor)
    require_role(user, CALL_ROLES)
    reason = reason.strip()
    with transaction.atomic(durable=True):
        # The plan row first, then the trip: the order the dispatcher locks them in.
        found = trip_for(user, trip_code)
        capacity_plan = _lock_plan(found.declaration.passage_id, found.declaration.direction)
        trip = _lock_visible_trip(user, trip_code)
        declaration = trip.declaration
        now = timezone.now()
        next_state(declaration.direction, TripState(trip.state), Action.CALL)
        from cuakhau.fees.services import require_fee_paid

        require_fee_paid(trip, "call_up")
        entry = QueueEntry.objects.get(trip_id=trip.pk)
        seen = capacity_now(capacity_plan, now)
        if seen.capacity.room <= 0:
            raise Conflict("control_area_full", M.ROOM_FULL.format(room=seen.inside))
        trucks = waiting_trucks(
            capacity_plan.passage_id,
            capacity_plan.direction,
            fee_before_call=fee_before_call(capacity_plan),
        )
        config = policy_config()
        head = min(trucks, key=lambda t: order_key(t, config)) if trucks else None
        if head is not None and head.trip_id == trip.pk:
            key = order_key(head, config)
            call = Call(trip.pk, rule_for(key, head.priority), key)
        else:
            if not reason:
                raise invalid([FieldError("reason", "out_of_turn_reason", M.OUT_OF_TURN)])
            truck = waiting_truck(entry)
            call = Call(trip.pk, Rule.OVERRIDE, order_key(truck, config))
        _call(capacity_plan, [call], actor, now, None, seen.calls_this_hour, reason)
        trip.refresh_from_db(fields=["state", "state_changed_at"])
    return trip


def queue_prioritise(*, actor: Actor, trip_code: str, reason: str) -> QueueEntry:
    """Out-of-turn priority: the truck goes to the head of its queue for the next call. Needs a
    written reason; the call that follows publishes it."""
    user = _user(actor)
    require_role(user, CALL_ROLES)
    reason = _required_reason(reason)
    with transaction.atomic(durable=True):
        trip = _lock_visible_trip(user, trip_code)
        now = timezone.now()
        entry = _waiting_entry(trip)
        entry.override_at = now
        entry.override_reason = reason[:500]
        entry.override_by = user
        _set_order(entry)
        entry.save(
            update_fields=[
                "override_at",
                "override_reason",
                "override_by",
                "order_tier",
                "order_time",
            ]
        )
        _trip_note(trip, "prioritise", actor, now, reason=entry.override_reason)
    return entry


def trip_no_show(*, actor: Actor, trip_code: str, reason: str = "") -> Trip:
    """An operator records that a called truck did not come: back to the queue, counted."""
    user = _user(actor)
    require_role(user, CALL_ROLES)
    with transaction.atomic(durable=True):
        trip = _lock_visible_trip(user, trip_code)
        now = timezone.now()
        _no_show(trip, actor, now, reason)
    return trip


def _no_show(trip: Trip, actor: Actor, now: datetime, reason: str) -> None:
    from cuakhau.declarations.services import trip_transition
    from cuakhau.notifications.services import notices_enqueue

    trip_transition(trip, Action.NO_SHOW, actor, now=now, reason=reason)
    entry = QueueEntry.objects.select_for_update().filter(trip_id=trip.pk).first()
    if entry is None:
        return
    # Back to the end of the living queue: the slot and any priority were used by the call.
    entry.status = QueueEntry.Status.WAITING
    entry.joined_at = now
    entry.slot_start = None
    entry.override_at = None
    entry.override_reason = ""
    entry.call_expires_at = None
    entry.lane = None
    entry.no_shows += 1
    _set_order(entry)
    entry.save()
    _record_outcome(trip.declaration.enterprise_id, trip, Outcome.NO_SHOW, now, actor)
    notices_enqueue([M.no_show_notice(trip, entry)], now=now)


def call_extend(*, actor: Actor, trip_code: str) -> QueueEntry:
    """Give a called truck more time, once per trip (the enterprise or an operator)."""
    user = _user(actor)
    if user.role_enum not in (Role.ENTERPRISE, *CALL_ROLES):
        require_role(user, frozenset({Role.ENTERPRISE, *CALL_ROLES}))
    with transaction.atomic(durable=True):
        trip = _lock_visible_trip(user, trip_code)
        now = timezone.now()
        entry = QueueEntry.objects.select_for_update().filter(trip_id=trip.pk).first()
        if entry is None or trip.state != TripState.CALLED or entry.call_expires_at is None:
            raise Conflict("not_called", M.NOT_CALLED.format(code=trip.code))
        if entry.extended_at is not None:
            raise Conflict("already_extended", M.ALREADY_EXTENDED.format(code=trip.code))
        if entry.call_expires_at < now:
            raise Conflict("call_expired", M.CALL_EXPIRED.format(code=trip.code))
        entry.call_expires_at += timedelta(minutes=settings.CUAKHAU_CALL_EXTENSION_MINUTES)
        entry.extended_at = now
        entry.save(update_fields=["call_expires_at", "extended_at"])
        _trip_note(
            trip,
            "call_extend",
            actor,
            now,
            data={"expires_at": entry.call_expires_at.isoformat()},
        )
    return entry


def queue_entered(trip: Trip, now: datetime, actor: Actor) -> None:
    """A called truck entered the control area (inside the caller's transaction)."""
    updated = QueueEntry.objects.filter(trip_id=trip.pk, status=QueueEntry.Status.CALLED).update(
        status=QueueEntry.Status.DONE
    )
    if updated:
        _record_outcome(trip.declaration.enterprise_id, trip, Outcome.SHOWED, now, actor)


def _record_outcome(
    enterprise_id: int, trip: Trip, outcome: Outcome, now: datetime, actor: Actor
) -> None:
    EnterpriseOutcome.objects.create(
        enterprise_id=enterprise_id, trip=trip, kind=outcome.value, at=now
    )
    if outcome is Outcome.SHOWED:
        return
    config = penalty_config()
    since = now - timedelta(seconds=max(config.cancellation_window, 90 * 24 * 3600.0))
    history = [
        (at.timestamp(), Outcome(kind))
        for kind, at in EnterpriseOutcome.objects.filter(enterprise_id=enterprise_id, at__gte=since)
        .order_by("at", "pk")
        .values_list("kind", "at")
    ]
    until = booking_block_until(history, config)
    if until is None:
        return
    ends_at = datetime.fromtimestamp(until, tz=now.tzinfo)
    if BookingBlock.objects.filter(
        enterprise_id=enterprise_id, lifted_at__isnull=True, ends_at__gte=ends_at
    ).exists():
        return
    why = M.BLOCK_NO_SHOWS if outcome is Outcome.NO_SHOW else M.BLOCK_CANCELLATIONS
    block = BookingBlock.objects.create(
        enterprise_id=enterprise_id, starts_at=now, ends_at=ends_at, reason=why.vi
    )
    _trip_note(
        trip, "booking_block", actor, now, reason=why.vi, data={"until": ends_at.isoformat()}
    )
    from cuakhau.notifications.services import notices_enqueue

    notices_enqueue([M.block_notice(block, trip.declaration.enterprise, why)], now=now)


# --- Pausing and capacity --------------------------------------------------------------------


def passage_pause(
    *, actor: Actor, passage_code: str, direction: str, paused: bool, reason: str
) -> CapacityPlan:
    """Stop (or resume) calls at a passage; both need a reason, shown on the board."""
    reason = _required_reason(reason)
    with transaction.atomic(durable=True):
        capacity_plan, now = _lock_plan_as_operator(actor, passage_code, direction)
        capacity_plan.is_paused = paused
        capacity_plan.pause_reason = reason[:300] if paused else ""
        _save_plan(capacity_plan, actor, now, ["is_paused", "pause_reason"])
        _passage_event(capacity_plan, "pause" if paused else "resume", actor, now, reason)
    return capacity_plan


@dataclass(frozen=True, slots=True)
class PlanChange:
    lanes_open: int
    minutes_per_vehicle: Decimal
    control_area_room: int
    slot_share_percent: int
    booking_days_ahead: int


PLAN_FIELDS = [
    "lanes_open",
    "minutes_per_vehicle",
    "control_area_room",
    "slot_share_percent",
    "booking_days_ahead",
]


def capacity_plan_update(
    *, actor: Actor, passage_code: str, direction: str, change: PlanChange, reason: str
) -> CapacityPlan:
    """Set a passage's lanes, pace, control-area room and booking rules, with the reason."""
    reason = _required_reason(reason)
    with transaction.atomic(durable=True):
        capacity_plan, now = _lock_plan_as_operator(actor, passage_code, direction)
        before = {name: str(getattr(capacity_plan, name)) for name in PLAN_FIELDS}
        for name in PLAN_FIELDS:
            setattr(capacity_plan, name, getattr(change, name))
        _save_plan(capacity_plan, actor, now, PLAN_FIELDS)
        after = {name: str(getattr(capacity_plan, name)) for name in PLAN_FIELDS}
        _passage_event(
            capacity_plan, "plan_update", actor, now, reason, {"before": before, "after": after}
        )
    return capacity_plan


def capacity_hour_set(
    *,
    actor: Actor,
    passage_code: str,
    direction: str,
    hour_start: datetime,
    calls: int | None,
    reason: str,
) -> CapacityOverride | None:
    """Set (or, with ``calls=None``, clear) the calls of one hour instead of the plan's."""
    reason = _required_reason(reason)
    # On the hour in Vietnam's time, where the plan's hours are (10:00+05:30 is 11:30 there).
    hour_start = hour_start.astimezone(plan.VIETNAM)
    if hour_start != plan.hour_floor(hour_start):
        raise invalid([FieldError("hour_start", "slot_not_on_hour", M.SLOT_ON_HOUR)])
    with transaction.atomic(durable=True):
        capacity_plan, now = _lock_plan_as_operator(actor, passage_code, direction)
        override = None
        CapacityOverride.objects.filter(
            passage_id=capacity_plan.passage_id, direction=direction, hour_start=hour_start
        ).delete()
        if calls is not None:
            override = CapacityOverride.objects.create(
                passage_id=capacity_plan.passage_id,
                direction=direction,
                hour_start=hour_start,
                calls=calls,
                reason=reason[:300],
                created_by=actor.user,
                created_at=now,
            )
        _passage_event(
            capacity_plan,
            "hour_override",
            actor,
            now,
            reason,
            {"hour": hour_start.isoformat(), "calls": calls},
        )
    return override


def partner_quota_set(
    *,
    actor: Actor,
    passage_code: str,
    direction: str,
    day: date,
    goods_group: str,
    trucks: int,
    note: str = "",
) -> PartnerQuota:
    """Record the partner side's acceptance for a day and goods group at the passage's gate."""
    if goods_group not in {group.value for group in GoodsGroup}:
        raise invalid(
            [FieldError("goods_group", "unknown", M.GOODS_GROUP.format(value=goods_group[:20]))]
        )
    with transaction.atomic(durable=True):
        capacity_plan, now = _lock_plan_as_operator(actor, passage_code, direction)
        quota, _ = PartnerQuota.objects.update_or_create(
            gate_id=capacity_plan.passage.gate_id,
            direction=direction,
            day=day,
            goods_group=goods_group,
            defaults={
                "trucks": trucks,
                "note": note.strip()[:300],
                "recorded_by": actor.user,
                "recorded_at": now,
            },
        )
        _passage_event(
            capacity_plan,
            "partner_quota",
            actor,
            now,
            note.strip(),
            {"day": day.isoformat(), "goods_group": goods_group, "trucks": trucks},
        )
    return quota


# Calendar entries: a closure or extended hours lasts at most this long, and is written at most
# this far ahead (a year's holidays are known in advance; anything longer is a new plan).
CALENDAR_MAX_DAYS = 90
CALENDAR_AHEAD_DAYS = 400


def calendar_entry_create(
    *,
    actor: Actor,
    passage_code: str,
    direction: str,
    kind: str,
    cause: str,
    starts_at: datetime,
    ends_at: datetime,
    names: Text,
    whole_gate: bool = False,
) -> CalendarEntry:
    """Close the passage for a while, or open it beyond its working hours (with ``whole_gate``,
    every passage of its gate). The names say why, in the three languages, and are public with
    both sides' local times. Recorded on each passage it changes."""
    now = timezone.now()
    names = Text(names.vi.strip(), names.en.strip(), names.zh.strip())
    starts_at = starts_at.astimezone(plan.VIETNAM)
    ends_at = ends_at.astimezone(plan.VIETNAM)
    _validate_calendar_entry(kind, cause, starts_at, ends_at, names, now)
    user = _user(actor)
    require_role(user, CALL_ROLES)
    passage = _passage(passage_code)
    require_gate(user, passage.gate_id)
    with transaction.atomic(durable=True):
        _plan_for(passage.pk, direction)  # the passage must have this direction
        plans = _lock_calendar_plans(passage.gate_id, None if whole_gate else passage.pk)
        entry = CalendarEntry.objects.create(
            gate_id=passage.gate_id,
            passage=None if whole_gate else passage,
            kind=kind,
            cause=cause,
            starts_at=starts_at,
            ends_at=ends_at,
            name_vi=names.vi[:200],
            name_en=names.en[:200],
            name_zh=names.zh[:200],
            created_by=user,
            created_at=now,
        )
        data = _calendar_data(entry)
        for capacity_plan in plans:
            _passage_event(capacity_plan, "calendar_add", actor, now, names.vi, data)
    return entry


def calendar_entry_delete(*, actor: Actor, entry_id: int, reason: str) -> dict[str, Any]:
    """Take a closure or extended hours off the calendar, with the reason. An entry that has
    ended stays on record. Returns what was deleted, as the audit records it."""
    reason = _required_reason(reason)
    user = _user(actor)
    require_role(user, CALL_ROLES)
    with transaction.atomic(durable=True):
        found = CalendarEntry.objects.filter(pk=entry_id).first()
        if found is None:
            raise NotFound("calendar_entry_not_found", M.CALENDAR_NONE.format(id=entry_id))
        require_gate(user, found.gate_id)
        # The plans first, then the entry: the order the dispatcher and ``create`` lock in.
        plans = _lock_calendar_plans(found.gate_id, found.passage_id)
        entry = CalendarEntry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None:
            raise NotFound("calendar_entry_not_found", M.CALENDAR_NONE.format(id=entry_id))
        now = timezone.now()
        if entry.ends_at <= now:
            raise Conflict("calendar_entry_ended", M.CALENDAR_ENDED)
        data = _calendar_data(entry)
        entry.delete()
        for capacity_plan in plans:
            _passage_event(capacity_plan, "calendar_delete", actor, now, reason, data)
    return data


def _validate_calendar_entry(
    kind: str, cause: str, starts_at: datetime, ends_at: datetime, names: Text, now: datetime
) -> None:
    errors = []
    if kind not in CalendarEntry.Kind.values:
        errors.append(FieldError("kind", "unknown", M.CALENDAR_KIND))
    if cause not in CalendarEntry.Cause.values:
        errors.append(
            FieldError("cause", "unknown", M.CALENDAR_CAUSE.format(value=str(cause)[:20]))
        )
    if not names.vi:
        errors.append(FieldError("name_vi", "required", M.CALENDAR_NAME))
    if ends_at <= starts_at:
        errors.append(FieldError("ends_at", "ends_before_start", M.CALENDAR_ENDS_FIRST))
    elif ends_at - starts_at > timedelta(days=CALENDAR_MAX_DAYS):
        errors.append(
            FieldError("ends_at", "too_long", M.CALENDAR_TOO_LONG.format(days=CALENDAR_MAX_DAYS))
        )
    elif ends_at <= now:
        errors.append(FieldError("ends_at", "in_the_past", M.CALENDAR_PAST))
    if starts_at > now + timedelta(days=CALENDAR_AHEAD_DAYS):
        errors.append(
            FieldError("starts_at", "too_far", M.CALENDAR_TOO_FAR.format(days=CALENDAR_AHEAD_DAYS))
        )
    if errors:
        raise invalid(errors)


def _lock_calendar_plans(gate_id: int, passage_id: int | None) -> list[CapacityPlan]:
    """The plans a calendar entry changes (the passage's, or every passage's of the gate),
    locked in one order so that two operators at the same gate never wait on each other."""
    plans = (
        CapacityPlan.objects.select_for_update(of=("self",))
        .select_related("passage")
        .filter(passage__gate_id=gate_id)
    )
    if passage_id is not None:
        plans = plans.filter(passage_id=passage_id)
    return list(plans.order_by("pk"))


def _calendar_data(entry: CalendarEntry) -> dict[str, Any]:
    vietnam = plan.both_local_times(entry.starts_at)[0], plan.both_local_times(entry.ends_at)[0]
    return {
        "entry": entry.pk,
        "kind": entry.kind,
        "cause": entry.cause,
        "whole_gate": entry.passage_id is None,
        "starts_at": entry.starts_at.isoformat(),
        "ends_at": entry.ends_at.isoformat(),
        "vietnam": f"{vietnam[0]} – {vietnam[1]}",
        "names": entry.names.as_dict(),
    }


def _lock_plan_as_operator(
    actor: Actor, passage_code: str, direction: str
) -> tuple[CapacityPlan, datetime]:
    user = _user(actor)
    require_role(user, CALL_ROLES)
    passage = _passage(passage_code)
    require_gate(user, passage.gate_id)
    return _lock_plan(passage.pk, direction), timezone.now()


def _save_plan(capacity_plan: CapacityPlan, actor: Actor, now: datetime, fields: list[str]) -> None:
    capacity_plan.updated_at = now
    capacity_plan.updated_by = actor.user
    capacity_plan.save(update_fields=[*fields, "updated_at", "updated_by"])


def _passage_event(
    capacity_plan: CapacityPlan,
    action: str,
    actor: Actor,
    now: datetime,
    reason: str,
    data: dict[str, Any] | None = None,
) -> None:
    PassageEvent.objects.create(
        passage_id=capacity_plan.passage_id,
        direction=capacity_plan.direction,
        **audit_values(action, actor, now, reason=reason, data=data),
    )


def _required_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise invalid([FieldError("reason", "required", M.REASON_REQUIRED)])
    return reason


# --- Building blocks ------------------------------------------------------------------------


def _user(actor: Actor) -> User:
    if actor.user is None:
        raise TypeError("this action needs a user")
    return actor.user


def _passage(code: str) -> Passage:
    passage = Passage.objects.filter(code=code.upper(), is_active=True).first()
    if passage is None:
        raise NotFound("passage_not_found", M.PASSAGE_NONE.format(code=code[:20]))
    return passage


def _plan_for(passage_id: int, direction: str, *, lock: bool = False) -> CapacityPlan:
    plans = CapacityPlan.objects.select_related("passage", "passage__gate")
    if lock:
        plans = plans.select_for_update(of=("self",))
    found = plans.filter(passage_id=passage_id, direction=direction).first()
    if found is None:
        raise Conflict("no_capacity_plan", M.NO_PLAN)
    return found


def fee_before_call(capacity_plan: CapacityPlan) -> bool:
    """Whether the passage's gate wants the infrastructure fee paid before call-up."""
    return bool(capacity_plan.passage.gate.fee_due == Gate.FeeDue.CALL_UP)


def _lock_plan(passage_id: int, direction: str) -> CapacityPlan:
    """The passage's plan row, locked: every call-up takes it first (see the module's note)."""
    return _plan_for(passage_id, direction, lock=True)


def _lock_visible_trip(user: User, code: str) -> Trip:
    from cuakhau.declarations.services import lock_trip

    return lock_trip(user, code)


def _lock_trip_any(code: str) -> Trip:
    from cuakhau.declarations.selectors import attach_reference
    from cuakhau.reference.catalog import reference_index

    trip = (
        Trip.objects.select_for_update(of=("self",))
        .select_related("declaration", "declaration__enterprise")
        .get(code=code)
    )
    attach_reference(trip, reference_index())
    return trip


def _waiting_entry(trip: Trip) -> QueueEntry:
    entry = QueueEntry.objects.select_for_update().filter(trip_id=trip.pk).first()
    if (
        entry is None
        or entry.status != QueueEntry.Status.WAITING
        or trip.state != TripState.ARRIVED
    ):
        raise Conflict("not_waiting", M.NOT_WAITING.format(code=trip.code))
    return entry


def _trip_note(
    trip: Trip,
    action: str,
    actor: Actor,
    now: datetime,
    *,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """An event that records a queue action without changing the trip's state."""
    from cuakhau.declarations.services import trip_event

    trip_event(trip, action, trip.state, trip.state, actor, now=now, reason=reason, data=data)
