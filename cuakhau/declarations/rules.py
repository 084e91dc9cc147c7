"""Validation of a whole declaration against the rules of domain.md §5 and §12. No Django.

``validate_declaration`` collects every error (never stops at the first), each tied to the field
path the form and the API use, and returns a normalised copy of the document (plates in compact
form, codes upper-case, defaults filled) that the service stores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import TypeVar
from zoneinfo import ZoneInfo

from cuakhau.core.errors import FieldError, invalid
from cuakhau.core.text import Text
from cuakhau.declarations.documents import (
    ContainerDoc,
    CustomsDeclarationDoc,
    DeclarationDoc,
    FeePayerDoc,
    GoodsLineDoc,
    TripDoc,
)
from cuakhau.reference import identifiers as ids
from cuakhau.reference.codes import CONTAINER_SIZES, COUNTRIES, CURRENCIES, UNITS

T = TypeVar("T")
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# A truck may be declared this far ahead, and this late after its planned arrival.
MAX_DAYS_AHEAD = 30
MAX_HOURS_LATE = 24
MAX_GROSS_WEIGHT_KG = Decimal(60_000)


@dataclass(frozen=True, slots=True)
class PassageRef:
    code: str
    allows_export: bool
    allows_import: bool


@dataclass(frozen=True, slots=True)
class GateRef:
    code: str
    passages: Mapping[str, PassageRef]
    requires_medical_quarantine: bool = False


@dataclass(frozen=True, slots=True)
class RegimeRef:
    code: str
    allows_export: bool
    allows_import: bool


@dataclass(frozen=True, slots=True)
class Catalog:
    """The reference data a declaration is checked against (loaded once by the service)."""

    gates: Mapping[str, GateRef]
    regimes: Mapping[str, RegimeRef]
    declaration_types: Mapping[str, str]  # VNACCS type code → direction
    vehicle_classes: frozenset[str]


M: dict[str, Text] = {
    "required": Text("Bắt buộc nhập.", "Required.", "必填。"),
    "direction": Text(
        "Chiều phải là xuất khẩu (export) hoặc nhập khẩu (import).",
        "Direction must be export or import.",
        "方向必须为出口 (export) 或进口 (import)。",
    ),
    "regime_unknown": Text(
        "Không có loại hình hàng hóa «{value}».",
        "There is no goods regime «{value}».",
        "不存在货物贸易方式「{value}」。",
    ),
    "regime_direction": Text(
        "Loại hình «{value}» không dùng cho chiều này.",
        "Regime «{value}» does not apply to this direction.",
        "贸易方式「{value}」不适用于此方向。",
    ),
    "gate_unknown": Text(
        "Không có cửa khẩu «{value}».",
        "There is no border gate «{value}».",
        "不存在口岸「{value}」。",
    ),
    "passage_unknown": Text(
        "Cửa khẩu này không có lối thông quan «{value}».",
        "This gate has no clearance passage «{value}».",
        "该口岸没有通道「{value}」。",
    ),
    "passage_direction": Text(
        "Lối thông quan «{value}» không mở cho chiều này.",
        "Passage «{value}» is not open in this direction.",
        "通道「{value}」不开放此方向。",
    ),
    "arrival_past": Text(
        "Thời gian dự kiến đến đã qua quá {hours} giờ.",
        "The planned arrival is more than {hours} hours in the past.",
        "预计到达时间已过去超过 {hours} 小时。",
    ),
    "arrival_far": Text(
        "Chỉ được khai báo trước tối đa {days} ngày.",
        "Trips can be declared at most {days} days ahead.",
        "最多只能提前 {days} 天申报。",
    ),
    "country": Text(
        "Mã quốc gia «{value}» không đúng (ISO 3166, ví dụ VN, CN).",
        "Country code «{value}» is not valid (ISO 3166, e.g. VN, CN).",
        "国家代码「{value}」无效（ISO 3166，如 VN、CN）。",
    ),
    "vehicle_country": Text(
        "Quốc tịch phương tiện phải là VN hoặc CN.",
        "The vehicle's nationality must be VN or CN.",
        "车辆国籍必须为 VN 或 CN。",
    ),
    "at_least_one_customs": Text(
        "Cần ít nhất một tờ khai hải quan.",
        "At least one customs declaration is needed.",
        "至少需要一份报关单。",
    ),
    "at_least_one_line": Text(
        "Tờ khai hải quan cần ít nhất một dòng hàng.",
        "A customs declaration needs at least one goods line.",
        "报关单至少需要一行货物。",
    ),
    "at_least_one_trip": Text(
        "Cần ít nhất một chuyến xe.", "At least one trip is needed.", "至少需要一个车次。"
    ),
    "type_unknown": Text(
        "Không có mã loại hình tờ khai «{value}».",
        "There is no customs declaration type «{value}».",
        "不存在报关单类型代码「{value}」。",
    ),
    "type_direction": Text(
        "Mã loại hình «{value}» không dùng cho chiều này.",
        "Declaration type «{value}» does not apply to this direction.",
        "报关单类型「{value}」不适用于此方向。",
    ),
    "duplicate_customs": Text(
        "Số tờ khai {value} bị nhập hai lần.",
        "Customs declaration {value} is listed twice.",
        "报关单号 {value} 重复。",
    ),
    "positive": Text("Phải lớn hơn 0.", "Must be greater than 0.", "必须大于 0。"),
    "not_negative": Text("Không được âm.", "Must not be negative.", "不能为负数。"),
    "unit_unknown": Text(
        "Đơn vị «{value}» không có trong danh mục (ví dụ KGM, CTN, PCE).",
        "Unit «{value}» is not in the list (e.g. KGM, CTN, PCE).",
        "单位「{value}」不在列表中（如 KGM、CTN、PCE）。",
    ),
    "currency_unknown": Text(
        "Mã tiền tệ «{value}» không được hỗ trợ.",
        "Currency «{value}» is not supported.",
        "不支持币种「{value}」。",
    ),
    "vehicle_class_unknown": Text(
        "Không có loại phương tiện «{value}» (VT1 … VT6).",
        "There is no vehicle class «{value}» (VT1 … VT6).",
        "不存在车型「{value}」（VT1 … VT6）。",
    ),
    "container_size": Text(
        "Cỡ container phải là 20, 40 hoặc 45 feet.",
        "Container size must be 20, 40 or 45 feet.",
        "集装箱尺寸必须为 20、40 或 45 英尺。",
    ),
    "duplicate_container": Text(
        "Container {value} bị khai hai lần.",
        "Container {value} is declared twice.",
        "集装箱 {value} 重复申报。",
    ),
    "duplicate_plate": Text(
        "Xe {value} bị khai hai lần trong cùng tờ khai.",
        "Vehicle {value} appears twice in this declaration.",
        "车辆 {value} 在同一申报中出现两次。",
    ),
    "too_heavy": Text(
        "Tổng trọng lượng vượt quá {max} kg.",
        "The gross weight exceeds {max} kg.",
        "总重超过 {max} 千克。",
    ),
    "goods_heavier_than_trips": Text(
        "Tổng trọng lượng hàng ({goods} kg) lớn hơn tổng trọng lượng các xe ({trips} kg).",
        "The goods weigh {goods} kg, more than the trips' total gross weight of {trips} kg.",
        "货物总重（{goods} 千克）超过车辆总重（{trips} 千克）。",
    ),
    "trip_code_unknown": Text(
        "Chuyến {value} không thuộc tờ khai này.",
        "Trip {value} is not part of this declaration.",
        "车次 {value} 不属于此申报。",
    ),
}


def msg(code: str, **values: object) -> Text:
    return M[code].format(**values) if values else M[code]


@dataclass
class _Collector:
    errors: list[FieldError] = field(default_factory=list)

    def add(self, path: str, code: str, message: Text) -> None:
        self.errors.append(FieldError(path, code, message))

    def required(self, path: str, value: object) -> bool:
        if value is None or value == "":
            self.add(path, "required", msg("required"))
            return False
        return True

    def identifier(self, path: str, parse: Callable[[], T]) -> T | None:
        """Run an identifier parser; record its error at ``path``."""
        try:
            return parse()
        except ids.IdentifierError as error:
            self.errors.append(error.to_field_error(path))
            return None

    def unique(
        self, path: str, raw: str, parse: Callable[[str], str], seen: set[str], duplicate: str
    ) -> str | None:
        """A required identifier that may appear once per declaration."""
        if not self.required(path, raw):
            return None
        value = self.identifier(path, partial(parse, raw))
        if value:
            if value in seen:
                self.add(path, "duplicate", msg(duplicate, value=value))
            seen.add(value)
        return value


def validate_declaration(
    doc: DeclarationDoc,
    catalog: Catalog,
    *,
    now: datetime,
    declarant_name: str,
    declarant_tax_code: str,
    known_trip_codes: frozenset[str] = frozenset(),
    check_arrival: bool = True,
) -> DeclarationDoc:
    """Return the normalised document, or raise ``InvalidInput`` listing every error."""
    out = doc.model_copy(deep=True)
    c = _Collector()

    direction = out.direction.lower()
    out.direction = direction
    if c.required("direction", direction) and direction not in ("export", "import"):
        c.add("direction", "direction", msg("direction"))
        direction = ""

    out.regime = out.regime.upper()
    if c.required("regime", out.regime):
        regime = catalog.regimes.get(out.regime)
        if regime is None:
            c.add("regime", "regime_unknown", msg("regime_unknown", value=out.regime))
        elif direction and not (
            regime.allows_export if direction == "export" else regime.allows_import
        ):
            c.add("regime", "regime_direction", msg("regime_direction", value=out.regime))

    out.gate = out.gate.upper()
    out.passage = out.passage.upper()
    if c.required("gate", out.gate):
        gate = catalog.gates.get(out.gate)
        if gate is None:
            c.add("gate", "gate_unknown", msg("gate_unknown", value=out.gate))
            c.required("passage", out.passage)
        elif c.required("passage", out.passage):
            passage = gate.passages.get(out.passage)
            if passage is None:
                c.add("passage", "passage_unknown", msg("passage_unknown", value=out.passage))
            elif direction and not (
                passage.allows_export if direction == "export" else passage.allows_import
            ):
                c.add("passage", "passage_direction", msg("passage_direction", value=out.passage))
    else:
        c.required("passage", out.passage)

    if c.required("planned_arrival", out.planned_arrival) and out.planned_arrival is not None:
        arrival = out.planned_arrival
        if arrival.tzinfo is None:
            arrival = arrival.replace(tzinfo=LOCAL_TZ)
        out.planned_arrival = arrival
        if check_arrival:
            if arrival < now - timedelta(hours=MAX_HOURS_LATE):
                c.add("planned_arrival", "arrival_past", msg("arrival_past", hours=MAX_HOURS_LATE))
            elif arrival > now + timedelta(days=MAX_DAYS_AHEAD):
                c.add("planned_arrival", "arrival_far", msg("arrival_far", days=MAX_DAYS_AHEAD))

    _validate_fee_payer(out, c, declarant_name, declarant_tax_code)
    errors_before = len(c.errors)
    goods_weight = _validate_goods(out, c, catalog, direction)
    trips_weight = _validate_trips(out, c, catalog, known_trip_codes)
    weights_known = not any(e.path.endswith("gross_weight_kg") for e in c.errors[errors_before:])
    if weights_known and goods_weight and trips_weight and goods_weight > trips_weight:
        c.add(
            "customs_declarations",
            "goods_heavier_than_trips",
            msg("goods_heavier_than_trips", goods=goods_weight, trips=trips_weight),
        )

    if c.errors:
        raise invalid(c.errors)
    return out


def _validate_fee_payer(
    out: DeclarationDoc, c: _Collector, declarant_name: str, declarant_tax_code: str
) -> None:
    payer = out.fee_payer
    if payer is None or (not payer.name and not payer.tax_code):
        out.fee_payer = FeePayerDoc(name=declarant_name, country="VN", tax_code=declarant_tax_code)
        return
    payer.country = payer.country.upper()
    if payer.country not in COUNTRIES:
        c.add("fee_payer.country", "country", msg("country", value=payer.country))
        return
    c.required("fee_payer.name", payer.name)
    if c.required("fee_payer.tax_code", payer.tax_code):
        tax_code = c.identifier(
            "fee_payer.tax_code", lambda: ids.validate_tax_code(payer.tax_code, payer.country)
        )
        if tax_code:
            payer.tax_code = tax_code


def _validate_goods(
    out: DeclarationDoc, c: _Collector, catalog: Catalog, direction: str
) -> Decimal:
    if not out.customs_declarations:
        c.add("customs_declarations", "required", msg("at_least_one_customs"))
        return Decimal(0)
    total_weight = Decimal(0)
    seen_numbers: set[str] = set()
    for i, customs in enumerate(out.customs_declarations):
        path = f"customs_declarations.{i}"
        _validate_customs_header(customs, c, catalog, direction, path, seen_numbers)
        if not customs.lines:
            c.add(f"{path}.lines", "required", msg("at_least_one_line"))
        for j, line in enumerate(customs.lines):
            total_weight += _validate_goods_line(line, c, f"{path}.lines.{j}")
    return total_weight


def _validate_customs_header(
    customs: CustomsDeclarationDoc,
    c: _Collector,
    catalog: Catalog,
    direction: str,
    path: str,
    seen_numbers: set[str],
) -> None:
    number = c.unique(
        f"{path}.number",
        customs.number,
        ids.validate_customs_declaration_number,
        seen_numbers,
        "duplicate_customs",
    )
    if number:
        customs.number = number
    customs.type_code = customs.type_code.upper()
    if c.required(f"{path}.type_code", customs.type_code):
        type_direction = catalog.declaration_types.get(customs.type_code)
        if type_direction is None:
            c.add(f"{path}.type_code", "type_unknown", msg("type_unknown", value=customs.type_code))
        elif direction and type_direction != direction:
            c.add(
                f"{path}.type_code",
                "type_direction",
                msg("type_direction", value=customs.type_code),
            )


def _validate_goods_line(line: GoodsLineDoc, c: _Collector, path: str) -> Decimal:
    c.required(f"{path}.description", line.description)
    if c.required(f"{path}.hs_code", line.hs_code):
        hs_code = c.identifier(f"{path}.hs_code", lambda: ids.validate_hs_code(line.hs_code))
        if hs_code:
            line.hs_code = hs_code
    line.origin_country = line.origin_country.upper()
    if c.required(f"{path}.origin_country", line.origin_country) and (
        line.origin_country not in COUNTRIES
    ):
        c.add(f"{path}.origin_country", "country", msg("country", value=line.origin_country))
    _positive(c, f"{path}.quantity", line.quantity)
    line.unit = line.unit.upper()
    if c.required(f"{path}.unit", line.unit) and line.unit not in UNITS:
        c.add(f"{path}.unit", "unit_unknown", msg("unit_unknown", value=line.unit))
    weight = _positive(c, f"{path}.gross_weight_kg", line.gross_weight_kg)
    if c.required(f"{path}.value", line.value) and line.value is not None and line.value < 0:
        c.add(f"{path}.value", "not_negative", msg("not_negative"))
    # Amounts in the scale they are stored in, so a stored and a fresh document compare equal.
    line.quantity = _scaled(line.quantity, THOUSANDTHS)
    line.gross_weight_kg = _scaled(line.gross_weight_kg, HUNDREDTHS)
    line.value = _scaled(line.value, HUNDREDTHS)
    line.currency = line.currency.upper()
    if line.currency not in CURRENCIES:
        c.add(f"{path}.currency", "currency_unknown", msg("currency_unknown", value=line.currency))
    return weight


HUNDREDTHS = Decimal("0.01")
THOUSANDTHS = Decimal("0.001")


def _scaled(value: Decimal | None, step: Decimal) -> Decimal | None:
    return None if value is None else value.quantize(step)


def _positive(c: _Collector, path: str, value: Decimal | None) -> Decimal:
    if not c.required(path, value) or value is None:
        return Decimal(0)
    if value <= 0:
        c.add(path, "positive", msg("positive"))
        return Decimal(0)
    return value


def _validate_trips(
    out: DeclarationDoc, c: _Collector, catalog: Catalog, known_trip_codes: frozenset[str]
) -> Decimal:
    if not out.trips:
        c.add("trips", "required", msg("at_least_one_trip"))
        return Decimal(0)
    total = Decimal(0)
    plates: set[str] = set()
    containers: set[str] = set()
    for i, trip in enumerate(out.trips):
        total += _validate_trip(
            trip, c, catalog, f"trips.{i}", plates, containers, known_trip_codes
        )
    return total


def _validate_trip(
    trip: TripDoc,
    c: _Collector,
    catalog: Catalog,
    path: str,
    plates: set[str],
    containers: set[str],
    known_trip_codes: frozenset[str],
) -> Decimal:
    if trip.code:
        trip.code = trip.code.upper()
        if trip.code not in known_trip_codes:
            c.add(f"{path}.code", "trip_code_unknown", msg("trip_code_unknown", value=trip.code))
    trip.tractor_country = trip.tractor_country.upper()
    country_ok = trip.tractor_country in ("VN", "CN")
    if not country_ok:
        c.add(f"{path}.tractor_country", "vehicle_country", msg("vehicle_country"))
    if c.required(f"{path}.tractor_plate", trip.tractor_plate) and country_ok:
        plate = c.identifier(
            f"{path}.tractor_plate",
            lambda: ids.parse_plate(trip.tractor_plate, trip.tractor_country, trailer=False),
        )
        if plate:
            trip.tractor_plate = plate.normalized
            if plate.normalized in plates:
                c.add(
                    f"{path}.tractor_plate",
                    "duplicate",
                    msg("duplicate_plate", value=plate.display),
                )
            plates.add(plate.normalized)

    trip.trailer_country = (trip.trailer_country or trip.tractor_country).upper()
    if trip.trailer_plate:
        if trip.trailer_country not in ("VN", "CN"):
            c.add(f"{path}.trailer_country", "vehicle_country", msg("vehicle_country"))
        else:
            trailer = c.identifier(
                f"{path}.trailer_plate",
                lambda: ids.parse_plate(trip.trailer_plate, trip.trailer_country, trailer=True),
            )
            if trailer:
                trip.trailer_plate = trailer.normalized
    else:
        trip.trailer_country = ""

    trip.vehicle_class = trip.vehicle_class.upper()
    if c.required(f"{path}.vehicle_class", trip.vehicle_class) and (
        trip.vehicle_class not in catalog.vehicle_classes
    ):
        c.add(
            f"{path}.vehicle_class",
            "vehicle_class_unknown",
            msg("vehicle_class_unknown", value=trip.vehicle_class),
        )

    for k, container in enumerate(trip.containers):
        _validate_container(container, c, f"{path}.containers.{k}", containers)

    c.required(f"{path}.driver_name", trip.driver_name)
    trip.driver_nationality = (trip.driver_nationality or trip.tractor_country).upper()
    if trip.driver_nationality not in COUNTRIES:
        c.add(
            f"{path}.driver_nationality", "country", msg("country", value=trip.driver_nationality)
        )
    elif c.required(f"{path}.driver_id_number", trip.driver_id_number):
        person_id = c.identifier(
            f"{path}.driver_id_number",
            lambda: ids.validate_person_id(trip.driver_id_number, trip.driver_nationality),
        )
        if person_id:
            trip.driver_id_number = person_id
    if c.required(f"{path}.driver_phone", trip.driver_phone):
        phone = c.identifier(f"{path}.driver_phone", lambda: ids.validate_phone(trip.driver_phone))
        if phone:
            trip.driver_phone = phone

    weight = _positive(c, f"{path}.gross_weight_kg", trip.gross_weight_kg)
    trip.gross_weight_kg = _scaled(trip.gross_weight_kg, HUNDREDTHS)
    if weight > MAX_GROSS_WEIGHT_KG:
        c.add(f"{path}.gross_weight_kg", "too_heavy", msg("too_heavy", max=MAX_GROSS_WEIGHT_KG))
    return weight


def _validate_container(container: ContainerDoc, c: _Collector, path: str, seen: set[str]) -> None:
    number = c.unique(
        f"{path}.number",
        container.number,
        ids.validate_container_number,
        seen,
        "duplicate_container",
    )
    if number:
        container.number = number
    if container.size_ft not in CONTAINER_SIZES:
        c.add(f"{path}.size_ft", "container_size", msg("container_size"))
    for s, seal in enumerate(container.seals):
        clean = c.identifier(f"{path}.seals.{s}", partial(ids.validate_seal_number, seal))
        if clean:
            container.seals[s] = clean


def validate_trip(doc: TripDoc, catalog: Catalog, *, path: str = "trip") -> TripDoc:
    """One vehicle on its own (a receiving truck of a transshipment); errors under ``path``."""
    out = doc.model_copy(deep=True)
    c = _Collector()
    _validate_trip(out, c, catalog, path, set(), set(), frozenset())
    if c.errors:
        raise invalid(c.errors)
    return out
