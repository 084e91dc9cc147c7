"""The fee schedule in force (Resolution 09/2025/NQ-HĐND of the Lạng Sơn People's Council, in
force from 08/05/2025) and the collecting center's account, loaded by a migration.

Only the rates domain.md §7 cites are known: 100,000 VND for a vehicle under 2 t exporting fresh
produce, 800,000 VND for VT6 and 300,000 VND for VT4 with ordinary goods, 4,000,000 VND for a
40-ft container of temporarily imported farm goods for re-export. Every other rate is a demo
value, marked as such, to be replaced from the official resolution by an administrator.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

SCHEDULE = {
    "code": "NQ09-2025",
    "legal_basis": "Nghị quyết 09/2025/NQ-HĐND của HĐND tỉnh Lạng Sơn (thay thế 01/2019/NQ-HĐND)",
    "effective_from": date(2025, 5, 8),
    "note": "Chỉ các mức ghi trong domain.md §7 là mức thật; các mức khác là giá trị demo.",
}
CLASSES = ("VT1", "VT2", "VT3", "VT4", "VT5", "VT6")
# Per regime group and category: the rate of each class (VND).
GRID: dict[tuple[str, str], tuple[int, ...]] = {
    ("trade", "fresh_produce"): (100_000, 150_000, 200_000, 250_000, 400_000, 600_000),
    ("trade", "ordinary"): (150_000, 200_000, 250_000, 300_000, 500_000, 800_000),
    ("temporary", "fresh_produce"): (500_000, 800_000, 1_000_000, 1_500_000, 2_500_000, 4_000_000),
    ("temporary", "ordinary"): (600_000, 900_000, 1_200_000, 1_800_000, 3_000_000, 4_500_000),
}
REGIME_GROUP = {
    "XK": "trade",
    "NK": "trade",
    "TNTX": "temporary",
    "CK": "temporary",
    "QC": "temporary",
}
KNOWN = {
    ("VT1", "XK", "fresh_produce"),
    ("VT4", "XK", "ordinary"),
    ("VT6", "XK", "ordinary"),
    ("VT6", "TNTX", "fresh_produce"),
}
BANK = {
    "code": "VCB-LS",
    "bank_name": "Vietcombank — Chi nhánh Lạng Sơn (demo)",
    "bank_bin": "970436",
    "account_number": "0071000909090",
    "account_name": "TRUNG TAM QUAN LY CUA KHAU LANG SON",
}


def load(apps: Any) -> None:
    FeeSchedule = apps.get_model("fees", "FeeSchedule")
    FeeRate = apps.get_model("fees", "FeeRate")
    VehicleClass = apps.get_model("reference", "VehicleClass")
    GoodsRegime = apps.get_model("reference", "GoodsRegime")
    BankAccount = apps.get_model("fees", "BankAccount")
    schedule, created = FeeSchedule.objects.get_or_create(
        code=SCHEDULE["code"], defaults={k: v for k, v in SCHEDULE.items() if k != "code"}
    )
    if created:
        classes = {c.code: c for c in VehicleClass.objects.filter(code__in=CLASSES)}
        regimes = {r.code: r for r in GoodsRegime.objects.filter(code__in=REGIME_GROUP)}
        FeeRate.objects.bulk_create(
            FeeRate(
                schedule=schedule,
                vehicle_class=classes[vehicle],
                regime=regime,
                category=category,
                amount_vnd=amounts[i],
                is_demo=(vehicle, code, category) not in KNOWN,
            )
            for (group, category), amounts in GRID.items()
            for code, regime in regimes.items()
            if REGIME_GROUP[code] == group
            for i, vehicle in enumerate(CLASSES)
            if vehicle in classes
        )
    BankAccount.objects.get_or_create(
        code=BANK["code"], defaults={**BANK, "notice_secret": secrets.token_hex(32)}
    )
