"""Validation of whole declarations (pure: no database), and the dry-run endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cuakhau.conftest import electronics_import, fruit_export
from cuakhau.core.errors import InvalidInput
from cuakhau.declarations.documents import DeclarationDoc
from cuakhau.declarations.models import Declaration
from cuakhau.declarations.rules import Catalog, GateRef, PassageRef, RegimeRef, validate_declaration

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
CATALOG = Catalog(
    gates={
        "CKHN": GateRef(
            "CKHN",
            {
                "HN-1119": PassageRef("HN-1119", True, True),
                "HN-EXIT": PassageRef("HN-EXIT", True, False),
            },
        ),
        "TT": GateRef("TT", {"TT-1088": PassageRef("TT-1088", True, True)}),
    },
    regimes={
        "XK": RegimeRef("XK", True, False),
        "NK": RegimeRef("NK", False, True),
        "TNTX": RegimeRef("TNTX", True, True),
    },
    declaration_types={"B11": "export", "A12": "import", "A11": "import"},
    vehicle_classes=frozenset({"VT4", "VT6"}),
)


def check(doc: dict, **kwargs) -> DeclarationDoc:
    doc.setdefault("planned_arrival", (NOW + timedelta(hours=6)).isoformat())
    return validate_declaration(
        DeclarationDoc.model_validate(doc),
        CATALOG,
        now=NOW,
        declarant_name="Công ty A",
        declarant_tax_code="0100109106",
        **kwargs,
    )


def errors_of(doc: dict, **kwargs) -> dict[str, str]:
    with pytest.raises(InvalidInput) as failed:
        check(doc, **kwargs)
    return {e.path: e.code for e in failed.value.errors}


def test_a_valid_export_is_normalised():
    doc = fruit_export(planned_arrival=(NOW + timedelta(hours=6)).isoformat())
    doc["trips"][0]["tractor_plate"] = "12c 123.45"
    doc["trips"][0]["containers"][0]["number"] = "csqu 305438 3"
    doc["customs_declarations"][0]["lines"][0]["hs_code"] = "0810.60.00"
    clean = check(doc)
    assert clean.trips[0].tractor_plate == "12C12345"
    assert clean.trips[0].trailer_plate == "12R01234"
    assert clean.trips[0].trailer_country == "VN"
    assert clean.trips[0].driver_nationality == "VN"
    assert clean.trips[0].driver_phone == "+84912345678"
    assert clean.trips[0].containers[0].number == "CSQU3054383"
    assert clean.customs_declarations[0].lines[0].hs_code == "08106000"
    # No fee payer given: the declarant pays.
    assert (clean.fee_payer.name, clean.fee_payer.tax_code) == ("Công ty A", "0100109106")


def test_a_valid_chinese_import_with_a_chinese_fee_payer():
    doc = electronics_import(
        fee_payer={
            "name": "凭祥市友谊贸易有限公司",
            "country": "CN",
            "tax_code": "91110000600037341L",
        }
    )
    clean = check(doc)
    assert clean.trips[0].tractor_plate == "桂F12345"
    assert clean.trips[0].trailer_plate == "桂F1234挂"
    assert clean.fee_payer.country == "CN"


def test_every_error_is_reported_at_once_with_its_field():
    doc = fruit_export(direction="sideways", regime="ZZ", gate="XX", passage="")
    doc["customs_declarations"][0].update(number="12345", type_code="Q99")
    line = doc["customs_declarations"][0]["lines"][0]
    line.update(hs_code="08106", origin_country="ZZ", quantity="0", unit="BAGS", currency="XYZ")
    trip = doc["trips"][0]
    trip.update(
        tractor_plate="12I-123.45",
        vehicle_class="VT9",
        driver_phone="123",
        driver_id_number="abc",
        gross_weight_kg="-5",
    )
    trip["containers"][0].update(number="CSQU3054384", size_ft=30)
    doc["trips"][1]["tractor_country"] = "LA"
    assert errors_of(doc) == {
        "direction": "direction",
        "regime": "regime_unknown",
        "gate": "gate_unknown",
        "passage": "required",
        "customs_declarations.0.number": "declaration_length",
        "customs_declarations.0.type_code": "type_unknown",
        "customs_declarations.0.lines.0.hs_code": "hs_length",
        "customs_declarations.0.lines.0.origin_country": "country",
        "customs_declarations.0.lines.0.quantity": "positive",
        "customs_declarations.0.lines.0.unit": "unit_unknown",
        "customs_declarations.0.lines.0.currency": "currency_unknown",
        "trips.0.tractor_plate": "vn_plate_series",
        "trips.0.vehicle_class": "vehicle_class_unknown",
        "trips.0.containers.0.number": "container_check_digit",
        "trips.0.containers.0.size_ft": "container_size",
        "trips.0.driver_id_number": "person_id_format",
        "trips.0.driver_phone": "phone_format",
        "trips.0.gross_weight_kg": "positive",
        "trips.1.tractor_country": "vehicle_country",
    }


def test_every_message_is_in_three_languages():
    doc = fruit_export(regime="NK")
    doc["trips"][0]["tractor_plate"] = "桂F12345"
    with pytest.raises(InvalidInput) as failed:
        check(doc)
    for error in failed.value.errors:
        assert error.message.vi and error.message.en and error.message.zh
        assert error.message.vi != error.message.en


@pytest.mark.parametrize(
    ("changes", "path", "code"),
    [
        ({"regime": "NK"}, "regime", "regime_direction"),
        ({"passage": "TT-1088"}, "passage", "passage_unknown"),
        (
            {"direction": "import", "regime": "TNTX", "passage": "HN-EXIT"},
            "passage",
            "passage_direction",
        ),
        (
            {"planned_arrival": (NOW - timedelta(hours=25)).isoformat()},
            "planned_arrival",
            "arrival_past",
        ),
        (
            {"planned_arrival": (NOW + timedelta(days=31)).isoformat()},
            "planned_arrival",
            "arrival_far",
        ),
        ({"customs_declarations": []}, "customs_declarations", "required"),
        ({"trips": []}, "trips", "required"),
        (
            {"fee_payer": {"name": "Công ty B", "country": "VN", "tax_code": "0100109107"}},
            "fee_payer.tax_code",
            "tax_code_check_digit",
        ),
    ],
)
def test_declaration_rules(changes, path, code):
    assert errors_of(fruit_export(**changes)).get(path) == code


def test_import_declaration_types_do_not_fit_exports():
    doc = fruit_export()
    doc["customs_declarations"][0]["type_code"] = "A12"
    assert errors_of(doc) == {"customs_declarations.0.type_code": "type_direction"}


def test_the_same_truck_container_or_customs_number_twice_is_an_error():
    doc = fruit_export()
    doc["trips"][1]["tractor_plate"] = "12C12345"
    doc["trips"][1]["containers"] = [{"number": "CSQU3054383", "size_ft": 40}]
    second = {**doc["customs_declarations"][0]}
    second["lines"] = [{**second["lines"][0], "gross_weight_kg": "100"}]
    doc["customs_declarations"].append(second)
    assert errors_of(doc) == {
        "trips.1.tractor_plate": "duplicate",
        "trips.1.containers.0.number": "duplicate",
        "customs_declarations.1.number": "duplicate",
    }


def test_goods_cannot_weigh_more_than_the_trucks_carrying_them():
    doc = fruit_export()
    doc["customs_declarations"][0]["lines"][0]["gross_weight_kg"] = "40000"
    assert errors_of(doc) == {"customs_declarations": "goods_heavier_than_trips"}


def test_a_trailer_plate_must_be_a_trailer_and_a_tractor_plate_must_not():
    doc = fruit_export()
    doc["trips"][0]["trailer_plate"] = "12C-999.99"
    doc["trips"][1]["tractor_plate"] = "12R-012.34"
    assert errors_of(doc) == {
        "trips.0.trailer_plate": "plate_not_trailer",
        "trips.1.tractor_plate": "plate_is_trailer",
    }


def test_editing_refers_only_to_trips_of_the_declaration():
    doc = fruit_export()
    doc["trips"][0]["code"] = "AAAA1111"
    assert errors_of(doc, known_trip_codes=frozenset({"BBBB2222"})) == {
        "trips.0.code": "trip_code_unknown"
    }


def test_arrival_time_without_zone_is_vietnam_time():
    clean = check(fruit_export(planned_arrival="2026-11-22T20:00:00"))
    assert clean.planned_arrival.utcoffset() == timedelta(hours=7)


# --- The dry-run endpoint -------------------------------------------------------------------


def test_dry_run_returns_every_error_and_stores_nothing(api_as, exporter):
    doc = fruit_export()
    doc["trips"][0]["tractor_plate"] = "12C-12"
    doc["trips"][1]["driver_phone"] = "12"
    reply = api_as(exporter).client.post(
        "/api/v1/declarations/validate",
        data=doc,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert reply.status_code == 422
    body = reply.json()
    assert body["code"] == "invalid_input"
    assert [e["field"] for e in body["errors"]] == ["trips.0.tractor_plate", "trips.1.driver_phone"]
    # The reader's language first, all three alongside.
    assert body["errors"][0]["message"] == body["errors"][0]["messages"]["zh"]
    assert set(body["errors"][0]["messages"]) == {"vi", "en", "zh"}
    assert not Declaration.objects.exists()


def test_dry_run_of_a_valid_declaration_returns_it_normalised(api_as, exporter):
    reply = api_as(exporter).post("/declarations/validate", fruit_export())
    assert reply.status_code == 200
    assert reply.json()["valid"] is True
    assert reply.json()["document"]["trips"][0]["tractor_plate"] == "12C12345"
    assert not Declaration.objects.exists()


def test_text_longer_than_its_column_is_refused_before_any_rule():
    from pydantic import ValidationError

    doc = fruit_export()
    doc["trips"][0]["driver_name"] = "Nguyễn " * 20  # 140 characters; the column holds 120
    with pytest.raises(ValidationError) as refused:
        DeclarationDoc.model_validate(doc)
    assert refused.value.errors()[0]["loc"] == ("trips", 0, "driver_name")
