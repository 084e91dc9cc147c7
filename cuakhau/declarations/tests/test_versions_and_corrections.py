"""Drafts are edited in place; submitted declarations keep versions; after check-in a change is a
correction request the responsible agency approves or rejects online."""

from __future__ import annotations

import copy

import pytest

from cuakhau.checks.models import AgencyCheck
from cuakhau.conftest import fruit_export
from cuakhau.declarations.models import (
    CorrectionRequest,
    Declaration,
    DeclarationVersion,
    Trip,
    TripEvent,
)


def document_of(api, declaration_id):
    """The declaration as a document to edit (codes kept, ids dropped)."""
    detail = api.get(f"/declarations/{declaration_id}").json()
    versions = api.get(f"/declarations/{declaration_id}/versions").json()
    if versions:
        return copy.deepcopy(versions[-1]["document"])
    doc = fruit_export()
    for trip, stored in zip(doc["trips"], detail["trips"], strict=True):
        trip["code"] = stored["code"]
    return doc


def test_a_draft_is_edited_in_place_without_versions(api_as, exporter):
    api = api_as(exporter)
    draft = api.post("/declarations", fruit_export()).json()
    assert draft["status"] == "draft"
    assert all(t["state"] == "DRAFT" for t in draft["trips"])
    doc = document_of(api, draft["id"])
    doc["trips"][0]["driver_phone"] = "0911111111"
    doc["trips"].pop()  # drop the second truck
    edited = api.put(f"/declarations/{draft['id']}", doc)
    assert edited.status_code == 200, edited.json()
    assert [t["driver_phone"] for t in edited.json()["trips"]] == ["+84911111111"]
    assert edited.json()["trips"][0]["code"] == draft["trips"][0]["code"]
    assert not DeclarationVersion.objects.exists()
    assert not TripEvent.objects.exists()

    submitted = api.post(f"/declarations/{draft['id']}/submit")
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["version"] == 1
    again = api.post(f"/declarations/{draft['id']}/submit")
    assert again.status_code == 409


def test_a_submitted_declaration_keeps_every_version(api_as, exporter):
    api = api_as(exporter)
    declaration = api.post("/declarations?submit=true", fruit_export()).json()
    doc = document_of(api, declaration["id"])
    old_phone = doc["trips"][1]["driver_phone"]
    doc["trips"][1]["driver_phone"] = "0977777777"
    reply = api.put(f"/declarations/{declaration['id']}?reason=Đổi tài xế", doc)
    assert reply.status_code == 200, reply.json()
    assert reply.json()["version"] == 2
    versions = api.get(f"/declarations/{declaration['id']}/versions").json()
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[0]["document"]["trips"][1]["driver_phone"] == old_phone
    assert versions[1]["document"]["trips"][1]["driver_phone"] == "+84977777777"
    amend = TripEvent.objects.get(action="amend")
    assert amend.reason == "Đổi tài xế"
    assert amend.data["changes"] == [
        {"path": "driver_phone", "before": old_phone, "after": "+84977777777"}
    ]


def test_removing_a_trip_from_a_submitted_declaration_cancels_it(api_as, exporter):
    api = api_as(exporter)
    declaration = api.post("/declarations?submit=true", fruit_export()).json()
    doc = document_of(api, declaration["id"])
    dropped = doc["trips"].pop()["code"]
    api.put(f"/declarations/{declaration['id']}", doc)
    assert Trip.objects.get(code=dropped).state == "CANCELLED"


def test_goods_changes_recompute_the_required_checks(api_as, exporter):
    api = api_as(exporter)
    declaration = api.post("/declarations?submit=true", fruit_export()).json()
    doc = document_of(api, declaration["id"])
    line = doc["customs_declarations"][0]["lines"][0]
    line.update(description="Tôm đông lạnh", hs_code="03061790")
    api.put(f"/declarations/{declaration['id']}", doc)
    agencies = set(
        AgencyCheck.objects.filter(trip__declaration_id=declaration["id"]).values_list(
            "agency__code", flat=True
        )
    )
    assert agencies == {"customs", "border_guard", "animal_quarantine"}


@pytest.fixture
def checked_in(api_as, exporter, gate_operator):
    api = api_as(exporter)
    declaration = api.post("/declarations?submit=true", fruit_export()).json()
    code = declaration["trips"][0]["code"]
    assert api_as(gate_operator).post("/checkins", {"yard": "XC", "code": code}).status_code == 200
    return declaration


def test_after_check_in_a_direct_edit_is_refused_and_nothing_changes(api_as, exporter, checked_in):
    api = api_as(exporter)
    doc = document_of(api, checked_in["id"])
    doc["trips"][0]["driver_phone"] = "0900000000"
    reply = api.put(f"/declarations/{checked_in['id']}", doc)
    assert reply.status_code == 409
    assert reply.json()["code"] == "correction_required"
    assert Trip.objects.get(code=doc["trips"][0]["code"]).driver_phone == "+84912345678"


def test_a_vehicle_correction_goes_to_the_border_guard_who_approves_it(
    api_as, exporter, checked_in, border_guard, customs_officer
):
    api = api_as(exporter)
    doc = document_of(api, checked_in["id"])
    code = doc["trips"][0]["code"]
    doc["trips"][0]["containers"][0]["number"] = "CSQU3000010"
    request = api.post(
        f"/declarations/{checked_in['id']}/corrections",
        {"reason": "Gõ nhầm số container", "document": doc},
    )
    assert request.status_code == 201, request.json()
    correction = request.json()
    assert correction["agency"] == "border_guard"
    assert correction["changes"] == [
        {
            "path": f"trips.{code}.containers.0.number",
            "before": "CSQU3054383",
            "after": "CSQU3000010",
        }
    ]
    # Customs is not the responsible agency here.
    assert (
        api_as(customs_officer)
        .post(f"/corrections/{correction['id']}/decision", {"approve": True})
        .status_code
        == 404
    )
    approved = api_as(border_guard).post(
        f"/corrections/{correction['id']}/decision", {"approve": True, "reason": "Đã đối chiếu"}
    )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == "bien"
    trip = Trip.objects.get(code=code)
    assert trip.containers.get().number == "CSQU3000010"
    assert trip.state == "ARRIVED"
    assert Declaration.objects.get(pk=checked_in["id"]).version == 2
    amend = TripEvent.objects.get(trip=trip, action="amend")
    assert amend.reason.startswith(f"correction #{correction['id']}")


def test_a_goods_correction_goes_to_customs_who_may_reject_it_with_a_reason(
    api_as, exporter, checked_in, customs_officer
):
    api = api_as(exporter)
    doc = document_of(api, checked_in["id"])
    doc["customs_declarations"][0]["lines"][0]["quantity"] = "17500"
    correction = api.post(
        f"/declarations/{checked_in['id']}/corrections", {"reason": "Cân lại", "document": doc}
    ).json()
    assert correction["agency"] == "customs"
    officer = api_as(customs_officer)
    no_reason = officer.post(f"/corrections/{correction['id']}/decision", {"approve": False})
    assert no_reason.status_code == 422
    rejected = officer.post(
        f"/corrections/{correction['id']}/decision", {"approve": False, "reason": "Thiếu phiếu cân"}
    )
    assert rejected.json()["status"] == "rejected"
    assert Declaration.objects.get(pk=checked_in["id"]).version == 1
    twice = officer.post(f"/corrections/{correction['id']}/decision", {"approve": True})
    assert twice.status_code == 409


def test_one_pending_correction_at_a_time(api_as, exporter, checked_in):
    api = api_as(exporter)
    doc = document_of(api, checked_in["id"])
    doc["trips"][0]["driver_phone"] = "0900000001"
    first = api.post(
        f"/declarations/{checked_in['id']}/corrections",
        {"reason": "Sửa số điện thoại", "document": doc},
    )
    assert first.status_code == 201
    second = api.post(
        f"/declarations/{checked_in['id']}/corrections", {"reason": "Lần nữa", "document": doc}
    )
    assert second.status_code == 409
    assert second.json()["code"] == "correction_pending"
    assert CorrectionRequest.objects.count() == 1


def _drop_first_trip(doc):
    doc["trips"].pop(0)
    # Keep the document valid: the goods must fit on the remaining truck.
    doc["customs_declarations"][0]["lines"][0]["gross_weight_kg"] = "8000"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda doc: doc.update(gate="TT", passage="TT-1088"), "correction_fixed_field"),
        (_drop_first_trip, "correction_drops_trip"),
        (lambda doc: None, "correction_empty"),
    ],
    ids=["moves-gate", "drops-checked-in-trip", "changes-nothing"],
)
def test_corrections_that_cannot_be_made(api_as, exporter, checked_in, change, code):
    api = api_as(exporter)
    doc = document_of(api, checked_in["id"])
    change(doc)
    reply = api.post(
        f"/declarations/{checked_in['id']}/corrections", {"reason": "thử", "document": doc}
    )
    assert reply.status_code == 409
    assert reply.json()["code"] == code
    assert not CorrectionRequest.objects.exists()


def test_a_correction_needs_a_reason_and_a_valid_document(api_as, exporter, checked_in):
    api = api_as(exporter)
    doc = document_of(api, checked_in["id"])
    assert (
        api.post(
            f"/declarations/{checked_in['id']}/corrections", {"reason": "", "document": doc}
        ).status_code
        == 422
    )
    doc["trips"][0]["tractor_plate"] = "12C-ABC"
    invalid = api.post(
        f"/declarations/{checked_in['id']}/corrections", {"reason": "sửa biển", "document": doc}
    )
    assert invalid.status_code == 422
    # Fields are named as in the request body: the document is under "document".
    assert invalid.json()["errors"][0]["field"] == "document.trips.0.tractor_plate"


def test_a_correction_on_a_stale_version_is_refused(api_as, exporter, checked_in, border_guard):
    api = api_as(exporter)
    doc = document_of(api, checked_in["id"])
    doc["trips"][0]["driver_phone"] = "0900000002"
    correction = api.post(
        f"/declarations/{checked_in['id']}/corrections", {"reason": "Sửa", "document": doc}
    ).json()
    Declaration.objects.filter(pk=checked_in["id"]).update(version=5)
    reply = api_as(border_guard).post(
        f"/corrections/{correction['id']}/decision", {"approve": True}
    )
    assert reply.status_code == 409
    assert reply.json()["code"] == "correction_stale"
    assert CorrectionRequest.objects.get().status == "pending"


def test_an_enterprise_cannot_correct_another_enterprises_declaration(
    api_as, exporter, rival, checked_in
):
    doc = document_of(api_as(exporter), checked_in["id"])
    doc["trips"][0]["driver_phone"] = "0900000003"
    reply = api_as(rival).post(
        f"/declarations/{checked_in['id']}/corrections", {"reason": "x", "document": doc}
    )
    assert reply.status_code == 404


def test_cancelling_a_declaration_after_check_in_is_refused(api_as, exporter, checked_in):
    reply = api_as(exporter).post(
        f"/declarations/{checked_in['id']}/cancel", {"reason": "Hủy hợp đồng"}
    )
    assert reply.status_code == 409
    assert Declaration.objects.get(pk=checked_in["id"]).status == "submitted"
    assert not TripEvent.objects.filter(action="cancel").exists()


def test_cancelling_a_declaration_before_arrival_cancels_every_trip(api_as, exporter):
    api = api_as(exporter)
    declaration = api.post("/declarations?submit=true", fruit_export()).json()
    reply = api.post(f"/declarations/{declaration['id']}/cancel", {"reason": "Hủy hợp đồng"})
    assert reply.json()["status"] == "cancelled"
    assert {t["state"] for t in reply.json()["trips"]} == {"CANCELLED"}
