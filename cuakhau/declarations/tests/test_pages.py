"""The enterprise's and the gate operator's pages, driven as a browser would (Django's client)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cuakhau.accounts.models import User
from cuakhau.conftest import electronics_import, fruit_export
from cuakhau.core.actors import Actor
from cuakhau.declarations import links, services
from cuakhau.declarations.documents import DeclarationDoc
from cuakhau.declarations.lifecycle import TripState
from cuakhau.declarations.models import CorrectionRequest, Declaration, Trip
from cuakhau.declarations.services import CheckInBy

pytestmark = pytest.mark.django_db


def client_for(user: User | None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def declare(
    user: User, *, submit: bool = True, plates: tuple[str, ...] = (), **changes: Any
) -> Declaration:
    document = fruit_export(**changes)
    for trip, plate in zip(document["trips"], plates, strict=False):
        trip["tractor_plate"] = plate
    doc = DeclarationDoc.model_validate(document)
    return services.declaration_create(actor=Actor.of(user), doc=doc, submit=submit)


def first_trip(declaration: Declaration) -> Trip:
    return declaration.trips.order_by("position").first()


def check_in(operator: User, trip: Trip, yard: str = "XC") -> Trip:
    return services.trip_check_in(
        actor=Actor.of(operator), yard_code=yard, by=CheckInBy(code=trip.code)
    )


# --- My declarations -----------------------------------------------------------------------


def test_my_declarations_lists_only_the_enterprises_own(exporter, rival):
    mine = declare(exporter)
    theirs = declare(rival, plates=("12C-999.99", "12C-999.98"))
    page = client_for(exporter).get(reverse("declarations:list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert mine.code in html
    assert theirs.code not in html
    assert first_trip(mine).code in html


def test_my_declarations_filters_by_status(exporter):
    submitted = declare(exporter)
    draft = declare(exporter, submit=False)
    html = client_for(exporter).get(reverse("declarations:list"), {"status": "draft"}).content
    assert draft.code.encode() in html
    assert submitted.code.encode() not in html


def test_my_declarations_are_paginated(exporter):
    for _ in range(21):
        declare(exporter, submit=False)
    client = client_for(exporter)
    first = client.get(reverse("declarations:list")).content.decode()
    second = client.get(reverse("declarations:list"), {"page": 2}).content.decode()
    assert first.count('href="/declarations/') >= 20
    assert "Page 2 of 2" in second


@pytest.mark.parametrize(
    "name", ["declarations:list", "declarations:new", "declarations:check_in", "checks:pending"]
)
def test_signed_out_visitors_are_sent_to_the_login_page(db, name):
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_officers_may_not_open_the_enterprise_pages(customs_officer, gate_operator):
    for user in (customs_officer, gate_operator):
        for name in ("declarations:list", "declarations:new", "accounts:tokens"):
            response = client_for(user).get(reverse(name))
            assert response.status_code == 403
            assert "This is for: enterprise user." in response.content.decode()


# --- The form ------------------------------------------------------------------------------


def test_new_declaration_form_carries_reference_data_and_api_endpoints(exporter):
    page = client_for(exporter).get(reverse("declarations:new"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="declaration-form"' in html
    assert 'data-mode="new"' in html
    for script in ("form-reference", "form-document", "form-endpoints", "form-text"):
        assert f'id="{script}"' in html
    assert "/api/v1/declarations/validate" in html
    assert "HN-1119" in html  # the passages of the gates, for the dependent select
    assert "declaration-form.js" in html
    assert page.context["reference"]["gates"][0]["code"] == "CKHN"


def test_the_form_speaks_the_readers_language(exporter):
    page = client_for(exporter, "zh-hans").get(reverse("declarations:new"))
    reference = page.context["reference"]
    assert reference["gates"][0]["name"] == "友谊口岸"
    assert {"code": "KGM", "name": "千克"} in reference["units"]


def test_a_draft_opens_in_the_form_with_its_document(exporter):
    draft = declare(exporter, submit=False)
    page = client_for(exporter).get(reverse("declarations:edit", args=[draft.pk]))
    assert page.status_code == 200
    document = page.context["document"]
    assert document["trips"][0]["code"] == first_trip(draft).code
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", document["planned_arrival"])
    assert page.context["mode"] == "edit"


def test_after_check_in_editing_becomes_a_correction_request(exporter, gate_operator):
    declaration = declare(exporter)
    check_in(gate_operator, first_trip(declaration))
    client = client_for(exporter)
    edit = client.get(reverse("declarations:edit", args=[declaration.pk]))
    assert edit.status_code == 302
    assert edit["Location"] == reverse("declarations:correct", args=[declaration.pk])
    correct = client.get(edit["Location"])
    assert correct.status_code == 200
    assert correct.context["mode"] == "correct"
    assert "data-reason" in correct.content.decode()


def test_another_enterprises_declaration_does_not_exist(exporter, rival):
    declaration = declare(exporter)
    client = client_for(rival)
    for name in ("declarations:detail", "declarations:edit", "declarations:correct"):
        assert client.get(reverse(name, args=[declaration.pk])).status_code == 404
    response = client.post(
        reverse("declarations:cancel", args=[declaration.pk]), {"reason": "not mine"}
    )
    assert response.status_code == 404
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.SUBMITTED


# --- Detail ---------------------------------------------------------------------------------


def test_declaration_detail_shows_goods_trips_qr_driver_link_and_timeline(exporter):
    declaration = declare(exporter)
    trip = first_trip(declaration)
    page = client_for(exporter).get(reverse("declarations:detail", args=[declaration.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sầu riêng tươi" in html and "08106000" in html
    assert "12C-123.45" in html
    assert "CSQU3054383" in html
    assert html.count("<svg") == 2  # one signed QR per trip
    assert reverse("declarations:trip_qr", args=[trip.code]) in html
    assert "/d/" + links.driver_token(trip.code).split(":")[0] in html
    assert "Declared" in html  # the state's name
    assert "Version 1" in html
    assert "alice" in html  # who submitted, in the timeline


def test_officers_see_the_declaration_at_their_gate_but_no_qr(exporter, customs_officer):
    declaration = declare(exporter)
    page = client_for(customs_officer).get(reverse("declarations:detail", args=[declaration.pk]))
    assert page.status_code == 200
    assert "<svg" not in page.content.decode()


def test_submitting_a_draft_from_its_page(exporter):
    draft = declare(exporter, submit=False)
    response = client_for(exporter).post(reverse("declarations:submit", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Declaration.Status.SUBMITTED
    assert first_trip(draft).state == TripState.DECLARED


def test_cancelling_needs_a_reason_and_says_so(exporter):
    declaration = declare(exporter)
    client = client_for(exporter)
    url = reverse("declarations:cancel", args=[declaration.pk])
    page = client.post(url, {"reason": " "}, follow=True)
    assert "A reason is required." in page.content.decode()
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.SUBMITTED
    page = client.post(url, {"reason": "Buyer cancelled the order"}, follow=True)
    assert "Declaration cancelled." in page.content.decode()
    assert set(declaration.trips.values_list("state", flat=True)) == {TripState.CANCELLED}


def test_cancelling_one_trip(exporter):
    declaration = declare(exporter)
    trip = first_trip(declaration)
    response = client_for(exporter).post(
        reverse("declarations:trip_cancel", args=[trip.code]), {"reason": "Truck broke down"}
    )
    assert response.status_code == 302
    trip.refresh_from_db()
    assert trip.state == TripState.CANCELLED
    assert trip.events.last().reason == "Truck broke down"


def test_qr_png_and_print_sheet_for_the_owner_only(exporter, rival):
    trip = first_trip(declare(exporter))
    png = client_for(exporter).get(
        reverse("declarations:trip_qr", args=[trip.code]), {"download": "1"}
    )
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert f"trip-{trip.code}.png" in png["Content-Disposition"]
    sheet = client_for(exporter).get(reverse("declarations:trip_print", args=[trip.code]))
    assert sheet.status_code == 200 and "<svg" in sheet.content.decode()
    assert (
        client_for(rival).get(reverse("declarations:trip_qr", args=[trip.code])).status_code == 404
    )
    assert (
        client_for(rival).get(reverse("declarations:trip_print", args=[trip.code])).status_code
        == 404
    )


# --- Trip page and gate steps ---------------------------------------------------------------


def test_trip_page_offers_the_operator_the_next_steps(exporter, gate_operator):
    trip = first_trip(declare(exporter))
    check_in(gate_operator, trip)
    client = client_for(gate_operator)
    page = client.get(reverse("declarations:trip", args=[trip.code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-step="call"' in html
    assert 'data-step="depart"' not in html
    assert "<svg" not in html

    client.post(reverse("declarations:trip_step", args=[trip.code, "call"]))
    client.post(reverse("declarations:trip_step", args=[trip.code, "enter-control"]))
    trip.refresh_from_db()
    assert trip.state == TripState.AT_GATE


def test_a_step_the_lifecycle_refuses_is_a_message_not_an_error(exporter, gate_operator):
    trip = first_trip(declare(exporter))
    page = client_for(gate_operator).post(
        reverse("declarations:trip_step", args=[trip.code, "depart"]), follow=True
    )
    assert page.status_code == 200
    assert "Cannot depart a trip that is «Declared»." in page.content.decode()


def test_enterprises_cannot_move_their_trips(exporter, gate_operator):
    trip = first_trip(declare(exporter))
    check_in(gate_operator, trip)
    page = client_for(exporter).post(
        reverse("declarations:trip_step", args=[trip.code, "call"]), follow=True
    )
    assert "This is for: gate operator." in page.content.decode()
    trip.refresh_from_db()
    assert trip.state == TripState.ARRIVED


def test_trip_pages_are_scoped(exporter, rival, chi_ma_customs):
    trip = first_trip(declare(exporter))
    for user in (rival, chi_ma_customs):
        assert (
            client_for(user).get(reverse("declarations:trip", args=[trip.code])).status_code == 404
        )
    assert (
        client_for(exporter).get(reverse("declarations:trip", args=[trip.code])).status_code == 200
    )


def test_trips_at_my_gates_lists_trucks_on_site(exporter, gate_operator):
    declaration = declare(exporter)
    arrived, waiting = declaration.trips.order_by("position")
    check_in(gate_operator, arrived)
    client = client_for(gate_operator)
    html = client.get(reverse("declarations:trips")).content.decode()
    assert arrived.code in html and waiting.code not in html
    html = client.get(reverse("declarations:trips"), {"state": "all"}).content.decode()
    assert waiting.code in html
    assert client_for(exporter).get(reverse("declarations:trips")).status_code == 403


# --- Check-in -------------------------------------------------------------------------------


def test_check_in_page_offers_the_yards_of_the_operators_gates(gate_operator):
    page = client_for(gate_operator).get(reverse("declarations:check_in"))
    assert page.status_code == 200
    codes = {yard.code for yard in page.context["yards"]}
    assert codes == {"XC", "BN", "VTLP", "KPTQ"}


@pytest.mark.parametrize(
    "how", ["code", "lower-case code", "plate", "compact plate", "qr", "token"]
)
def test_check_in_by_code_plate_or_qr(exporter, gate_operator, how):
    trip = first_trip(declare(exporter))
    typed = {
        "code": trip.code,
        "lower-case code": trip.code.lower(),
        "plate": "12C-123.45",
        "compact plate": "12C12345",  # also looks like a trip code: the page tries both
        "qr": links.trip_qr_payload(trip.code),
        "token": links.trip_qr_payload(trip.code).rsplit("/", 1)[1],
    }[how]
    client = client_for(gate_operator)
    response = client.post(reverse("declarations:check_in"), {"yard": "XC", "q": typed})
    assert response.status_code == 302, response.content.decode()[:2000]
    trip.refresh_from_db()
    assert trip.state == TripState.ARRIVED
    assert trip.yard.code == "XC"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert 'data-testid="checkin-result"' in html
    assert 'data-state="ARRIVED"' in html
    assert "In the yard, queued" in html
    assert "Công ty TNHH Nông sản Xanh Lạng Sơn" in html
    assert page.context["recent"][0] == trip


def test_import_checked_in_by_chinese_plate_is_entered(exporter, gate_operator):
    doc = DeclarationDoc.model_validate(electronics_import())
    declaration = services.declaration_create(actor=Actor.of(exporter), doc=doc, submit=True)
    client = client_for(gate_operator)
    client.post(reverse("declarations:check_in"), {"yard": "BN", "q": "桂F 12345"})
    assert first_trip(declaration).state == TripState.ENTERED


def test_a_forged_qr_is_refused_with_a_clear_message(exporter, gate_operator):
    trip = first_trip(declare(exporter))
    forged = links.trip_qr_payload(trip.code)[:-4] + "AAAA"
    page = client_for(gate_operator).post(
        reverse("declarations:check_in"), {"yard": "XC", "q": forged}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="checkin-error"' in html
    assert "The QR code is not valid or has been altered." in html
    trip.refresh_from_db()
    assert trip.state == TripState.DECLARED


def test_check_in_errors_are_shown(exporter, gate_operator):
    trip = first_trip(declare(exporter))
    check_in(gate_operator, trip)
    client = client_for(gate_operator)
    twice = client.post(reverse("declarations:check_in"), {"yard": "XC", "q": trip.code})
    assert "Cannot check in a trip that is «In the yard, queued»." in twice.content.decode()
    unknown = client.post(reverse("declarations:check_in"), {"yard": "XC", "q": "29C-999.99"})
    assert "No declared trip for vehicle 29C-999.99 at this yard." in unknown.content.decode()
    wrong_yard = client.post(reverse("declarations:check_in"), {"yard": "BN", "q": "12C-678.90"})
    assert "No declared trip for vehicle" in wrong_yard.content.decode()


def test_only_gate_operators_check_in(exporter, customs_officer, border_guard):
    for user in (exporter, customs_officer, border_guard):
        assert client_for(user).get(reverse("declarations:check_in")).status_code == 403
        assert (
            client_for(user).post(reverse("declarations:check_in"), {"q": "X"}).status_code == 403
        )


# --- Corrections ----------------------------------------------------------------------------


def request_correction(exporter: User, declaration: Declaration) -> CorrectionRequest:
    doc = services.declaration_document(declaration).model_copy(deep=True)
    doc.trips[0].driver_phone = "0911222333"
    return services.correction_request_create(
        actor=Actor.of(exporter), declaration_id=declaration.pk, doc=doc, reason="New driver"
    )


def test_border_guard_approves_a_correction_on_the_page(exporter, gate_operator, border_guard):
    declaration = declare(exporter)
    check_in(gate_operator, first_trip(declaration))
    correction = request_correction(exporter, declaration)
    client = client_for(border_guard)
    page = client.get(reverse("declarations:corrections"))
    assert page.status_code == 200
    html = page.content.decode()
    assert declaration.code in html and "911222333" in html and "New driver" in html
    page = client.post(
        reverse("declarations:correction_decide", args=[correction.pk]),
        {"approve": "1"},
        follow=True,
    )
    assert "approved: it is now version 2" in page.content.decode()
    declaration.refresh_from_db()
    assert declaration.version == 2
    owner_view = client_for(exporter).get(reverse("declarations:detail", args=[declaration.pk]))
    assert "Approved" in owner_view.content.decode()


def test_rejecting_a_correction_needs_a_reason(exporter, gate_operator, border_guard):
    declaration = declare(exporter)
    check_in(gate_operator, first_trip(declaration))
    correction = request_correction(exporter, declaration)
    client = client_for(border_guard)
    url = reverse("declarations:correction_decide", args=[correction.pk])
    page = client.post(url, {"approve": "0", "reason": ""}, follow=True)
    assert "A reason is required." in page.content.decode()
    client.post(url, {"approve": "0", "reason": "Driver not registered"})
    correction.refresh_from_db()
    assert correction.status == CorrectionRequest.Status.REJECTED


def test_corrections_page_is_for_the_approving_agencies(exporter, gate_operator, plant_officer):
    for user in (exporter, gate_operator, plant_officer):
        assert client_for(user).get(reverse("declarations:corrections")).status_code == 403


# --- The driver's page ----------------------------------------------------------------------


def test_driver_page_shows_qr_plate_and_state_without_login(exporter):
    trip = first_trip(declare(exporter))
    page = Client().get(reverse("declarations:driver", args=[links.driver_token(trip.code)]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    assert "12C-123.45" in html
    assert 'data-state="DECLARED"' in html
    assert f"/api/v1/public/trips/{trip.code}" in html
    assert "driver.js" in html


def test_a_forged_driver_link_is_not_found(exporter):
    trip = first_trip(declare(exporter))
    token = links.driver_token(trip.code)
    other = first_trip(declare(exporter, plates=("12C-555.55", "12C-555.56")))
    forged = other.code + token[len(trip.code) :]
    for bad in (forged, token[:-2] + "xx", "nonsense"):
        page = Client().get(reverse("declarations:driver", args=[bad]))
        assert page.status_code == 404
        assert "driver link is not valid" in page.content.decode() or page.status_code == 404


def test_a_draft_has_no_driver_page(exporter):
    trip = first_trip(declare(exporter, submit=False))
    page = Client().get(reverse("declarations:driver", args=[links.driver_token(trip.code)]))
    assert page.status_code == 404


def test_control_characters_and_long_text_are_refused_gently(exporter, gate_operator):
    # PostgreSQL refuses NUL in text: crafted requests must not turn into server errors.
    trip = first_trip(declare(exporter))
    operator = client_for(gate_operator)
    page = operator.post(reverse("declarations:check_in"), {"yard": "XC", "q": "12C\x00123"})
    assert page.status_code == 200
    assert operator.get(reverse("declarations:check_in"), {"last": "A\x00B"}).status_code == 200
    assert operator.get(reverse("declarations:trips"), {"q": "12C\x00"}).status_code == 200
    owner = client_for(exporter)
    assert owner.get(reverse("declarations:list"), {"q": "D\x00"}).status_code == 200
    response = owner.post(
        reverse("declarations:trip_cancel", args=[trip.code]), {"reason": "x\x00" + "y" * 900}
    )
    assert response.status_code == 302
    trip.refresh_from_db()
    assert trip.state == TripState.CANCELLED
    assert trip.events.last().reason == "x" + "y" * 499
    assert Client().get(reverse("situation:track"), {"code": "\x00"}).status_code == 200
