"""Public HTTP API for reference data: gates, passages, yards, vehicle classes, regimes, codes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from cuakhau.accounts.models import Agency
from cuakhau.core.api import responses
from cuakhau.gates.models import Gate, Yard
from cuakhau.reference.codes import UNITS
from cuakhau.reference.models import CustomsDeclarationType, GoodsRegime, VehicleClass

router = Router(tags=["reference"], auth=None)


class PassageOut(Schema):
    code: str
    name: str
    border_markers: str
    counterpart_name: str
    counterpart_name_zh: str
    dedicated_freight_road: bool
    allows_export: bool
    allows_import: bool


class YardZoneOut(Schema):
    code: str
    name: str
    allows_transshipment: bool


class YardOut(Schema):
    code: str
    name: str
    kind: str
    inside_gate_area: bool
    capacity_trucks: int
    capacity_is_demo: bool
    gates: list[str]
    zones: list[YardZoneOut]


class GateOut(Schema):
    code: str
    name: str
    name_zh: str
    kind: str
    mode: str
    counterpart_name: str
    counterpart_name_zh: str
    passages: list[PassageOut]


class CodeOut(Schema):
    code: str
    name: str
    name_en: str
    name_zh: str


class VehicleClassOut(CodeOut):
    min_tonnes: float
    max_tonnes: float | None = None
    container_feet: int | None = None
    is_demo: bool


class RegimeOut(CodeOut):
    allows_export: bool
    allows_import: bool


class DeclarationTypeOut(CodeOut):
    direction: str


class ReferenceOut(Schema):
    gates: list[GateOut]
    yards: list[YardOut]
    vehicle_classes: list[VehicleClassOut]
    regimes: list[RegimeOut]
    declaration_types: list[DeclarationTypeOut]
    agencies: list[CodeOut]
    units: list[CodeOut]


def _names(row: Any) -> dict[str, str]:
    return {"code": row.code, "name": row.name_vi, "name_en": row.name_en, "name_zh": row.name_zh}


@router.get("/reference", response=responses({200: ReferenceOut}, public=True))
def reference(request: HttpRequest) -> Any:
    """Everything a declaration refers to, in one document (changes rarely; cache it)."""
    gates = Gate.objects.filter(is_active=True).prefetch_related("passages")
    yards = Yard.objects.filter(is_active=True).prefetch_related("gates", "zones")
    return {
        "gates": [
            {
                "code": g.code,
                "name": g.name_vi,
                "name_zh": g.name_zh,
                "kind": g.kind,
                "mode": g.mode,
                "counterpart_name": g.counterpart_name,
                "counterpart_name_zh": g.counterpart_name_zh,
                "passages": [
                    {
                        "code": p.code,
                        "name": p.name_vi,
                        "border_markers": p.border_markers,
                        "counterpart_name": p.counterpart_name,
                        "counterpart_name_zh": p.counterpart_name_zh,
                        "dedicated_freight_road": p.is_dedicated_freight_road,
                        "allows_export": p.allows_export,
                        "allows_import": p.allows_import,
                    }
                    for p in g.passages.all()
                    if p.is_active
                ],
            }
            for g in gates
        ],
        "yards": [
            {
                "code": y.code,
                "name": y.name_vi,
                "kind": y.kind,
                "inside_gate_area": y.inside_gate_area,
                "capacity_trucks": y.capacity_trucks,
                "capacity_is_demo": y.capacity_is_demo,
                "gates": [g.code for g in y.gates.all()],
                "zones": [
                    {
                        "code": z.code,
                        "name": z.name_vi,
                        "allows_transshipment": z.allows_transshipment,
                    }
                    for z in y.zones.all()
                ],
            }
            for y in yards
        ],
        "vehicle_classes": [
            {
                **_names(vc),
                "min_tonnes": float(vc.min_tonnes),
                "max_tonnes": float(vc.max_tonnes) if vc.max_tonnes is not None else None,
                "container_feet": vc.container_feet,
                "is_demo": vc.is_demo,
            }
            for vc in VehicleClass.objects.all()
        ],
        "regimes": [
            {**_names(r), "allows_export": r.allows_export, "allows_import": r.allows_import}
            for r in GoodsRegime.objects.all()
        ],
        "declaration_types": [
            {**_names(t), "direction": t.direction} for t in CustomsDeclarationType.objects.all()
        ],
        "agencies": [_names(a) for a in Agency.objects.all()],
        "units": [
            {"code": code, "name": text.vi, "name_en": text.en, "name_zh": text.zh}
            for code, text in UNITS.items()
        ],
    }
