"""Slot booking: one-hour slots bound to a trip's plates, ± grace at check-in, full hours that
offer the nearest free ones, rate limits and blocks, and no overbooking under concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from cuakhau.accounts.roles import Role
from cuakhau.conftest import make_enterprise, make_user
from cuakhau.core.actors import Actor
from cuakhau.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, RateLimited
from cuakhau.declarations import services as declaration_services
from cuakhau.declarations.documents import DeclarationDoc
from cuakhau.declarations.models import Declaration, Trip
from cuakhau.gates.models import CapacityPlan
from cuakhau.notifications.models import OutboxMessage
from cuakhau.queueing import services
from cuakhau.queueing.models import BookingBlock, QueueEntry, SlotBooking, SlotHour
from cuakhau.queueing.policy import Hold
from cuakhau.queueing.tests.test_dispatch import dispatch, plan

pytestmark = pytest.mark.django_db


def next_hour(hours: int = 2):
    return timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours)


def book(user, code, start):
    return services.slot_book(actor=Actor.of(user), trip_code=code, start=start)


def one_call_an_hour():
    """One call per hour, all of it bookable: the second booking of an hour finds it full."""
    plan(lanes_open=1, minutes_per_vehicle=60, slot_share_percent=100)


def test_a_booking_is_bound_to_the_trip_plates_and_declaration(declare, exporter):
    code = declare(1)[0]
    start = next_hour()
    booking = book(exporter, code, start)
    assert (booking.trip.code, booking.status) == (code, "booked")
    assert booking.tractor_plate == booking.trip.tractor_plate
    assert booking.declaration_id == booking.trip.declaration_id
    assert SlotHour.objects.get(pk=booking.slot_hour_id).booked == 1
    with pytest.raises(Conflict) as twice:
        book(exporter, code, start + timedelta(hours=1))
    assert twice.value.code == "booking_exists"


def test_another_enterprise_cannot_book_or_cancel_a_trip_that_is_not_its_own(
    declare, exporter, rival
):
    code = declare(1)[0]
    with pytest.raises(NotFound):
        book(rival, code, next_hour())
    book(exporter, code, next_hour())
    with pytest.raises(NotFound):
        services.slot_cancel(actor=Actor.of(rival), trip_code=code, reason="không cần")
    assert SlotBooking.objects.get(trip__code=code).status == "booked"


def test_a_full_hour_offers_the_nearest_free_ones(declare, exporter):
    one_call_an_hour()
    first, second = declare(2)
    start = next_hour(3)
    book(exporter, first, start)
    with pytest.raises(Conflict) as full:
        book(exporter, second, start)
    assert full.value.code == "slot_full"
    # The neighbours either side are offered, both sides' local times shown.
    before, after = start - timedelta(hours=1), start + timedelta(hours=1)
    for hour in (before, after):
        assert timezone.localtime(hour).strftime("%H:%M %d/%m") in full.value.message.vi
    assert "CN" in full.value.message.en
    assert SlotHour.objects.get(start=start).booked == 1
    assert not SlotBooking.objects.filter(trip__code=second).exists()


def test_slots_must_start_on_the_hour_in_the_booking_horizon(declare, exporter):
    code = declare(1)[0]
    for start, error in [
        (next_hour() + timedelta(minutes=15), "slot_not_on_hour"),
        (next_hour(0), "slot_past"),
        (next_hour(24 * 4), "slot_too_far"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            book(exporter, code, start)
        assert refused.value.errors[0].code == error


@pytest.mark.parametrize(
    ("arrive_before_start", "fit", "tier", "status"),
    [
        (timedelta(minutes=20), "in_window", 1, "used"),  # 20 min early: inside the grace
        (timedelta(minutes=-80), "in_window", 1, "used"),  # 20 min after the hour's end
        (timedelta(hours=2), "early", 1, "used"),  # waits for its window
        (timedelta(minutes=-100), "late", 2, "missed"),  # past the grace: living queue
    ],
)
def test_check_in_against_the_slot_window(
    declare, check_in, exporter, arrive_before_start, fit, tier, status
):
    code = declare(1)[0]
    start = next_hour(4)
    book(exporter, code, start)
    with mock.patch("django.utils.timezone.now", return_value=start - arrive_before_start):
        check_in(code)
    entry = QueueEntry.objects.get(trip__code=code)
    assert (entry.slot_fit, entry.order_tier) == (fit, tier)
    assert SlotBooking.objects.get(trip__code=code).status == status


def test_a_booked_truck_in_its_window_is_called_before_the_living_queue(
    declare, check_in, exporter, gate_operator
):
    plan(control_area_room=1)
    waiting = declare(1, green=False)[0]
    booked = declare(1, green=False)[0]
    start = next_hour(3)
    book(exporter, booked, start)
    with mock.patch("django.utils.timezone.now", return_value=start - timedelta(minutes=40)):
        check_in(waiting)
    with mock.patch("django.utils.timezone.now", return_value=start - timedelta(minutes=25)):
        check_in(booked)
    # Before the window opens the booked truck waits; at the window it goes first.
    early = dispatch(gate_operator, start - timedelta(minutes=35))
    assert early.decision.holds[Trip.objects.get(code=booked).pk] == Hold.SLOT_NOT_OPEN
    assert [c.trip_code for c in early.call_ups] == [waiting]
    services.trip_no_show(actor=Actor.of(gate_operator), trip_code=waiting)
    result = dispatch(gate_operator, start - timedelta(minutes=20))
    assert [(c.trip_code, c.rule) for c in result.call_ups] == [(booked, "slot")]


def test_a_changed_plate_voids_the_slot(declare, check_in, exporter):
    code = declare(1)[0]
    book(exporter, code, next_hour(4))
    declaration = Declaration.objects.get(trips__code=code)
    doc = declaration_services.declaration_document(declaration).model_dump(mode="json")
    doc["trips"][0]["tractor_plate"] = "12C-999.88"
    declaration_services.declaration_update(
        actor=Actor.of(exporter),
        declaration_id=declaration.pk,
        doc=DeclarationDoc.model_validate(doc),
        reason="Đổi xe",
    )
    check_in(code)
    entry = QueueEntry.objects.get(trip__code=code)
    assert entry.booking is None and entry.order_tier == 2
    assert SlotBooking.objects.get(trip__code=code).status == "cancelled"


@override_settings(CUAKHAU_BOOKINGS_PER_MINUTE=2)
def test_scripted_mass_booking_is_rate_limited(declare, exporter):
    codes = declare(3)
    book(exporter, codes[0], next_hour())
    book(exporter, codes[1], next_hour())
    with pytest.raises(RateLimited):
        book(exporter, codes[2], next_hour())
    assert SlotBooking.objects.count() == 2


def test_two_cancellations_in_thirty_days_block_new_bookings(declare, exporter):
    codes = declare(3)
    for code in codes[:2]:
        book(exporter, code, next_hour())
        services.slot_cancel(actor=Actor.of(exporter), trip_code=code, reason="Đổi lịch")
    assert SlotHour.objects.get(start=next_hour()).booked == 0
    assert BookingBlock.objects.filter(enterprise=exporter.enterprise).count() == 1
    with pytest.raises(NotAllowed):
        book(exporter, codes[2], next_hour())


def test_cancelling_a_booked_trip_counts_like_cancelling_its_slot(declare, exporter):
    exporter.enterprise.email = "xuatkhau@nongsan.example.vn"
    exporter.enterprise.save()
    first, second = declare(1)[0], declare(1)[0]
    book(exporter, first, next_hour())
    declaration_services.trip_cancel(actor=Actor.of(exporter), trip_code=first, reason="Hủy chuyến")
    assert SlotHour.objects.get(start=next_hour()).booked == 0
    assert SlotBooking.objects.get(trip__code=first).status == "cancelled"
    assert not BookingBlock.objects.exists()
    # The second cancellation within 30 days blocks bookings, and the enterprise is told.
    book(exporter, second, next_hour())
    services.slot_cancel(actor=Actor.of(exporter), trip_code=second, reason="Đổi lịch")
    assert BookingBlock.objects.filter(enterprise=exporter.enterprise).exists()
    notice = OutboxMessage.objects.get(kind="enterprise.booking_blocked", channel="email")
    assert notice.recipient == exporter.enterprise.email
    assert "预约已暂停" in notice.subject


def test_a_declaration_cancelled_with_several_booked_trucks_counts_once(declare, exporter):
    codes = declare(2)
    for code in codes:
        book(exporter, code, next_hour())
    declaration = Declaration.objects.get(trips__code=codes[0])
    declaration_services.declaration_cancel(
        actor=Actor.of(exporter), declaration_id=declaration.pk, reason="Khách hủy đơn"
    )
    assert SlotHour.objects.get(start=next_hour()).booked == 0
    assert not BookingBlock.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_bookings_never_overfill_an_hour(declare):
    """Eight enterprises book the same hour at once; three places: three bookings, no more."""
    from cuakhau.gates.models import WorkingHours

    WorkingHours.objects.all().delete()
    CapacityPlan.objects.filter(passage__code="HN-1119", direction="export").update(
        lanes_open=1, minutes_per_vehicle=20, slot_share_percent=100
    )
    start = next_hour(2)
    users, codes = [], []
    for i in range(8):
        company = make_enterprise(f"Công ty {i}", 300 + i)
        user = make_user(f"firm{i}", Role.ENTERPRISE, enterprise=company)
        users.append(user)
        codes.append(declare(1, user=user)[0])
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []

    def attempt(user, code):
        try:
            barrier.wait()
            book(user, code, start)
            outcomes.append("booked")
        except Conflict as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=pair) for pair in zip(users, codes, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    hour = SlotHour.objects.get(start=start)
    assert (hour.capacity, hour.booked) == (3, 3)
    assert SlotBooking.objects.filter(start=start, status="booked").count() == 3
    assert sorted(outcomes) == ["booked"] * 3 + ["slot_full"] * 5
