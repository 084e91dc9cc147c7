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
