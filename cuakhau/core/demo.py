"""The demo day behind ``cuakhau seed-demo``: a believable day at Hữu Nghị and Tân Thanh.

What it builds: six enterprises (five Vietnamese — two fruit exporters, an electronics maker, a
logistics firm and customs broker, a general trading company — and a Chinese fruit buyer that
pays the fee on some declarations), their users, the officers of every agency at both gates, a
leader and an administrator, and about 200 trips of fruit, seafood, electronics and general goods
in every state of the lifecycle, on Vietnamese and Chinese trucks. It includes a transshipment at
Xuân Cương zone B, a pending and an approved correction, multi-truck declarations, declarations
whose fee is paid by the Chinese buyer, declarations sent by the electronics maker's ERP through
an API token, drafts, amendments before arrival, no-shows, holds and refusals.

The yard queues (domain.md §6), for export trucks: it is the fruit season, so before the day the
gate operators record extended hours (24/24) at both gates, the season's capacity at the three
export passages (the partner side takes one lane, 1–2 trucks an hour) and the partner side's
fruit quota at Tân Thanh. Export trucks check in over the day's last eight hours (check-in puts
them in the queue); some were booked into a one-hour slot (most arrive in their window, one
comes too late and loses it, some came early for a coming hour, declared trucks are booked
ahead). The dispatcher (``dispatch_passage``) runs every 15 minutes at each passage and calls
the trucks the policy chooses — slot, green lane, queue; what a called truck then does is planned
when it is called, to fit the time left (``_Queue.fate``): it enters and departs, is held, is
still in the control area or on its way, asks once for more time, or does not come (the
operator records one no-show; the dispatcher returns the others when their call expires). An
operator moves a reefer with failed cooling to the head of the queue, raises the last hour's
calls when the partner side takes two more, and calls one truck out of turn, each with its
written reason. The day ends with some 60 trucks waiting in the yards and a few called.

How: every change goes through the real services (``declaration_create``, ``trip_check_in``,
``trip_call``, ``trip_enter_control``, ``check_decide``, ``trip_depart``, ``trip_transship``,
``declaration_cancel``, ``trip_cancel``, ``correction_request_create`` …), so each trip's history
is true and complete. To spread the day, the builder first *plans* every step with a time, then
runs all steps in time order with ``django.utils.timezone.now`` patched to return the step's time
(``_Clock``). The day ends at the real time the command starts, so nothing is dated in the future;
it starts at 05:30 local time (or 9 hours earlier when the command runs before 13:30; at most
11 hours before). Trucks on the earliest trips were declared the evening before. Model fields
whose default is ``timezone.now`` bound at import keep the real time, a few seconds later (a
user's ``date_joined``, an API token's ``created_at``); a correction's ``requested_at`` is set
to the demo's clock after the service made it.

Every choice comes from ``random.Random(2026)``: two runs give the same enterprises, trucks,
goods and states (trip codes are drawn by the platform itself, and the times follow the hour at
which the command runs).

The administrator account is created last: its presence means a complete demo (``demo_exists``);
demo accounts without it mean an interrupted run (``demo_incomplete``).
"""

from __future__ import annotations

import contextlib
import heapq
import json
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from stdnum import iso6346
from stdnum.cn import ric, uscc
from stdnum.vn import mst

from cuakhau.accounts.models import Agency, Enterprise, User
from cuakhau.accounts.roles import AGENCY_OF_ROLE, AgencyCode, Role
from cuakhau.accounts.services import api_token_create
from cuakhau.checks.rules import CheckStatus, required_agencies
from cuakhau.checks.services import check_decide
from cuakhau.core.actors import Actor
from cuakhau.core.errors import Conflict, InvalidInput, NotAllowed
from cuakhau.declarations import services
from cuakhau.declarations.documents import DeclarationDoc, TripDoc
from cuakhau.declarations.lifecycle import TripState
from cuakhau.declarations.models import CorrectionRequest, Declaration, GoodsLine, Trip
from cuakhau.gates import capacity as gate_capacity
from cuakhau.gates.models import CalendarEntry, Gate, Passage
from cuakhau.queueing import services as queueing
from cuakhau.queueing.models import CallUp, DispatchRun, QueueEntry
from cuakhau.reference.catalog import forget_reference_index
from cuakhau.reference.identifiers import validate_person_id

# One password for every demo account: printed by the command, refused when DEBUG is off.
DEMO_PASSWORD = "CuaKhau-Demo-2026"  # noqa: S105 - demo accounts only, see seed_demo
SEED = 2026
ADMIN_USERNAME = "quantri"
GATES = ("CKHN", "TT")
S = TripState
PASSED, HELD, REFUSED = CheckStatus.PASSED, CheckStatus.HELD, CheckStatus.REFUSED


# --- Enterprises and accounts ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EnterpriseSpec:
    key: str
    name: str
    name_en: str
    name_zh: str
    tax_seed: str  # VN: the first 9 digits of the MST; CN: the first 17 characters of the USCC
    address: str
    phone: str
    country: str = "VN"

    @property
    def tax_code(self) -> str:
        if self.country == "CN":
            return self.tax_seed + uscc.calc_check_digit(self.tax_seed)
        return _vn_tax_code(self.tax_seed)


def _vn_tax_code(seed: str) -> str:
    """The first valid MST at or after a 9-digit seed (some seeds have no single check digit)."""
    base = int(seed)
    while True:
        digits = f"{base:09d}"
        check = mst.calc_check_digit(digits)
        if len(check) == 1:
            return digits + check
        base += 1


ENTERPRISES: tuple[EnterpriseSpec, ...] = (
    EnterpriseSpec(
        "xanh",
        "Công ty TNHH Nông sản Xanh Lạng Sơn",
        "Xanh Lang Son Agricultural Products Co., Ltd.",
        "谅山绿色农产品有限责任公司",
        "490081523",
        "Số 18 Hùng Vương, phường Chi Lăng, TP. Lạng Sơn",
        "+84 205 3712 345",
    ),
    EnterpriseSpec(
        "mientay",
        "Công ty CP Xuất khẩu Trái cây Miền Tây",
        "Mekong Fruit Export JSC",
        "湄公河水果出口股份公司",
        "120123456",
        "Quốc lộ 1A, xã Tân Lý Đông, huyện Châu Thành, Tiền Giang",
        "+84 273 3855 678",
    ),
    EnterpriseSpec(
        "kinhbac",
        "Công ty TNHH Linh kiện Điện tử Kinh Bắc",
        "Kinh Bac Electronic Components Co., Ltd.",
        "京北电子元件有限责任公司",
        "230145678",
        "Lô C4, KCN Quế Võ, tỉnh Bắc Ninh",
        "+84 222 3634 100",
    ),
    EnterpriseSpec(
        "dongdang",
        "Công ty CP Logistics Đồng Đăng",
        "Dong Dang Logistics JSC",
        "同登物流股份公司",
        "490012345",
        "Khu 2, thị trấn Đồng Đăng, huyện Cao Lộc, Lạng Sơn",
        "+84 205 3851 234",
    ),
    EnterpriseSpec(
        "hoanglong",
        "Công ty TNHH Thương mại Tổng hợp Hoàng Long",
        "Hoang Long General Trading Co., Ltd.",
        "黄龙综合贸易有限责任公司",
        "010567891",
        "Số 25 Nguyễn Văn Cừ, quận Long Biên, Hà Nội",
        "+84 24 3872 5566",
    ),
    EnterpriseSpec(
        "youyi",
        "Công ty TNHH Thương mại Trái cây Hữu Nghị Bằng Tường",
        "Pingxiang Youyi Fruit Trading Co., Ltd.",
        "凭祥市友谊果业贸易有限公司",
        "91451481MA5KXY7R2",
        "广西凭祥市友谊镇卡凤村 (Youyi town, Pingxiang, Guangxi)",
        "+86 771 852 6688",
        country="CN",
    ),
)
ENTERPRISE_BY_KEY = {spec.key: spec for spec in ENTERPRISES}


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    role: Role
    name: str
    gates: tuple[str, ...] = ()
    enterprise: str = ""

    @property
    def scope(self) -> str:
        if self.enterprise:
            return ENTERPRISE_BY_KEY[self.enterprise].name
        if self.role is Role.ADMINISTRATOR:
            return "mọi cửa khẩu — superuser, /admin/"
        return ", ".join(GATE_NAMES[g] for g in self.gates)


GATE_NAMES = {"CKHN": "Hữu Nghị (CKHN)", "TT": "Tân Thanh (TT)"}
SUFFIX = {"CKHN": "hn", "TT": "tt"}

_OFFICERS: tuple[tuple[Role, str, tuple[str, str]], ...] = (
    (Role.GATE_OPERATOR, "dieuhanh", ("Hoàng Văn Dũng", "Lương Thị Thu")),
    (Role.CUSTOMS, "haiquan", ("Nguyễn Đức Cường", "Trần Thị Hương")),
    (Role.BORDER_GUARD, "bienphong", ("Vi Văn Thắng", "Nông Quốc Bảo")),
    (Role.PLANT_QUARANTINE, "kdtv", ("Phạm Thị Lan", "Lăng Văn Hiếu")),
    (Role.ANIMAL_QUARANTINE, "kddv", ("Đỗ Minh Tuấn", "Chu Thị Ngọc")),
)
ACCOUNTS: tuple[Account, ...] = (
    Account(ADMIN_USERNAME, Role.ADMINISTRATOR, "Đinh Văn Quân"),
    Account("lanhdao", Role.LEADER, "Lê Quang Minh", gates=GATES),
    *(
        Account(f"{prefix}.{SUFFIX[gate]}", role, names[i], gates=(gate,))
        for role, prefix, names in _OFFICERS
        for i, gate in enumerate(GATES)
    ),
    Account("nongsan", Role.ENTERPRISE, "Hoàng Thị Mai", enterprise="xanh"),
    Account("nongsan2", Role.ENTERPRISE, "Lương Văn Tùng", enterprise="xanh"),
    Account("traicay", Role.ENTERPRISE, "Nguyễn Thị Thanh Tâm", enterprise="mientay"),
    Account("dientu", Role.ENTERPRISE, "Vũ Đức Anh", enterprise="kinhbac"),
    Account("logistics", Role.ENTERPRISE, "Lý Thị Hằng", enterprise="dongdang"),
    Account("logistics2", Role.ENTERPRISE, "Triệu Văn Khánh", enterprise="dongdang"),
    Account("thuongmai", Role.ENTERPRISE, "Bùi Thị Phương", enterprise="hoanglong"),
)
# Medical quarantine officers are made only if a demo gate requires that check.
_MEDICAL_NAMES = {"CKHN": "Hà Thị Yến", "TT": "Mã Văn Phúc"}


# --- Goods ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Product:
    description: str
    hs_code: str
    unit: str
    kg_per_unit: float  # gross kg per unit of quantity (1 for KGM)
    usd_per_kg: tuple[float, float]
    origin: str


@dataclass(frozen=True, slots=True)
class Category:
    key: str
    direction: str
    products: tuple[Product, ...]
    type_codes: tuple[str, ...]
    enterprises: tuple[str, ...]
    passages: tuple[tuple[str, float], ...]  # passage code, weight
    kinds: tuple[tuple[str, float], ...]  # vehicle kind, weight
    payload_kg: tuple[int, int]
    lines: tuple[int, int] = (1, 1)
    perishable: bool = False
    regime: str = ""

    @property
    def regime_code(self) -> str:
        return self.regime or ("XK" if self.direction == "export" else "NK")


def _p(desc: str, hs: str, unit: str, kg: float, usd: tuple[float, float], origin: str) -> Product:
    return Product(desc, hs, unit, kg, usd, origin)


DURIAN = _p("Sầu riêng tươi (Ri6, Monthong)", "08106000", "KGM", 1, (3.2, 4.6), "VN")
DRAGON = _p("Thanh long ruột trắng tươi", "08109092", "CTN", 18, (0.6, 0.9), "VN")
DRAGON_RED = _p("Thanh long ruột đỏ tươi", "08109092", "CTN", 18, (0.9, 1.3), "VN")
JACKFRUIT = _p("Mít Thái tươi", "08109060", "KGM", 1, (0.5, 0.8), "VN")
MANGO = _p("Xoài cát Hòa Lộc tươi", "08045020", "CTN", 20, (1.2, 1.8), "VN")
LONGAN = _p("Nhãn tươi", "08109010", "CTN", 12, (1.0, 1.6), "VN")
BANANA = _p("Chuối tươi (chuối tiêu hồng)", "08039090", "CTN", 13, (0.4, 0.6), "VN")
APPLE = _p("Táo Phú Sĩ tươi", "08081000", "CTN", 18, (0.9, 1.3), "CN")
PEAR = _p("Lê tuyết tươi", "08083000", "CTN", 15, (0.7, 1.0), "CN")

CATEGORIES: dict[str, Category] = {
    c.key: c
    for c in (
        Category(
            "fruit_export",
            "export",
            (DURIAN, DURIAN, DURIAN, DRAGON, DRAGON_RED, JACKFRUIT, MANGO, LONGAN, BANANA),
            ("B11",),
            ("xanh", "mientay", "mientay"),
            (("HN-1119", 0.45), ("TT-1088", 0.45), ("HN-MAIN", 0.10)),
            (("reefer40", 0.6), ("semi", 0.25), ("truck", 0.15)),
            (18_000, 24_000),
            perishable=True,
        ),
        Category(
            "seafood_export",
            "export",
            (
                _p("Cá tra phi lê đông lạnh", "03046200", "KGM", 1, (2.2, 2.8), "VN"),
                _p("Tôm thẻ chân trắng đông lạnh", "03061721", "CTN", 10, (7.5, 9.5), "VN"),
            ),
            ("B11",),
            ("dongdang",),
            (("HN-MAIN", 0.6), ("HN-1119", 0.4)),
            (("reefer40", 1.0),),
            (20_000, 25_000),
            perishable=True,
        ),
        Category(
            "electronics_export",
            "export",
            (
                _p("Vi mạch tích hợp — bộ nhớ", "85423200", "CTN", 12, (180, 320), "VN"),
                _p("Vi mạch tích hợp — bộ xử lý", "85423100", "CTN", 10, (400, 700), "VN"),
                _p("Điốt phát quang (LED) SMD", "85414100", "CTN", 15, (30, 60), "VN"),
                _p("Tụ điện gốm nhiều lớp", "85322400", "CTN", 14, (25, 45), "VN"),
                _p("Điện thoại thông minh", "85171300", "CTN", 9, (350, 520), "VN"),
                _p("Mô-đun camera", "85258990", "CTN", 11, (120, 220), "VN"),
            ),
            ("E42", "E62", "B11"),
            ("kinhbac",),
            (("HN-1119", 0.7), ("TT-1088", 0.3)),
            (("dry40", 0.6), ("dry20", 0.4)),
            (3_000, 9_000),
            lines=(1, 3),
        ),
        Category(
            "general_export",
            "export",
            (
                _p("Bàn ghế gỗ cao su", "94036090", "SET", 38, (2.5, 3.5), "VN"),
                _p("Giày thể thao", "64041190", "CTN", 9, (9, 14), "VN"),
                _p("Giày da nam", "64039990", "CTN", 11, (12, 18), "VN"),
                _p("Túi nhựa PE", "39232119", "KGM", 1, (1.6, 2.2), "VN"),
                _p("Áo phông cotton", "61091010", "CTN", 12, (8, 12), "VN"),
                _p("Cao su tự nhiên SVR 3L", "40012220", "KGM", 1, (1.5, 1.8), "VN"),
                _p("Tinh bột sắn", "11081400", "BG", 50, (0.45, 0.55), "VN"),
            ),
            ("B11",),
            ("hoanglong", "dongdang"),
            (("HN-MAIN", 0.6), ("TT-1088", 0.4)),
            (("dry40", 0.5), ("semi", 0.3), ("truck", 0.2)),
            (12_000, 26_000),
            lines=(1, 2),
        ),
        Category(
            "electronics_import",
            "import",
            (
                _p("Vi mạch tích hợp", "85423100", "CTN", 12, (200, 450), "CN"),
                _p("Vi mạch tích hợp khác", "85423900", "CTN", 12, (120, 260), "CN"),
                _p("Tụ điện", "85322400", "CTN", 15, (20, 40), "CN"),
                _p("Điốt bán dẫn", "85411000", "CTN", 14, (25, 50), "CN"),
                _p("Bộ nguồn chuyển đổi", "85044090", "CTN", 16, (15, 30), "CN"),
                _p("Bảng mạch in", "85340090", "CTN", 18, (18, 35), "CN"),
            ),
            ("A12", "E11", "E31"),
            ("kinhbac", "kinhbac", "dongdang"),
            (("HN-1119", 0.5), ("HN-MAIN", 0.2), ("TT-1088", 0.3)),
            (("dry40", 0.6), ("dry20", 0.4)),
            (3_000, 10_000),
            lines=(1, 3),
        ),
        Category(
            "machinery_import",
            "import",
            (
                _p("Máy tính xách tay", "84713020", "CTN", 4, (180, 260), "CN"),
                _p("Linh kiện máy tính", "84733090", "CTN", 10, (40, 90), "CN"),
                _p("Tủ điều khiển điện", "85371099", "PCE", 120, (12, 20), "CN"),
            ),
            ("A12", "A11"),
            ("hoanglong", "dongdang"),
            (("HN-MAIN", 0.7), ("HN-1119", 0.3)),
            (("dry40", 0.7), ("dry20", 0.3)),
            (5_000, 14_000),
            lines=(1, 2),
        ),
        Category(
            "fruit_import",
            "import",
            (
                APPLE,
                PEAR,
                _p("Nho đỏ tươi", "08061000", "CTN", 9, (1.5, 2.2), "CN"),
                _p("Quýt đường tươi", "08052100", "CTN", 12, (0.6, 0.9), "CN"),
            ),
            ("A11",),
            ("dongdang", "hoanglong", "xanh"),
            (("TT-1088", 0.6), ("HN-MAIN", 0.4)),
            (("reefer40", 0.6), ("semi", 0.4)),
            (18_000, 25_000),
            lines=(1, 2),
            perishable=True,
        ),
        Category(
            "vegetable_import",
            "import",
            (
                _p("Tỏi củ tươi", "07032090", "BG", 20, (0.8, 1.2), "CN"),
                _p("Hành tây củ tươi", "07031019", "BG", 25, (0.25, 0.4), "CN"),
                _p("Cà rốt tươi", "07061010", "CTN", 20, (0.3, 0.45), "CN"),
                _p("Bắp cải tươi", "07049090", "KGM", 1, (0.15, 0.25), "CN"),
                _p("Khoai tây tươi", "07019090", "BG", 25, (0.25, 0.35), "CN"),
            ),
            ("A11",),
            ("dongdang", "hoanglong"),
            (("TT-1088", 0.5), ("HN-MAIN", 0.5)),
            (("semi", 0.6), ("truck", 0.4)),
            (15_000, 28_000),
            lines=(1, 2),
            perishable=True,
        ),
        Category(
            "fabric_import",
            "import",
            (
                _p("Vải dệt thoi sợi filament tổng hợp", "54076190", "MTR", 0.25, (3, 5), "CN"),
                _p("Vải dệt kim sợi tổng hợp", "60063290", "KGM", 1, (3.5, 5.5), "CN"),
                _p("Vải bông in hoa", "52085290", "MTR", 0.15, (6, 9), "CN"),
            ),
            ("A12", "E21"),
            ("hoanglong", "dongdang"),
            (("HN-MAIN", 0.7), ("TT-1088", 0.3)),
            (("dry40", 0.6), ("semi", 0.4)),
            (12_000, 22_000),
            lines=(1, 2),
        ),
        Category(
            "general_import",
            "import",
            (
                _p("Gạch ốp lát ceramic", "69072191", "CTN", 24, (0.25, 0.4), "CN"),
                _p("Đồ chơi trẻ em bằng nhựa", "95030099", "CTN", 8, (4, 7), "CN"),
                _p("Phụ tùng xe máy", "87141090", "CTN", 15, (5, 9), "CN"),
            ),
            ("A11", "A41"),
            ("hoanglong", "dongdang"),
            (("TT-1088", 0.5), ("HN-MAIN", 0.5)),
            (("dry40", 0.5), ("semi", 0.5)),
            (14_000, 26_000),
            lines=(1, 2),
        ),
        Category(
            "reexport_fruit",
            "import",
            (APPLE, PEAR),
            ("G11",),
            ("dongdang",),
            (("HN-MAIN", 1.0),),
            (("reefer40", 1.0),),
            (20_000, 24_000),
            perishable=True,
            regime="TNTX",
        ),
    )
}
EXPORT_MIX = (
    ("fruit_export", 0.55),
    ("electronics_export", 0.15),
    ("general_export", 0.2),
    ("seafood_export", 0.1),
)
IMPORT_MIX = (
    ("electronics_import", 0.24),
    ("machinery_import", 0.1),
    ("fruit_import", 0.2),
    ("vegetable_import", 0.16),
    ("fabric_import", 0.13),
    ("general_import", 0.13),
    ("reexport_fruit", 0.04),
)


@dataclass(frozen=True, slots=True)
class VehicleKind:
    vehicle_class: str
    container_ft: int | None
    tare_kg: tuple[int, int]
    trailer: bool
    max_payload_kg: int
    reefer: bool = False


KINDS = {
    "reefer40": VehicleKind("VT6", 40, (14_500, 16_500), True, 27_000, reefer=True),
    "dry40": VehicleKind("VT6", 40, (12_500, 14_500), True, 27_000),
    "dry20": VehicleKind("VT5", 20, (9_000, 10_500), True, 16_000),
    "semi": VehicleKind("VT6", None, (12_000, 14_000), True, 30_000),
    "truck": VehicleKind("VT4", None, (4_500, 6_500), False, 8_500),
}
REEFER_OWNERS = ("CXRU", "SZLU", "TRIU", "MSKU", "CAIU")
DRY_OWNERS = ("CSQU", "TGHU", "MSKU", "CAIU", "OOLU", "TCNU", "SEGU")

# Where a truck checks in: exports may wait outside (Viettel Logistics Park, the Non-tariff Zone),
# imports cross straight into the yard inside the gate.
EXPORT_YARDS = {
    "CKHN": (("VTLP", 0.45), ("XC", 0.35), ("KPTQ", 0.2)),
    "TT": (("BN", 0.5), ("VTLP", 0.35), ("KPTQ", 0.15)),
}
IMPORT_YARD = {"CKHN": "XC", "TT": "BN"}
GATE_OF_PASSAGE = {"HN-1119": "CKHN", "HN-MAIN": "CKHN", "TT-1088": "TT"}


# --- People and vehicles ---------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


VN_FAMILY = _words("Nguyễn Nguyễn Nguyễn Trần Trần Lê Phạm Hoàng Vũ Đặng Bùi Đỗ Hồ Ngô Dương Lý")
LS_FAMILY = _words("Hoàng Hoàng Nông Lương Vi Lăng Hà Triệu Chu Mã Hoàng Nguyễn")  # Tày, Nùng
VN_MIDDLE = _words("Văn Văn Văn Đức Quang Minh Hữu Thanh Xuân Công")
VN_GIVEN = _words(
    "Tài Lộc Hùng Dũng Cường Thắng Tuấn Sơn Hải Long Phong Bình Kiên Nam Trung Quân Hiếu Toàn "
    "Thành Khải Mạnh Tiến Huy Đạt Vinh Lâm Phúc Sáng Tú Hưng"
)
CN_FAMILY = _words("黄 韦 覃 李 陆 农 梁 莫 蒙 陈 刘 罗 廖 赵 王 张")
CN_GIVEN = _words("伟 强 军 勇 斌 杰 海涛 建华 志刚 国强 文 明 德华 春生 永福 家豪 振宇 世荣")
# Resident ID regions valid for drivers born 1970–1999 (Ningming, Longzhou, Daxin, Hengxian,
# Nanning's Xingning and Jiangnan districts).
CN_REGIONS = ("452132", "452133", "452130", "452122", "450102", "450105")
# Plate locality → the province code that starts a citizen ID (CCCD) issued there.
VN_LOCALITIES = {
    "12": "020",  # Lạng Sơn
    "29": "001",  # Hà Nội
    "51": "079",  # TP. Hồ Chí Minh
    "99": "027",  # Bắc Ninh
    "98": "024",  # Bắc Giang
    "63": "082",  # Tiền Giang
    "47": "066",  # Đắk Lắk
    "15": "031",  # Hải Phòng
    "66": "087",  # Đồng Tháp
}
LOCALITIES_OF = {
    "xanh": ("12", "12", "12", "47", "98"),
    "mientay": ("63", "63", "66", "51", "47", "12"),
    "kinhbac": ("99", "99", "98", "29"),
    "dongdang": ("12", "12", "12", "15", "29"),
    "hoanglong": ("29", "29", "12", "15", "98"),
}
VN_MOBILE_PREFIXES = _words(
    "091 094 088 083 084 085 081 086 096 097 098 032 033 034 035 036 037 038 039 090 093 089 "
    "070 076 077 078 079 056 058"
)
CN_PLATE_PREFIXES = (("桂F", 0.6), ("桂A", 0.22), ("桂B", 0.08), ("粤B", 0.1))
CN_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


class _Ids:
    """Unique identifiers for the day: plates, containers, customs numbers, seals."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def unique(self, make: Callable[[], str]) -> str:
        for _ in range(1000):
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value
        raise RuntimeError("could not draw a unique demo identifier")

    def _five(self) -> str:
        n = f"{self.rng.randint(0, 99_999):05d}"
        return f"{n[:3]}.{n[3:]}"

    def vn_plate(self, locality: str) -> str:
        series = self.rng.choice("CCCCCCH")
        return self.unique(lambda: f"{locality}{series}-{self._five()}")

    def vn_trailer(self, locality: str) -> str:
        return self.unique(lambda: f"{locality}R-{self._five()}")

    def cn_plate(self) -> str:
        prefix = _weighted(self.rng, CN_PLATE_PREFIXES)

        def make() -> str:
            digits = f"{self.rng.randint(0, 99_999):05d}"
            if self.rng.random() < 0.4:
                digits = self.rng.choice(CN_PLATE_LETTERS) + digits[1:]
            return prefix + digits

        return self.unique(make)

    def cn_trailer(self, plate: str) -> str:
        return self.unique(lambda: f"{plate[:2]}{self.rng.randint(1000, 9999)}挂")

    def container(self, owners: Sequence[str]) -> str:
        def make() -> str:
            base = f"{self.rng.choice(owners)}{self.rng.randint(0, 999_999):06d}"
            return base + iso6346.calc_check_digit(base)

        return self.unique(make)

    def customs_number(self, direction: str) -> str:
        lead = "30" if direction == "export" else "10"
        return self.unique(lambda: f"{lead}{self.rng.randint(5_000_000_000, 9_999_999_999)}")

    def seal(self, prefix: str) -> str:
        return self.unique(lambda: f"{prefix}{self.rng.randint(0, 9_999_999):07d}")


def _weighted(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    names = [name for name, _ in options]
    return rng.choices(names, weights=[w for _, w in options])[0]


def _vn_phone(rng: random.Random) -> str:
    return rng.choice(VN_MOBILE_PREFIXES) + f"{rng.randint(0, 9_999_999):07d}"


def _cn_phone(rng: random.Random) -> str:
    return f"+861{rng.choice('35789')}{rng.randint(0, 999_999_999):09d}"


def _vn_driver(rng: random.Random, locality: str) -> dict[str, str]:
    family = rng.choice(LS_FAMILY if locality == "12" else VN_FAMILY)
    name = f"{family} {rng.choice(VN_MIDDLE)} {rng.choice(VN_GIVEN)}"
    year = rng.randint(1972, 2001)
    century = "0" if year < 2000 else "2"  # men born in the 1900s / 2000s
    id_number = f"{VN_LOCALITIES[locality]}{century}{year % 100:02d}{rng.randint(0, 999_999):06d}"
    return {
        "driver_name": name,
        "driver_id_number": id_number,
        "driver_nationality": "VN",
        "driver_phone": _vn_phone(rng),
    }


def _cn_resident_id(rng: random.Random) -> str:
    for _ in range(100):
        birth = f"{rng.randint(1970, 1999)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        sequence = f"{rng.randint(0, 99):02d}{rng.choice('13579')}"  # odd: a man
        body = rng.choice(CN_REGIONS) + birth + sequence
        number = body + ric.calc_check_digit(body + "0")
        with contextlib.suppress(Exception):
            return validate_person_id(number, "CN")
    raise RuntimeError("could not draw a Chinese resident ID")


def _cn_driver(rng: random.Random) -> dict[str, str]:
    return {
        "driver_name": rng.choice(CN_FAMILY) + rng.choice(CN_GIVEN),
        "driver_id_number": _cn_resident_id(rng),
        "driver_nationality": "CN",
        "driver_phone": _cn_phone(rng),
    }


# --- The plan: declarations, trips and their steps in time ---------------------------------

# (offset in minutes, kind, arguments, required). Required steps define the trip's state; an
# optional step (a check decision) is left out when its time is still to come.
Step = tuple[float, str, dict[str, Any], bool]


@dataclass
class TripPlan:
    target: TripState
    direction: str
    doc: dict[str, Any] = field(default_factory=dict)
    code: str = ""
    pre: list[Step] = field(default_factory=list)  # minutes after check-in
    post: list[Step] = field(default_factory=list)  # minutes after the call (import: entry)
    lag: float = 1.0  # minutes between the last required step and now
    free_wait: bool = False  # the queue wait is drawn, not solved from ``lag``
    latest: datetime | None = None
    yard: str = ""
    # Exports: when its last yard check is decided (None: not before the day's end), and the
    # slot it books, if any: (kind, slot start) with kind window | late | early | ahead.
    checks_at: datetime | None = None
    slot: tuple[str, datetime] | None = None
    no_shows: int = 0


@dataclass
class DeclPlan:
    category: Category
    enterprise: str
    passage: str
    trips: list[TripPlan]
    planned_arrival: datetime | None = None
    fee_payer_cn: bool = False
    via_token: bool = False
    draft_at: datetime | None = None  # saved as a draft first
    submit_at: datetime | None = None  # None: stays a draft
    cancel_at: datetime | None = None
    cancel_reason: str = ""
    amend_at: datetime | None = None
    author: int = 0  # which of the enterprise's users files it
    products: list[Product] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    special: bool = False  # its trips' steps are scheduled by hand (the transshipment)
    doc: dict[str, Any] = field(default_factory=dict)
    declaration_id: int = 0

    @property
    def gate(self) -> str:
        return GATE_OF_PASSAGE[self.passage]


# Export trucks that checked in at the yards today. Which of them the dispatcher calls, and
# when, is the queue's business (``_Queue``): each call then gets an ending that fits the time
# left (``FATES``). Only a few are stopped in the yard by a check before any call: those are
# planned here, as HELD or REFUSED.
EXPORT_ON_SITE = {S.ARRIVED: 100, S.HELD: 2, S.REFUSED: 2}
EXPORT_ARRIVALS = timedelta(hours=8)  # export trucks arrive in the day's last eight hours
# Import trips per state, before the transshipment (its Chinese truck departs, one receiving
# truck departs, the other is still loading: +2 DEPARTED, +1 CLEARED, 3 trips).
IMPORT_ON_SITE = {
    S.ENTERED: 16,
    S.AT_GATE: 6,
    S.HELD: 2,
    S.CLEARED: 5,
    S.DEPARTED: 24,
    S.REFUSED: 1,
}
DECLARED_TRIPS = {"export": 16, "import": 12}
STAGE = {
    S.DEPARTED: 0,
    S.REFUSED: 1,
    S.CLEARED: 2,
    S.HELD: 3,
    S.AT_GATE: 4,
    S.CALLED: 5,
    S.ARRIVED: 6,
    S.ENTERED: 6,
}
TRUCKS_PER_DECLARATION = ((1, 0.5), (2, 0.25), (3, 0.13), (4, 0.08), (5, 0.04))

REASONS = {
    "hold_plant": (
        "Phát hiện dấu hiệu sinh vật gây hại, lấy mẫu gửi phân tích",
        "Kiểm tra mã số vùng trồng, cơ sở đóng gói trên giấy chứng nhận kiểm dịch",
    ),
    "hold_plant_import": ("Phát hiện côn trùng sống, chờ xử lý khử trùng",),
    "hold_animal": ("Lấy mẫu xét nghiệm vi sinh, chờ kết quả",),
    "hold_customs": (
        "Luồng đỏ: kiểm tra thực tế hàng hóa",
        "Soi chiếu container có hình ảnh nghi vấn, kiểm tra thực tế",
        "Số lượng thực tế chênh lệch so với tờ khai, chờ doanh nghiệp giải trình",
    ),
    "hold_border": ("Lái xe chưa xuất trình giấy phép vận tải liên vận",),
    "pass_after_hold": (
        "Kết quả kiểm tra đạt yêu cầu",
        "Doanh nghiệp đã bổ sung hồ sơ, đạt yêu cầu",
    ),
    "refuse_plant": (
        "Mã số vùng trồng trên giấy chứng nhận kiểm dịch không có trong danh sách phía Trung "
        "Quốc chấp thuận",
    ),
    "refuse_animal": ("Kết quả xét nghiệm phát hiện vi sinh vật vượt ngưỡng cho phép",),
    "refuse_customs_export": (
        "Hàng thực tế không đúng khai báo về chủng loại và mã HS",
        "Không xuất trình được chứng nhận xuất xứ theo yêu cầu của phía nhập khẩu",
    ),
    "refuse_customs_import": (
        "Hàng thực tế không đúng khai báo về chủng loại và mã HS",
        "Hàng đã qua sử dụng thuộc danh mục cấm nhập khẩu",
    ),
}


@dataclass
class _World:
    """Everything the plan needs to run: the accounts, the ids, the clock."""

    rng: random.Random
    ids: _Ids
    start: datetime
    now: datetime
    enterprise_users: dict[str, list[User]]
    operators: dict[str, User]
    officers: dict[tuple[str, str], User]
    medical_gates: frozenset[str]
    token_actor: Actor | None = None
    api_token: str = ""
    late_slots: int = 0

    def minutes(self, a: float, b: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(a, b))


def _agencies(products: Sequence[Product], gate: str, w: _World) -> list[str]:
    return [
        a.value
        for a in required_agencies(
            [p.hs_code for p in products],
            gate_requires_medical_quarantine=gate in w.medical_gates,
        )
    ]


FIRST_DECISION = {
    "customs": (10.0, 90.0),
    "plant_quarantine": (20.0, 150.0),
    "animal_quarantine": (20.0, 150.0),
}


def _shape(trip: TripPlan, agencies: list[str], w: _World) -> None:
    """Plan an import trip's steps up to its target state (offsets in minutes; times come
    later). Export trucks: ``_shape_export``, then the queue decides (``_Queue``)."""
    rng = w.rng
    assert trip.direction == "import"
    export = False
    target = trip.target
    yard_agencies = [a for a in agencies if a != AgencyCode.BORDER_GUARD]
    quarantine = [a for a in yard_agencies if a in ("plant_quarantine", "animal_quarantine")]

    # Where the trip stops, and what happens on the way.
    held_in_yard = target is S.HELD and rng.random() < 0.6
    refused_in_yard = target is S.REFUSED and bool(quarantine) and rng.random() < 0.7
    in_yard = held_in_yard or refused_in_yard
    gate_agency = ""  # an agency that decides only in the control area (hold, refusal)
    if target in (S.HELD, S.REFUSED) and not in_yard:
        gate_agency = rng.choice(("customs", "customs", "border_guard"))
        gate_agency = gate_agency if target is S.HELD else "customs"
    past_hold = target in (S.DEPARTED, S.CLEARED) and rng.random() < 0.12
    leave_pending = ""  # AT_GATE: a quarantine check not decided yet
    if target is S.AT_GATE and quarantine and rng.random() < 0.4:
        leave_pending = rng.choice(quarantine)
    yard_agency = rng.choice(quarantine or ["customs"]) if in_yard or past_hold else ""

    pre: list[Step] = [(0.0, "check_in", {}, True)]
    refused_at = math.inf
    for agency in yard_agencies:
        offset = rng.uniform(*FIRST_DECISION.get(agency, (5.0, 40.0)))
        if agency in (leave_pending, gate_agency):
            continue
        if agency == yard_agency:
            key = _hold_key(agency, export)
            if refused_in_yard:
                key = {
                    "plant_quarantine": "refuse_plant",
                    "animal_quarantine": "refuse_animal",
                }.get(agency, _refuse_customs(export))
                refused_at = offset
            decision = REFUSED if refused_in_yard else HELD
            pre.append(
                (offset, "decide", {"agency": agency, "decision": decision, "reason": key}, True)
            )
            if past_hold:
                passed = {"agency": agency, "decision": PASSED, "reason": "pass_after_hold"}
                pre.append((offset + rng.uniform(45, 150), "decide", passed, True))
            continue
        optional = target in (S.ARRIVED, S.ENTERED) or in_yard
        pre.append((offset, "decide", {"agency": agency, "decision": PASSED}, not optional))
    # Nobody decides on a refused trip any more.
    trip.pre = sorted((s for s in pre if s[0] <= refused_at), key=lambda s: s[0])
    if in_yard:
        trip.lag = rng.uniform(5, 240)
        return
    if target in (S.ARRIVED, S.ENTERED):
        trip.lag = 1
        return

    # After the yard: the entry into the control area.
    post: list[Step] = []
    t = 0.0
    post.append((t, "enter", {}, True))
    if target is S.AT_GATE:
        if leave_pending:
            guard = {"agency": "border_guard", "decision": PASSED}
            post.append((t + rng.uniform(2, 12), "decide", guard, False))
        trip.post, trip.lag = post, rng.uniform(3, 50)
        return
    if gate_agency:
        t += rng.uniform(5, 30)
        hold = {"agency": gate_agency, "decision": HELD, "reason": _hold_key(gate_agency, export)}
        post.append((t, "decide", hold, True))
        if target is S.REFUSED:
            t += rng.uniform(30, 120)
            refuse = {"agency": gate_agency, "decision": REFUSED, "reason": _refuse_customs(export)}
            post.append((t, "decide", refuse, True))
        trip.post, trip.lag = post, rng.uniform(5, 150)
        return
    t += rng.uniform(2, 12) if export else rng.uniform(3, 15)
    post.append((t, "decide", {"agency": "border_guard", "decision": PASSED}, True))
    if target is S.CLEARED:
        trip.post = post
        trip.lag = rng.uniform(2, 40) if export else rng.uniform(5, 120)
        return
    t += rng.uniform(4, 25) if export else rng.uniform(10, 60)
    post.append((t, "depart", {}, True))
    trip.post, trip.lag, trip.free_wait = post, 1, True


def _shape_export(trip: TripPlan, agencies: list[str], w: _World) -> None:
    """An export truck's yard steps: check-in and the yard checks. Every check passes, except on
    the few trucks a check stops in the yard (held or refused) soon after they arrive."""
    rng = w.rng
    yard_agencies = [a for a in agencies if a != AgencyCode.BORDER_GUARD]
    quarantine = [a for a in yard_agencies if a in ("plant_quarantine", "animal_quarantine")]
    stopped = trip.target in (S.HELD, S.REFUSED)
    stopper = rng.choice(quarantine or ["customs"]) if stopped else ""
    pre: list[Step] = [(0.0, "check_in", {}, True)]
    stopped_at = math.inf
    for agency in yard_agencies:
        if agency == stopper:
            stopped_at = rng.uniform(5, 20)
            if trip.target is S.REFUSED:
                key = {
                    "plant_quarantine": "refuse_plant",
                    "animal_quarantine": "refuse_animal",
                }.get(agency, _refuse_customs(True))
                args = {"agency": agency, "decision": REFUSED, "reason": key}
            else:
                args = {"agency": agency, "decision": HELD, "reason": _hold_key(agency, True)}
            pre.append((stopped_at, "decide", args, True))
            continue
        offset = rng.uniform(*FIRST_DECISION.get(agency, (5.0, 40.0)))
        pre.append((offset, "decide", {"agency": agency, "decision": PASSED}, False))
    if trip.target is S.REFUSED:  # nobody decides on a refused trip any more
        pre = [step for step in pre if step[0] <= stopped_at]
    trip.pre = sorted(pre, key=lambda step: step[0])
    trip.lag = rng.uniform(5, 240) if stopped else 2.0


def _refuse_customs(export: bool) -> str:
    return "refuse_customs_export" if export else "refuse_customs_import"


def _hold_key(agency: str, export: bool) -> str:
    if agency == "plant_quarantine":
        return "hold_plant" if export else "hold_plant_import"
    if agency == "animal_quarantine":
        return "hold_animal"
    if agency == "border_guard":
        return "hold_border"
    return "hold_customs"


def _reason(w: _World, key: str) -> str:
    options = REASONS.get(key)
    return w.rng.choice(options) if options else key


W_MIN = {"export": 10.0, "import": 5.0}
W_CAP = {"export": 300.0, "import": 120.0}


def _ready(trip: TripPlan) -> float:
    return max((s[0] for s in trip.pre), default=0.0)


def _latest_arrival(trip: TripPlan, now: datetime) -> datetime:
    if trip.post:
        last = max(s[0] for s in trip.post if s[3])
        minutes = trip.lag + last + _ready(trip) + W_MIN[trip.direction]
    else:
        minutes = trip.lag + max(s[0] for s in trip.pre if s[3])
    return now - timedelta(minutes=minutes)


def _timed_steps(
    trip: TripPlan, arrival: datetime, w: _World
) -> list[tuple[datetime, str, dict[str, Any]]]:
    """The trip's steps with their times, given when it checks in; future optional steps dropped."""
    steps = [(arrival + timedelta(minutes=o), kind, args, req) for o, kind, args, req in trip.pre]
    if trip.post:
        ready = _ready(trip)
        last = max(s[0] for s in trip.post if s[3])
        room = (w.now - arrival).total_seconds() / 60 - ready - last
        if trip.free_wait:
            cap = min(W_CAP[trip.direction], room - 1)
            wait = w.rng.uniform(W_MIN[trip.direction], max(W_MIN[trip.direction], cap))
        else:
            wait = room - trip.lag
        called = arrival + timedelta(minutes=ready + wait)
        steps += [
            (called + timedelta(minutes=o), kind, args, req) for o, kind, args, req in trip.post
        ]
    cutoff = w.now - timedelta(seconds=30)
    kept = [(at, kind, args) for at, kind, args, req in steps if req or at <= cutoff]
    late = [at for at, kind, args in kept if at > w.now]
    assert not late, f"demo plan puts a step in the future ({trip.target})"
    return sorted(kept, key=lambda s: s[0])


# --- Running the plan ------------------------------------------------------------------------


class _Clock:
    """What ``timezone.now()`` returns while the demo is being recorded."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@contextlib.contextmanager
def _frozen(clock: _Clock) -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", clock.now):
        yield


@dataclass(order=True)
class _Scheduled:
    at: datetime
    seq: int
    run: Callable[[], None] = field(compare=False)


class _Schedule:
    """Steps in time order. A step may add later ones while the day runs (what happens after
    a truck is called depends on when the dispatcher called it)."""

    def __init__(self) -> None:
        self.items: list[_Scheduled] = []
        self.done = 0
        self.running: datetime | None = None

    def add(self, at: datetime, run: Callable[[], None]) -> None:
        if self.running is not None:
            assert at >= self.running, "a step added in the past"
        heapq.heappush(self.items, _Scheduled(at, self.done + len(self.items), run))

    @property
    def first(self) -> datetime:
        return min(self.items).at

    def run(self, clock: _Clock, progress: Callable[[str], None]) -> None:
        planned = len(self.items)
        marks = {math.ceil(planned * k / 5) for k in range(1, 5)}
        with _frozen(clock):
            while self.items:
                item = heapq.heappop(self.items)
                clock.at = self.running = item.at
                item.run()
                self.done += 1
                if self.done in marks:
                    local = timezone.localtime(item.at).strftime("%H:%M")
                    progress(f"  … {self.done} steps, the clock at {local}")


@dataclass
class DemoResult:
    trips: int
    declarations: int
    steps: int
    seconds: float
    api_token: str
    day_start: datetime
    day_end: datetime


def demo_exists() -> bool:
    return User.objects.filter(username=ADMIN_USERNAME).exists()


def demo_incomplete() -> bool:
    """Demo accounts exist without the administrator, who is made last: a run was interrupted."""
    names = [a.username for a in ACCOUNTS if a.username != ADMIN_USERNAME]
    return not demo_exists() and User.objects.filter(username__in=names).exists()


def demo_trip_counts() -> dict[str, int]:
    """Trips per state of the demo enterprises, in lifecycle order."""
    tax_codes = [spec.tax_code for spec in ENTERPRISES]
    rows = (
        Trip.objects.filter(declaration__enterprise__tax_code__in=tax_codes)
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"))
    )
    found = dict(rows)
    return {state.value: found.get(state.value, 0) for state in TripState}


def build_demo(
    *, progress: Callable[[str], None] = print, now: datetime | None = None
) -> DemoResult:
    """Build the demo day (see the module docstring); only when ``demo_exists()`` is false."""
    started = time.monotonic()
    rng = random.Random(SEED)  # noqa: S311 - reproducible demo data, not secrets
    end = (now or timezone.now()).replace(microsecond=0)
    start = _day_start(end)
    forget_reference_index()

    w = _accounts(rng, start, end, progress)
    schedule = _Schedule()
    plans = _plan_day(w, schedule)
    trips = sum(len(p.trips) for p in plans) + 2  # + the two receiving trucks
    local = f"{timezone.localtime(start):%H:%M %d/%m}–{timezone.localtime(end):%H:%M %d/%m}"
    progress(
        f"Planned the day {local} at Hữu Nghị and Tân Thanh: {len(plans)} declarations, "
        f"{trips} trips, {len(schedule.items)} steps through the services"
    )
    clock = _Clock(start)
    schedule.run(clock, progress)
    _fees(rng, progress)

    # Created last: it marks the demo as complete.
    spec = ACCOUNTS[0]
    _create_user(spec, _password_hash(), {})
    return DemoResult(
        trips=trips,
        declarations=len(plans),
        steps=schedule.done,
        seconds=time.monotonic() - started,
        api_token=w.api_token,
        day_start=start,
        day_end=end,
    )


def _fees(rng: random.Random, progress: Callable[[str], None]) -> None:
    """Invoices for the day's declarations, paid through signed bank notices as the bank would
    send them: most trucks that reached the gate have paid, a few are unpaid, one transfer is
    short and one names no invoice (both wait in the operators' reconciliation queue)."""
    from cuakhau.fees import services as fees
    from cuakhau.fees.models import BankAccount
    from cuakhau.notifications import signing

    bank = BankAccount.objects.get(code="VCB-LS")
    declarations = (
        Declaration.objects.filter(status=Declaration.Status.SUBMITTED)
        .select_related("created_by")
        .order_by("pk")
    )
    invoices = []
    for declaration in declarations:
        user = declaration.created_by
        if user is None or user.role != Role.ENTERPRISE:
            continue
        try:
            invoices.append(
                fees.invoice_create(actor=Actor.of(user), declaration_id=declaration.pk)
            )
        except Conflict:
            continue  # nothing left to invoice (every trip cancelled or refused)

    def pay(code: str, amount: int, reference: str) -> None:
        body = json.dumps(
            {
                "reference": reference,
                "amount": amount,
                "description": f"{code} phi ha tang cua khau",
                "transferred_at": timezone.now().isoformat(),
                "payer_account": f"00{rng.randrange(10**10, 10**11)}",
                "payer_name": "CONG TY TNHH XNK",
            }
        ).encode()
        header = signing.sign(bank.notice_secret, body, int(timezone.now().timestamp()))
        fees.bank_notice_receive(bank_code=bank.code, body=body, signature=header)

    paid = 0
    for n, invoice in enumerate(invoices):
        roll = rng.random()
        reference = f"FT{timezone.localdate():%y%m%d}{n:05d}"
        if n == 3:
            pay(invoice.code, invoice.amount_vnd - 50_000, reference)  # short by 50,000 đ
        elif n == 5:
            pay("HD SAI MA", invoice.amount_vnd, reference)  # the description lost the code
        elif roll < 0.8:
            pay(invoice.code, invoice.amount_vnd, reference)
            paid += 1
    progress(f"Fees: {len(invoices)} invoices, {paid} paid by VietQR, 2 payments to reconcile")


# A demo day is at least this long: the export trucks arrive over its last eight hours and the
# queues' hourly capacity then leaves about as many waiting at the end, whatever the hour.
MIN_DAY = timedelta(hours=8)


def _day_start(end: datetime) -> datetime:
    local = timezone.localtime(end)
    opening = local.replace(hour=5, minute=30, second=0, microsecond=0)
    start = max(opening, local - timedelta(hours=11))
    if local - start < MIN_DAY:
        start = local - timedelta(hours=9)
    return start


# --- Accounts ---------------------------------------------------------------------------------


_HASH_CACHE: dict[str, str] = {}


def _password_hash() -> str:
    # One PBKDF2 hash (about a second) shared by every demo account, not one per account.
    if DEMO_PASSWORD not in _HASH_CACHE:
        _HASH_CACHE[DEMO_PASSWORD] = make_password(DEMO_PASSWORD)
    return _HASH_CACHE[DEMO_PASSWORD]


def _create_user(spec: Account, password: str, enterprises: dict[str, Enterprise]) -> User:
    agency = None
    if spec.role in AGENCY_OF_ROLE:
        agency = Agency.objects.get(code=AGENCY_OF_ROLE[spec.role].value)
    admin = spec.role is Role.ADMINISTRATOR
    user = User.objects.create(
        username=spec.username,
        password=password,
        role=spec.role.value,
        enterprise=enterprises.get(spec.enterprise),
        agency=agency,
        first_name=spec.name,
        email=f"{spec.username}@demo.cuakhau.invalid",
        is_staff=admin,
        is_superuser=admin,
    )
    if spec.gates:
        user.gates.set(Gate.objects.filter(code__in=spec.gates))
    return user


def _medical_accounts() -> list[Account]:
    gates = Gate.objects.filter(code__in=GATES, requires_medical_quarantine=True)
    return [
        Account(f"kdyt.{SUFFIX[code]}", Role.MEDICAL_QUARANTINE, _MEDICAL_NAMES[code], (code,))
        for code in sorted(gates.values_list("code", flat=True))
    ]


def extra_accounts() -> list[Account]:
    """Demo accounts made only because the reference data asked for them (medical quarantine
    officers, when a demo gate requires that check)."""
    made = set(User.objects.filter(username__startswith="kdyt.").values_list("username", flat=True))
    return [a for a in _medical_accounts() if a.username in made]


def _accounts(
    rng: random.Random, start: datetime, end: datetime, progress: Callable[[str], None]
) -> _World:
    password = _password_hash()
    medical_accounts = _medical_accounts()
    medical = frozenset(a.gates[0] for a in medical_accounts)
    accounts = [a for a in ACCOUNTS if a.username != ADMIN_USERNAME] + medical_accounts
    with transaction.atomic():
        enterprises = {
            spec.key: Enterprise.objects.create(
                tax_code=spec.tax_code,
                country=spec.country,
                name=spec.name,
                name_en=spec.name_en,
                name_zh=spec.name_zh,
                address=spec.address,
                phone=spec.phone,
            )
            for spec in ENTERPRISES
        }
        users = {spec.username: _create_user(spec, password, enterprises) for spec in accounts}
    by_enterprise: dict[str, list[User]] = {}
    operators: dict[str, User] = {}
    officers: dict[tuple[str, str], User] = {}
    for spec in accounts:
        user = users[spec.username]
        if spec.enterprise:
            by_enterprise.setdefault(spec.enterprise, []).append(user)
        elif spec.role is Role.GATE_OPERATOR:
            operators[spec.gates[0]] = user
        elif spec.role in AGENCY_OF_ROLE:
            officers[(AGENCY_OF_ROLE[spec.role].value, spec.gates[0])] = user
    progress(
        f"Enterprises and accounts: {len(enterprises)} enterprises, {len(accounts) + 1} accounts"
    )
    w = _World(rng, _Ids(rng), start, end, by_enterprise, operators, officers, medical)
    # The electronics maker's ERP sends its declarations through the API with its own token.
    kinhbac = by_enterprise["kinhbac"][0]
    token, plain = api_token_create(actor=Actor.of(kinhbac), name="ERP Kinh Bắc")
    w.token_actor = Actor(user=kinhbac, kind="token", label=f"{kinhbac.username} / {token.name}")
    w.api_token = plain
    return w


# --- Planning ---------------------------------------------------------------------------------


def _plan_day(w: _World, schedule: _Schedule) -> list[DeclPlan]:
    rng = w.rng
    plans: list[DeclPlan] = []
    for direction, quota, mix in (
        ("export", EXPORT_ON_SITE, EXPORT_MIX),
        ("import", IMPORT_ON_SITE, IMPORT_MIX),
    ):
        targets = [state for state, n in quota.items() for _ in range(n)]
        targets.sort(key=lambda s: STAGE[s] + rng.uniform(0, 2.5))
        while targets:
            size = min(int(_weighted(rng, [(str(n), p) for n, p in TRUCKS_PER_DECLARATION])), 5)
            chunk, targets = targets[:size], targets[size:]
            make = _on_site_export if direction == "export" else _on_site_declaration
            plans.append(make(w, direction, mix, chunk))
    # Two declarations lose one truck each before it sets off.
    multi = [p for p in plans if p.category.direction == "export" and len(p.trips) >= 2]
    for plan in rng.sample(multi, 2):
        plan.trips.append(TripPlan(S.CANCELLED, "export", yard=""))
    for direction, n in DECLARED_TRIPS.items():
        mix = EXPORT_MIX if direction == "export" else IMPORT_MIX
        while n > 0:
            size = min(n, rng.choice((1, 1, 2, 2, 3)))
            n -= size
            plans.append(_future_declaration(w, direction, mix, size))
    plans += _drafts(w)
    plans += _cancelled(w)
    transship = _transshipment_plan(w)
    plans.append(transship)

    for plan in plans:
        _build_doc(w, plan)
    pending, approved = _pick_corrections(w, plans)
    amended = next(p for p in plans if p.amend_at is not None)
    for plan in plans:
        _schedule_declaration(w, schedule, plan)
    _schedule_transshipment(w, schedule, transship)
    _schedule_correction(w, schedule, *pending, approve=False)
    _schedule_correction(w, schedule, *approved, approve=True)
    _schedule_amendment(w, schedule, amended)
    _Queue(w, schedule, plans).schedule_day()
    return plans


def _pick_category(w: _World, mix: Sequence[tuple[str, float]]) -> Category:
    return CATEGORIES[_weighted(w.rng, mix)]


def _on_site_declaration(
    w: _World, direction: str, mix: Sequence[tuple[str, float]], targets: list[TripState]
) -> DeclPlan:
    rng = w.rng
    category = _pick_category(w, mix)
    plan = _new_plan(w, category, [TripPlan(t, direction) for t in targets])
    products = _products(w, plan)
    agencies = _agencies(products, plan.gate, w)
    for trip in plan.trips:
        _shape(trip, agencies, w)
        trip.latest = _latest_arrival(trip, w.now)
        trip.yard = (
            _weighted(rng, EXPORT_YARDS[plan.gate])
            if direction == "export"
            else IMPORT_YARD[plan.gate]
        )
    # The trucks of one declaration arrive close together, each as late as its state allows.
    latest = min(t.latest for t in plan.trips if t.latest)
    waiting = all(t.target in (S.ARRIVED, S.ENTERED) for t in plan.trips)
    if latest > w.start:
        # Trucks still queuing lean towards the later arrivals.
        base = w.start + (latest - w.start) * rng.random() ** (0.6 if waiting else 1.0)
    else:
        base = latest - w.minutes(0, 30)
    arrivals = []
    for trip in plan.trips:
        assert trip.latest is not None
        arrival = min(base + w.minutes(0, 45), trip.latest)
        arrivals.append(arrival)
        trip.latest = arrival  # from here on: the check-in time
    first = min(arrivals)
    plan.planned_arrival = _quarter(first - w.minutes(0, 40))
    plan.submit_at = _office_hours(first - w.minutes(60, 14 * 60), w)
    if rng.random() < 0.2:
        plan.draft_at = plan.submit_at - w.minutes(15, 180)
    return plan


def _on_site_export(
    w: _World, direction: str, mix: Sequence[tuple[str, float]], targets: list[TripState]
) -> DeclPlan:
    """Export trucks that check in at a yard today, more of them as the day goes on (the
    fruit trucks from the south drive through the night and the morning)."""
    rng = w.rng
    category = _pick_category(w, mix)
    plan = _new_plan(w, category, [TripPlan(t, direction) for t in targets])
    products = _products(w, plan)
    agencies = _agencies(products, plan.gate, w)
    # Over the last eight hours at most, whatever the length of the demo day: the queue's
    # capacity is per hour, and a longer day must not empty the yards.
    span = min(w.now - w.start - timedelta(minutes=25), EXPORT_ARRIVALS)
    base = w.now - timedelta(minutes=20) - span * (1 - rng.random() ** 0.55)
    for trip in plan.trips:
        _shape_export(trip, agencies, w)
        trip.yard = _weighted(rng, EXPORT_YARDS[plan.gate])
        required = max(step[0] for step in trip.pre if step[3])
        latest = w.now - timedelta(minutes=trip.lag + required)
        trip.latest = min(base + w.minutes(0, 45), latest)
    first = min(t.latest for t in plan.trips if t.latest)
    plan.planned_arrival = _quarter(first - w.minutes(0, 40))
    plan.submit_at = _office_hours(first - w.minutes(60, 14 * 60), w)
    if rng.random() < 0.2:
        plan.draft_at = plan.submit_at - w.minutes(15, 180)
    return plan


def _office_hours(at: datetime, w: _World) -> datetime:
    """Declarations filed in the small hours move to the evening before (19:00–23:30)."""
    shift = w.minutes(0, 270)  # drawn either way: the hour must not change later draws
    local = timezone.localtime(at)
    if local.hour >= 5:
        return at
    evening = (local - timedelta(days=1)).replace(hour=19, minute=0, second=0, microsecond=0)
    return evening + shift


def _new_plan(w: _World, category: Category, trips: list[TripPlan]) -> DeclPlan:
    rng = w.rng
    enterprise = rng.choice(category.enterprises)
    passage = _weighted(rng, category.passages)
    plan = DeclPlan(category, enterprise, passage, trips)
    plan.author = rng.randrange(len(w.enterprise_users[enterprise]))
    plan.fee_payer_cn = category.key == "fruit_export" and rng.random() < 0.35
    plan.via_token = enterprise == "kinhbac"
    return plan


def _future_declaration(
    w: _World, direction: str, mix: Sequence[tuple[str, float]], size: int
) -> DeclPlan:
    trips = [TripPlan(S.DECLARED, direction) for _ in range(size)]
    plan = _new_plan(w, _pick_category(w, mix), trips)
    plan.submit_at = w.now - w.minutes(10, 8 * 60)
    plan.planned_arrival = _quarter(w.now + w.minutes(35, 10 * 60))
    if w.rng.random() < 0.25:
        plan.draft_at = plan.submit_at - w.minutes(15, 120)
    return plan


def _drafts(w: _World) -> list[DeclPlan]:
    tomorrow = timezone.localtime(w.now).replace(hour=6, minute=0, second=0, microsecond=0)
    tomorrow += timedelta(days=1)
    plans = []
    for key, size in (("general_export", 2), ("fruit_export", 2), ("fabric_import", 2)):
        category = CATEGORIES[key]
        plan = _new_plan(w, category, [TripPlan(S.DRAFT, category.direction) for _ in range(size)])
        plan.draft_at = w.now - w.minutes(10, 300)
        plan.planned_arrival = _quarter(tomorrow + w.minutes(0, 240))
        plans.append(plan)
    return plans


def _cancelled(w: _World) -> list[DeclPlan]:
    plans = []
    for key, size, reason in (
        (
            "fruit_export",
            2,
            "Phía Trung Quốc tạm dừng tiếp nhận thanh long do ùn tắc tại chợ Pò Chài",
        ),
        ("general_import", 1, "Nhà cung cấp giao chậm, chuyển sang lô hàng ngày mai"),
    ):
        category = CATEGORIES[key]
        plan = _new_plan(
            w, category, [TripPlan(S.CANCELLED, category.direction) for _ in range(size)]
        )
        if key == "fruit_export":
            plan.enterprise = "mientay"
            plan.products = [DRAGON]
        plan.submit_at = w.now - w.minutes(5 * 60, 10 * 60)
        plan.planned_arrival = _quarter(plan.submit_at + w.minutes(150, 480))
        plan.cancel_at = plan.submit_at + w.minutes(40, 180)
        plan.cancel_reason = reason
        plans.append(plan)
    return plans


def _transshipment_plan(w: _World) -> DeclPlan:
    """A Chinese truck of apples and pears at Xuân Cương: cleared, its goods moved to two
    Vietnamese trucks in zone B, then it goes home empty."""
    category = CATEGORIES["fruit_import"]
    trip = TripPlan(S.DEPARTED, "import", yard="XC")
    plan = DeclPlan(category, "dongdang", "HN-MAIN", [trip])
    plan.products, plan.kinds, plan.countries = [APPLE, PEAR], ["reefer40"], ["CN"]
    plan.special = True
    # In the morning, early enough for the whole story to be over by now (about 4 1/2 hours).
    trip.latest = arrival = min(w.start + w.minutes(60, 120), w.now - timedelta(minutes=285))
    plan.planned_arrival = _quarter(arrival - w.minutes(0, 30))
    plan.submit_at = arrival - w.minutes(120, 600)
    return plan


def _quarter(at: datetime) -> datetime:
    local = timezone.localtime(at)
    return local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)


def _products(w: _World, plan: DeclPlan) -> list[Product]:
    if not plan.products:
        n = w.rng.randint(*plan.category.lines)
        pool = list(dict.fromkeys(plan.category.products))
        first = w.rng.choice(plan.category.products)  # the category's mix (durian weighs most)
        rest = [p for p in pool if p.hs_code != first.hs_code]
        plan.products = [first, *w.rng.sample(rest, min(n - 1, len(rest)))]
    return plan.products


def _build_doc(w: _World, plan: DeclPlan) -> None:
    """The declaration document: header, vehicles and drivers, goods split over the trucks."""
    rng = w.rng
    category = plan.category
    direction = category.direction
    products = _products(w, plan)
    kinds = plan.kinds or [_weighted(rng, category.kinds) for _ in plan.trips]
    countries = plan.countries or [
        ("VN" if rng.random() < (0.85 if direction == "export" else 0.2) else "CN")
        for _ in plan.trips
    ]
    payload_total = 0
    docs = []
    for trip, kind_name, country in zip(plan.trips, kinds, countries, strict=False):
        kind = KINDS[kind_name]
        payload = min(rng.randint(*category.payload_kg), kind.max_payload_kg)
        payload_total += payload
        doc = _vehicle(w, plan.enterprise, kind, country, direction)
        doc["gross_weight_kg"] = str(payload + rng.randint(*kind.tare_kg))
        trip.doc = doc
        docs.append(doc)
    numbers = [w.ids.customs_number(direction)]
    lines = []
    shares = [rng.uniform(0.6, 1.4) for _ in products]
    for product, share in zip(products, shares, strict=True):
        gross = payload_total * share / sum(shares)
        net = gross * rng.uniform(0.9, 0.95)
        quantity = round(gross / product.kg_per_unit) if product.unit != "KGM" else round(net)
        value = net * rng.uniform(*product.usd_per_kg)
        lines.append(
            {
                "description": product.description,
                "hs_code": product.hs_code,
                "origin_country": product.origin,
                "quantity": str(max(quantity, 1)),
                "unit": product.unit,
                "gross_weight_kg": f"{gross:.2f}",
                "value": f"{value:.2f}",
                "currency": "USD",
            }
        )
    customs = [{"number": numbers[0], "type_code": rng.choice(category.type_codes), "lines": lines}]
    if len(lines) >= 3:  # a second customs declaration for the last goods line
        customs.append(
            {
                "number": w.ids.customs_number(direction),
                "type_code": customs[0]["type_code"],
                "lines": [lines.pop()],
            }
        )
    assert plan.planned_arrival is not None
    doc: dict[str, Any] = {
        "direction": direction,
        "regime": category.regime_code,
        "gate": plan.gate,
        "passage": plan.passage,
        "planned_arrival": plan.planned_arrival.isoformat(),
        "perishable": category.perishable,
        "customs_declarations": customs,
        "trips": docs,
    }
    if plan.fee_payer_cn:
        buyer = ENTERPRISE_BY_KEY["youyi"]
        doc["fee_payer"] = {"name": buyer.name_zh, "country": "CN", "tax_code": buyer.tax_code}
        doc["note"] = "Phí hạ tầng do bên mua Trung Quốc thanh toán (điều kiện DAP Bằng Tường)"
    if direction == "import" and any(c == "CN" for c in countries):
        day = timezone.localtime(plan.planned_arrival)
        doc["road_manifest_number"] = f"GX{day:%y%m%d}{rng.randint(0, 999_999):06d}"
    plan.doc = doc


def _vehicle(
    w: _World, enterprise: str, kind: VehicleKind, country: str, direction: str
) -> dict[str, Any]:
    rng = w.rng
    if country == "VN":
        locality = rng.choice(LOCALITIES_OF[enterprise])
        doc: dict[str, Any] = {
            "tractor_plate": w.ids.vn_plate(locality),
            "tractor_country": "VN",
            **_vn_driver(rng, locality),
        }
        if kind.trailer:
            trailer_locality = locality if rng.random() < 0.7 else "12"
            doc["trailer_plate"] = w.ids.vn_trailer(trailer_locality)
    else:
        plate = w.ids.cn_plate()
        doc = {"tractor_plate": plate, "tractor_country": "CN", **_cn_driver(rng)}
        if kind.trailer:
            doc["trailer_plate"] = w.ids.cn_trailer(plate)
    doc["vehicle_class"] = kind.vehicle_class
    if kind.container_ft:
        owners = REEFER_OWNERS if kind.reefer else DRY_OWNERS
        number = w.ids.container(owners)
        seals = [w.ids.seal(number[:2])]
        seals.append(w.ids.seal("HQLS" if direction == "export" else "CNSE"))
        doc["containers"] = [{"number": number, "size_ft": kind.container_ft, "seals": seals}]
    return doc


def _pick_corrections(
    w: _World, plans: list[DeclPlan]
) -> tuple[tuple[DeclPlan, TripPlan, str], tuple[DeclPlan, TripPlan, str]]:
    """Two trips that checked in with a typing mistake: a driver's phone (still pending) and a
    container number (approved by the border guard)."""
    candidates = [
        (plan, trip)
        for plan in plans
        if plan.submit_at and not plan.cancel_at and not plan.special
        for trip in plan.trips
        # Import trucks: an export truck's fate is the queue's, not known when planning.
        if trip.direction == "import"
        and trip.target in (S.ENTERED, S.AT_GATE)
        and trip.latest
        and trip.latest < w.now - timedelta(minutes=40)
    ]
    with_container = [(p, t) for p, t in candidates if t.doc.get("containers")]
    phone_plan, phone_trip = w.rng.choice([c for c in candidates if c[1].target is S.ENTERED])
    right_phone = phone_trip.doc["driver_phone"]
    # Two digits swapped at the end: still a valid number, just not the driver's.
    phone_trip.doc["driver_phone"] = right_phone[:-2] + right_phone[-1] + right_phone[-2]
    if phone_trip.doc["driver_phone"] == right_phone:
        phone_trip.doc["driver_phone"] = right_phone[:-1] + str((int(right_phone[-1]) + 1) % 10)
    others = [(p, t) for p, t in with_container if p is not phone_plan]
    box_plan, box_trip = w.rng.choice(others)
    right_box = box_trip.doc["containers"][0]["number"]
    box_trip.doc["containers"][0]["number"] = _swap_digits(right_box)
    # The future declaration with the most trucks changes a driver before arriving.
    future = [p for p in plans if p.trips and p.trips[0].target is S.DECLARED]
    amended = max(future, key=lambda p: len(p.trips))
    assert amended.submit_at is not None
    amended.amend_at = amended.submit_at + (w.now - amended.submit_at) * w.rng.uniform(0.3, 0.8)
    return (phone_plan, phone_trip, right_phone), (box_plan, box_trip, right_box)


def _swap_digits(container: str) -> str:
    """The container number with two neighbouring serial digits swapped (a typing slip), and
    the check digit that goes with it, so that the mistake passes validation."""
    serial = container[4:10]
    for i in range(len(serial) - 1):
        if serial[i] != serial[i + 1]:
            serial = serial[:i] + serial[i + 1] + serial[i] + serial[i + 2 :]
            break
    else:
        serial = serial[:-1] + str((int(serial[-1]) + 1) % 10)
    base = container[:4] + serial
    return base + iso6346.calc_check_digit(base)


# --- Scheduling -------------------------------------------------------------------------------


def _enterprise_actor(w: _World, plan: DeclPlan) -> Actor:
    if plan.via_token and w.token_actor is not None:
        return w.token_actor
    users = w.enterprise_users[plan.enterprise]
    return Actor.of(users[plan.author % len(users)])


def _schedule_declaration(w: _World, schedule: _Schedule, plan: DeclPlan) -> None:
    actor = _enterprise_actor(w, plan)
    doc = DeclarationDoc.model_validate(plan.doc)

    def create(submit: bool) -> Callable[[], None]:
        def run() -> None:
            declaration = services.declaration_create(actor=actor, doc=doc, submit=submit)
            plan.declaration_id = declaration.pk
            codes = list(declaration.trips.order_by("position").values_list("code", flat=True))
            for trip, code in zip(plan.trips, codes, strict=True):
                trip.code = code

        return run

    def submit() -> None:
        services.declaration_submit(actor=actor, declaration_id=plan.declaration_id)

    if plan.draft_at is not None:
        schedule.add(plan.draft_at, create(False))
        if plan.submit_at is not None:
            schedule.add(plan.submit_at, submit)
    elif plan.submit_at is not None:
        schedule.add(plan.submit_at, create(True))
    if plan.cancel_at is not None:
        reason = plan.cancel_reason

        def cancel() -> None:
            services.declaration_cancel(
                actor=actor, declaration_id=plan.declaration_id, reason=reason
            )

        schedule.add(plan.cancel_at, cancel)
        return
    for trip in plan.trips:
        if trip.target is S.CANCELLED:
            assert plan.submit_at is not None
            at = plan.submit_at + (w.now - plan.submit_at) * w.rng.uniform(0.2, 0.6)
            schedule.add(at, _trip_cancel(actor, trip))
        elif trip.latest is not None and not plan.special:
            steps = _timed_steps(trip, trip.latest, w)
            for at, kind, args in steps:
                schedule.add(at, _trip_step(w, plan, trip, kind, args))
            if trip.direction == "export":
                decided = [at for at, kind, _ in steps if kind == "decide"]
                planned = [s for s in trip.pre if s[1] == "decide"]
                trip.checks_at = max(decided, default=trip.latest)
                if len(decided) < len(planned):
                    trip.checks_at = None  # a yard check is still to come at the day's end
    if plan.category.direction == "export" and plan.submit_at is not None:
        _plan_slots(w, schedule, plan, actor)


def _trip_cancel(actor: Actor, trip: TripPlan) -> Callable[[], None]:
    def run() -> None:
        services.trip_cancel(
            actor=actor,
            trip_code=trip.code,
            reason="Xe hỏng giữa đường, không kịp lên cửa khẩu trong ngày",
        )

    return run


def _trip_step(
    w: _World, plan: DeclPlan, trip: TripPlan, kind: str, args: dict[str, Any]
) -> Callable[[], None]:
    gate = plan.gate
    operator = Actor.of(w.operators[gate])
    guard = Actor.of(w.officers[("border_guard", gate)])
    export = trip.direction == "export"
    reason = _reason(w, args["reason"]) if args.get("reason") else ""
    marker = "mốc 1119–1120" if plan.passage == "HN-1119" else "mốc 1088/2–1089"
    crossed = {
        "HN-MAIN": "Đã xuất cảnh qua cửa khẩu Hữu Nghị – Hữu Nghị Quan",
        "HN-1119": f"Đã xuất cảnh qua đường chuyên dụng {marker}",
        "TT-1088": f"Đã xuất cảnh qua đường chuyên dụng {marker} sang Pò Chài",
    }[plan.passage]

    def run() -> None:
        code = trip.code
        if kind == "check_in":
            services.trip_check_in(
                actor=operator, yard_code=trip.yard, by=services.CheckInBy(code=code)
            )
        elif kind == "no_show":
            services.trip_no_show(
                actor=operator,
                trip_code=code,
                reason="Đã gọi 3 lần qua loa và điện thoại, lái xe không có mặt; xếp lại hàng chờ",
            )
        elif kind == "extend":
            queueing.call_extend(actor=_enterprise_actor(w, plan), trip_code=code)
        elif kind == "enter":
            services.trip_enter_control(actor=operator, trip_code=code)
        elif kind == "decide":
            agency = args["agency"]
            officer = Actor.of(w.officers[(agency, gate)])
            check_decide(
                actor=officer,
                trip_code=code,
                agency_code=agency,
                decision=args["decision"],
                reason=reason,
            )
        elif kind == "depart":
            why = crossed if export else "Rời khu kiểm soát, hàng vận chuyển vào nội địa"
            services.trip_depart(actor=guard, trip_code=code, reason=why)
        else:  # pragma: no cover - a planning mistake
            raise ValueError(kind)

    return run


def _schedule_transshipment(w: _World, schedule: _Schedule, plan: DeclPlan) -> None:
    """Check-in, checks, entry and clearance of the Chinese truck, then zone B, then home."""
    rng = w.rng
    source = plan.trips[0]
    assert source.latest is not None
    at = source.latest
    gate = plan.gate
    operator = w.operators[gate]
    steps: list[tuple[datetime, str, dict[str, Any]]] = [(at, "check_in", {})]
    at += w.minutes(20, 40)
    steps.append((at, "decide", {"agency": "customs", "decision": PASSED}))
    at += w.minutes(15, 40)
    steps.append((at, "decide", {"agency": "plant_quarantine", "decision": PASSED}))
    at += w.minutes(10, 30)
    steps.append((at, "enter", {}))
    at += w.minutes(5, 12)
    steps.append((at, "decide", {"agency": "border_guard", "decision": PASSED}))
    for when, kind, args in steps:
        schedule.add(when, _trip_step(w, plan, source, kind, args))
    source.yard = "XC"

    receivers = [
        _vehicle(w, "dongdang", KINDS["semi"], "VN", "import"),
        _vehicle(w, "dongdang", KINDS["semi"], "VN", "import"),
    ]
    received: list[str] = []
    transship_at = at + w.minutes(25, 50)

    def transship() -> None:
        lines = list(
            GoodsLine.objects.filter(customs_declaration__declaration_id=plan.declaration_id)
            .order_by("customs_declaration__position", "position")
            .values_list("pk", "quantity", "gross_weight_kg")
        )
        trucks = []
        for i, vehicle in enumerate(receivers):
            goods = []
            for pk, quantity, weight in lines:
                # The first truck takes the larger half of each line, the second the rest.
                q1 = (quantity * Decimal("0.55")).quantize(Decimal(1))
                g1 = (weight * Decimal("0.55")).quantize(Decimal("0.01"))
                q, g = (q1, g1) if i == 0 else (quantity - q1, weight - g1)
                goods.append(services.TransshippedGoods(pk, q, g))
            total = sum(g.gross_weight_kg for g in goods)
            vehicle["gross_weight_kg"] = str(total + rng.randint(12_000, 14_000))
            trucks.append(services.ReceivingTruck(TripDoc.model_validate(vehicle), goods))
        created = services.trip_transship(
            actor=Actor.of(operator), trip_code=source.code, zone_code="B", receiving=trucks
        )
        received.extend(t.code for t in created)

    schedule.add(transship_at, transship)

    def depart(which: int, reason: str) -> Callable[[], None]:
        def run() -> None:
            code = source.code if which < 0 else received[which]
            guard = Actor.of(w.officers[("border_guard", gate)])
            services.trip_depart(actor=guard, trip_code=code, reason=reason)

        return run

    empty_at = transship_at + w.minutes(30, 50)
    schedule.add(empty_at, depart(-1, "Xe Trung Quốc quay về không hàng sau khi sang tải"))
    schedule.add(
        transship_at + w.minutes(60, 90),
        depart(0, "Rời bãi Xuân Cương, hàng đi chợ đầu mối Long Biên"),
    )
    # The second receiving truck is still at zone B, waiting for its papers: CLEARED.


def _schedule_correction(
    w: _World, schedule: _Schedule, plan: DeclPlan, trip: TripPlan, right: str, *, approve: bool
) -> None:
    assert trip.latest is not None
    actor = _enterprise_actor(w, plan)
    at = trip.latest + (w.now - trip.latest) * w.rng.uniform(0.3, 0.7)
    decided: list[int] = []

    def run() -> None:
        declaration = Declaration.objects.get(pk=plan.declaration_id)
        doc = services.declaration_document(declaration).model_dump(mode="json")
        for item in doc["trips"]:
            if item["code"] == trip.code:
                if approve:
                    item["containers"][0]["number"] = right
                else:
                    item["driver_phone"] = right
        reason = (
            "Nhập nhầm số container (đảo hai chữ số), đề nghị sửa theo phiếu giao container"
            if approve
            else "Nhập nhầm số điện thoại lái xe (đảo hai chữ số cuối)"
        )
        request = services.correction_request_create(
            actor=actor,
            declaration_id=plan.declaration_id,
            doc=DeclarationDoc.model_validate(doc),
            reason=reason,
        )
        # ``requested_at`` defaults to the real time: date it on the demo's clock instead.
        CorrectionRequest.objects.filter(pk=request.pk).update(requested_at=timezone.now())
        decided.append(request.pk)

    schedule.add(at, run)
    if approve:

        def decide() -> None:
            officer = w.officers[(AgencyCode.BORDER_GUARD.value, plan.gate)]
            services.correction_request_decide(
                actor=Actor.of(officer),
                request_id=decided[0],
                approve=True,
                reason="Đã đối chiếu số container thực tế tại bãi",
            )

        schedule.add(at + (w.now - at) * w.rng.uniform(0.2, 0.6), decide)


def _schedule_amendment(w: _World, schedule: _Schedule, plan: DeclPlan) -> None:
    """Before arriving, the enterprise replaces the driver of its first truck (version 2)."""
    assert plan.amend_at is not None
    actor = _enterprise_actor(w, plan)
    first = plan.trips[0]
    locality = first.doc["tractor_plate"][:2] if first.doc["tractor_country"] == "VN" else ""
    driver = _vn_driver(w.rng, locality) if locality else _cn_driver(w.rng)

    def run() -> None:
        declaration = Declaration.objects.get(pk=plan.declaration_id)
        doc = services.declaration_document(declaration).model_dump(mode="json")
        doc["trips"][0].update(driver)
        services.declaration_update(
            actor=actor,
            declaration_id=plan.declaration_id,
            doc=DeclarationDoc.model_validate(doc),
            reason="Đổi lái xe: lái xe đăng ký ban đầu nghỉ ốm",
        )

    schedule.add(plan.amend_at, run)


# --- The queue: slots, dispatch cycles, calls and what became of them --------------------------

HOUR = timedelta(hours=1)
DISPATCH_EVERY = timedelta(minutes=15)  # the live dispatcher runs every 30 s; the demo samples it
# Export passages with a queue, and the minute of each ten at which their cycle runs.
QUEUE_PASSAGES = (("HN-1119", 0), ("TT-1088", 4), ("HN-MAIN", 8))
# The season's capacity (calls an hour = lanes × 60 / minutes per vehicle): the partner side
# inspects every truck and takes few an hour, so the yards fill up.
SEASON_PLANS = {
    "HN-1119": (
        queueing.PlanChange(1, Decimal(30), 16, 50, 3),
        "Cao điểm mùa sầu riêng, thanh long: phía Trung Quốc kiểm dịch 100% xe hoa quả, chỉ mở "
        "1 làn tiếp nhận xe xuất khẩu, bình quân 30 phút/xe",
    ),
    "TT-1088": (
        queueing.PlanChange(1, Decimal(30), 16, 50, 3),
        "Cao điểm mùa hoa quả: cửa khẩu Pò Chài (Trung Quốc) kiểm dịch 100% xe, chỉ mở 1 làn "
        "tiếp nhận, bình quân 30 phút/xe",
    ),
    "HN-MAIN": (
        queueing.PlanChange(1, Decimal(45), 8, 50, 3),
        "Phía Trung Quốc (Hữu Nghị Quan) kiểm tra thực tế 100% container hàng xuất, chỉ bố trí "
        "1 làn, bình quân 45 phút/xe",
    ),
}
FRUIT_QUOTA = 40
GUARD_PASS = {"agency": "border_guard", "decision": PASSED}
GUARD_HOLD = {"agency": "border_guard", "decision": HELD, "reason": "hold_border"}
# Endings the day needs a few of, tried in this order when they fit the time left, each with
# its odds; any other call ends as far as the time allows (departed, cleared, at the gate).
FATES_WANTED = {
    "no_show_operator": 1,  # never comes, and the operator records it
    "no_show": 2,  # never comes: the dispatcher's next cycle after 30 min returns it
    "extend": 1,  # the enterprise asks for more time once, then comes
    "held": 2,  # held by the border guard in the control area
    "called": 6,  # called in the last half hour, on its way
    "at_gate": 8,  # in the control area, the border guard's check still to come
    "cleared": 6,  # cleared, not yet gone
}
FATE_ODDS = {
    "no_show_operator": 0.1,
    "no_show": 0.1,
    "extend": 0.08,
    "held": 0.06,
    "called": 0.8,
    "at_gate": 0.6,
    "cleared": 0.35,
}
RARE_FATES = frozenset({"no_show_operator", "no_show", "extend", "held"})
REEFER_REASON = (
    "Container lạnh báo lỗi máy nén, nhiệt độ hàng tăng quá ngưỡng; ưu tiên thông quan để tránh "
    "hư hỏng hàng (biên bản kiểm tra số {n}/BB-BQLCK)"
)
CONVOY_REASON = "Xe cùng tờ khai với xe vừa được gọi; Hải quan đề nghị kiểm hóa hai xe cùng lúc"


def _plan_slots(w: _World, schedule: _Schedule, plan: DeclPlan, actor: Actor) -> None:
    """Some trucks get a one-hour slot, booked a little after the declaration is submitted:
    trucks arriving in their window (called first in their hour), one or two that come hours
    late (the slot is lost), trucks that came early for a coming hour (they wait for it), and
    declared trucks booked for the coming hours."""
    rng = w.rng
    assert plan.submit_at is not None and plan.planned_arrival is not None
    for trip in plan.trips:
        if trip.target is S.CANCELLED:
            continue
        draw = rng.random()
        book_at = plan.submit_at + w.minutes(3, 40)
        arrival = trip.latest or plan.planned_arrival
        kind, start = "", _hour(arrival)
        if trip.latest is None:
            kind = "ahead" if draw < 0.5 else ""
        elif trip.target is S.ARRIVED:
            if arrival > w.now - timedelta(minutes=50) and draw < 0.4:
                kind, start = "early", start + 2 * HOUR
            elif draw < 0.22:
                kind = "window"
            elif draw < 0.4 and w.late_slots < 2:
                kind, start = "late", start - 2 * HOUR
        if not kind or book_at > arrival - timedelta(minutes=10) or book_at > w.now:
            continue
        if start < _hour(book_at) + HOUR:
            continue  # too late to book that hour
        w.late_slots += kind == "late"
        schedule.add(book_at, _slot_book(actor, trip, kind, start))


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _slot_book(actor: Actor, trip: TripPlan, kind: str, start: datetime) -> Callable[[], None]:
    def run() -> None:
        # A full hour answers with the nearest free ones: trucks booked ahead take a later
        # one; the truck that will come late takes an earlier one (it is late for either).
        hours = {"ahead": (0, 1, 2), "late": (0, -1, -2)}.get(kind, (0,))
        for hour in hours:
            with contextlib.suppress(Conflict, InvalidInput, NotAllowed):
                queueing.slot_book(actor=actor, trip_code=trip.code, start=start + hour * HOUR)
                trip.slot = (kind, start + hour * HOUR)
                return

    return run


class _Queue:
    """The day of the yard queues, through the real services: the season's capacity, the
    dispatcher's cycles, the operators' actions, and what each called truck then does."""

    def __init__(self, w: _World, schedule: _Schedule, plans: list[DeclPlan]) -> None:
        self.w = w
        self.schedule = schedule
        self.plans = plans
        self.wanted = dict(FATES_WANTED)
        self.by_code: dict[str, tuple[DeclPlan, TripPlan]] = {}
        self.passage_ids: dict[str, int] = {}

    def schedule_day(self) -> None:
        w = self.w
        self.schedule.add(self.schedule.first - timedelta(minutes=30), self.season)
        first = w.start.replace(second=0, microsecond=0)
        first += timedelta(minutes=15 - first.minute % 15)
        for code, offset in QUEUE_PASSAGES:
            at = first + timedelta(minutes=offset)
            while at < w.now - timedelta(seconds=30):
                self.schedule.add(at, self.cycle(code))
                at += DISPATCH_EVERY
        self.schedule.add(w.now - w.minutes(150, 170), self.prioritise)
        for code in ("TT-1088", "HN-1119"):
            self.schedule.add(w.now - w.minutes(20, 26), self.more_calls(code))
        self.schedule.add(w.now - w.minutes(9, 14), self.call_out_of_turn)

    # --- Operators' settings for the season ---

    def season(self) -> None:
        """Before the day: extended hours for the fruit season at both gates, the season's
        capacity at the export passages, and the partner side's fruit quota at Tân Thanh."""
        w = self.w
        now = timezone.now()
        local = now.astimezone(gate_capacity.VIETNAM)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        for gate_code in GATES:
            CalendarEntry.objects.create(
                gate=Gate.objects.get(code=gate_code),
                kind=CalendarEntry.Kind.EXTENDED,
                cause=CalendarEntry.Cause.PEAK_SEASON,
                starts_at=midnight - timedelta(days=10),
                ends_at=midnight + timedelta(days=40),
                name_vi="Cao điểm xuất khẩu nông sản: làm thủ tục thông quan 24/24",
                name_en="Farm produce export peak: clearance around the clock",
                name_zh="农产品出口高峰期：24小时通关",
                created_by=w.operators[gate_code],
                created_at=now,
            )
        for code, (change, reason) in SEASON_PLANS.items():
            queueing.capacity_plan_update(
                actor=self.operator(code),
                passage_code=code,
                direction="export",
                change=change,
                reason=reason,
            )
        queueing.partner_quota_set(
            actor=self.operator("TT-1088"),
            passage_code="TT-1088",
            direction="export",
            day=timezone.localtime(w.now, gate_capacity.VIETNAM).date(),
            goods_group="fruit",
            trucks=FRUIT_QUOTA,
            note=f"Phía Trung Quốc (Pò Chài) thông báo tiếp nhận tối đa {FRUIT_QUOTA} xe hoa "
            "quả trong ngày",
        )

    def operator(self, passage_code: str) -> Actor:
        return Actor.of(self.w.operators[GATE_OF_PASSAGE[passage_code]])

    # --- The dispatcher ---

    def cycle(self, code: str) -> Callable[[], None]:
        def run() -> None:
            result = queueing.dispatch_passage(
                actor=queueing.DISPATCHER,
                passage_id=self.passage_id(code),
                direction="export",
                trigger=DispatchRun.Trigger.SCHEDULE,
            )
            for call in result.call_ups:
                self.called(call.trip_code)

        return run

    def passage_id(self, code: str) -> int:
        if code not in self.passage_ids:
            self.passage_ids[code] = Passage.objects.get(code=code).pk
        return self.passage_ids[code]

    def plan_of(self, code: str) -> tuple[DeclPlan, TripPlan] | None:
        if code not in self.by_code:
            self.by_code = {t.code: (p, t) for p in self.plans for t in p.trips if t.code}
        return self.by_code.get(code)

    def called(self, code: str) -> None:
        """A truck was called: plan what it does next, as the time left allows."""
        found = self.plan_of(code)
        if found is None:
            return
        plan, trip = found
        if trip.target is not S.ARRIVED:
            return  # a truck a yard check stops: the check decides, whatever the call
        now = timezone.now()
        for offset, kind, args in self.fate(trip, now):
            step = _trip_step(self.w, plan, trip, kind, args)
            self.schedule.add(now + timedelta(minutes=offset), step)

    def fate(self, trip: TripPlan, now: datetime) -> list[tuple[float, str, dict[str, Any]]]:
        rng = self.w.rng
        left = (self.w.now - now).total_seconds() / 60 - 1
        checks = None
        if trip.checks_at is not None:
            checks = max(0.0, (trip.checks_at - now).total_seconds() / 60)
        enter = rng.uniform(6, 25)
        hold = enter + rng.uniform(5, 30)
        late_enter = rng.uniform(33, 42)
        extend_at = rng.uniform(15, 25)
        no_show_at = rng.uniform(18, 26)
        options: dict[str, list[tuple[float, str, dict[str, Any]]]] = {}
        if left < 28:
            options["called"] = []
        if enter < min(left, 75):
            options["at_gate"] = [(enter, "enter", {})]
        if hold < left:
            options["held"] = [(enter, "enter", {}), (hold, "decide", GUARD_HOLD)]
        if trip.no_shows == 0 and left > 50:
            options["no_show"] = []
            options["no_show_operator"] = [(no_show_at, "no_show", {})]
        if checks is not None:
            guard = max(enter + rng.uniform(2, 12), checks + rng.uniform(1, 5))
            depart = guard + rng.uniform(4, 25)
            cleared = [(enter, "enter", {}), (guard, "decide", GUARD_PASS)]
            if guard < min(left, 120):
                options["cleared"] = cleared
            if depart < left:
                options["departed"] = [*cleared, (depart, "depart", {})]
            guard = max(late_enter + rng.uniform(2, 12), checks + rng.uniform(1, 5))
            depart = guard + rng.uniform(4, 25)
            if depart < left:
                options["extend"] = [
                    (extend_at, "extend", {}),
                    (late_enter, "enter", {}),
                    (guard, "decide", GUARD_PASS),
                    (depart, "depart", {}),
                ]
        for name, odds in FATE_ODDS.items():
            if name in RARE_FATES and left < 150:
                odds = 1.0  # the day is running out: the story needs them
            if name in options and self.wanted[name] > 0 and rng.random() < odds:
                self.wanted[name] -= 1
                if name.startswith("no_show"):
                    trip.no_shows += 1
                return options[name]
        for name in ("departed", "cleared", "at_gate", "called"):
            if name in options:
                return options[name]
        return []

    # --- Operators' actions during the day ---

    def waiting(self, passage_code: str) -> list[tuple[QueueEntry, DeclPlan, TripPlan]]:
        """The passage's waiting trucks in the living queue, last in line first."""
        entries = (
            QueueEntry.objects.filter(
                passage_id=self.passage_id(passage_code),
                direction="export",
                status=QueueEntry.Status.WAITING,
                trip__state=S.ARRIVED,
                order_tier=2,
            )
            .select_related("trip")
            .order_by("-order_time", "-trip_id")
        )
        found = []
        for entry in entries:
            plans = self.plan_of(entry.trip.code)
            if plans is not None:
                found.append((entry, *plans))
        return found

    def reefer(self, passage_code: str) -> TripPlan | None:
        for _, plan, trip in self.waiting(passage_code):
            if plan.category.perishable and trip.doc.get("containers"):
                return trip
        return None

    def prioritise(self) -> None:
        """A reefer's cooling fails in the yard: the operator moves it to the head of the
        queue, in writing; the dispatcher's next call publishes the reason."""
        trip = self.reefer("HN-1119")
        if trip is None:
            return
        queueing.queue_prioritise(
            actor=self.operator("HN-1119"),
            trip_code=trip.code,
            reason=REEFER_REASON.format(n=self.w.rng.randint(20, 60)),
        )

    def more_calls(self, passage_code: str) -> Callable[[], None]:
        """The partner side takes two more trucks this hour: the operator raises the hour."""

        def run() -> None:
            hour = gate_capacity.hour_floor(timezone.now())
            made = CallUp.objects.filter(
                passage_id=self.passage_id(passage_code), direction="export", at__gte=hour
            ).count()
            queueing.capacity_hour_set(
                actor=self.operator(passage_code),
                passage_code=passage_code,
                direction="export",
                hour_start=hour,
                calls=max(made, 2) + 2,
                reason="Phía Trung Quốc thông báo tiếp nhận thêm 2 xe trong giờ này",
            )

        return run

    def call_out_of_turn(self) -> None:
        """An operator calls one truck out of turn, with the reason published with the call:
        the second truck of a declaration whose first truck was just called (one inspection
        for both), or else a reefer whose cooling failed."""
        passage = "TT-1088"
        chosen, reason = None, ""
        for _, plan, trip in self.waiting(passage):
            if any(
                t.code != trip.code and _state(t.code) in (S.CALLED, S.AT_GATE) for t in plan.trips
            ):
                chosen, reason = trip, CONVOY_REASON
                break
        if chosen is None:
            chosen = self.reefer(passage)
            reason = REEFER_REASON.format(n=self.w.rng.randint(20, 60))
        if chosen is None:
            return
        with contextlib.suppress(Conflict):  # the control area is full: no call
            services.trip_call(actor=self.operator(passage), trip_code=chosen.code, reason=reason)
            self.called(chosen.code)


def _state(code: str) -> str:
    return Trip.objects.filter(code=code).values_list("state", flat=True).first() or ""
