"""The dispatcher on the database: who is called, in which order, with which rule; calls that
expire; no-shows, extensions and booking blocks; pauses, closures and quotas."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from cuakhau.core.actors import Actor
from cuakhau.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from cuakhau.declarations import services as declaration_services
from cuakhau.declarations.models import Trip, TripEvent
from cuakhau.gates.models import CalendarEntry, CapacityPlan, PartnerQuota
from cuakhau.notifications.models import OutboxMessage
from cuakhau.queueing import selectors, services
from cuakhau.queueing.models import BookingBlock, CallUp, QueueEntry

pytestmark = pytest.mark.django_db


def plan(**changes):
    capacity_plan = CapacityPlan.objects.select_related("passage").get(
        passage__code="HN-1119", direction="export"
    )
    for name, value in changes.items():
        setattr(capacity_plan, name, value)
    capacity_plan.save()
    return capacity_plan


def dispatch(operator, now=None):
    return services.dispatch_passage(
        actor=Actor.of(operator),
        passage_id=plan().passage_id,
        direction="export",
        now=now,
    )


def state(code):
    return Trip.objects.get(code=code).state


def test_check_in_puts_export_trucks_in_the_queue_with_class_number_and_place(declare, check_in):
    fruit = declare(1)[0]
    steel = declare(1, green=False)[0]
    check_in(steel)
    check_in(fruit)

    fruit_entry = QueueEntry.objects.get(trip__code=fruit)
    steel_entry = QueueEntry.objects.get(trip__code=steel)
    assert (fruit_entry.priority, fruit_entry.goods_group) == ("green", "fruit")
    assert (steel_entry.priority, steel_entry.goods_group) == ("ordinary", "general")
    assert fruit_entry.number == steel_entry.number + 1
    # The durian truck came later but is ahead: the green lane's lead.
    places = selectors.queue_places([fruit_entry.trip_id, steel_entry.trip_id])
    assert places[fruit_entry.trip_id].position == 1
    assert places[steel_entry.trip_id].position == 2
    assert places[fruit_entry.trip_id].predicted_call_at is not None
    assert (
        places[fruit_entry.trip_id].predicted_call_at
        <= places[steel_entry.trip_id].predicted_call_at
    )
    event = TripEvent.objects.get(trip__code=fruit, action="check_in")
    assert event.data["queue_number"] == fruit_entry.number
    assert event.data["priority"] == "green"


def test_dispatch_calls_by_the_policy_within_the_room_and_records_every_call(
    declare, check_in, gate_operator
):
    plan(control_area_room=2)
    steel = declare(2, green=False)
    fruit = declare(1)
    for code in [*steel, *fruit]:
        check_in(code)

    result = dispatch(gate_operator)

    called = [c.trip_code for c in result.call_ups]
    assert called == [fruit[0], steel[0]]
    assert [c.rule for c in result.call_ups] == ["green_lane", "queue"]
    assert state(steel[1]) == "ARRIVED"
    assert result.run.holds == {"control_area_full": 1}
    event = TripEvent.objects.get(trip__code=fruit[0], action="call")
    assert event.data["rule"] == "green_lane"
    assert event.actor == gate_operator
    entry = QueueEntry.objects.get(trip__code=fruit[0])
    assert entry.status == "called"
    assert entry.lane in (1, 2, 3)
    assert entry.call_expires_at == result.run.at + timedelta(minutes=30)
    # The driver is told by SMS, through the outbox written with the call.
    sms = OutboxMessage.objects.filter(kind="trip.called", channel="sms")
    assert sms.count() == 2
    # A second cycle calls nobody: the room is taken by the two called trucks.
    assert dispatch(gate_operator).call_ups == []


def test_the_operator_sees_why_each_truck_waits(declare, check_in, gate_operator):
    plan(control_area_room=1)
    codes = declare(2, green=False)
    for code in codes:
        check_in(code)
    view = selectors.passage_queue(plan())
    assert [(line.trip_code, line.would_call, line.hold) for line in view.lines] == [
        (codes[0], True, ""),
        (codes[1], False, "control_area_full"),
    ]


def test_a_paused_passage_calls_nobody_and_says_so(declare, check_in, gate_operator):
    code = declare(1)[0]
    check_in(code)
    services.passage_pause(
        actor=Actor.of(gate_operator),
        passage_code="HN-1119",
        direction="export",
        paused=True,
        reason="Phía Trung Quốc tạm dừng tiếp nhận",
    )
    result = dispatch(gate_operator)
    assert result.call_ups == []
    assert result.run.holds == {"paused": 1}
    assert state(code) == "ARRIVED"


def test_a_closure_stops_calls_and_the_partner_quota_caps_a_goods_group(
    declare, check_in, gate_operator
):
    fruit = declare(2)
    steel = declare(1, green=False)
    for code in [*fruit, *steel]:
        check_in(code)
    now = timezone.now()
    passage = plan().passage
    closure = CalendarEntry.objects.create(
        gate_id=passage.gate_id,
        kind="closure",
        cause="partner_closed",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        name_vi="Phía bạn nghỉ lễ",
    )
    assert dispatch(gate_operator, now).run.holds == {"closed": 3}
    closure.delete()

    PartnerQuota.objects.create(
        gate_id=passage.gate_id,
        direction="export",
        day=timezone.localdate(now),
        goods_group="fruit",
        trucks=1,
    )
    result = dispatch(gate_operator, now)
    assert [c.trip_code for c in result.call_ups] == [fruit[0], steel[0]]
    assert result.run.holds == {"partner_quota": 1}


def test_calling_out_of_turn_needs_a_reason_that_is_published(declare, check_in, gate_operator):
    first, second = declare(2, green=False)
    check_in(first)
    check_in(second)
    operator = Actor.of(gate_operator)

    with pytest.raises(InvalidInput) as refused:
        services.trip_call_up(actor=operator, trip_code=second)
    assert refused.value.errors[0].code == "out_of_turn_reason"
    assert state(second) == "ARRIVED"

    services.trip_call_up(actor=operator, trip_code=second, reason="Xe chở hàng cứu trợ")
    record = CallUp.objects.get(trip__code=second)
    assert (record.rule, record.override_reason) == ("override", "Xe chở hàng cứu trợ")
    # The truck next in line needs no reason.
    services.trip_call_up(actor=operator, trip_code=first)
    assert CallUp.objects.get(trip__code=first).rule == "queue"


def test_priority_with_a_reason_puts_a_truck_first_for_the_next_cycle(
    declare, check_in, gate_operator
):
    plan(control_area_room=1)
    first, second = declare(2, green=False)
    check_in(first)
    check_in(second)
    with pytest.raises(InvalidInput):
        services.queue_prioritise(actor=Actor.of(gate_operator), trip_code=second, reason=" ")
    services.queue_prioritise(
        actor=Actor.of(gate_operator), trip_code=second, reason="Hàng y tế khẩn cấp"
    )
    result = dispatch(gate_operator)
    assert [(c.trip_code, c.rule, c.override_reason) for c in result.call_ups] == [
        (second, "override", "Hàng y tế khẩn cấp")
    ]


def test_an_expired_call_sends_the_truck_back_and_two_in_a_row_block_bookings(
    declare, check_in, gate_operator, exporter
):
    plan(control_area_room=1)
    first, second = declare(2, green=False)
    check_in(first)
    t0 = timezone.now()
    dispatch(gate_operator, t0)
    assert state(first) == "CALLED"

    # 31 minutes later the call has expired: the truck is back at the end of the queue.
    check_in(second)
    later = t0 + timedelta(minutes=31)
    result = dispatch(gate_operator, later)
    assert result.run.expired == 1
    entry = QueueEntry.objects.get(trip__code=first)
    assert entry.no_shows == 1
    assert entry.joined_at == later
    event = TripEvent.objects.filter(trip__code=first, action="no_show").get()
    assert event.actor_label == "dispatcher"
    assert OutboxMessage.objects.filter(kind="trip.call_expired").exists()
    # The second truck, which waited ahead of the returned one, was called in the same cycle.
    assert [c.trip_code for c in result.call_ups] == [second]

    assert not BookingBlock.objects.exists()
    with mock.patch("django.utils.timezone.now", return_value=later + timedelta(minutes=40)):
        services.trip_no_show(
            actor=Actor.of(gate_operator), trip_code=second, reason="Không có mặt"
        )
    block = BookingBlock.objects.get(enterprise=exporter.enterprise)
    assert block.ends_at - block.starts_at == timedelta(days=14)
    third = declare(1, green=False)[0]
    with pytest.raises(NotAllowed) as blocked:
        services.slot_book(
            actor=Actor.of(exporter),
            trip_code=third,
            start=timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=2),
        )
    assert blocked.value.code == "booking_blocked"


def test_a_show_between_no_shows_resets_the_count(declare, check_in, gate_operator, exporter):
    codes = declare(3, green=False)
    operator = Actor.of(gate_operator)
    for code in codes:
        check_in(code)
    services.trip_call_up(actor=operator, trip_code=codes[0])
    services.trip_no_show(actor=operator, trip_code=codes[0])
    services.trip_call_up(actor=operator, trip_code=codes[1])
    declaration_services.trip_enter_control(actor=operator, trip_code=codes[1])
    services.trip_call_up(actor=operator, trip_code=codes[2])
    services.trip_no_show(actor=operator, trip_code=codes[2])
    assert not BookingBlock.objects.exists()


def test_one_extension_per_trip(declare, check_in, gate_operator, exporter, rival):
    code = declare(1)[0]
    check_in(code)
    t0 = timezone.now()
    dispatch(gate_operator, t0)
    expires = QueueEntry.objects.get(trip__code=code).call_expires_at

    entry = services.call_extend(actor=Actor.of(exporter), trip_code=code)
    assert entry.call_expires_at == expires + timedelta(minutes=15)
    with pytest.raises(Conflict) as again:
        services.call_extend(actor=Actor.of(gate_operator), trip_code=code)
    assert again.value.code == "already_extended"
    # Another enterprise cannot even see the trip.
    with pytest.raises(NotFound) as stranger:
        services.call_extend(actor=Actor.of(rival), trip_code=code)
    assert stranger.value.code == "trip_not_found"
    # The extension holds: 31 minutes after the call it has not expired, 46 minutes it has.
    assert dispatch(gate_operator, t0 + timedelta(minutes=31)).run.expired == 0
    assert dispatch(gate_operator, t0 + timedelta(minutes=46)).run.expired == 1


def test_the_scheduled_cycle_runs_every_export_passage(declare, check_in):
    code = declare(1)[0]
    check_in(code)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now()):
        results = services.dispatch_all()
    assert {r.run.trigger for r in results} == {"schedule"}
    assert state(code) == "CALLED"
    assert CallUp.objects.get(trip__code=code).called_by == "dispatcher"


def test_entering_the_control_area_frees_room_only_when_the_truck_leaves(
    declare, check_in, gate_operator
):
    plan(control_area_room=1)
    first, second = declare(2, green=False)
    check_in(first)
    check_in(second)
    operator = Actor.of(gate_operator)
    dispatch(gate_operator)
    declaration_services.trip_enter_control(actor=operator, trip_code=first)
    # Inside the control area it still takes the room.
    assert dispatch(gate_operator).call_ups == []
    with pytest.raises(Conflict) as full:
        services.trip_call_up(actor=operator, trip_code=second, reason="thử")
    assert full.value.code == "control_area_full"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_call_notice_survives_a_crash_between_commit_and_delivery(
    declare, check_in, gate_operator
):
    from cuakhau.gates.models import WorkingHours
    from cuakhau.notifications.services import outbox_deliver_due

    WorkingHours.objects.all().delete()
    code = declare(1)[0]
    check_in(code)
    dispatch(gate_operator)
    # The process dies here: the call is committed, nothing was sent yet.
    message = OutboxMessage.objects.get(kind="trip.called", channel="sms")
    assert message.status == "pending"
    assert code in message.event_id
    # A worker started later finds it and sends it.
    report = outbox_deliver_due()
    assert report.delivered == 1
    message.refresh_from_db()
    assert message.status == "delivered"


def test_a_cycle_that_fails_calls_nobody_and_tells_nobody(declare, check_in, gate_operator):
    code = declare(1)[0]
    check_in(code)
    with (
        mock.patch.object(CallUp.objects, "bulk_create", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        dispatch(gate_operator)
    assert state(code) == "ARRIVED"
    assert not OutboxMessage.objects.exists()
    assert not TripEvent.objects.filter(trip__code=code, action="call").exists()
    assert QueueEntry.objects.get(trip__code=code).status == "waiting"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_dispatcher_and_operators_at_the_same_moment_never_overfill_the_control_area(
    declare, check_in, gate_operator
):
    import threading

    from django.db import connection

    from cuakhau.gates.models import WorkingHours

    WorkingHours.objects.all().delete()
    plan(control_area_room=3)
    codes = declare(8, green=False)
    for code in codes:
        check_in(code)
    operator = Actor.of(gate_operator)
    barrier = threading.Barrier(5)
    errors: list[str] = []

    def run(action):
        try:
            barrier.wait()
            action()
        except Conflict as error:
            errors.append(error.code)
        finally:
            connection.close()

    actions = [
        lambda: dispatch(gate_operator),
        lambda: dispatch(gate_operator),
        *[
            (lambda code=code: services.trip_call_up(actor=operator, trip_code=code, reason="gấp"))
            for code in codes[-3:]
        ],
    ]
    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    called = Trip.objects.filter(code__in=codes, state="CALLED").count()
    assert called == 3
    assert CallUp.objects.count() == 3
    assert set(errors) <= {"control_area_full"}
