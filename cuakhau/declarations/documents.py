"""The declaration document as enterprises send it (API body, form, stored versions).

Pure pydantic, no Django. Fields are lenient on purpose (text where a code is expected, optional
where a value is required) so that ``rules.validate_declaration`` can report every domain error
at once, per field, in three languages, instead of stopping at the first type error.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cuakhau.core.schemas import LongStr, NameStr, ShortStr, TinyStr


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GoodsLineDoc(Document):
    description: NameStr = ""
    hs_code: TinyStr = Field(default="", description="8-digit Vietnamese HS code, e.g. 08106000")
    origin_country: TinyStr = Field(default="", description="ISO 3166 alpha-2, e.g. VN")
    quantity: Decimal | None = Field(
        default=None, max_digits=14, decimal_places=3, allow_inf_nan=False
    )
    unit: TinyStr = Field(default="", description="UN/ECE unit code, e.g. KGM, CTN, PCE")
    gross_weight_kg: Decimal | None = Field(
        default=None, max_digits=12, decimal_places=2, allow_inf_nan=False
    )
    value: Decimal | None = Field(
        default=None, max_digits=16, decimal_places=2, allow_inf_nan=False
    )
    currency: TinyStr = "USD"


class CustomsDeclarationDoc(Document):
    number: TinyStr = Field(default="", description="12-digit VNACCS declaration number")
    type_code: TinyStr = Field(default="", description="VNACCS type code, e.g. B11, E42, A11")
    lines: list[GoodsLineDoc] = Field(default_factory=list, max_length=200)


class ContainerDoc(Document):
    number: TinyStr = Field(default="", description="ISO 6346, e.g. CSQU3054383")
    size_ft: int | None = Field(default=40, ge=0, le=99)
    seals: list[ShortStr] = Field(default_factory=list, max_length=6)


class TripDoc(Document):
    code: TinyStr | None = Field(
        default=None, description="Code of an existing trip when editing; empty for a new trip"
    )
    tractor_plate: ShortStr = ""
    tractor_country: TinyStr = "VN"
    trailer_plate: ShortStr = ""
    trailer_country: TinyStr = Field(default="", description="Defaults to the tractor's")
    vehicle_class: TinyStr = Field(default="", description="VT1 … VT6")
    containers: list[ContainerDoc] = Field(default_factory=list, max_length=4)
    driver_name: Annotated[NameStr, Field(max_length=120)] = ""
    driver_id_number: ShortStr = ""
    driver_nationality: TinyStr = Field(default="", description="Defaults to the tractor's")
    driver_phone: ShortStr = ""
    gross_weight_kg: Decimal | None = Field(
        default=None, max_digits=10, decimal_places=2, allow_inf_nan=False
    )


class FeePayerDoc(Document):
    name: NameStr = ""
    country: TinyStr = "VN"
    tax_code: ShortStr = ""


class DeclarationDoc(Document):
    direction: TinyStr = Field(default="", description="export or import")
    regime: TinyStr = Field(default="", description="Goods regime code, e.g. XK, NK, TNTX")
    gate: TinyStr = Field(default="", description="Gate code, e.g. CKHN")
    passage: TinyStr = Field(default="", description="Passage code, e.g. HN-1119")
    planned_arrival: datetime | None = None
    perishable: bool = Field(default=False, description="Perishable goods (green lane)")
    fee_payer: FeePayerDoc | None = Field(
        default=None, description="Who pays the infrastructure fee; the declarant when empty"
    )
    road_manifest_number: ShortStr = Field(
        default="", description="Chinese road manifest batch number (货物运输批次号)"
    )
    note: LongStr = ""
    customs_declarations: list[CustomsDeclarationDoc] = Field(default_factory=list, max_length=20)
    trips: list[TripDoc] = Field(default_factory=list, max_length=50)
