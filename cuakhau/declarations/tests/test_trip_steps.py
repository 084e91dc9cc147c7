"""Check-in, agency decisions, holds, refusals, departure and cancellation, through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cuakhau.checks.models import AgencyCheck
from cuakhau.conftest import electronics_import, fruit_export
from cuakhau.declarations.links import trip_qr_payload
from cuakhau.declarations.models import Declaration, Trip, TripEvent


@pytest.fixture
def declared(api_as, exporter):
    """A submitted fruit export: returns the first trip's code."""
    response = api_as(exporter).post("/declarations?submit=true", fruit_export())
    assert response.status_code == 201, response.json()
    return response.json()["trips"][0]["code"]


@pytest.fixture
def at_gate(api_as, declared, gate_operator):
    operator = api_as(gate_operator)
    operator.post("/checkins", {"yard": "XC", "code": declared})
    operator.post(f"/trips/{declared}/call")
    assert operator.post(f"/trips/{declared}/enter-control").json()["state"] == "AT_GATE"
    return declared


def _change_code_character(payload):
    head, token = payload.rsplit("/", 1)
    first = "1" if token[0] != "1" else "2"
    return f"{head}/{first}{token[1:]}"


def decide(api, code, agency, decision, reason=""):
    return api.post(
        f"/trips/{code}/checks/{agency}/decision", {"decision": decision, "reason": reason}
    )


# --- Check-in -----------------------------------------------------------------------------


def test_check_in_by_scanning_the_signed_qr(api_as, declared, gate_operator):
    reply = api_as(gate_operator).post("/checkins", {"yard": "XC", "qr": trip_qr_payload(declared)})
    assert reply.status_code == 200, reply.json()
    assert reply.json()["state"] == "ARRIVED"
    assert reply.json()["yard"] == "XC"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda payload: payload[:-1] + ("A" if payload[-1] != "A" else "B"),  # signature changed
        lambda payload: _change_code_character(payload),  # code changed
        lambda payload: payload.rsplit(".", 1)[0],  # signature removed
        lambda payload: payload.rsplit("/", 1)[0] + "/0000000.AAAAAAAAAAAAAAAA",
    ],
    ids=["signature", "code", "no-signature", "made-up"],
)
def test_a_forged_or_altered_qr_is_refused_and_nothing_changes(
    api_as, declared, gate_operator, tamper
):
    forged = tamper(trip_qr_payload(declared))
    reply = api_as(gate_operator).post("/checkins", {"yard": "XC", "qr": forged})
    assert reply.status_code == 422
    assert reply.json()["code"] == "qr_invalid"
    assert reply.json()["messages"]["zh"]
    assert Trip.objects.get(code=declared).state == "DECLARED"


def test_a_qr_signed_for_another_trip_cannot_check_in_this_one(api_as, exporter, gate_operator):
    trips = api_as(exporter).post("/declarations?submit=true", fruit_export()).json()["trips"]
    first, second = trips[0]["code"], trips[1]["code"]
    signature = trip_qr_payload(first).rsplit(".", 1)[1]
    forged = trip_qr_payload(second).rsplit(".", 1)[0] + "." + signature
    reply = api_as(gate_operator).post("/checkins", {"yard": "XC", "qr": forged})
    assert reply.status_code == 422
    assert Trip.objects.get(code=second).state == "DECLARED"


def test_check_in_by_plate_typed_as_two_lines(api_as, declared, gate_operator):
    reply = api_as(gate_operator).post("/checkins", {"yard": "XC", "plate": "12c\n123.45"})
    assert reply.status_code == 200, reply.json()
    assert reply.json()["code"] == declared


def test_check_in_by_plate_with_two_declared_trips_asks_for_the_code(
    api_as, exporter, gate_operator
):
    api_as(exporter).post("/declarations?submit=true", fruit_export())
    other = fruit_export()
    other["customs_declarations"][0]["number"] = "305123456790"
    api_as(exporter).post("/declarations?submit=true", other)
    reply = api_as(gate_operator).post("/checkins", {"yard": "XC", "plate": "12C-123.45"})
    assert reply.status_code == 409
    assert reply.json()["code"] == "plate_ambiguous"


def test_check_in_at_a_yard_of_another_gate_is_refused(api_as, declared, gate_operator):
    reply = api_as(gate_operator).post("/checkins", {"yard": "BN", "code": declared})
    assert reply.status_code == 409
    assert reply.json()["code"] == "yard_wrong_gate"
    assert Trip.objects.get(code=declared).state == "DECLARED"


def test_check_in_twice_is_refused_with_the_state_named(api_as, declared, gate_operator):
    operator = api_as(gate_operator)
    operator.post("/checkins", {"yard": "XC", "code": declared})
    reply = operator.post("/checkins", {"yard": "XC", "code": declared})
    assert reply.status_code == 409
    assert reply.json()["code"] == "transition_not_allowed"
    assert "queued" in reply.json()["messages"]["en"]
    assert TripEvent.objects.filter(trip__code=declared, action="check_in").count() == 1


def test_an_expired_declaration_cannot_check_in(api_as, declared, gate_operator):
    Declaration.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    reply = api_as(gate_operator).post("/checkins", {"yard": "XC", "code": declared})
    assert reply.status_code == 409
    assert reply.json()["code"] == "declaration_expired"


def test_only_gate_operators_check_in(api_as, declared, customs_officer, exporter):
    for user in (customs_officer, exporter):
        reply = api_as(user).post("/checkins", {"yard": "XC", "code": declared})
        assert reply.status_code == 403
        assert reply.json()["code"] == "role_not_allowed"


def test_an_operator_of_another_gate_cannot_check_in(api_as, declared):
    from cuakhau.accounts.roles import Role
    from cuakhau.conftest import make_user

    chi_ma_operator = make_user("chimaop", Role.GATE_OPERATOR, gates=("CM",))
    reply = api_as(chi_ma_operator).post("/checkins", {"yard": "XC", "code": declared})
    # The trip is at a gate this operator does not work at: they cannot even see it.
    assert reply.status_code == 404


# --- Agency decisions -----------------------------------------------------------------------


def test_a_trip_clears_only_when_every_required_agency_passed(
    api_as, at_gate, customs_officer, border_guard, plant_officer
):
    decide(api_as(customs_officer), at_gate, "customs", "passed")
    decide(api_as(border_guard), at_gate, "border_guard", "passed")
    assert Trip.objects.get(code=at_gate).state == "AT_GATE"
    decide(api_as(plant_officer), at_gate, "plant_quarantine", "passed")
    assert Trip.objects.get(code=at_gate).state == "CLEARED"
    clear = TripEvent.objects.get(trip__code=at_gate, action="clear")
    assert clear.actor.username == "thuc"
    assert clear.reason == "all required checks passed"


def test_a_hold_and_its_release_return_the_trip_where_it_was(
    api_as, at_gate, plant_officer, customs_officer, border_guard
):
    held = decide(
        api_as(plant_officer), at_gate, "plant_quarantine", "held", "Lấy mẫu kiểm tra sâu bệnh"
    )
    assert held.json()["state"] == "HELD"
    # Other agencies can still record their decision while the trip is held.
    assert decide(api_as(customs_officer), at_gate, "customs", "passed").status_code == 200
    assert Trip.objects.get(code=at_gate).state == "HELD"
    released = decide(api_as(plant_officer), at_gate, "plant_quarantine", "passed", "Mẫu đạt")
    assert released.json()["state"] == "AT_GATE"
    decide(api_as(border_guard), at_gate, "border_guard", "passed")
    assert Trip.objects.get(code=at_gate).state == "CLEARED"
    events = list(TripEvent.objects.filter(trip__code=at_gate).values_list("action", flat=True))
    assert events[-5:] == ["hold", "check_decision", "release", "check_decision", "clear"]
    hold = TripEvent.objects.get(trip__code=at_gate, action="hold")
    assert hold.reason == "Lấy mẫu kiểm tra sâu bệnh"
    assert hold.data == {
        "agency": "plant_quarantine",
        "check_before": "pending",
        "check_after": "held",
    }


def test_holding_or_refusing_needs_a_reason(api_as, at_gate, customs_officer):
    for decision in ("held", "refused"):
        reply = decide(api_as(customs_officer), at_gate, "customs", decision, "  ")
        assert reply.status_code == 422
        assert reply.json()["errors"][0]["field"] == "reason"
    assert AgencyCheck.objects.get(trip__code=at_gate, agency__code="customs").status == "pending"


def test_a_refusal_ends_the_trip(api_as, at_gate, border_guard, customs_officer):
    refused = decide(
        api_as(border_guard), at_gate, "border_guard", "refused", "Giấy phép lái xe hết hạn"
    )
    assert refused.json()["state"] == "REFUSED"
    late = decide(api_as(customs_officer), at_gate, "customs", "passed")
    assert late.status_code == 409
    assert late.json()["code"] == "trip_not_on_site"


def test_a_decided_check_cannot_be_decided_again(api_as, at_gate, customs_officer):
    decide(api_as(customs_officer), at_gate, "customs", "passed")
    again = decide(api_as(customs_officer), at_gate, "customs", "refused", "đổi ý")
    assert again.status_code == 409
    assert again.json()["code"] == "check_decision_not_allowed"


def test_an_officer_decides_only_for_their_own_agency(api_as, at_gate, customs_officer):
    reply = decide(api_as(customs_officer), at_gate, "plant_quarantine", "passed")
    assert reply.status_code == 403
    assert reply.json()["code"] == "agency_not_yours"


def test_an_officer_of_another_gate_cannot_decide(api_as, at_gate, chi_ma_customs):
    assert decide(api_as(chi_ma_customs), at_gate, "customs", "passed").status_code == 404


def test_a_check_the_cargo_does_not_need_is_not_found(
    api_as, exporter, gate_operator, animal_officer
):
    trip = api_as(exporter).post("/declarations?submit=true", electronics_import()).json()
    code = trip["trips"][0]["code"]
    api_as(gate_operator).post("/checkins", {"yard": "BN", "code": code})
    # Electronics need no animal quarantine: that officer does not even see the trip.
    assert decide(api_as(animal_officer), code, "animal_quarantine", "passed").status_code == 404


def test_decisions_wait_until_the_truck_is_on_site(api_as, declared, customs_officer):
    reply = decide(api_as(customs_officer), declared, "customs", "passed")
    assert reply.status_code == 409
    assert reply.json()["code"] == "trip_not_on_site"


# --- Departure and cancellation -------------------------------------------------------------


def test_departure_needs_clearance(api_as, at_gate, border_guard):
    reply = api_as(border_guard).post(f"/trips/{at_gate}/departure")
    assert reply.status_code == 409


def test_an_enterprise_cancels_a_declared_trip_with_a_reason(api_as, exporter, declared):
    missing = api_as(exporter).post(f"/trips/{declared}/cancel", {"reason": ""})
    assert missing.status_code == 422
    cancelled = api_as(exporter).post(f"/trips/{declared}/cancel", {"reason": "Xe hỏng"})
    assert cancelled.json()["state"] == "CANCELLED"
    event = TripEvent.objects.get(trip__code=declared, action="cancel")
    assert (event.reason, event.actor.username) == ("Xe hỏng", "alice")


def test_a_checked_in_trip_cannot_be_cancelled(api_as, exporter, declared, gate_operator):
    api_as(gate_operator).post("/checkins", {"yard": "XC", "code": declared})
    reply = api_as(exporter).post(f"/trips/{declared}/cancel", {"reason": "Đổi kế hoạch"})
    assert reply.status_code == 409
    assert Trip.objects.get(code=declared).state == "ARRIVED"


def test_events_cannot_be_rewritten(api_as, declared):
    event = TripEvent.objects.filter(trip__code=declared).first()
    event.reason = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
