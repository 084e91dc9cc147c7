"""Fee revenue and daily reconciliation, for leaders and administrators (reads only).

Revenue comes from the invoice items of paid and refunded invoices, counted on the day the
invoice was paid (Vietnam time); a refund is shown separately and subtracted on the day it was
made (``closed_at``), so a past day's figures never change and still match that day's receipts.
The collecting center keeps ``CUAKHAU_FEE_CENTER_SHARE_PERCENT`` (10 %) of the net; the rest goes
to the province budget.

Reconciliation, per day the bank's notices were received: their total equals what they paid on
invoices (the receipts issued for them, whatever the day) plus what is still open (unmatched,
underpaid, or the excess of an overpayment) plus what was sent back; any remainder is shown as a
difference. Receipts issued that day are compared with the day's paid revenue.

Everything is aggregated in the database (GROUP BY); Python only adds up the grouped rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from cuakhau.core.text import Text
from cuakhau.fees.models import Invoice, InvoiceItem, PaymentNotice, Receipt
from cuakhau.fees.rules import Route
from cuakhau.fees.spreadsheets import Column, report_workbook
from cuakhau.gates.capacity import VIETNAM
from cuakhau.gates.models import Gate
from cuakhau.reference.models import GoodsRegime, VehicleClass

MAX_DAYS = 366
OPEN = (
    PaymentNotice.Status.UNMATCHED,
    PaymentNotice.Status.UNDERPAID,
    PaymentNotice.Status.OVERPAID,
)
ROUTE_NAMES = {
    Route.STANDARD.value: Text("Xuất khẩu / thông quan tại cửa khẩu", "Standard", "出口／口岸通关"),
    Route.INLAND.value: Text("Nhập khẩu vào nội địa (130%)", "Inland (130%)", "运往内地（130%）"),
    Route.TRANSSHIPMENT.value: Text(
        "Chỉ sang tải tại bãi (30%)", "Transshipment only (30%)", "仅换装（30%）"
    ),
}


@dataclass(frozen=True, slots=True)
class Line:
    """One row of a revenue table: trips and amounts paid, refunded, and their split."""

    key: Any
    label: Text | str
    trips: int = 0
    gross: int = 0
    refunded_trips: int = 0
    refunded: int = 0
    share_percent: int = 10

    @property
    def net(self) -> int:
        return self.gross - self.refunded

    @property
    def center(self) -> int:
        return self.net * self.share_percent // 100

    @property
    def province(self) -> int:
        return self.net - self.center


@dataclass(frozen=True, slots=True)
class ReconciliationDay:
    day: date
    notices: int = 0  # how many notices were received
    received: int = 0  # their total
    receipted: int = 0  # paid on invoices: the receipts issued for them (any day)
    open: int = 0  # unmatched, underpaid, or the excess of an overpayment
    returned: int = 0  # sent back to the payer
    receipts: int = 0  # receipts issued this day
    receipts_amount: int = 0
    receipts_other_days: int = 0  # of which for notices of other days or with no notice
    revenue: int = 0  # invoices paid this day (the revenue report's gross)

    @property
    def difference(self) -> int:
        """What the day's notices do not account for (zero when they add up)."""
        return self.received - self.receipted - self.open - self.returned

    @property
    def receipts_difference(self) -> int:
        """Receipts issued against invoices paid that day (zero when they agree)."""
        return self.receipts_amount - self.revenue


@dataclass
class FeeReport:
    start: date
    end: date  # inclusive
    share_percent: int
    total: Line
    daily: list[Line]
    monthly: list[Line]
    by_gate: list[Line]
    by_class: list[Line]
    by_regime: list[Line]
    by_route: list[Line]
    reconciliation: list[ReconciliationDay]
    reconciliation_total: ReconciliationDay
    groupings: list[tuple[str, Text, list[Line]]] = field(default_factory=list)


def fee_report(start: date, end: date, gate_ids: Collection[int] | None = None) -> FeeReport:
    """The report for the days ``start``…``end`` (inclusive, Vietnam time), limited to
    ``gate_ids`` unless it is None (administrators)."""
    if end < start:
        start, end = end, start
    start = max(start, end - timedelta(days=MAX_DAYS - 1))  # the latest year at most
    percent = int(getattr(settings, "CUAKHAU_FEE_CENTER_SHARE_PERCENT", 10))
    lo = datetime.combine(start, time.min, tzinfo=VIETNAM)
    hi = datetime.combine(end + timedelta(days=1), time.min, tzinfo=VIETNAM)
    items = InvoiceItem.objects.filter(
        invoice__status__in=(Invoice.Status.PAID, Invoice.Status.REFUNDED)
    )
    if gate_ids is not None:
        items = items.filter(invoice__gate_id__in=list(gate_ids))
    paid = Q(invoice__paid_at__gte=lo, invoice__paid_at__lt=hi)
    refund = Q(
        invoice__status=Invoice.Status.REFUNDED,
        invoice__closed_at__gte=lo,
        invoice__closed_at__lt=hi,
    )

    def grouped(*keys: str) -> list[dict[str, Any]]:
        return list(
            items.filter(paid | refund)
            .values(*keys)
            .annotate(
                trips=Count("pk", filter=paid),
                gross=Sum("amount_vnd", filter=paid),
                refunded_trips=Count("pk", filter=refund),
                refunded=Sum("amount_vnd", filter=refund),
            )
            .order_by(*keys)
        )

    def line(key: Any, label: Text | str, row: dict[str, Any]) -> Line:
        return Line(
            key,
            label,
            row["trips"] or 0,
            row["gross"] or 0,
            row["refunded_trips"] or 0,
            row["refunded"] or 0,
            percent,
        )

    gates = grouped("invoice__gate_id")
    gate_names = {
        g.pk: Text(
            f"{g.code} — {g.names.vi}", f"{g.code} — {g.names.en}", f"{g.code} — {g.names.zh}"
        )
        for g in Gate.objects.filter(pk__in=[r["invoice__gate_id"] for r in gates])
    }
    by_gate = [
        line(r["invoice__gate_id"], gate_names.get(r["invoice__gate_id"], "?"), r) for r in gates
    ]
    classes = {c.code: c for c in VehicleClass.objects.all()}
    by_class = sorted(
        (
            line(
                r["vehicle_class"],
                _coded(r["vehicle_class"], classes.get(r["vehicle_class"])),
                r,
            )
            for r in grouped("vehicle_class")
        ),
        key=lambda x: (getattr(classes.get(x.key), "position", 999), x.key),
    )
    regimes = {g.code: g for g in GoodsRegime.objects.all()}
    by_regime = sorted(
        (
            line(r["regime"], _coded(r["regime"], regimes.get(r["regime"])), r)
            for r in grouped("regime")
        ),
        key=lambda x: (getattr(regimes.get(x.key), "position", 999), x.key),
    )
    by_route = [
        line(r["route"], ROUTE_NAMES.get(r["route"], r["route"]), r) for r in grouped("route")
    ]
    total = _sum(by_gate, "total", Text("Tổng cộng", "Total", "合计"), percent)

    paid_days = _by_day(items.filter(paid), "invoice__paid_at")
    refund_days = _by_day(items.filter(refund), "invoice__closed_at")
    daily = []
    for day in _days(start, end):
        p, r = paid_days.get(day, {}), refund_days.get(day, {})
        daily.append(
            Line(
                day,
                f"{day:%d/%m/%Y}",
                p.get("trips", 0),
                p.get("amount", 0),
                r.get("trips", 0),
                r.get("amount", 0),
                percent,
            )
        )
    months: dict[date, list[Line]] = defaultdict(list)
    for entry in daily:
        months[entry.key.replace(day=1)].append(entry)
    monthly = [_sum(rows, month, f"{month:%m/%Y}", percent) for month, rows in months.items()]

    reconciliation = _reconciliation(start, end, lo, hi, gate_ids, paid_days)
    report = FeeReport(
        start=start,
        end=end,
        share_percent=percent,
        total=total,
        daily=daily,
        monthly=monthly,
        by_gate=by_gate,
        by_class=by_class,
        by_regime=by_regime,
        by_route=by_route,
        reconciliation=reconciliation,
        reconciliation_total=_reconciliation_sum(end, reconciliation),
    )
    report.groupings = [
        ("day", Text("Theo ngày", "By day", "按日"), daily),
        ("month", Text("Theo tháng", "By month", "按月"), monthly),
        ("gate", Text("Theo cửa khẩu", "By border gate", "按口岸"), by_gate),
        ("class", Text("Theo loại phương tiện", "By vehicle class", "按车辆类别"), by_class),
        ("regime", Text("Theo loại hình", "By goods regime", "按贸易方式"), by_regime),
        ("route", Text("Theo tuyến", "By route", "按路线"), by_route),
    ]
    return report


def _coded(code: str, row: Any) -> Text | str:
    if row is None:
        return code
    names: Text = row.names
    return Text(f"{code} — {names.vi}", f"{code} — {names.en}", f"{code} — {names.zh}")


def _sum(rows: Iterable[Line], key: Any, label: Text | str, percent: int) -> Line:
    rows = list(rows)
    return Line(
        key,
        label,
        sum(r.trips for r in rows),
        sum(r.gross for r in rows),
        sum(r.refunded_trips for r in rows),
        sum(r.refunded for r in rows),
        percent,
    )


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _by_day(rows: QuerySet[Any], moment: str) -> dict[date, dict[str, int]]:
    found = (
        rows.annotate(day=TruncDate(moment, tzinfo=VIETNAM))
        .values("day")
        .annotate(trips=Count("pk"), amount=Sum("amount_vnd"))
        .order_by("day")
    )
    return {r["day"]: {"trips": r["trips"], "amount": r["amount"] or 0} for r in found}


def _reconciliation(
    start: date,
    end: date,
    lo: datetime,
    hi: datetime,
    gate_ids: Collection[int] | None,
    paid_days: dict[date, dict[str, int]],
) -> list[ReconciliationDay]:
    notices = PaymentNotice.objects.filter(received_at__gte=lo, received_at__lt=hi)
    receipts = Receipt.objects.filter(
        Q(issued_at__gte=lo, issued_at__lt=hi)
        | Q(notice__received_at__gte=lo, notice__received_at__lt=hi)
    )
    if gate_ids is not None:
        # Notices that match no invoice carry no gate: every gate's staff sees them.
        gates = list(gate_ids)
        notices = notices.filter(Q(invoice__isnull=True) | Q(invoice__gate_id__in=gates))
        receipts = receipts.filter(invoice__gate_id__in=gates)
    by_status = (
        notices.annotate(day=TruncDate("received_at", tzinfo=VIETNAM))
        .values("day", "status")
        .annotate(n=Count("pk"), amount=Sum("amount_vnd"))
        .order_by("day", "status")
    )
    by_days = (
        receipts.annotate(
            issue_day=TruncDate("issued_at", tzinfo=VIETNAM),
            notice_day=TruncDate("notice__received_at", tzinfo=VIETNAM),
            notice_status=F("notice__status"),
        )
        .values("issue_day", "notice_day", "notice_status")
        .annotate(n=Count("pk"), amount=Sum("amount_vnd"))
        .order_by("issue_day", "notice_day", "notice_status")
    )
    days: dict[date, dict[str, int]] = {d: defaultdict(int) for d in _days(start, end)}
    for row in by_status:
        day = days.get(row["day"])
        if day is None:
            continue
        day["notices"] += row["n"]
        day["received"] += row["amount"] or 0
        if row["status"] in OPEN:
            day["open"] += row["amount"] or 0
        elif row["status"] == PaymentNotice.Status.REFUNDED:
            day["returned"] += row["amount"] or 0
    for row in by_days:
        amount = row["amount"] or 0
        noticed = days.get(row["notice_day"]) if row["notice_day"] else None
        if noticed is not None:
            noticed["receipted"] += amount
            # Receipts of open or refunded notices: the rest of the notice is the open or
            # returned part (the excess of an overpayment).
            if row["notice_status"] in OPEN:
                noticed["open"] -= amount
            elif row["notice_status"] == PaymentNotice.Status.REFUNDED:
                noticed["returned"] -= amount
        issued = days.get(row["issue_day"])
        if issued is not None:
            issued["receipts"] += row["n"]
            issued["receipts_amount"] += amount
            if row["notice_day"] != row["issue_day"]:
                issued["receipts_other_days"] += amount
    return [
        ReconciliationDay(day, revenue=paid_days.get(day, {}).get("amount", 0), **values)
        for day, values in days.items()
    ]


def _reconciliation_sum(end: date, days: list[ReconciliationDay]) -> ReconciliationDay:
    names = [
        "notices",
        "received",
        "receipted",
        "open",
        "returned",
        "receipts",
        "receipts_amount",
        "receipts_other_days",
        "revenue",
    ]
    return ReconciliationDay(end, **{n: sum(getattr(d, n) for d in days) for n in names})


COLUMNS = {
    "key": Text("Nhóm", "Group", "分组"),
    "trips": Text("Số chuyến", "Trips", "车次"),
    "gross": Text("Đã thu (VND)", "Collected (VND)", "已收（越南盾）"),
    "refunded_trips": Text("Chuyến hoàn phí", "Refunded trips", "退费车次"),
    "refunded": Text("Đã hoàn (VND)", "Refunded (VND)", "已退（越南盾）"),
    "net": Text("Thực thu (VND)", "Net (VND)", "净收（越南盾）"),
    "center": Text("Trung tâm giữ lại ({p}%)", "Center's share ({p}%)", "中心留成（{p}%）"),
    "province": Text("Nộp ngân sách tỉnh", "Province budget", "上缴省预算"),
}
RECONCILIATION_COLUMNS = {
    "day": Text("Ngày", "Day", "日期"),
    "notices": Text("Số báo có", "Notices", "到账通知数"),
    "received": Text("Tiền báo có", "Received", "到账金额"),
    "receipted": Text("Đã khớp (biên lai)", "Matched (receipts)", "已匹配（收据）"),
    "open": Text("Chờ xử lý", "Open", "待处理"),
    "returned": Text("Đã trả lại", "Returned", "已退回"),
    "difference": Text("Chênh lệch", "Difference", "差额"),
    "receipts": Text("Số biên lai trong ngày", "Receipts issued", "当日收据数"),
    "receipts_amount": Text("Tiền biên lai trong ngày", "Receipts total", "当日收据金额"),
    "receipts_other_days": Text(
        "…của báo có ngày khác", "…for notices of other days", "…其他日期的到账"
    ),
    "revenue": Text("Hóa đơn đã thu trong ngày", "Invoices paid that day", "当日已付发票"),
    "receipts_difference": Text("Chênh lệch biên lai", "Receipts difference", "收据差额"),
}


def workbook(report: FeeReport, language: str = "vi") -> bytes:
    """The report as an Excel workbook: one sheet per grouping, then the reconciliation."""

    def say(text: Text | str) -> str:
        return text.get(language) if isinstance(text, Text) else text

    p = report.share_percent
    kinds = ["count", "money", "count", "money", "money", "money", "money"]
    sheets: list[tuple[str, list[Column], list[list[Any]]]] = []
    for key, title, lines in report.groupings:
        first = (
            Column(say(RECONCILIATION_COLUMNS["day"]), "date")
            if key == "day"
            else Column(say(COLUMNS["key"]))
        )
        columns = [first] + [
            Column(say(COLUMNS[name].format(p=p)), kind)
            for name, kind in zip(list(COLUMNS)[1:], kinds, strict=True)
        ]
        rows: list[list[Any]] = [
            [line.key if key == "day" else say(line.label), *_numbers(line)] for line in lines
        ]
        rows.append([say(report.total.label), *_numbers(report.total)])
        sheets.append((say(title), columns, rows))
    recon_kinds = {"day": "date", "notices": "count", "receipts": "count"}
    recon_columns = [
        Column(say(text), recon_kinds.get(name, "money"))
        for name, text in RECONCILIATION_COLUMNS.items()
    ]
    recon_rows = [
        [getattr(day, name) for name in RECONCILIATION_COLUMNS]
        for day in [*report.reconciliation, report.reconciliation_total]
    ]
    recon_rows[-1][0] = say(report.total.label)
    sheets.append((say(Text("Đối soát", "Reconciliation", "对账")), recon_columns, recon_rows))
    return report_workbook(sheets)


def _numbers(line: Line) -> list[int]:
    return [
        line.trips,
        line.gross,
        line.refunded_trips,
        line.refunded,
        line.net,
        line.center,
        line.province,
    ]
