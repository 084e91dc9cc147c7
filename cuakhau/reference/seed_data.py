"""Lạng Sơn's reference data (domain.md §4), as plain data.

Loaded by the data migrations and by ``cuakhau seed-reference`` (which updates rows by code and
never deletes). Figures that no official source publishes are marked as demo values.
"""

from __future__ import annotations

from typing import Any

AGENCIES: list[dict[str, Any]] = [
    {
        "code": "management_board",
        "name_vi": "Ban Quản lý Khu kinh tế cửa khẩu Đồng Đăng – Lạng Sơn",
        "name_en": "Border Economic Zone Management Board",
        "name_zh": "同登—谅山口岸经济区管理委员会",
    },
    {"code": "customs", "name_vi": "Hải quan", "name_en": "Customs", "name_zh": "海关"},
    {"code": "border_guard", "name_vi": "Biên phòng", "name_en": "Border guard", "name_zh": "边防"},
    {
        "code": "plant_quarantine",
        "name_vi": "Kiểm dịch thực vật",
        "name_en": "Plant quarantine",
        "name_zh": "植物检疫",
    },
    {
        "code": "animal_quarantine",
        "name_vi": "Kiểm dịch động vật",
        "name_en": "Animal quarantine",
        "name_zh": "动物检疫",
    },
    {
        "code": "medical_quarantine",
        "name_vi": "Kiểm dịch y tế",
        "name_en": "Medical quarantine",
        "name_zh": "卫生检疫",
    },
]

GATES: list[dict[str, Any]] = [
    {
        "code": "CKHN",
        "name_vi": "Cửa khẩu quốc tế Hữu Nghị",
        "name_en": "Huu Nghi International Border Gate",
        "name_zh": "友谊口岸",
        "kind": "international",
        "mode": "road",
        "counterpart_name": "Youyiguan",
        "counterpart_name_zh": "友谊关",
    },
    {
        "code": "TT",
        "name_vi": "Cửa khẩu Tân Thanh",
        "name_en": "Tan Thanh Border Gate",
        "name_zh": "新清口岸",
        "kind": "secondary",
        "mode": "road",
        "counterpart_name": "Pò Chài / Puzhai",
        "counterpart_name_zh": "浦寨",
    },
    {
        "code": "CN",
        "name_vi": "Cửa khẩu Cốc Nam",
        "name_en": "Coc Nam Border Gate",
        "name_zh": "谷南口岸",
        "kind": "secondary",
        "mode": "road",
        "counterpart_name": "Lũng Nghịu / Nongyao",
        "counterpart_name_zh": "弄尧",
    },
    {
        "code": "CM",
        "name_vi": "Cửa khẩu Chi Ma",
        "name_en": "Chi Ma Border Gate",
        "name_zh": "峙马口岸",
        "kind": "bilateral",
        "mode": "road",
        "counterpart_name": "Aidian",
        "counterpart_name_zh": "爱店",
    },
    {
        "code": "GADD",
        "name_vi": "Cửa khẩu quốc tế ga đường sắt Đồng Đăng",
        "name_en": "Dong Dang Railway Station International Border Gate",
        "name_zh": "同登火车站口岸",
        "kind": "international",
        "mode": "rail",
        "counterpart_name": "Pingxiang",
        "counterpart_name_zh": "凭祥",
    },
]

PASSAGES: list[dict[str, Any]] = [
    {
        "gate": "CKHN",
        "code": "HN-MAIN",
        "name_vi": "Lối thông quan chính Hữu Nghị",
        "name_en": "Huu Nghi main passage",
        "name_zh": "友谊口岸主通道",
        "border_markers": "",
        "counterpart_name": "Youyiguan",
        "counterpart_name_zh": "友谊关",
        "is_dedicated_freight_road": False,
    },
    {
        "gate": "CKHN",
        "code": "HN-1119",
        "name_vi": "Đường chuyên dụng vận chuyển hàng hóa mốc 1119–1120",
        "name_en": "Dedicated freight road, markers 1119–1120",
        "name_zh": "1119–1120 号界碑货运专用通道",
        "border_markers": "1119–1120",
        "counterpart_name": "Youyiguan",
        "counterpart_name_zh": "友谊关",
        "is_dedicated_freight_road": True,
    },
    {
        "gate": "TT",
        "code": "TT-1088",
        "name_vi": "Đường chuyên dụng Tân Thanh – Pò Chài mốc 1088/2–1089",
        "name_en": "Tan Thanh – Puzhai dedicated freight road, markers 1088/2–1089",
        "name_zh": "新清—浦寨 1088/2–1089 号界碑货运专用通道",
        "border_markers": "1088/2–1089",
        "counterpart_name": "Pò Chài / Puzhai",
        "counterpart_name_zh": "浦寨",
        "is_dedicated_freight_road": True,
    },
    {
        "gate": "CN",
        "code": "CN-1104",
        "name_vi": "Lối thông quan Cốc Nam – Lũng Nghịu mốc 1104–1105",
        "name_en": "Coc Nam – Nongyao passage, markers 1104–1105",
        "name_zh": "谷南—弄尧通道",
        "border_markers": "1104–1105",
        "counterpart_name": "Lũng Nghịu / Nongyao",
        "counterpart_name_zh": "弄尧",
        "is_dedicated_freight_road": False,
    },
    {
        "gate": "CM",
        "code": "CM-MAIN",
        "name_vi": "Lối thông quan Chi Ma – Ái Điểm",
        "name_en": "Chi Ma – Aidian passage",
        "name_zh": "峙马—爱店通道",
        "border_markers": "",
        "counterpart_name": "Aidian",
        "counterpart_name_zh": "爱店",
        "is_dedicated_freight_road": False,
    },
    {
        "gate": "GADD",
        "code": "DD-RAIL",
        "name_vi": "Ga liên vận quốc tế Đồng Đăng",
        "name_en": "Dong Dang international railway station",
        "name_zh": "同登国际联运站",
        "border_markers": "",
        "counterpart_name": "Pingxiang",
        "counterpart_name_zh": "凭祥",
        "is_dedicated_freight_road": False,
    },
]

# Capacities are not published: demo values, labelled as such in the admin and the API.
YARDS: list[dict[str, Any]] = [
    {
        "code": "XC",
        "name_vi": "Bãi Xuân Cương",
        "name_en": "Xuan Cuong yard",
        "name_zh": "",
        "kind": "transshipment",
        "gates": ["CKHN"],
        "inside_gate_area": True,
        "capacity_trucks": 400,
        "zones": [
            {
                "code": "A",
                "name_vi": "Khu A — chờ kiểm tra",
                "name_en": "Zone A — awaiting checks",
                "name_zh": "A 区 — 待检",
                "allows_transshipment": False,
            },
            {
                "code": "B",
                "name_vi": "Khu B — sang tải",
                "name_en": "Zone B — transshipment",
                "name_zh": "B 区 — 换装",
                "allows_transshipment": True,
            },
        ],
    },
    {
        "code": "BN",
        "name_vi": "Bãi Bảo Nguyên",
        "name_en": "Bao Nguyen yard",
        "name_zh": "",
        "kind": "transshipment",
        "gates": ["TT"],
        "inside_gate_area": True,
        "capacity_trucks": 500,
        "zones": [
            {
                "code": "SANG-TAI",
                "name_vi": "Khu sang tải",
                "name_en": "Transshipment zone",
                "name_zh": "换装区",
                "allows_transshipment": True,
            },
            {
                "code": "AGV",
                "name_vi": "Điểm đón xe tự hành",
                "name_en": "Autonomous shuttle bay",
                "name_zh": "无人驾驶车辆接驳区",
                "allows_transshipment": True,
            },
        ],
    },
    {
        "code": "VTLP",
        "name_vi": "Trung tâm Logistics Viettel Lạng Sơn",
        "name_en": "Viettel Logistics Park",
        "name_zh": "Viettel 物流园",
        "kind": "waiting",
        "gates": ["CKHN", "TT"],
        "inside_gate_area": False,
        "capacity_trucks": 1500,
        "zones": [],
    },
    {
        "code": "KPTQ",
        "name_vi": "Khu phi thuế quan",
        "name_en": "Non-tariff Zone",
        "name_zh": "非关税区",
        "kind": "waiting",
        "gates": ["CKHN", "TT"],
        "inside_gate_area": False,
        "capacity_trucks": 800,
        "zones": [],
    },
    {
        "code": "CN-BAI",
        "name_vi": "Bãi chờ Cốc Nam",
        "name_en": "Coc Nam waiting yard",
        "name_zh": "谷南停车场",
        "kind": "waiting",
        "gates": ["CN"],
        "inside_gate_area": True,
        "capacity_trucks": 120,
        "zones": [],
    },
    {
        "code": "CM-BAI",
        "name_vi": "Bãi chờ Chi Ma",
        "name_en": "Chi Ma waiting yard",
        "name_zh": "峙马停车场",
        "kind": "waiting",
        "gates": ["CM"],
        "inside_gate_area": True,
        "capacity_trucks": 200,
        "zones": [],
    },
]

# VT4 (4 to under 10 t) and VT6 (18 t and over, or a 40-ft container) are the platform's own
# classes (domain.md §5); the other bounds are demo values until the official table is loaded.
VEHICLE_CLASSES: list[dict[str, Any]] = [
    {
        "code": "VT1",
        "name_vi": "Xe dưới 2 tấn",
        "name_en": "Under 2 t",
        "name_zh": "2 吨以下",
        "min_tonnes": 0,
        "max_tonnes": 2,
        "container_feet": None,
        "is_demo": True,
    },
    {
        "code": "VT2",
        "name_vi": "Xe từ 2 đến dưới 3 tấn",
        "name_en": "2 to under 3 t",
        "name_zh": "2 至 3 吨以下",
        "min_tonnes": 2,
        "max_tonnes": 3,
        "container_feet": None,
        "is_demo": True,
    },
    {
        "code": "VT3",
        "name_vi": "Xe từ 3 đến dưới 4 tấn",
        "name_en": "3 to under 4 t",
        "name_zh": "3 至 4 吨以下",
        "min_tonnes": 3,
        "max_tonnes": 4,
        "container_feet": None,
        "is_demo": True,
    },
    {
        "code": "VT4",
        "name_vi": "Xe từ 4 đến dưới 10 tấn",
        "name_en": "4 to under 10 t",
        "name_zh": "4 至 10 吨以下",
        "min_tonnes": 4,
        "max_tonnes": 10,
        "container_feet": None,
        "is_demo": False,
    },
    {
        "code": "VT5",
        "name_vi": "Xe từ 10 đến dưới 18 tấn, container 20 feet",
        "name_en": "10 to under 18 t, or 20-ft container",
        "name_zh": "10 至 18 吨以下，或 20 英尺集装箱",
        "min_tonnes": 10,
        "max_tonnes": 18,
        "container_feet": 20,
        "is_demo": True,
    },
    {
        "code": "VT6",
        "name_vi": "Xe từ 18 tấn trở lên, container 40 feet",
        "name_en": "18 t and over, or 40-ft container",
        "name_zh": "18 吨及以上，或 40 英尺集装箱",
        "min_tonnes": 18,
        "max_tonnes": None,
        "container_feet": 40,
        "is_demo": False,
    },
]

REGIMES: list[dict[str, Any]] = [
    {
        "code": "XK",
        "name_vi": "Xuất khẩu",
        "name_en": "Export",
        "name_zh": "出口",
        "allows_export": True,
        "allows_import": False,
    },
    {
        "code": "NK",
        "name_vi": "Nhập khẩu",
        "name_en": "Import",
        "name_zh": "进口",
        "allows_export": False,
        "allows_import": True,
    },
    {
        "code": "TNTX",
        "name_vi": "Tạm nhập tái xuất",
        "name_en": "Temporary import for re-export",
        "name_zh": "暂时进口复出口",
        "allows_export": True,
        "allows_import": True,
    },
    {
        "code": "CK",
        "name_vi": "Chuyển khẩu",
        "name_en": "Transshipment (entrepôt trade)",
        "name_zh": "转口",
        "allows_export": True,
        "allows_import": True,
    },
    {
        "code": "QC",
        "name_vi": "Quá cảnh",
        "name_en": "Transit",
        "name_zh": "过境",
        "allows_export": True,
        "allows_import": True,
    },
]

# VNACCS customs declaration type codes used for border road freight.
DECLARATION_TYPES: list[dict[str, Any]] = [
    {
        "code": "B11",
        "direction": "export",
        "name_vi": "Xuất kinh doanh",
        "name_en": "Commercial export",
        "name_zh": "一般贸易出口",
    },
    {
        "code": "B12",
        "direction": "export",
        "name_vi": "Xuất sau khi đã tạm xuất",
        "name_en": "Export after temporary export",
        "name_zh": "暂时出口后出口",
    },
    {
        "code": "B13",
        "direction": "export",
        "name_vi": "Xuất khẩu hàng đã nhập khẩu",
        "name_en": "Export of previously imported goods",
        "name_zh": "已进口货物出口",
    },
    {
        "code": "E42",
        "direction": "export",
        "name_vi": "Xuất khẩu sản phẩm của DNCX",
        "name_en": "Export of an export-processing enterprise's products",
        "name_zh": "出口加工企业产品出口",
    },
    {
        "code": "E52",
        "direction": "export",
        "name_vi": "Xuất sản phẩm gia công cho thương nhân nước ngoài",
        "name_en": "Export of products processed for a foreign trader",
        "name_zh": "为外商加工产品出口",
    },
    {
        "code": "E62",
        "direction": "export",
        "name_vi": "Xuất sản phẩm sản xuất xuất khẩu",
        "name_en": "Export of products made for export",
        "name_zh": "出口生产产品出口",
    },
    {
        "code": "G21",
        "direction": "export",
        "name_vi": "Tái xuất hàng kinh doanh tạm nhập tái xuất",
        "name_en": "Re-export of temporarily imported goods",
        "name_zh": "暂进复出货物复出口",
    },
    {
        "code": "H21",
        "direction": "export",
        "name_vi": "Xuất khẩu hàng khác",
        "name_en": "Other exports",
        "name_zh": "其他出口",
    },
    {
        "code": "A11",
        "direction": "import",
        "name_vi": "Nhập kinh doanh tiêu dùng",
        "name_en": "Commercial import for consumption",
        "name_zh": "一般贸易进口（消费）",
    },
    {
        "code": "A12",
        "direction": "import",
        "name_vi": "Nhập kinh doanh sản xuất",
        "name_en": "Commercial import for production",
        "name_zh": "一般贸易进口（生产）",
    },
    {
        "code": "A41",
        "direction": "import",
        "name_vi": "Nhập kinh doanh của doanh nghiệp thực hiện quyền nhập khẩu",
        "name_en": "Import under trading rights",
        "name_zh": "进口权企业进口",
    },
    {
        "code": "C11",
        "direction": "import",
        "name_vi": "Hàng gửi kho ngoại quan",
        "name_en": "Goods into a bonded warehouse",
        "name_zh": "存入保税仓库货物",
    },
    {
        "code": "C21",
        "direction": "import",
        "name_vi": "Hàng đưa vào khu phi thuế quan",
        "name_en": "Goods into a non-tariff zone",
        "name_zh": "进入非关税区货物",
    },
    {
        "code": "E11",
        "direction": "import",
        "name_vi": "Nhập nguyên liệu của DNCX từ nước ngoài",
        "name_en": "Materials imported by an export-processing enterprise",
        "name_zh": "出口加工企业进口原料",
    },
    {
        "code": "E21",
        "direction": "import",
        "name_vi": "Nhập nguyên liệu để gia công cho thương nhân nước ngoài",
        "name_en": "Materials imported for processing for a foreign trader",
        "name_zh": "为外商加工进口原料",
    },
    {
        "code": "E31",
        "direction": "import",
        "name_vi": "Nhập nguyên liệu sản xuất xuất khẩu",
        "name_en": "Materials imported to make exports",
        "name_zh": "出口生产进口原料",
    },
    {
        "code": "G11",
        "direction": "import",
        "name_vi": "Tạm nhập hàng kinh doanh tạm nhập tái xuất",
        "name_en": "Temporary import for re-export",
        "name_zh": "暂时进口复出口货物进口",
    },
    {
        "code": "H11",
        "direction": "import",
        "name_vi": "Hàng nhập khẩu khác",
        "name_en": "Other imports",
        "name_zh": "其他进口",
    },
]

# Capacity plans per passage (demo values: lanes, mean minutes per vehicle and control-area room
# are not published). Rail has no truck queue.
CAPACITY_PLANS: list[dict[str, Any]] = [
    {"passage": "HN-MAIN", "lanes_open": 2, "minutes_per_vehicle": 6, "control_area_room": 20},
    {"passage": "HN-1119", "lanes_open": 3, "minutes_per_vehicle": 5, "control_area_room": 30},
    {"passage": "TT-1088", "lanes_open": 3, "minutes_per_vehicle": 5, "control_area_room": 30},
    {"passage": "CN-1104", "lanes_open": 1, "minutes_per_vehicle": 8, "control_area_room": 10},
    {"passage": "CM-MAIN", "lanes_open": 1, "minutes_per_vehicle": 8, "control_area_room": 10},
]

# Regular working hours in Vietnam's time (07:00–19:00 = 08:00–20:00 in China), every day; the
# road gates extend hours in peak seasons through calendar entries.
WORKING_HOURS: dict[str, tuple[str, str]] = {
    "CKHN": ("07:00", "19:00"),
    "TT": ("07:00", "19:00"),
    "CN": ("07:00", "17:00"),
    "CM": ("07:00", "17:00"),
}


def load_capacity(apps: Any) -> None:
    """Create the default capacity plans and working hours where none exist (never overwrites
    what operators have set)."""
    from datetime import time

    Passage = apps.get_model("gates", "Passage")
    Gate = apps.get_model("gates", "Gate")
    CapacityPlan = apps.get_model("gates", "CapacityPlan")
    WorkingHours = apps.get_model("gates", "WorkingHours")
    for row in CAPACITY_PLANS:
        passage = Passage.objects.filter(code=row["passage"]).first()
        if passage is None:
            continue
        fields = {k: v for k, v in row.items() if k != "passage"}
        for direction, allowed in (
            ("export", passage.allows_export),
            ("import", passage.allows_import),
        ):
            if allowed:
                CapacityPlan.objects.get_or_create(
                    passage=passage, direction=direction, defaults=fields
                )
    for code, (opens, closes) in WORKING_HOURS.items():
        gate = Gate.objects.filter(code=code).first()
        if gate is None or WorkingHours.objects.filter(gate=gate).exists():
            continue
        WorkingHours.objects.bulk_create(
            WorkingHours(
                gate=gate,
                weekday=day,
                opens=time.fromisoformat(opens),
                closes=time.fromisoformat(closes),
            )
            for day in range(7)
        )


def load(apps: Any) -> None:
    """Create or update every reference row by code. Works on migration state models."""
    Agency = apps.get_model("accounts", "Agency")
    Gate = apps.get_model("gates", "Gate")
    Passage = apps.get_model("gates", "Passage")
    Yard = apps.get_model("gates", "Yard")
    YardZone = apps.get_model("gates", "YardZone")
    VehicleClass = apps.get_model("reference", "VehicleClass")
    GoodsRegime = apps.get_model("reference", "GoodsRegime")
    DeclarationType = apps.get_model("reference", "CustomsDeclarationType")

    for position, row in enumerate(AGENCIES):
        Agency.objects.update_or_create(code=row["code"], defaults={**row, "position": position})
    gates = {}
    for position, row in enumerate(GATES):
        gates[row["code"]], _ = Gate.objects.update_or_create(
            code=row["code"], defaults={**row, "position": position}
        )
    for row in PASSAGES:
        fields = {k: v for k, v in row.items() if k != "gate"}
        Passage.objects.update_or_create(
            code=row["code"], defaults={**fields, "gate": gates[row["gate"]]}
        )
    for row in YARDS:
        fields = {k: v for k, v in row.items() if k not in ("gates", "zones")}
        yard, _ = Yard.objects.update_or_create(
            code=row["code"], defaults={**fields, "capacity_is_demo": True}
        )
        yard.gates.set([gates[code] for code in row["gates"]])
        for zone in row["zones"]:
            YardZone.objects.update_or_create(yard=yard, code=zone["code"], defaults=zone)
    for position, row in enumerate(VEHICLE_CLASSES):
        VehicleClass.objects.update_or_create(
            code=row["code"], defaults={**row, "position": position}
        )
    for position, row in enumerate(REGIMES):
        GoodsRegime.objects.update_or_create(
            code=row["code"], defaults={**row, "position": position}
        )
    for row in DECLARATION_TYPES:
        DeclarationType.objects.update_or_create(code=row["code"], defaults=row)


def unload(apps: Any) -> None:
    """Remove the seeded rows (reverse of ``load``) on a database that holds nothing else."""
    apps.get_model("reference", "CustomsDeclarationType").objects.filter(
        code__in=[r["code"] for r in DECLARATION_TYPES]
    ).delete()
    apps.get_model("reference", "GoodsRegime").objects.filter(
        code__in=[r["code"] for r in REGIMES]
    ).delete()
    apps.get_model("reference", "VehicleClass").objects.filter(
        code__in=[r["code"] for r in VEHICLE_CLASSES]
    ).delete()
    apps.get_model("gates", "Yard").objects.filter(code__in=[r["code"] for r in YARDS]).delete()
    apps.get_model("gates", "Passage").objects.filter(
        code__in=[r["code"] for r in PASSAGES]
    ).delete()
    apps.get_model("gates", "Gate").objects.filter(code__in=[r["code"] for r in GATES]).delete()
    apps.get_model("accounts", "Agency").objects.filter(
        code__in=[r["code"] for r in AGENCIES]
    ).delete()
