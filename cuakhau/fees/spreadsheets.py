"""Fee schedules to and from Excel workbooks, and fee reports as workbooks (openpyxl).

One sheet per schedule: a header block (``key | value | label``) with the schedule code, legal
basis, effective dates and multipliers, then a table ``vehicle_class | regime | category |
amount_vnd | demo | note``. Column A holds stable keys so the labels may be in any language.

An import checks every row first and stores nothing unless the whole workbook is right; each
problem names its sheet and row. A schedule whose code exists is updated only while no invoice
was issued under it; otherwise it must come as a new version with a new code. Effective periods
follow ``rules.schedule_on``: on any day the latest-started schedule applies, so a schedule
without an end date runs "until replaced" by a later one; any other overlap, and two schedules
starting the same day, are refused.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from cuakhau.core.errors import FieldError, InvalidInput
from cuakhau.core.text import Text
from cuakhau.fees.models import FeeRate, FeeSchedule, Invoice
from cuakhau.fees.rules import GoodsCategory
from cuakhau.reference.models import GoodsRegime, VehicleClass

VND_FORMAT = '#,##0 "₫"'
DATE_FORMAT = "DD/MM/YYYY"
TABLE = ("vehicle_class", "regime", "category", "amount_vnd", "demo", "note")
HEADER: tuple[tuple[str, str], ...] = (
    ("schedule_code", "Mã biểu phí / Schedule code / 收费标准代码"),
    ("legal_basis", "Căn cứ pháp lý / Legal basis / 法律依据"),
    ("effective_from", "Hiệu lực từ / Effective from / 生效日期"),
    ("effective_to", "Hiệu lực đến (ngày cuối) / Effective to (last day) / 失效日期"),
    ("inland_import_percent", "Hàng NK vào nội địa (%) / Imports delivered inland (%)"),
    ("transshipment_percent", "Xe chỉ sang tải (%) / Vehicles only transshipped (%)"),
    ("ore_export_factor", "Quặng xuất khẩu (×) / Ordinary ore exports (×)"),
    ("maximum_vnd", "Mức tối đa (VND) / Maximum per trip (VND)"),
    ("note", "Ghi chú / Note / 备注"),
)
TRUE = {"1", "true", "yes", "x", "có", "co", "是", "demo", "y"}
FALSE = {"", "0", "false", "no", "không", "khong", "否", "n"}
MAX_ROWS = 5000
SMALL = 32767  # PositiveSmallIntegerField


@dataclass
class ImportSummary:
    rows_read: int = 0
    schedules_created: list[str] = field(default_factory=list)
    schedules_updated: list[str] = field(default_factory=list)
    rates_created: int = 0
    rates_updated: int = 0
    rates_deleted: int = 0


@dataclass
class _Rate:
    row: int
    vehicle_class: VehicleClass
    regime: GoodsRegime
    category: str
    amount: int
    demo: bool
    note: str


@dataclass
class _Sheet:
    title: str
    values: dict[str, Any]
    rows: dict[str, int]  # header key → row number
    rates: list[_Rate]


# --- Export ---------------------------------------------------------------------------------


def export_schedules(schedules: Iterable[FeeSchedule]) -> bytes:
    """A workbook with one sheet per schedule, in the format ``import_schedules`` reads."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    found = list(schedules)
    rates = (
        FeeRate.objects.filter(schedule__in=found)
        .select_related("vehicle_class", "regime")
        .order_by("schedule_id", "vehicle_class__position", "regime__position", "category")
    )
    by_schedule: dict[int, list[FeeRate]] = {}
    for rate in rates:
        by_schedule.setdefault(rate.schedule_id, []).append(rate)
    used: set[str] = set()
    for schedule in found:
        sheet = book.create_sheet(_sheet_title(schedule.code, used))
        values = {
            "schedule_code": schedule.code,
            "legal_basis": schedule.legal_basis,
            "effective_from": schedule.effective_from,
            "effective_to": schedule.effective_to,
            "inland_import_percent": schedule.inland_import_percent,
            "transshipment_percent": schedule.transshipment_percent,
            "ore_export_factor": schedule.ore_export_factor,
            "maximum_vnd": schedule.maximum_vnd,
            "note": schedule.note,
        }
        for key, label in HEADER:
            sheet.append([key, values[key], label])
            cell = sheet.cell(sheet.max_row, 2)
            if isinstance(values[key], date):
                cell.number_format = DATE_FORMAT
            elif key == "maximum_vnd":
                cell.number_format = VND_FORMAT
        sheet.append([])
        sheet.append(list(TABLE))
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for rate in by_schedule.get(schedule.pk, []):
            sheet.append(
                [
                    rate.vehicle_class.code,
                    rate.regime.code,
                    rate.category,
                    rate.amount_vnd,
                    rate.is_demo,
                    rate.note,
                ]
            )
            sheet.cell(sheet.max_row, 4).number_format = VND_FORMAT
        for column, width in zip("ABCDEF", (24, 48, 16, 16, 8, 40), strict=True):
            sheet.column_dimensions[column].width = width
    if not book.sheetnames:
        book.create_sheet("-")
    return _save(book)


def _sheet_title(code: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "-", code)[:31] or "-"
    title, n = base, 1
    while title.lower() in used:
        n += 1
        title = f"{base[:28]}~{n}"
    used.add(title.lower())
    return title


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- Import ---------------------------------------------------------------------------------


def import_schedules(source: IO[bytes] | bytes) -> ImportSummary:
    """Read a workbook, check every row, then create or update its schedules in one
    transaction; ``InvalidInput`` listing every problem (and nothing stored) otherwise."""
    data = source if isinstance(source, bytes) else source.read()
    errors: list[FieldError] = []
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise _invalid([FieldError("file", "not_a_workbook", MESSAGES["not_a_workbook"])]) from None
    classes = {c.code.upper(): c for c in VehicleClass.objects.all()}
    regimes = {r.code.upper(): r for r in GoodsRegime.objects.all()}
    read = [_read_sheet(sheet, classes, regimes, errors) for sheet in book.worksheets]
    book.close()
    sheets = [s for s in read if s is not None]
    summary = ImportSummary(rows_read=sum(len(s.rates) for s in sheets))
    if not sheets and not errors:
        errors.append(FieldError("file", "no_schedule", MESSAGES["no_schedule"]))
    _check_codes_and_periods(sheets, errors)
    if errors:
        raise _invalid(errors)
    with transaction.atomic():
        for sheet in sheets:
            _store(sheet, summary)
    return summary


def _read_sheet(
    sheet: Any,
    classes: dict[str, VehicleClass],
    regimes: dict[str, GoodsRegime],
    errors: list[FieldError],
) -> _Sheet | None:
    title = str(sheet.title)
    values: dict[str, Any] = {}
    rows: dict[str, int] = {}
    rates: list[_Rate] = []
    keys_seen: dict[tuple[str, str, str], int] = {}
    in_table = False
    before = len(errors)

    def fail(row: int, code: str, message: Text) -> None:
        errors.append(
            FieldError(f"{title}.{row}", code, ROW.format(sheet=title, row=row, problem=message))
        )

    for number, raw in enumerate(sheet.iter_rows(max_row=MAX_ROWS + 100, values_only=True), 1):
        cells = [_clean(v) for v in (raw or ())][:6]
        cells += [None] * (6 - len(cells))
        if all(c in (None, "") for c in cells):
            continue
        key = str(cells[0]).strip().lower() if cells[0] is not None else ""
        if not in_table:
            if key == TABLE[0]:
                in_table = True
                if [str(c or "").strip().lower() for c in cells] != list(TABLE):
                    fail(number, "bad_columns", MESSAGES["bad_columns"])
                continue
            if key in dict(HEADER):
                values[key], rows[key] = cells[1], number
            continue
        rate = _read_rate(number, cells, classes, regimes, fail)
        if rate is None:
            continue
        rate_key = (rate.vehicle_class.code, rate.regime.code, rate.category)
        if rate_key in keys_seen:
            fail(
                number,
                "duplicate_rate",
                MESSAGES["duplicate"].format(key=" / ".join(rate_key), first=keys_seen[rate_key]),
            )
            continue
        keys_seen[rate_key] = number
        rates.append(rate)
    if not values and not in_table:
        return None  # a sheet that is not a schedule (notes, instructions): ignored
    _check_header(title, values, rows, fail)
    if not in_table:
        fail(max(rows.values(), default=1), "no_table", MESSAGES["no_table"])
    elif not rates and len(errors) == before:
        fail(max(rows.values(), default=1), "no_rates", MESSAGES["no_rates"])
    return _Sheet(title, values, rows, rates)


def _read_rate(
    number: int,
    cells: list[Any],
    classes: dict[str, VehicleClass],
    regimes: dict[str, GoodsRegime],
    fail: Any,
) -> _Rate | None:
    ok = True
    vehicle = classes.get(str(cells[0] or "").strip().upper())
    if vehicle is None:
        fail(number, "unknown_vehicle_class", MESSAGES["class"].format(value=_show(cells[0])))
        ok = False
    regime = regimes.get(str(cells[1] or "").strip().upper())
    if regime is None:
        fail(number, "unknown_regime", MESSAGES["regime"].format(value=_show(cells[1])))
        ok = False
    category = str(cells[2] or "").strip().lower()
    if category not in {c.value for c in GoodsCategory}:
        fail(
            number,
            "unknown_category",
            MESSAGES["category"].format(
                value=_show(cells[2]), allowed=", ".join(c.value for c in GoodsCategory)
            ),
        )
        ok = False
    amount = _integer(cells[3])
    if amount is None or amount < 0 or amount > 10**12:
        fail(number, "bad_amount", MESSAGES["amount"].format(value=_show(cells[3])))
        ok = False
    demo = _boolean(cells[4])
    if demo is None:
        fail(number, "bad_demo", MESSAGES["demo"].format(value=_show(cells[4])))
        ok = False
    note = str(cells[5] or "").strip()
    if len(note) > 300:
        fail(number, "note_too_long", MESSAGES["too_long"].format(what="note", max=300))
        ok = False
    if not ok or vehicle is None or regime is None or amount is None or demo is None:
        return None
    return _Rate(number, vehicle, regime, category, amount, demo, note)


def _check_header(title: str, values: dict[str, Any], rows: dict[str, int], fail: Any) -> None:
    def where(key: str) -> int:
        return rows.get(key, 1)

    code = str(values.get("schedule_code") or "").strip()
    if not code or len(code) > 32:
        fail(where("schedule_code"), "bad_code", MESSAGES["code"])
    values["schedule_code"] = code
    basis = str(values.get("legal_basis") or "").strip()
    if not basis or len(basis) > 300:
        fail(where("legal_basis"), "bad_legal_basis", MESSAGES["legal_basis"])
    values["legal_basis"] = basis
    start = _date(values.get("effective_from"))
    if start is None:
        fail(where("effective_from"), "bad_date", MESSAGES["date"].format(what="effective_from"))
    end = None
    if values.get("effective_to") not in (None, ""):
        end = _date(values["effective_to"])
        if end is None:
            fail(where("effective_to"), "bad_date", MESSAGES["date"].format(what="effective_to"))
        elif start is not None and end < start:
            fail(where("effective_to"), "period_backwards", MESSAGES["backwards"])
    values["effective_from"], values["effective_to"] = start, end
    defaults = {"inland_import_percent": 130, "transshipment_percent": 30, "ore_export_factor": 5}
    for key, default in defaults.items():
        raw = values.get(key)
        number = default if raw in (None, "") else _integer(raw)
        if number is None or not 0 <= number <= SMALL:
            fail(where(key), "bad_number", MESSAGES["number"].format(what=key))
        values[key] = number
    raw_max = values.get("maximum_vnd")
    maximum = None if raw_max in (None, "") else _integer(raw_max)
    if raw_max not in (None, "") and (maximum is None or maximum < 0):
        fail(where("maximum_vnd"), "bad_number", MESSAGES["number"].format(what="maximum_vnd"))
    values["maximum_vnd"] = maximum
    values["note"] = str(values.get("note") or "").strip()


def _check_codes_and_periods(sheets: Sequence[_Sheet], errors: list[FieldError]) -> None:
    """Codes once per workbook; no invoice yet under a code being updated; periods that
    ``rules.schedule_on`` resolves without ambiguity (see the module's docstring)."""
    codes = [s.values["schedule_code"] for s in sheets]
    stored = {s.code: s for s in FeeSchedule.objects.all()}
    invoiced = set(
        Invoice.objects.filter(schedule_code__in=codes).values_list("schedule_code", flat=True)
    )

    def fail(sheet: _Sheet, key: str, code: str, message: Text) -> None:
        row = sheet.rows.get(key, 1)
        errors.append(
            FieldError(
                f"{sheet.title}.{row}",
                code,
                ROW.format(sheet=sheet.title, row=row, problem=message),
            )
        )

    seen: set[str] = set()
    for sheet in sheets:
        code = sheet.values["schedule_code"]
        if not code:
            continue
        if code in seen:
            fail(
                sheet, "schedule_code", "duplicate_schedule", MESSAGES["dup_code"].format(code=code)
            )
        seen.add(code)
        if code in invoiced:
            fail(
                sheet, "schedule_code", "schedule_invoiced", MESSAGES["invoiced"].format(code=code)
            )
    # The periods after the import: stored schedules not in the workbook, and the workbook's.
    periods: list[tuple[str, date, date | None, _Sheet | None]] = [
        (s.code, s.effective_from, s.effective_to, None)
        for s in stored.values()
        if s.code not in seen
    ]
    periods += [
        (s.values["schedule_code"], s.values["effective_from"], s.values["effective_to"], s)
        for s in sheets
        if s.values["schedule_code"] and s.values["effective_from"] is not None
    ]
    for i, (code_a, start_a, end_a, sheet_a) in enumerate(periods):
        for code_b, start_b, end_b, sheet_b in periods[i + 1 :]:
            problem = _overlap(code_a, start_a, end_a, code_b, start_b, end_b)
            if problem is None:
                continue
            for sheet in {id(x): x for x in (sheet_a, sheet_b) if x is not None}.values():
                fail(sheet, "effective_from", "period_overlap", problem)


def _overlap(
    code_a: str, start_a: date, end_a: date | None, code_b: str, start_b: date, end_b: date | None
) -> Text | None:
    if (end_a is not None and end_a < start_b) or (end_b is not None and end_b < start_a):
        return None
    if start_a == start_b:
        return MESSAGES["same_start"].format(a=code_a, b=code_b, day=f"{start_a:%d/%m/%Y}")
    earlier_end = end_a if start_a < start_b else end_b
    if earlier_end is None:
        return None  # the earlier one runs until replaced: the later one wins from its start
    return MESSAGES["overlap"].format(a=code_a, b=code_b)


def _store(sheet: _Sheet, summary: ImportSummary) -> None:
    fields = {key: sheet.values[key] for key, _ in HEADER if key != "schedule_code"}
    code = sheet.values["schedule_code"]
    schedule = FeeSchedule.objects.select_for_update().filter(code=code).first()
    if schedule is None:
        schedule = FeeSchedule.objects.create(code=code, **fields)
        summary.schedules_created.append(code)
    else:
        for key, value in fields.items():
            setattr(schedule, key, value)
        schedule.save()
        summary.schedules_updated.append(code)
    existing = {
        (r.vehicle_class_id, r.regime_id, r.category): r
        for r in FeeRate.objects.filter(schedule=schedule)
    }
    new, changed = [], []
    for rate in sheet.rates:
        key = (rate.vehicle_class.pk, rate.regime.pk, rate.category)
        found = existing.pop(key, None)
        if found is None:
            new.append(
                FeeRate(
                    schedule=schedule,
                    vehicle_class=rate.vehicle_class,
                    regime=rate.regime,
                    category=rate.category,
                    amount_vnd=rate.amount,
                    is_demo=rate.demo,
                    note=rate.note,
                )
            )
        elif (found.amount_vnd, found.is_demo, found.note) != (rate.amount, rate.demo, rate.note):
            found.amount_vnd, found.is_demo, found.note = rate.amount, rate.demo, rate.note
            changed.append(found)
    if existing:
        FeeRate.objects.filter(pk__in=[r.pk for r in existing.values()]).delete()
    FeeRate.objects.bulk_create(new)
    FeeRate.objects.bulk_update(changed, ["amount_vnd", "is_demo", "note"])
    summary.rates_created += len(new)
    summary.rates_updated += len(changed)
    summary.rates_deleted += len(existing)


def _clean(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _show(value: Any) -> str:
    return "(trống)" if value in (None, "") else str(value)[:40]


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value or "").strip().replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"-?\d{1,3}([.,]\d{3})+", text):
        text = re.sub(r"[.,]", "", text)
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return None if value not in (0, 1) else bool(value)
    text = str(value or "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    return None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar day
        except ValueError:
            continue
    return None


def _invalid(errors: list[FieldError]) -> InvalidInput:
    count = len(errors)
    return InvalidInput(
        code="fee_workbook_invalid",
        message=Text(
            f"Tệp biểu phí có {count} lỗi: chưa lưu gì.",
            f"The fee workbook has {count} error(s): nothing was saved.",
            f"收费标准文件有 {count} 处错误：未保存任何内容。",
        ),
        errors=errors,
    )


ROW = Text(
    "Trang «{sheet}», dòng {row}: {problem}",
    "Sheet «{sheet}», row {row}: {problem}",
    "工作表「{sheet}」第 {row} 行：{problem}",
)
MESSAGES = {
    "not_a_workbook": Text(
        "Tệp không phải bảng tính Excel (.xlsx).",
        "The file is not an Excel workbook (.xlsx).",
        "该文件不是 Excel 工作簿（.xlsx）。",
    ),
    "no_schedule": Text(
        "Bảng tính không có biểu phí nào.",
        "The workbook holds no fee schedule.",
        "工作簿中没有收费标准。",
    ),
    "bad_columns": Text(
        "các cột phải là: " + " | ".join(TABLE) + ".",
        "the columns must be: " + " | ".join(TABLE) + ".",
        "列必须为：" + " | ".join(TABLE) + "。",
    ),
    "no_table": Text(
        "thiếu bảng mức thu (dòng tiêu đề bắt đầu bằng vehicle_class).",
        "the rate table is missing (a header row starting with vehicle_class).",
        "缺少费率表（以 vehicle_class 开头的标题行）。",
    ),
    "no_rates": Text(
        "biểu phí không có mức thu nào.", "the schedule has no rate.", "收费标准中没有任何费率。"
    ),
    "duplicate": Text(
        "mức thu {key} đã có ở dòng {first}.",
        "rate {key} is already on row {first}.",
        "费率 {key} 已在第 {first} 行出现。",
    ),
    "class": Text(
        "loại phương tiện «{value}» không tồn tại.",
        "unknown vehicle class «{value}».",
        "车辆类别「{value}」不存在。",
    ),
    "regime": Text(
        "loại hình «{value}» không tồn tại.",
        "unknown goods regime «{value}».",
        "贸易方式「{value}」不存在。",
    ),
    "category": Text(
        "nhóm hàng «{value}» không hợp lệ (được dùng: {allowed}).",
        "goods category «{value}» is not valid (allowed: {allowed}).",
        "货物类别「{value}」无效（允许：{allowed}）。",
    ),
    "amount": Text(
        "mức thu «{value}» phải là số nguyên không âm (VND).",
        "amount «{value}» must be a whole number of VND, not negative.",
        "金额「{value}」必须是非负整数（越南盾）。",
    ),
    "demo": Text(
        "cột demo «{value}» phải là TRUE/FALSE (hoặc 1/0).",
        "the demo column «{value}» must be TRUE/FALSE (or 1/0).",
        "demo 列「{value}」必须为 TRUE/FALSE（或 1/0）。",
    ),
    "too_long": Text(
        "{what} dài quá {max} ký tự.",
        "{what} is longer than {max} characters.",
        "{what} 超过 {max} 个字符。",
    ),
    "code": Text(
        "mã biểu phí bắt buộc, tối đa 32 ký tự.",
        "the schedule code is required, 32 characters at most.",
        "收费标准代码为必填项，最多 32 个字符。",
    ),
    "legal_basis": Text(
        "căn cứ pháp lý bắt buộc, tối đa 300 ký tự.",
        "the legal basis is required, 300 characters at most.",
        "法律依据为必填项，最多 300 个字符。",
    ),
    "date": Text(
        "{what} phải là ngày (dd/mm/yyyy).",
        "{what} must be a date (dd/mm/yyyy).",
        "{what} 必须是日期（dd/mm/yyyy）。",
    ),
    "backwards": Text(
        "ngày hết hiệu lực trước ngày bắt đầu.",
        "the last day is before the first.",
        "失效日期早于生效日期。",
    ),
    "number": Text(
        "{what} phải là số nguyên không âm.",
        "{what} must be a whole number, not negative.",
        "{what} 必须是非负整数。",
    ),
    "dup_code": Text(
        "mã biểu phí {code} xuất hiện ở nhiều trang.",
        "schedule code {code} is on several sheets.",
        "收费标准代码 {code} 出现在多个工作表中。",
    ),
    "invoiced": Text(
        "biểu phí {code} đã được dùng để lập hóa đơn: không sửa được, hãy nhập thành phiên bản "
        "mới với mã mới.",
        "schedule {code} has invoices already: it cannot change; import it as a new version "
        "with a new code.",
        "收费标准 {code} 已用于开票，不能修改；请以新代码导入为新版本。",
    ),
    "same_start": Text(
        "biểu phí {a} và {b} cùng bắt đầu ngày {day}.",
        "schedules {a} and {b} both start on {day}.",
        "收费标准 {a} 和 {b} 在同一天（{day}）生效。",
    ),
    "overlap": Text(
        "thời gian hiệu lực của {a} và {b} chồng lên nhau: biểu phí trước phải kết thúc trước "
        "khi biểu phí sau bắt đầu (hoặc để trống ngày kết thúc: áp dụng đến khi bị thay thế).",
        "the periods of {a} and {b} overlap: the earlier one must end before the later one "
        "starts (or have no last day: it applies until replaced).",
        "{a} 与 {b} 的有效期重叠：较早的标准须在较晚的标准生效前结束"
        "（或不填失效日期：适用至被替代）。",
    ),
}


# --- Reports --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    heading: str
    kind: str = "text"  # text | money (VND) | count | date


def report_workbook(
    sheets: Sequence[tuple[str, Sequence[Column], Sequence[Sequence[Any]]]],
) -> bytes:
    """A workbook of report tables, one sheet per (title, columns, rows): amounts are numbers in
    VND format, counts plain numbers, days real dates."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    used: set[str] = set()
    formats = {"money": VND_FORMAT, "count": "0", "date": DATE_FORMAT}
    for title, columns, rows in sheets:
        sheet = book.create_sheet(_sheet_title(title, used))
        sheet.append([c.heading for c in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(list(row))
            for cell, column in zip(sheet[sheet.max_row], columns, strict=False):
                if column.kind in formats and cell.value is not None:
                    cell.number_format = formats[column.kind]
        for index, column in enumerate(columns, 1):
            width = 14 if column.kind != "text" else 24
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
    if not book.sheetnames:
        book.create_sheet("-")
    return _save(book)


def period_problem(code: str, start: date, end: date | None) -> Text | None:
    """Why the period of schedule ``code`` clashes with another stored schedule, if it does
    (the same rule as the import's; for the admin's form)."""
    for other in FeeSchedule.objects.exclude(code=code):
        problem = _overlap(code, start, end, other.code, other.effective_from, other.effective_to)
        if problem is not None:
            return problem
    return None
