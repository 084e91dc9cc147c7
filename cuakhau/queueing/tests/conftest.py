"""Builders for queue tests: export trucks checked in at Xuân Cương for Hữu Nghị's freight road."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from cuakhau.accounts.models import User
from cuakhau.conftest import fruit_export
from cuakhau.core.actors import Actor
from cuakhau.declarations import services
from cuakhau.declarations.documents import DeclarationDoc
from cuakhau.gates.models import WorkingHours

STEEL = {
    "description": "Thép cuộn",
    "hs_code": "72083900",
    "origin_country": "VN",
    "quantity": "20000",
    "unit": "KGM",
    "gross_weight_kg": "20500",
    "value": "14000",
    "currency": "USD",
}
_plates = itertools.count(10001)


def truck(plate_number: int | None = None) -> dict[str, Any]:
    n = plate_number or next(_plates)
    return {
        "tractor_plate": f"12C-{n // 100:03d}.{n % 100:02d}",
        "tractor_country": "VN",
        "vehicle_class": "VT6",
        "driver_name": "Nguyễn Văn Tài",
        "driver_id_number": "020085001234",
        "driver_phone": "0912345678",
        "gross_weight_kg": "30000",
    }


@pytest.fixture(autouse=True)
def _open_around_the_clock(db: Any) -> None:
    """Tests run at any hour: without working hours a gate is open around the clock."""
    WorkingHours.objects.all().delete()


@pytest.fixture
def declare(exporter: User) -> Callable[..., list[str]]:
    """Submit an export of ``trucks`` trucks (fruit, or steel with ``green=False``): trip codes."""

    def make(trucks: int = 1, *, green: bool = True, user: User | None = None) -> list[str]:
        doc = fruit_export(trips=[truck() for _ in range(trucks)])
        if not green:
            doc["perishable"] = False
            doc["customs_declarations"][0]["lines"] = [STEEL]
        declaration = services.declaration_create(
            actor=Actor.of(user or exporter), doc=DeclarationDoc.model_validate(doc), submit=True
        )
        return [trip.code for trip in declaration.trips.order_by("position")]

    return make


@pytest.fixture
def check_in(gate_operator: User) -> Callable[[str], None]:
    def run(code: str) -> None:
        services.trip_check_in(
            actor=Actor.of(gate_operator), yard_code="XC", by=services.CheckInBy(code=code)
        )

    return run
