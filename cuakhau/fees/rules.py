"""The infrastructure-use fee of a trip, as plain data and functions (no Django).

Resolution 09/2025/NQ-HĐND of the Lạng Sơn People's Council (domain.md §7) sets a fee per
vehicle trip by vehicle class (or container size: a 20-ft container is VT5, a 40-ft one VT6),
goods regime and goods category, with multipliers for the route: imports delivered inland pay
130 %, vehicles only transshipped at the yard 30 %; ordinary ore exports pay 5×. Mixed goods on
one vehicle pay the highest applicable rate. The rates themselves are data (versioned schedules
with their legal basis and effective dates); this module only applies them, and explains every
step in the three languages, for the invoice and the enterprise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from cuakhau.core.errors import Conflict
from cuakhau.core.text import Text


class GoodsCategory(StrEnum):
    FRESH_PRODUCE = "fresh_produce"  # HS 06–08 and goods declared perishable
    ORDINARY = "ordinary"
    ORE = "ore"  # HS 26: ores, slag and ash


class Route(StrEnum):
    STANDARD = "standard"  # exports, and imports cleared at the border gate area
    INLAND = "inland"  # imports delivered inland: 130 %
    TRANSSHIPMENT = "transshipment"  # the vehicle is only transshipped at the yard: 30 %


CATEGORY_NAMES: dict[GoodsCategory, Text] = {
    GoodsCategory.FRESH_PRODUCE: Text("nông sản tươi", "fresh produce", "鲜活农产品"),
    GoodsCategory.ORDINARY: Text("hàng thông thường", "ordinary goods", "普通货物"),
    GoodsCategory.ORE: Text("quặng", "ore", "矿石"),
}
VEHICLE_OF_CONTAINER = {20: "VT5", 40: "VT6", 45: "VT6"}
CLASS_ORDER = ("VT1", "VT2", "VT3", "VT4", "VT5", "VT6")


@dataclass(frozen=True, slots=True)
class Rate:
    vehicle_class: str
    regime: str
    category: GoodsCategory
    amount: int  # VND per vehicle trip
    demo: bool = False  # a value not yet taken from the official resolution


@dataclass(frozen=True, slots=True)
class Schedule:
    code: str
    legal_basis: str
    effective_from: date
    effective_to: date | None  # the last day it applies; None: until replaced
    rates: tuple[Rate, ...]
    inland_import_percent: int = 130
    transshipment_percent: int = 30
    ore_export_factor: int = 5
    maximum: int | None = 5_000_000

    def applies_on(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    def rate(self, vehicle_class: str, regime: str, category: GoodsCategory) -> Rate | None:
        for rate in self.rates:
            if (rate.vehicle_class, rate.regime, rate.category) == (
                vehicle_class,
                regime,
                category,
            ):
                return rate
        return None


@dataclass(frozen=True, slots=True)
class TripFacts:
    on: date  # the trip's date (Vietnam time): the schedule in force that day applies
    direction: str  # export | import
    regime: str  # goods regime code: XK, NK, TNTX, CK, QC
    regime_name: Text
    vehicle_class: str
    container_sizes: tuple[int, ...] = ()
    categories: frozenset[GoodsCategory] = frozenset({GoodsCategory.ORDINARY})
    route: Route = Route.STANDARD


@dataclass(frozen=True, slots=True)
class FeeLine:
    text: Text
    amount: int | None = None  # the running amount after this step, when it changes it


@dataclass(frozen=True, slots=True)
class Fee:
    amount: int
    lines: tuple[FeeLine, ...]
    schedule: str
    legal_basis: str
    vehicle_class: str
    demo: bool  # some rate used is a demo value
    categories: tuple[GoodsCategory, ...] = field(default_factory=tuple)


def vnd(amount: int) -> Text:
    """800000 → "800.000 đ" / "800,000 VND" / "800,000 越南盾"."""
    grouped = f"{amount:,}"
    return Text(f"{grouped.replace(',', '.')} đ", f"{grouped} VND", f"{grouped} 越南盾")


def categories_of(hs_codes: Iterable[str], *, perishable: bool) -> frozenset[GoodsCategory]:
    found = set()
    for code in hs_codes:
        if code[:2] in ("06", "07", "08"):
            found.add(GoodsCategory.FRESH_PRODUCE)
        elif code[:2] == "26":
            found.add(GoodsCategory.ORE)
        else:
            found.add(GoodsCategory.ORDINARY)
    if perishable and GoodsCategory.ORDINARY in found:
        found.discard(GoodsCategory.ORDINARY)
        found.add(GoodsCategory.FRESH_PRODUCE)
    return frozenset(found or {GoodsCategory.ORDINARY})


def fee_class(vehicle_class: str, container_sizes: Iterable[int]) -> str:
    """The class the fee is charged at: the vehicle's, or its largest container's if higher."""
    classes = [vehicle_class, *(VEHICLE_OF_CONTAINER.get(size, "VT6") for size in container_sizes)]
    return max(classes, key=lambda c: CLASS_ORDER.index(c) if c in CLASS_ORDER else -1)


def schedule_on(schedules: Sequence[Schedule], day: date) -> Schedule:
    """The schedule in force on ``day`` (the latest that started, if periods overlap)."""
    applying = [s for s in schedules if s.applies_on(day)]
    if not applying:
        raise Conflict(
            "fee_no_schedule",
            Text(
                f"Không có biểu phí nào có hiệu lực ngày {day:%d/%m/%Y}.",
                f"No fee schedule is in force on {day:%d/%m/%Y}.",
                f"{day:%Y-%m-%d} 没有生效的收费标准。",
            ),
        )
    return max(applying, key=lambda s: s.effective_from)


def calculate(facts: TripFacts, schedules: Sequence[Schedule]) -> Fee:
    """The trip's fee with the lines that explain it; ``Conflict`` when no rate applies."""
    schedule = schedule_on(schedules, facts.on)
    vehicle = fee_class(facts.vehicle_class, facts.container_sizes)
    candidates: list[tuple[int, GoodsCategory, list[FeeLine], Rate]] = []
    for category in sorted(facts.categories):
        found = _category_amount(schedule, facts, vehicle, category)
        if found is not None:
            candidates.append((found[0], category, found[1], found[2]))
    if not candidates:
        raise _no_rate(facts, vehicle)
    amount, category, lines, rate = max(candidates, key=lambda c: (c[0], c[1]))
    demo = rate.demo
    if len(facts.categories) > 1:
        lines.append(
            FeeLine(
                Text(
                    "Hàng hỗn hợp trên một xe: áp mức cao nhất ({what}).",
                    "Mixed goods on one vehicle: the highest applicable rate ({what}).",
                    "同一车辆混装货物：按最高适用费率（{what}）。",
                ).format(what=CATEGORY_NAMES[category])
            )
        )
    if facts.route is Route.INLAND:
        amount = amount * schedule.inland_import_percent // 100
        lines.append(_step("inland", schedule.inland_import_percent, amount))
    elif facts.route is Route.TRANSSHIPMENT:
        amount = amount * schedule.transshipment_percent // 100
        lines.append(_step("transshipment", schedule.transshipment_percent, amount))
    if schedule.maximum is not None and amount > schedule.maximum:
        amount = schedule.maximum
        lines.append(
            FeeLine(
                Text(
                    "Mức thu tối đa: {cap}.",
                    "Capped at the maximum: {cap}.",
                    "最高收费上限：{cap}。",
                ).format(cap=vnd(schedule.maximum)),
                amount,
            )
        )
    lines.append(
        FeeLine(
            Text("Tổng cộng: {total}", "Total: {total}", "合计：{total}").format(total=vnd(amount)),
            amount,
        )
    )
    return Fee(
        amount=amount,
        lines=tuple(lines),
        schedule=schedule.code,
        legal_basis=schedule.legal_basis,
        vehicle_class=vehicle,
        demo=demo,
        categories=tuple(sorted(facts.categories)),
    )


def _category_amount(
    schedule: Schedule, facts: TripFacts, vehicle: str, category: GoodsCategory
) -> tuple[int, list[FeeLine], Rate] | None:
    rate = schedule.rate(vehicle, facts.regime, category)
    ore_factor = 1
    if rate is None and category is GoodsCategory.ORE and facts.direction == "export":
        # Ordinary ore exports: five times the ordinary rate, unless a rate of its own is set.
        rate = schedule.rate(vehicle, facts.regime, GoodsCategory.ORDINARY)
        ore_factor = schedule.ore_export_factor
    if rate is None:
        return None
    line = FeeLine(
        Text(
            "{vehicle}, {regime}, {category}: {amount}",
            "{vehicle}, {regime}, {category}: {amount}",
            "{vehicle}，{regime}，{category}：{amount}",
        ).format(
            vehicle=vehicle,
            regime=facts.regime_name,
            category=CATEGORY_NAMES[category if ore_factor == 1 else GoodsCategory.ORDINARY],
            amount=vnd(rate.amount),
        ),
        rate.amount,
    )
    lines = [line]
    amount = rate.amount
    if ore_factor != 1:
        amount = rate.amount * ore_factor
        lines.append(
            FeeLine(
                Text(
                    "Quặng xuất khẩu thông thường: × {factor} = {amount}",
                    "Ordinary ore export: × {factor} = {amount}",
                    "普通矿石出口：× {factor} = {amount}",
                ).format(factor=ore_factor, amount=vnd(amount)),
                amount,
            )
        )
    return amount, lines, rate


def _step(kind: str, percent: int, amount: int) -> FeeLine:
    what = {
        "inland": Text(
            "Hàng nhập khẩu vận chuyển vào nội địa",
            "Imports delivered inland",
            "进口货物运往内地",
        ),
        "transshipment": Text(
            "Xe chỉ sang tải tại bãi", "Vehicle only transshipped at the yard", "车辆仅在堆场换装"
        ),
    }[kind]
    return FeeLine(
        Text(
            "{what}: {percent}% = {amount}",
            "{what}: {percent}% = {amount}",
            "{what}：{percent}% = {amount}",
        ).format(what=what, percent=percent, amount=vnd(amount)),
        amount,
    )


def _no_rate(facts: TripFacts, vehicle: str) -> Conflict:
    names = ", ".join(sorted(c.value for c in facts.categories))
    return Conflict(
        "fee_no_rate",
        Text(
            "Biểu phí chưa có mức thu cho {vehicle}, {regime}, {names}: liên hệ Ban quản lý.",
            "The fee schedule has no rate for {vehicle}, {regime}, {names}: contact the board.",
            "收费标准中没有 {vehicle}、{regime}、{names} 的费率：请联系管理委员会。",
        ).format(vehicle=vehicle, regime=facts.regime_name, names=names),
    )
