"""Fee calculation: the rate for class, regime and category on the trip's date; every
multiplier; mixed goods at the highest rate; containers; a change of schedule on a date."""

from __future__ import annotations

from datetime import date

import pytest

from cuakhau.core.errors import Conflict
from cuakhau.core.text import Text
from cuakhau.fees.rules import (
    GoodsCategory,
    Rate,
    Route,
    Schedule,
    TripFacts,
    calculate,
    categories_of,
    fee_class,
    vnd,
)

FRESH, ORDINARY, ORE = GoodsCategory.FRESH_PRODUCE, GoodsCategory.ORDINARY, GoodsCategory.ORE
EXPORT = Text("xuất khẩu", "export", "出口")
IMPORT = Text("nhập khẩu", "import", "进口")
TNTX = Text("tạm nhập tái xuất", "temporary import for re-export", "暂时进口再出口")

NQ09 = Schedule(
    code="NQ09-2025",
    legal_basis="Nghị quyết 09/2025/NQ-HĐND",
    effective_from=date(2025, 5, 8),
    effective_to=None,
    rates=(
        Rate("VT1", "XK", FRESH, 100_000),
        Rate("VT4", "XK", ORDINARY, 300_000),
        Rate("VT6", "XK", ORDINARY, 800_000),
        Rate("VT6", "XK", FRESH, 500_000, demo=True),
        Rate("VT4", "NK", ORDINARY, 300_000, demo=True),
        Rate("VT6", "NK", ORDINARY, 800_000, demo=True),
        Rate("VT6", "TNTX", FRESH, 4_000_000),
    ),
)
NQ01 = Schedule(
    code="NQ01-2019",
    legal_basis="Nghị quyết 01/2019/NQ-HĐND",
    effective_from=date(2019, 1, 1),
    effective_to=date(2025, 5, 7),
    rates=(Rate("VT6", "XK", ORDINARY, 700_000),),
)
SCHEDULES = (NQ01, NQ09)


def facts(**changes):
    base = {
        "on": date(2026, 11, 23),
        "direction": "export",
        "regime": "XK",
        "regime_name": EXPORT,
        "vehicle_class": "VT6",
        "categories": frozenset({ORDINARY}),
    }
    return TripFacts(**{**base, **changes})


def test_the_rate_of_class_regime_and_category_with_its_explanation():
    fee = calculate(facts(), SCHEDULES)
    assert fee.amount == 800_000
    assert fee.lines[0].text.vi == "VT6, xuất khẩu, hàng thông thường: 800.000 đ"
    assert fee.lines[0].text.en == "VT6, export, ordinary goods: 800,000 VND"
    assert fee.lines[0].text.zh == "VT6，出口，普通货物：800,000 越南盾"
    assert fee.lines[-1].text.en == "Total: 800,000 VND"
    assert (fee.schedule, fee.demo) == ("NQ09-2025", False)


def test_the_known_rates_of_the_resolution():
    small = facts(vehicle_class="VT1", categories=frozenset({FRESH}))
    assert calculate(small, SCHEDULES).amount == 100_000
    container = facts(
        regime="TNTX",
        regime_name=TNTX,
        direction="import",
        vehicle_class="VT4",
        container_sizes=(40,),
        categories=frozenset({FRESH}),
    )
    fee = calculate(container, SCHEDULES)
    assert (fee.amount, fee.vehicle_class) == (4_000_000, "VT6")


def test_imports_delivered_inland_pay_130_percent():
    fee = calculate(
        facts(
            direction="import",
            regime="NK",
            regime_name=IMPORT,
            vehicle_class="VT4",
            route=Route.INLAND,
        ),
        SCHEDULES,
    )
    assert fee.amount == 390_000
    assert "130% = 390,000 VND" in fee.lines[1].text.en
    assert fee.demo


def test_vehicles_only_transshipped_pay_30_percent():
    fee = calculate(
        facts(direction="import", regime="NK", regime_name=IMPORT, route=Route.TRANSSHIPMENT),
        SCHEDULES,
    )
    assert fee.amount == 240_000
    assert fee.lines[1].text.vi == "Xe chỉ sang tải tại bãi: 30% = 240.000 đ"


def test_ordinary_ore_exports_pay_five_times_and_the_maximum_caps_it():
    ore = calculate(facts(vehicle_class="VT4", categories=frozenset({ORE})), SCHEDULES)
    assert ore.amount == 1_500_000
    assert ore.lines[1].text.en == "Ordinary ore export: × 5 = 1,500,000 VND"
    capped = calculate(facts(categories=frozenset({ORE})), SCHEDULES)
    assert capped.amount == 4_000_000  # 5 × 800,000 stays under the 5,000,000 cap
    heavy = Schedule(
        code="T",
        legal_basis="",
        effective_from=date(2026, 1, 1),
        effective_to=None,
        rates=(Rate("VT6", "XK", ORDINARY, 1_200_000),),
    )
    assert calculate(facts(categories=frozenset({ORE})), (heavy,)).amount == 5_000_000


def test_mixed_goods_pay_the_highest_applicable_rate():
    fee = calculate(facts(categories=frozenset({FRESH, ORDINARY})), SCHEDULES)
    assert fee.amount == 800_000
    assert any("highest applicable rate (ordinary goods)" in line.text.en for line in fee.lines)
    with_ore = calculate(facts(categories=frozenset({FRESH, ORE})), SCHEDULES)
    assert with_ore.amount == 4_000_000


def test_the_schedule_in_force_on_the_trip_date_applies():
    assert calculate(facts(on=date(2025, 5, 7)), SCHEDULES).amount == 700_000
    assert calculate(facts(on=date(2025, 5, 8)), SCHEDULES).amount == 800_000
    with pytest.raises(Conflict) as none:
        calculate(facts(on=date(2018, 12, 31)), SCHEDULES)
    assert none.value.code == "fee_no_schedule"


def test_a_missing_rate_is_a_clear_refusal():
    with pytest.raises(Conflict) as missing:
        calculate(facts(vehicle_class="VT2"), SCHEDULES)
    assert missing.value.code == "fee_no_rate"
    assert "VT2" in missing.value.message.zh


def test_categories_and_classes_from_the_cargo():
    assert categories_of(["08106000"], perishable=False) == {FRESH}
    assert categories_of(["26011100", "72083900"], perishable=False) == {ORE, ORDINARY}
    assert categories_of(["72083900"], perishable=True) == {FRESH}
    assert fee_class("VT4", (20,)) == "VT5"
    assert fee_class("VT6", (20,)) == "VT6"
    assert vnd(4_000_000).vi == "4.000.000 đ"
