"""Transshipment (sang tải): a Chinese import truck's goods move onto Vietnamese trucks at a
yard zone; each receiving truck is its own trip, linked to the source and the goods it took."""

from __future__ import annotations

import pytest

from cuakhau.conftest import electronics_import
from cuakhau.declarations.models import Transshipment, Trip, TripEvent


def vn_truck(plate: str, phone: str) -> dict:
    return {
        "tractor_plate": plate,
        "tractor_country": "VN",
        "vehicle_class": "VT4",
        "driver_name": "Trần Văn Bình",
        "driver_id_number": "020085009999",
        "driver_phone": phone,
        "gross_weight_kg": "9500",
    }


@pytest.fixture
def cleared_import(api_as, exporter, gate_operator, customs_officer, border_guard):
    declaration = api_as(exporter).post("/declarations?submit=true", electronics_import()).json()
    code = declaration["trips"][0]["code"]
    operator = api_as(gate_operator)
    assert operator.post("/checkins", {"yard": "BN", "code": code}).json()["state"] == "ENTERED"
    assert operator.post(f"/trips/{code}/enter-control").json()["state"] == "AT_GATE"
    for officer, agency in ((customs_officer, "customs"), (border_guard, "border_guard")):
        api_as(officer).post(f"/trips/{code}/checks/{agency}/decision", {"decision": "passed"})
    assert Trip.objects.get(code=code).state == "CLEARED"
    lines = [line["id"] for line in declaration["customs_declarations"][0]["lines"]]
    return code, lines


def test_goods_move_to_two_vietnamese_trucks_and_the_chinese_truck_returns_empty(
    api_as, exporter, gate_operator, cleared_import
):
    code, (chips, capacitors) = cleared_import
    reply = api_as(gate_operator).post(
        f"/trips/{code}/transshipments",
        {
            "zone": "SANG-TAI",
            "receiving": [
                {
                    "vehicle": vn_truck("12C-111.11", "0911000111"),
                    "goods": [
                        {"goods_line_id": chips, "quantity": "400", "gross_weight_kg": "6000"}
                    ],
                },
                {
                    "vehicle": vn_truck("12C-222.22", "0911000222"),
                    "goods": [
                        {"goods_line_id": capacitors, "quantity": "200", "gross_weight_kg": "3000"}
                    ],
                },
            ],
        },
    )
    assert reply.status_code == 201, reply.json()
    receiving = reply.json()
    assert [t["source_trip"] for t in receiving] == [code, code]
    assert [t["state"] for t in receiving] == ["CLEARED", "CLEARED"]
    assert [t["tractor_plate_display"] for t in receiving] == ["12C-111.11", "12C-222.22"]

    first = Transshipment.objects.get(receiving_trip__code=receiving[0]["code"])
    assert first.yard_zone.code == "SANG-TAI"
    assert [(line.goods_line_id, line.quantity) for line in first.lines.all()] == [(chips, 400)]
    out = TripEvent.objects.get(trip__code=code, action="transship_out")
    assert out.data["receiving_trips"] == [t["code"] for t in receiving]

    # The enterprise sees the receiving trips on its declaration.
    mine = api_as(exporter).get(f"/trips/{receiving[1]['code']}")
    assert mine.status_code == 200
    # The Chinese truck departs back across the border, empty.
    departed = api_as(gate_operator).post(f"/trips/{code}/departure", {"reason": "Xe rỗng về nước"})
    assert departed.json()["state"] == "DEPARTED"
    # A receiving truck leaves the zone inland.
    inland = api_as(gate_operator).post(f"/trips/{receiving[0]['code']}/departure")
    assert inland.json()["state"] == "DEPARTED"


def test_more_than_declared_cannot_be_transshipped(api_as, gate_operator, cleared_import):
    code, (chips, _capacitors) = cleared_import
    body = {
        "zone": "SANG-TAI",
        "receiving": [
            {
                "vehicle": vn_truck("12C-111.11", "0911000111"),
                "goods": [{"goods_line_id": chips, "quantity": "300", "gross_weight_kg": "4000"}],
            },
            {
                "vehicle": vn_truck("12C-222.22", "0911000222"),
                "goods": [{"goods_line_id": chips, "quantity": "101", "gross_weight_kg": "2000"}],
            },
        ],
    }
    reply = api_as(gate_operator).post(f"/trips/{code}/transshipments", body)
    assert reply.status_code == 422
    assert [e["field"] for e in reply.json()["errors"]] == ["receiving.1.goods.0.quantity"]
    assert not Transshipment.objects.exists()
    assert Trip.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda body: body["receiving"][0]["vehicle"].update(
                tractor_plate="桂F54321", tractor_country="CN"
            ),
            "receiving.0.vehicle.tractor_country",
        ),
        (
            lambda body: body["receiving"][0]["goods"][0].update(goods_line_id=999999),
            "receiving.0.goods.0.goods_line_id",
        ),
        (
            lambda body: body["receiving"][0]["vehicle"].update(tractor_plate="12X-1"),
            "receiving.0.vehicle.tractor_plate",
        ),
        (lambda body: body["receiving"][0].update(goods=[]), "receiving.0.goods"),
        (lambda body: body.update(zone="A"), "zone"),
    ],
    ids=["chinese-truck", "foreign-goods-line", "bad-plate", "no-goods", "wrong-zone"],
)
def test_bad_transshipments_are_refused_per_field(
    api_as, gate_operator, cleared_import, change, field
):
    code, (chips, _capacitors) = cleared_import
    body = {
        "zone": "SANG-TAI",
        "receiving": [
            {
                "vehicle": vn_truck("12C-111.11", "0911000111"),
                "goods": [{"goods_line_id": chips, "quantity": "10", "gross_weight_kg": "100"}],
            },
        ],
    }
    change(body)
    reply = api_as(gate_operator).post(f"/trips/{code}/transshipments", body)
    assert reply.status_code == 422, reply.json()
    assert field in [e["field"] for e in reply.json()["errors"]]
    assert Trip.objects.count() == 1


def test_a_trip_not_yet_cleared_cannot_be_transshipped(api_as, exporter, gate_operator):
    declaration = api_as(exporter).post("/declarations?submit=true", electronics_import()).json()
    code = declaration["trips"][0]["code"]
    api_as(gate_operator).post("/checkins", {"yard": "BN", "code": code})
    line = declaration["customs_declarations"][0]["lines"][0]["id"]
    reply = api_as(gate_operator).post(
        f"/trips/{code}/transshipments",
        {
            "zone": "SANG-TAI",
            "receiving": [
                {
                    "vehicle": vn_truck("12C-111.11", "0911000111"),
                    "goods": [{"goods_line_id": line, "quantity": "1", "gross_weight_kg": "10"}],
                }
            ],
        },
    )
    assert reply.status_code == 409
