"""Agencies' pages: the checks waiting at the officer's gates and the decision form."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cuakhau.accounts.models import User
from cuakhau.checks.models import AgencyCheck
from cuakhau.conftest import electronics_import, fruit_export
from cuakhau.core.actors import Actor
from cuakhau.declarations import services
from cuakhau.declarations.documents import DeclarationDoc
from cuakhau.declarations.lifecycle import TripState
from cuakhau.declarations.models import Trip
from cuakhau.declarations.services import CheckInBy

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def arrived_trip(exporter: User, operator: User, document: dict | None = None) -> Trip:
    doc = DeclarationDoc.model_validate(document or fruit_export())
    declaration = services.declaration_create(actor=Actor.of(exporter), doc=doc, submit=True)
    trip = declaration.trips.order_by("position").first()
    yard = "XC" if declaration.gate.code == "CKHN" else "BN"
    return services.trip_check_in(
        actor=Actor.of(operator), yard_code=yard, by=CheckInBy(code=trip.code)
    )


def check_of(trip: Trip, agency: str) -> AgencyCheck:
    return AgencyCheck.objects.get(trip=trip, agency__code=agency)


def test_pending_checks_lists_trucks_waiting_for_the_agency(
    exporter, gate_operator, customs_officer, plant_officer
):
    trip = arrived_trip(exporter, gate_operator)
    for officer in (customs_officer, plant_officer):
        page = client_for(officer).get(reverse("checks:pending"))
        assert page.status_code == 200
        html = page.content.decode()
        assert trip.code in html
        assert "12C-123.45" in html
        assert reverse("checks:decide", args=[trip.code]) in html


def test_officers_of_other_gates_and_agencies_see_nothing(
    exporter, gate_operator, chi_ma_customs, plant_officer
):
    fruit = arrived_trip(exporter, gate_operator)
    electronics = arrived_trip(exporter, gate_operator, electronics_import())
    assert (
        fruit.code not in client_for(chi_ma_customs).get(reverse("checks:pending")).content.decode()
    )
    html = client_for(plant_officer).get(reverse("checks:pending")).content.decode()
    assert fruit.code in html and electronics.code not in html
    assert (
        client_for(chi_ma_customs).get(reverse("checks:decide", args=[fruit.code])).status_code
        == 404
    )
    assert (
        client_for(plant_officer).get(reverse("checks:decide", args=[electronics.code])).status_code
        == 404
    )


def test_pending_checks_is_for_checking_agencies_only(exporter, gate_operator, leader):
    for user in (exporter, gate_operator, leader):
        assert client_for(user).get(reverse("checks:pending")).status_code == 403


def test_decide_page_shows_cargo_vehicle_and_other_agencies(
    exporter, gate_operator, customs_officer, border_guard
):
    trip = arrived_trip(exporter, gate_operator)
    client_for(border_guard).post(
        reverse("checks:decide", args=[trip.code]), {"decision": "passed"}
    )
    page = client_for(customs_officer).get(reverse("checks:decide", args=[trip.code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sầu riêng tươi" in html and "08106000" in html  # cargo
    assert "CSQU3054383" in html and "12C-123.45" in html  # vehicle and container
    assert "Border guard: Passed" in html  # another agency's status
    assert 'data-check="pending"' in html


def test_passing_through_the_page(exporter, gate_operator, customs_officer):
    trip = arrived_trip(exporter, gate_operator)
    response = client_for(customs_officer).post(
        reverse("checks:decide", args=[trip.code]), {"decision": "passed"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("checks:pending")
    assert f"Trip {trip.code}: decision «Passed» recorded." in response.content.decode()
    check = check_of(trip, "customs")
    assert check.status == "passed" and check.officer.username == "cuong"


def test_holding_needs_a_reason_and_the_page_says_so(exporter, gate_operator, customs_officer):
    trip = arrived_trip(exporter, gate_operator)
    url = reverse("checks:decide", args=[trip.code])
    page = client_for(customs_officer).post(url, {"decision": "held", "reason": ""})
    assert page.status_code == 400
    html = page.content.decode()
    assert "A reason is required to hold or refuse." in html
    assert 'aria-invalid="true"' in html
    assert check_of(trip, "customs").status == "pending"
    client_for(customs_officer).post(url, {"decision": "held", "reason": "Physical inspection"})
    trip.refresh_from_db()
    assert trip.state == TripState.HELD


def test_refusing_through_the_page(exporter, gate_operator, plant_officer):
    trip = arrived_trip(exporter, gate_operator)
    client_for(plant_officer).post(
        reverse("checks:decide", args=[trip.code]),
        {"decision": "refused", "reason": "Pests found in the fruit"},
    )
    trip.refresh_from_db()
    assert trip.state == TripState.REFUSED
    assert check_of(trip, "plant_quarantine").reason == "Pests found in the fruit"


def test_a_decision_must_be_chosen(exporter, gate_operator, customs_officer):
    trip = arrived_trip(exporter, gate_operator)
    page = client_for(customs_officer).post(reverse("checks:decide", args=[trip.code]), {})
    assert page.status_code == 400
    assert "Choose a decision." in page.content.decode()


def test_a_decided_check_cannot_change_and_the_page_says_why(
    exporter, gate_operator, customs_officer
):
    trip = arrived_trip(exporter, gate_operator)
    client = client_for(customs_officer)
    url = reverse("checks:decide", args=[trip.code])
    client.post(url, {"decision": "passed"})
    page = client.post(url, {"decision": "refused", "reason": "changed my mind"})
    assert page.status_code == 400
    assert "it cannot become «Refused»" in page.content.decode()
