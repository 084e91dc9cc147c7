"""Officers acting on the same trip at the same moment cannot corrupt it.

Each officer runs in a thread with its own database connection; a barrier releases them
together. On PostgreSQL the trip row lock (SELECT … FOR UPDATE) orders them; on SQLite the
IMMEDIATE transactions do. Either way the outcome must be one of the serial outcomes.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from cuakhau.accounts.roles import Role
from cuakhau.checks.models import AgencyCheck
from cuakhau.checks.rules import CheckStatus
from cuakhau.checks.services import check_decide
from cuakhau.conftest import fruit_export, make_enterprise, make_user
from cuakhau.core.actors import Actor
from cuakhau.core.errors import DomainError
from cuakhau.declarations.documents import DeclarationDoc
from cuakhau.declarations.models import Trip, TripEvent
from cuakhau.declarations.services import (
    CheckInBy,
    declaration_create,
    trip_call,
    trip_check_in,
    trip_enter_control,
)

# serialized_rollback: the flush after each test would otherwise take the reference data
# (loaded by migrations) away from the tests that follow.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def run_together(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions in threads released at the same instant; return results or errors."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def worker(index: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = action()
        except DomainError as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def people() -> dict[str, Any]:
    enterprise = make_enterprise("Công ty TNHH Trái cây Đồng Đăng", 100_000_003)
    return {
        "exporter": make_user("alice", Role.ENTERPRISE, enterprise=enterprise),
        "operator": make_user("olga", Role.GATE_OPERATOR),
        "operator2": make_user("oanh", Role.GATE_OPERATOR),
        "customs": make_user("cuong", Role.CUSTOMS),
        "customs2": make_user("chau", Role.CUSTOMS),
        "guard": make_user("bien", Role.BORDER_GUARD),
        "plant": make_user("thuc", Role.PLANT_QUARANTINE),
    }


def declared_trip(people: dict[str, Any]) -> str:
    declaration = declaration_create(
        actor=Actor.of(people["exporter"]),
        doc=DeclarationDoc.model_validate(fruit_export()),
        submit=True,
    )
    return declaration.trips.order_by("position").first().code


def trip_at_gate(people: dict[str, Any]) -> str:
    code = declared_trip(people)
    operator = Actor.of(people["operator"])
    trip_check_in(actor=operator, yard_code="XC", by=CheckInBy(code=code))
    trip_call(actor=operator, trip_code=code)
    trip_enter_control(actor=operator, trip_code=code)
    return code


def test_three_agencies_passing_at_once_clear_the_trip_exactly_once(people):
    code = trip_at_gate(people)
    results = run_together(
        *[
            lambda user=people[who], agency=agency: check_decide(
                actor=Actor.of(user),
                trip_code=code,
                agency_code=agency,
                decision=CheckStatus.PASSED,
            )
            for who, agency in (
                ("customs", "customs"),
                ("guard", "border_guard"),
                ("plant", "plant_quarantine"),
            )
        ]
    )
    assert all(isinstance(r, AgencyCheck) for r in results), results
    assert Trip.objects.get(code=code).state == "CLEARED"
    assert TripEvent.objects.filter(trip__code=code, action="clear").count() == 1
    assert set(AgencyCheck.objects.filter(trip__code=code).values_list("status", flat=True)) == {
        "passed"
    }


def test_two_customs_officers_deciding_differently_at_once_one_wins(people):
    code = trip_at_gate(people)
    results = run_together(
        lambda: check_decide(
            actor=Actor.of(people["customs"]),
            trip_code=code,
            agency_code="customs",
            decision=CheckStatus.PASSED,
        ),
        lambda: check_decide(
            actor=Actor.of(people["customs2"]),
            trip_code=code,
            agency_code="customs",
            decision=CheckStatus.REFUSED,
            reason="Sai lệch số lượng",
        ),
    )
    winners = [r for r in results if isinstance(r, AgencyCheck)]
    losers = [r for r in results if isinstance(r, DomainError)]
    assert len(winners) == 1, results
    assert len(losers) == 1
    assert losers[0].code in ("check_decision_not_allowed", "trip_not_on_site")
    check = AgencyCheck.objects.get(trip__code=code, agency__code="customs")
    trip = Trip.objects.get(code=code)
    decisions = TripEvent.objects.filter(trip=trip, data__agency="customs")
    assert decisions.count() == 1
    # The stored outcome is exactly the winner's.
    assert check.status == winners[0].status
    assert trip.state == ("REFUSED" if check.status == "refused" else "AT_GATE")


def test_two_operators_checking_in_the_same_truck_check_it_in_once(people):
    code = declared_trip(people)
    results = run_together(
        lambda: trip_check_in(
            actor=Actor.of(people["operator"]), yard_code="XC", by=CheckInBy(code=code)
        ),
        lambda: trip_check_in(
            actor=Actor.of(people["operator2"]), yard_code="XC", by=CheckInBy(code=code)
        ),
    )
    assert sum(isinstance(r, Trip) for r in results) == 1, results
    refused = next(r for r in results if isinstance(r, DomainError))
    assert refused.code == "transition_not_allowed"
    assert TripEvent.objects.filter(trip__code=code, action="check_in").count() == 1
    assert Trip.objects.get(code=code).state == "ARRIVED"


def test_a_hold_and_a_pass_at_once_leave_a_consistent_trip(people):
    code = trip_at_gate(people)
    run_together(
        lambda: check_decide(
            actor=Actor.of(people["plant"]),
            trip_code=code,
            agency_code="plant_quarantine",
            decision=CheckStatus.HELD,
            reason="Lấy mẫu",
        ),
        lambda: check_decide(
            actor=Actor.of(people["customs"]),
            trip_code=code,
            agency_code="customs",
            decision=CheckStatus.PASSED,
        ),
        lambda: check_decide(
            actor=Actor.of(people["guard"]),
            trip_code=code,
            agency_code="border_guard",
            decision=CheckStatus.PASSED,
        ),
    )
    trip = Trip.objects.get(code=code)
    assert (trip.state, trip.held_from) == ("HELD", "AT_GATE")
    statuses = dict(AgencyCheck.objects.filter(trip=trip).values_list("agency__code", "status"))
    assert statuses == {"customs": "passed", "border_guard": "passed", "plant_quarantine": "held"}
    # The event chain is unbroken: each event starts where the previous one ended.
    events = list(TripEvent.objects.filter(trip=trip).order_by("at", "id"))
    for previous, event in itertools.pairwise(events):
        assert event.state_before == previous.state_after
