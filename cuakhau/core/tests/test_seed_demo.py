"""``cuakhau seed-demo`` builds a believable, consistent day through the services, once."""

from __future__ import annotations

import io
from collections import Counter
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.utils import timezone

from cuakhau.accounts.models import ApiToken, Enterprise, User
from cuakhau.accounts.roles import Role
from cuakhau.checks.models import AgencyCheck
from cuakhau.core import demo
from cuakhau.declarations.lifecycle import TripState
from cuakhau.declarations.models import (
    CorrectionRequest,
    Declaration,
    DeclarationVersion,
    Transshipment,
    Trip,
    TripEvent,
)
from cuakhau.gates.models import CalendarEntry, CapacityOverride, PartnerQuota, Yard
from cuakhau.queueing.models import (
    CallUp,
    DispatchRun,
    EnterpriseOutcome,
    PassageEvent,
    QueueEntry,
    SlotBooking,
)
from cuakhau.queueing.policy import Tier
from cuakhau.queueing.selectors import yard_board


def _seed(**options: object) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def _totals() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, Enterprise, Declaration, Trip, TripEvent, AgencyCheck, ApiToken)
    }


def test_the_demo_day_is_complete_consistent_and_seeded_once(db, settings):
    # Given a production-like setting, --force lets the demo in (tests run with DEBUG off)
    settings.DEBUG = False
    output = _seed(force=True)

    # About 200 trips, in every state of the lifecycle
    trips = list(Trip.objects.select_related("declaration").prefetch_related("events", "checks"))
    assert 190 <= len(trips) <= 210
    states = Counter(t.state for t in trips)
    assert set(states) == set(TripState)
    assert states[TripState.ARRIVED] == max(states.values())  # the queue at peak season
    assert states[TripState.DEPARTED] >= 30

    # Every trip's history is true: it starts at DRAFT (or on a transshipment) and ends where
    # the trip is, each event starting where the one before ended, in time order
    for trip in trips:
        events = list(trip.events.all())
        if trip.state == TripState.DRAFT:
            assert events == [], trip.code
            continue
        assert events[0].state_before == TripState.DRAFT or events[0].action == "transship_in"
        assert events[-1].state_after == trip.state, trip.code
        for before, after in pairwise(events):
            assert after.state_before == before.state_after, (trip.code, after.action)
            assert after.at >= before.at, trip.code
        # Checks are made at submission; receiving trucks of a transshipment carry none
        if trip.source_trip_id is None:
            assert trip.checks.all(), trip.code
        else:
            assert not trip.checks.all()

    # A cleared trip passed every check; a held or refused one has the check that says why
    for trip in trips:
        statuses = {c.status for c in trip.checks.all()}
        if trip.state in (TripState.CLEARED, TripState.DEPARTED) and trip.source_trip_id is None:
            assert statuses == {"passed"}, trip.code
        if trip.state == TripState.HELD:
            assert "held" in statuses
        if trip.state == TripState.REFUSED:
            assert "refused" in statuses
    at_gate = [t for t in trips if t.state == TripState.AT_GATE]
    assert all("pending" in {c.status for c in t.checks.all()} for t in at_gate)

    # Nothing is dated in the future
    latest = TripEvent.objects.order_by("-at").first()
    assert latest is not None
    assert latest.at <= timezone.now()

    _assert_the_queues(trips)
    _assert_the_fees()

    # The transshipment: a Chinese truck's goods onto two Vietnamese trucks at Xuân Cương B;
    # the Chinese truck goes home empty
    moves = list(Transshipment.objects.select_related("source_trip", "yard_zone__yard"))
    assert len(moves) == 2
    source = moves[0].source_trip
    assert {m.source_trip_id for m in moves} == {source.pk}
    assert (moves[0].yard_zone.yard.code, moves[0].yard_zone.code) == ("XC", "B")
    assert source.tractor_country == "CN"
    assert source.state == TripState.DEPARTED
    assert all(m.receiving_trip.tractor_country == "VN" for m in moves)

    # Corrections: a mistyped phone waits for the border guard; a container was fixed
    pending = CorrectionRequest.objects.get(status=CorrectionRequest.Status.PENDING)
    assert [c["path"].rsplit(".", 1)[-1] for c in pending.changes] == ["driver_phone"]
    assert pending.agency.code == "border_guard"
    assert pending.declaration.trips.exclude(checked_in_at=None).exists()
    approved = CorrectionRequest.objects.get(status=CorrectionRequest.Status.APPROVED)
    assert approved.changes[0]["path"].endswith("containers.0.number")
    assert TripEvent.objects.filter(action="amend").count() >= 2
    assert DeclarationVersion.objects.filter(number=2).count() >= 2

    # Several trucks on one declaration, a Chinese fee payer, declarations from an ERP token
    assert Declaration.objects.annotate(n=Count("trips")).filter(n__gte=3).exists()
    chinese_payer = Declaration.objects.filter(fee_payer_country="CN").first()
    assert chinese_payer is not None
    assert chinese_payer.fee_payer_tax_code == demo.ENTERPRISE_BY_KEY["youyi"].tax_code
    assert TripEvent.objects.filter(action="submit", actor_kind="token").exists()
    assert {t.tractor_country for t in trips} == {"VN", "CN"}
    assert {t.declaration.gate.code for t in trips} == {"CKHN", "TT"}

    # Accounts for every role, with the printed password, and the logins printed
    roles = set(User.objects.values_list("role", flat=True))
    assert roles >= {r.value for r in Role if r is not Role.MEDICAL_QUARANTINE}
    admin = User.objects.get(username=demo.ADMIN_USERNAME)
    assert admin.is_superuser and admin.check_password(demo.DEMO_PASSWORD)
    assert demo.DEMO_PASSWORD in output
    for account in demo.ACCOUNTS:
        assert account.username in output
    assert "/api/v1/docs" in output
    assert "ARRIVED" in output

    # When it runs again, it prints the logins and adds nothing
    before = _totals()
    settings.DEBUG = True
    again = _seed()
    assert "already there" in again
    assert demo.DEMO_PASSWORD in again
    assert _totals() == before


def test_it_refuses_to_run_with_debug_off_unless_forced(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        _seed()
    assert not User.objects.exists()


def test_an_interrupted_demo_is_reported_not_half_repeated(db, settings):
    settings.DEBUG = True
    User.objects.create(username="nongsan", role=Role.LEADER)
    with pytest.raises(CommandError, match="interrupted"):
        _seed()
    assert not Trip.objects.exists()


def _assert_the_queues(trips: list[Trip]) -> None:
    """The yard queues at the day's end: trucks waiting, slots, calls by the published rules,
    no-shows, the operators' capacity data and boards worth looking at."""
    now = timezone.now()

    # Trucks wait in the yards, green and ordinary, some booked for a coming hour
    waiting = QueueEntry.objects.filter(
        status=QueueEntry.Status.WAITING, trip__state=TripState.ARRIVED
    )
    assert 30 <= waiting.count() <= 70
    yards = Counter(waiting.values_list("yard__code", flat=True))
    assert yards["XC"] + yards["BN"] >= 10  # Xuân Cương (Hữu Nghị), Bảo Nguyên (Tân Thanh)
    assert {"green", "ordinary"} <= set(waiting.values_list("priority", flat=True))
    assert waiting.filter(order_tier=Tier.SLOT, slot_start__gt=now).exists()
    # Every export trip that checked in is in the queue; no import trip is
    exports = [t for t in trips if t.declaration.direction == "export" and t.checked_in_at]
    assert QueueEntry.objects.count() == len(exports)

    # Slots: used by trucks that came in their window, at least one missed, some booked ahead
    bookings = Counter(SlotBooking.objects.values_list("status", flat=True))
    assert bookings[SlotBooking.Status.USED] >= 3
    assert bookings[SlotBooking.Status.MISSED] >= 1
    assert bookings[SlotBooking.Status.BOOKED] >= 3

    # Calls: mostly the dispatcher's cycles, by the published rules; a few out of turn, each
    # with its written reason; one call-up record and one call event per call
    calls = list(CallUp.objects.all())
    rules = Counter(c.rule for c in calls)
    assert len(calls) >= 20
    assert rules["slot"] >= 1 and rules["green_lane"] >= 1
    assert set(rules) <= {"slot", "green_lane", "queue", "override"}
    assert 1 <= rules["override"] <= 4
    assert all(bool(c.override_reason) == (c.rule == "override") for c in calls)
    by_dispatcher = [c for c in calls if c.called_by == "dispatcher"]
    assert len(by_dispatcher) >= 0.8 * len(calls)
    assert all(c.run_id for c in by_dispatcher)
    assert TripEvent.objects.filter(action="call").count() == len(calls)
    assert DispatchRun.objects.filter(calls__gt=0).count() >= 10

    # No-shows: one recorded by an operator, and at least one returned by the dispatcher when
    # its call expired (a called truck that did not come within 30 minutes)
    assert TripEvent.objects.filter(action="no_show", actor_kind="system").exists()
    assert TripEvent.objects.filter(action="no_show", actor_kind="user").exists()
    assert DispatchRun.objects.filter(expired__gte=1).exists()
    assert EnterpriseOutcome.objects.filter(kind="no_show").count() >= 2

    # The operators' capacity data: the season's plans and extended hours, the partner side's
    # fruit quota at Tân Thanh today, an hour raised
    assert PassageEvent.objects.filter(action="plan_update").count() == 3
    assert CalendarEntry.objects.filter(kind=CalendarEntry.Kind.EXTENDED).count() == 2
    assert PartnerQuota.objects.filter(gate__code="TT", goods_group="fruit").exists()
    assert CapacityOverride.objects.exists()

    # The boards: called trucks on their way, and the next in line
    boards = [yard_board(yard, now=now) for yard in Yard.objects.filter(gates__code="CKHN")]
    boards += [yard_board(yard, now=now) for yard in Yard.objects.filter(code="BN")]
    # How many are on their way depends on the hour the demo ends (one or two calls an hour
    # in the season's plan): at least one, with the next in line on every busy board.
    assert any(board.called for board in boards)
    assert all(board.upcoming for board in boards if board.waiting)


def _assert_the_fees() -> None:
    from cuakhau.fees.models import Invoice, PaymentNotice, Receipt
    from cuakhau.fees.vietqr import parse

    invoices = list(Invoice.objects.all())
    assert len(invoices) > 50
    paid = [i for i in invoices if i.status == "paid"]
    assert len(paid) > len(invoices) // 2
    assert any(i.status == "unpaid" for i in invoices)
    # Every paid invoice has its receipt, numbered 1, 2, 3 … without a gap.
    sequences = sorted(Receipt.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, len(paid) + 1))
    assert {parse(i.qr_payload).purpose for i in invoices} == {i.code for i in invoices}
    open_notices = set(
        PaymentNotice.objects.exclude(status="matched").values_list("status", flat=True)
    )
    assert open_notices == {"underpaid", "unmatched"}
