"""What the API returns for declarations and trips, and how rows become those shapes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field

from cuakhau.core.api import InputSchema
from cuakhau.core.schemas import DbId, LongStr, ShortStr, TinyStr
from cuakhau.core.text import Text
from cuakhau.declarations.documents import DeclarationDoc, TripDoc
from cuakhau.declarations.lifecycle import STATE_NAMES, TripState
from cuakhau.declarations.models import Declaration, Trip, TripEvent
from cuakhau.declarations.services import customs_declarations_as_dicts
from cuakhau.reference.identifiers import IdentifierError, parse_plate


def plate_display(normalized: str, country: str, *, trailer: bool = False) -> str:
    if not normalized:
        return ""
    try:
        return parse_plate(normalized, country, trailer=trailer).display
    except IdentifierError:
        return normalized


def state_names(state: str) -> dict[str, str]:
    return STATE_NAMES[TripState(state)].as_dict()


class NameOut(Schema):
    code: str
    name: str
    name_zh: str = ""


class CheckOut(Schema):
    agency: str
    agency_name: str
    status: str
    decided_at: datetime | None = None
    reason: str = ""
    officer: str = ""


class ContainerOut(Schema):
    number: str
    size_ft: int
    seals: list[str]


class TripOut(Schema):
    code: str
    declaration_id: int
    declaration_code: str
    enterprise: str
    direction: str
    gate: str
    passage: str
    state: str
    state_names: dict[str, str]
    state_changed_at: datetime
    tractor_plate: str
    tractor_plate_display: str
    tractor_country: str
    trailer_plate: str
    trailer_plate_display: str
    vehicle_class: str
    containers: list[ContainerOut]
    driver_name: str
    driver_id_number: str
    driver_phone: str
    gross_weight_kg: Decimal
    yard: str | None = None
    checked_in_at: datetime | None = None
    source_trip: str | None = None
    checks: list[CheckOut]


class GoodsLineOut(Schema):
    id: int
    description: str
    hs_code: str
    origin_country: str
    quantity: Decimal
    unit: str
    gross_weight_kg: Decimal
    value: Decimal
    currency: str


class CustomsDeclarationOut(Schema):
    number: str
    type_code: str
    lines: list[GoodsLineOut]


class FeePayerOut(Schema):
    name: str
    country: str
    tax_code: str


class DeclarationSummaryOut(Schema):
    id: int
    code: str
    status: str
    version: int
    direction: str
    regime: str
    gate: str
    passage: str
    planned_arrival: datetime
    perishable: bool
    enterprise: str
    enterprise_tax_code: str
    trip_count: int
    created_at: datetime
    submitted_at: datetime | None = None
    expires_at: datetime | None = None


class DeclarationOut(DeclarationSummaryOut):
    fee_payer: FeePayerOut
    road_manifest_number: str
    note: str
    customs_declarations: list[CustomsDeclarationOut]
    trips: list[TripOut]


class ValidationOut(Schema):
    valid: bool
    document: DeclarationDoc


class EventOut(Schema):
    action: str
    state_before: str
    state_after: str
    actor: str
    actor_kind: str
    at: datetime
    gate: str | None = None
    yard: str | None = None
    reason: str
    data: dict[str, Any]


class VersionOut(Schema):
    number: int
    created_at: datetime
    created_by: str
    reason: str
    document: dict[str, Any]


class ReasonIn(InputSchema):
    reason: LongStr = ""


class CheckInIn(InputSchema):
    yard: TinyStr
    qr: LongStr = ""
    code: TinyStr = ""
    plate: ShortStr = ""


class CorrectionIn(InputSchema):
    reason: LongStr = ""
    document: DeclarationDoc


class CorrectionDecisionIn(InputSchema):
    approve: bool
    reason: LongStr = ""


class CorrectionOut(Schema):
    id: int
    declaration_id: int
    declaration_code: str
    status: str
    agency: str
    reason: str
    changes: list[dict[str, Any]]
    requested_by: str
    requested_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str


class TransshippedGoodsIn(InputSchema):
    goods_line_id: DbId
    quantity: Decimal = Field(max_digits=14, decimal_places=3, allow_inf_nan=False)
    gross_weight_kg: Decimal = Field(max_digits=12, decimal_places=2, allow_inf_nan=False)


class ReceivingTruckIn(InputSchema):
    vehicle: TripDoc
    goods: list[TransshippedGoodsIn]


class TransshipmentIn(InputSchema):
    zone: TinyStr
    receiving: list[ReceivingTruckIn]


class PublicCheckOut(Schema):
    agency: str
    agency_names: dict[str, str]
    status: str


class PublicTripOut(Schema):
    """A trip's status for anyone holding its code: no plates, no names, no phone numbers."""

    code: str
    direction: str
    gate: str
    gate_name: str
    passage: str
    state: str
    state_names: dict[str, str]
    state_changed_at: datetime
    checks: list[PublicCheckOut]


def trip_out(trip: Trip) -> dict[str, Any]:
    """A trip as the API shows it; read it with ``selectors.with_trip_details`` (no queries
    here)."""
    declaration = trip.declaration
    return {
        "code": trip.code,
        "declaration_id": declaration.pk,
        "declaration_code": declaration.code,
        "enterprise": declaration.enterprise.name,
        "direction": declaration.direction,
        "gate": declaration.gate.code,
        "passage": declaration.passage.code,
        "state": trip.state,
        "state_names": state_names(trip.state),
        "state_changed_at": trip.state_changed_at,
        "tractor_plate": trip.tractor_plate,
        "tractor_plate_display": plate_display(trip.tractor_plate, trip.tractor_country),
        "tractor_country": trip.tractor_country,
        "trailer_plate": trip.trailer_plate,
        "trailer_plate_display": plate_display(
            trip.trailer_plate, trip.trailer_country, trailer=True
        ),
        "vehicle_class": trip.vehicle_class.code,
        "containers": [
            {"number": c.number, "size_ft": c.size_ft, "seals": c.seals}
            for c in trip.containers.all()
        ],
        "driver_name": trip.driver_name,
        "driver_id_number": trip.driver_id_number,
        "driver_phone": trip.driver_phone,
        "gross_weight_kg": trip.gross_weight_kg,
        "yard": trip.yard.code if trip.yard_id and trip.yard else None,
        "checked_in_at": trip.checked_in_at,
        "source_trip": trip.source_trip.code if trip.source_trip_id and trip.source_trip else None,
        "checks": [
            {
                "agency": check.agency.code,
                "agency_name": check.agency.name_vi,
                "status": check.status,
                "decided_at": check.decided_at,
                "reason": check.reason,
                "officer": check.officer.get_full_name() or check.officer.get_username()
                if check.officer_id and check.officer
                else "",
            }
            for check in trip.checks.all()
        ],
    }


def declaration_summary(declaration: Declaration, trip_count: int | None = None) -> dict[str, Any]:
    if trip_count is None:
        trip_count = getattr(declaration, "trip_count", None)
    if trip_count is None:
        trip_count = declaration.trips.count()
    return {
        "id": declaration.pk,
        "code": declaration.code,
        "status": declaration.status,
        "version": declaration.version,
        "direction": declaration.direction,
        "regime": declaration.regime.code,
        "gate": declaration.gate.code,
        "passage": declaration.passage.code,
        "planned_arrival": declaration.planned_arrival,
        "perishable": declaration.perishable,
        "enterprise": declaration.enterprise.name,
        "enterprise_tax_code": declaration.enterprise.tax_code,
        "trip_count": trip_count,
        "created_at": declaration.created_at,
        "submitted_at": declaration.submitted_at,
        "expires_at": declaration.expires_at,
    }


def declaration_out(declaration: Declaration, trips: list[Trip]) -> dict[str, Any]:
    """A declaration with goods and trips; read it with ``selectors.declaration_details`` (or
    take the one a service just built), so that this reads nothing."""
    return {
        **declaration_summary(declaration, len(trips)),
        "fee_payer": {
            "name": declaration.fee_payer_name,
            "country": declaration.fee_payer_country,
            "tax_code": declaration.fee_payer_tax_code,
        },
        "road_manifest_number": declaration.road_manifest_number,
        "note": declaration.note,
        "customs_declarations": customs_declarations_as_dicts(
            declaration.customs_declarations.all(), with_ids=True
        ),
        "trips": [trip_out(trip) for trip in trips],
    }


def event_out(event: TripEvent) -> dict[str, Any]:
    return {
        "action": event.action,
        "state_before": event.state_before,
        "state_after": event.state_after,
        "actor": event.actor_label,
        "actor_kind": event.actor_kind,
        "at": event.at,
        "gate": event.gate.code if event.gate_id and event.gate else None,
        "yard": event.yard.code if event.yard_id and event.yard else None,
        "reason": event.reason,
        "data": event.data,
    }


def public_trip_out(trip: Trip) -> dict[str, Any]:
    gate = trip.declaration.gate
    return {
        "code": trip.code,
        "direction": trip.declaration.direction,
        "gate": gate.code,
        "gate_name": gate.name_vi,
        "passage": trip.declaration.passage.code,
        "state": trip.state,
        "state_names": state_names(trip.state),
        "state_changed_at": trip.state_changed_at,
        "checks": [
            {
                "agency": check.agency.code,
                "agency_names": Text(
                    check.agency.name_vi,
                    check.agency.name_en or check.agency.name_vi,
                    check.agency.name_zh or check.agency.name_vi,
                ).as_dict(),
                "status": check.status,
            }
            for check in trip.checks.select_related("agency")
        ],
    }
