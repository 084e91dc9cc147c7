"""Given/when/then walks of whole trips through the API, as the users do them."""

from __future__ import annotations

from cuakhau.conftest import electronics_import, fruit_export


def test_fruit_export_goes_from_declaration_to_departure(
    api_as, exporter, gate_operator, customs_officer, border_guard, plant_officer
):
    # Given an exporter declares two durian trucks and submits at once
    response = api_as(exporter).post("/declarations?submit=true", fruit_export())
    assert response.status_code == 201, response.json()
    declaration = response.json()
    assert declaration["status"] == "submitted"
    assert declaration["version"] == 1
    trip = declaration["trips"][0]
    assert trip["state"] == "DECLARED"
    assert trip["tractor_plate_display"] == "12C-123.45"
    # Durian is chapter 08: plant quarantine joins customs and the border guard.
    assert sorted(c["agency"] for c in trip["checks"]) == [
        "border_guard",
        "customs",
        "plant_quarantine",
    ]
    code = trip["code"]

    # When the operator checks it in at Xuân Cương by typing the code, calls it up and it enters
    operator = api_as(gate_operator)
    assert operator.post("/checkins", {"yard": "XC", "code": code}).json()["state"] == "ARRIVED"
    assert operator.post(f"/trips/{code}/call").json()["state"] == "CALLED"
    assert operator.post(f"/trips/{code}/enter-control").json()["state"] == "AT_GATE"

    # And every agency passes it
    for officer, agency in (
        (customs_officer, "customs"),
        (border_guard, "border_guard"),
        (plant_officer, "plant_quarantine"),
    ):
        reply = api_as(officer).post(
            f"/trips/{code}/checks/{agency}/decision", {"decision": "passed"}
        )
        assert reply.status_code == 200, reply.json()

    # Then it is cleared, departs, and the timeline tells the whole story
    assert api_as(exporter).get(f"/trips/{code}").json()["state"] == "CLEARED"
    assert api_as(border_guard).post(f"/trips/{code}/departure").json()["state"] == "DEPARTED"
    events = api_as(exporter).get(f"/trips/{code}/events").json()
    assert [(e["state_before"], e["state_after"]) for e in events] == [
        ("DRAFT", "DECLARED"),
        ("DECLARED", "ARRIVED"),
        ("ARRIVED", "CALLED"),
        ("CALLED", "AT_GATE"),
        ("AT_GATE", "AT_GATE"),
        ("AT_GATE", "AT_GATE"),
        ("AT_GATE", "AT_GATE"),
        ("AT_GATE", "CLEARED"),
        ("CLEARED", "DEPARTED"),
    ]
    assert events[1]["yard"] == "XC"
    assert events[1]["actor"] == "olga"


def test_chinese_import_is_checked_in_and_needs_no_quarantine(api_as, exporter, gate_operator):
    declaration = api_as(exporter).post("/declarations?submit=true", electronics_import()).json()
    trip = declaration["trips"][0]
    assert trip["tractor_plate_display"] == "桂F·12345"
    assert sorted(c["agency"] for c in trip["checks"]) == ["border_guard", "customs"]
    checked_in = api_as(gate_operator).post("/checkins", {"yard": "BN", "plate": "桂F 12345"})
    assert checked_in.status_code == 200, checked_in.json()
    assert checked_in.json()["state"] == "ENTERED"
