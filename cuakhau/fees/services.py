"""Writes on fees: invoices with their VietQR, the banks' payment notices, receipts, voids,
refunds and the operators' reconciliation. Each public function is one transaction and records
who, when and why (``InvoiceEvent``).

Receipt numbers come from a per-year counter row taken under a lock, so concurrent payments get
consecutive numbers with no gap and no duplicate; the receipt is written in the same
transaction as the payment it records.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cuakhau.accounts.models import User
from cuakhau.accounts.permissions import require_enterprise, require_gate, require_role
from cuakhau.accounts.roles import Role
from cuakhau.core.actors import Actor
from cuakhau.core.api import pydantic_field_errors
from cuakhau.core.errors import Conflict, FieldError, NotAllowed, NotFound, invalid
from cuakhau.core.models import audit_values
from cuakhau.core.schemas import CleanStr, IsoDateTime
from cuakhau.core.text import Text
from cuakhau.declarations.lifecycle import EXPORT, TripState
from cuakhau.declarations.models import GoodsLine, Trip
from cuakhau.declarations.selectors import declaration_for, trip_for
from cuakhau.fees import rules
from cuakhau.fees.models import (
    BankAccount,
    FeeSchedule,
    Invoice,
    InvoiceEvent,
    InvoiceItem,
    PaymentNotice,
    Receipt,
    ReceiptCounter,
)
from cuakhau.fees.vietqr import VietQR
from cuakhau.gates import capacity as plan
from cuakhau.notifications import signing

RECONCILING_ROLES = frozenset({Role.GATE_OPERATOR})
INVOICE_CODE = re.compile(r"HD\d{8}")
NOT_INVOICEABLE = frozenset({TripState.DRAFT, TripState.CANCELLED, TripState.REFUSED})

M = {
    "nothing": Text(
        "Không còn chuyến nào cần lập hóa đơn.",
        "No trip is left to invoice.",
        "没有需要开票的车次。",
    ),
    "state": Text(
        "Chuyến {code} đang «{state}»: không lập hóa đơn.",
        "Trip {code} is «{state}»: it cannot be invoiced.",
        "车次 {code} 当前为「{state}」：不能开票。",
    ),
    "invoiced": Text(
        "Chuyến {code} đã có hóa đơn {invoice}.",
        "Trip {code} already has invoice {invoice}.",
        "车次 {code} 已有发票 {invoice}。",
    ),
    "no_bank": Text(
        "Chưa cấu hình tài khoản thu phí.",
        "No collecting account is set up.",
        "尚未配置收费账户。",
    ),
    "invoice_none": Text(
        "Không tìm thấy hóa đơn {code}.", "Invoice {code} not found.", "未找到发票 {code}。"
    ),
    "notice_none": Text("Không tìm thấy báo có.", "Payment notice not found.", "未找到到账通知。"),
    "bank_unknown": Text("Ngân hàng không được nhận diện.", "Unknown bank.", "无法识别的银行。"),
    "signature": Text(
        "Chữ ký báo có không hợp lệ hoặc đã quá hạn.",
        "The notice's signature is invalid or too old.",
        "通知签名无效或已过期。",
    ),
    "reference_reused": Text(
        "Mã giao dịch {reference} đã được báo với nội dung khác.",
        "Reference {reference} was already notified with different content.",
        "交易编号 {reference} 已以不同内容通知过。",
    ),
    "not_unpaid": Text(
        "Hóa đơn {code} đang «{status}».",
        "Invoice {code} is «{status}».",
        "发票 {code} 当前为「{status}」。",
    ),
    "short": Text(
        "Số tiền báo có ({paid}) ít hơn hóa đơn ({due}).",
        "The amount paid ({paid}) is less than the invoice ({due}).",
        "到账金额（{paid}）少于发票金额（{due}）。",
    ),
    "resolved": Text(
        "Báo có này đã được xử lý.",
        "This payment notice has already been dealt with.",
        "该到账通知已处理。",
    ),
    "reason": Text("Phải ghi rõ lý do.", "A reason is required.", "必须填写原因。"),
    "json": Text(
        "Nội dung báo có không phải JSON hợp lệ.",
        "The notice is not valid JSON.",
        "通知内容不是有效的 JSON。",
    ),
    "unpaid_call": Text(
        "Chuyến {code} chưa nộp phí hạ tầng: cửa khẩu này yêu cầu nộp trước khi gọi xe.",
        "Trip {code} has not paid the infrastructure fee: this gate requires it before call-up.",
        "车次 {code} 尚未缴纳基础设施费：本口岸要求叫号前缴费。",
    ),
    "unpaid_departure": Text(
        "Chuyến {code} chưa nộp phí hạ tầng: cửa khẩu này yêu cầu nộp trước khi rời đi.",
        "Trip {code} has not paid the infrastructure fee: this gate requires it before departure.",
        "车次 {code} 尚未缴纳基础设施费：本口岸要求离开前缴费。",
    ),
}


# --- Quotes ---------------------------------------------------------------------------------


def schedules() -> list[rules.Schedule]:
    """Every fee schedule with its rates, as the pure rules read them (two queries)."""
    found = list(FeeSchedule.objects.prefetch_related("rates__vehicle_class", "rates__regime"))
    return [
        rules.Schedule(
            code=s.code,
            legal_basis=s.legal_basis,
            effective_from=s.effective_from,
            effective_to=s.effective_to,
            rates=tuple(
                rules.Rate(
                    r.vehicle_class.code,
                    r.regime.code,
                    rules.GoodsCategory(r.category),
                    r.amount_vnd,
                    r.is_demo,
                )
                for r in s.rates.all()
            ),
            inland_import_percent=s.inland_import_percent,
            transshipment_percent=s.transshipment_percent,
            ore_export_factor=s.ore_export_factor,
            maximum=s.maximum_vnd,
        )
        for s in found
    ]


def trip_facts(trip: Trip) -> rules.TripFacts:
    declaration = trip.declaration
    hs_codes = GoodsLine.objects.filter(
        customs_declaration__declaration_id=declaration.pk
    ).values_list("hs_code", flat=True)
    when = trip.checked_in_at or declaration.planned_arrival
    if declaration.direction == EXPORT:
        route = rules.Route.STANDARD
    elif trip.transshipped_at is not None:
        route = rules.Route.TRANSSHIPMENT
    else:
        route = rules.Route.INLAND
    return rules.TripFacts(
        on=when.astimezone(plan.VIETNAM).date(),
        direction=declaration.direction,
        regime=declaration.regime.code,
        regime_name=declaration.regime.names,
        vehicle_class=trip.vehicle_class.code,
        container_sizes=tuple(trip.containers.values_list("size_ft", flat=True)),
        categories=rules.categories_of(hs_codes, perishable=declaration.perishable),
        route=route,
    )


def fee_quote(trip: Trip) -> rules.Fee:
    return rules.calculate(trip_facts(trip), schedules())


# --- Invoices -------------------------------------------------------------------------------


def invoice_create(
    *, actor: Actor, trip_codes: Sequence[str] = (), declaration_id: int | None = None
) -> Invoice:
    """An invoice for the given trips, or for every trip of the declaration that still needs
    one; all trips of one declaration (one gate, one fee payer)."""
    user = _user(actor)
    require_enterprise(user)
    with transaction.atomic(durable=True):
        if declaration_id is not None:
            declaration = declaration_for(user, declaration_id)
            trips = [
                t
                for t in declaration.trips.select_related("declaration").order_by("position")
                if t.state not in NOT_INVOICEABLE and not _live_item(t)
            ]
            if not trips:
                raise Conflict("nothing_to_invoice", M["nothing"])
        else:
            trips = [trip_for(user, code) for code in trip_codes]
            if not trips:
                raise invalid([FieldError("trips", "required", M["nothing"])])
            if len({t.declaration_id for t in trips}) != 1:
                raise invalid(
                    [
                        FieldError(
                            "trips",
                            "several_declarations",
                            Text(
                                "Các chuyến phải thuộc cùng một tờ khai.",
                                "The trips must belong to one declaration.",
                                "车次须属于同一申报。",
                            ),
                        )
                    ]
                )
        now = timezone.now()
        locked = list(
            Trip.objects.select_for_update(of=("self",))
            .select_related("declaration", "declaration__regime", "vehicle_class")
            .filter(pk__in=[t.pk for t in trips])
            .order_by("pk")
        )
        for trip in locked:
            _require_invoiceable(trip)
        all_schedules = schedules()
        # The facts once per trip (they read its goods and containers): for the fee and the item.
        facts = {trip.pk: trip_facts(trip) for trip in locked}
        fees = [(trip, rules.calculate(facts[trip.pk], all_schedules)) for trip in locked]
        bank = BankAccount.objects.filter(is_active=True).order_by("code").first()
        if bank is None:
            raise Conflict("no_collecting_account", M["no_bank"])
        declaration = locked[0].declaration
        total = sum(fee.amount for _, fee in fees)
        invoice = _insert_invoice(
            lambda code: Invoice.objects.create(
                code=code,
                enterprise_id=declaration.enterprise_id,
                declaration=declaration,
                gate_id=declaration.gate_id,
                payer_name=declaration.fee_payer_name,
                payer_tax_code=declaration.fee_payer_tax_code,
                amount_vnd=total,
                schedule_code=fees[0][1].schedule,
                legal_basis=fees[0][1].legal_basis,
                bank_account=bank,
                qr_payload=VietQR(bank.bank_bin, bank.account_number, total, code).payload(),
                created_at=now,
                created_by=user,
            )
        )
        InvoiceItem.objects.bulk_create(
            InvoiceItem(
                invoice=invoice,
                trip=trip,
                amount_vnd=fee.amount,
                vehicle_class=fee.vehicle_class,
                regime=declaration.regime.code,
                route=facts[trip.pk].route.value,
                categories=[c.value for c in fee.categories],
                lines=[
                    {
                        "vi": line.text.vi,
                        "en": line.text.en,
                        "zh": line.text.zh,
                        "amount": line.amount,
                    }
                    for line in fee.lines
                ],
                demo_rate=fee.demo,
            )
            for trip, fee in fees
        )
        _event(invoice, None, "create", actor, now, data={"trips": [t.code for t in locked]})
    return invoice


def _require_invoiceable(trip: Trip) -> None:
    from cuakhau.declarations.lifecycle import STATE_NAMES

    if trip.state in NOT_INVOICEABLE:
        raise Conflict(
            "trip_not_invoiceable",
            M["state"].format(code=trip.code, state=STATE_NAMES[TripState(trip.state)]),
        )
    item = _live_item(trip)
    if item is not None:
        raise Conflict(
            "trip_invoiced", M["invoiced"].format(code=trip.code, invoice=item.invoice.code)
        )


def _live_item(trip: Trip) -> InvoiceItem | None:
    return InvoiceItem.objects.select_related("invoice").filter(trip_id=trip.pk, live=True).first()


def _insert_invoice(create: Any) -> Invoice:
    """Invoice codes are HD + year + 6 random digits: short enough for any bank's transfer
    description, unguessable enough not to be typed by mistake."""
    year = timezone.localdate().strftime("%y")
    for _ in range(8):
        code = f"HD{year}{secrets.randbelow(10**6):06d}"
        try:
            with transaction.atomic():
                invoice: Invoice = create(code)
                return invoice
        except IntegrityError:
            continue
    raise RuntimeError("could not draw a free invoice code")


def invoices_void_for(trip: Trip, now: datetime, actor: Actor, reason: str) -> None:
    """Cancelling a trip voids its unpaid invoice (the invoice's other trips can be invoiced
    again); a paid one stays for a refund decision."""
    for invoice in Invoice.objects.select_for_update().filter(
        items__trip_id=trip.pk, status=Invoice.Status.UNPAID
    ):
        Invoice.objects.filter(pk=invoice.pk).update(
            status=Invoice.Status.VOID, closed_at=now, close_reason=reason[:500]
        )
        InvoiceItem.objects.filter(invoice=invoice).update(live=False)
        _event(invoice, None, "void", actor, now, reason=reason)


# --- Bank notices ---------------------------------------------------------------------------


NoticeText = Annotated[CleanStr, Field(max_length=300)]


class NoticeIn(BaseModel):
    """A bank's payment notice, as the bank posts it (JSON, signed). Fields the platform does
    not know are ignored; what it keeps is validated like any input (no control characters)."""

    model_config = ConfigDict(extra="ignore")

    reference: Annotated[CleanStr, Field(min_length=1, max_length=64)]
    amount: Annotated[int, Field(strict=True, gt=0, le=10**13)]
    description: NoticeText
    transferred_at: IsoDateTime
    payer_account: Annotated[CleanStr, Field(max_length=40)] = ""
    payer_name: Annotated[CleanStr, Field(max_length=200)] = ""


@dataclass(frozen=True, slots=True)
class NoticeResult:
    notice: PaymentNotice
    repeated: bool


def bank_notice_receive(
    *, bank_code: str, body: bytes, signature: str, now: datetime | None = None
) -> NoticeResult:
    """Take a bank's payment notice: verify its signature, store it once (the same reference
    again is answered as before, paying nothing twice), match it to an invoice by the code in
    its description and its amount, and issue the receipt; anything else waits for operators."""
    now = now or timezone.now()
    bank = BankAccount.objects.filter(code=bank_code.upper()[:16], is_active=True).first()
    if bank is None:
        raise NotFound("bank_unknown", M["bank_unknown"])
    tolerance = settings.CUAKHAU_BANK_NOTICE_TOLERANCE_SECONDS
    if not signing.verify(bank.notice_secret, body, signature, now.timestamp(), tolerance):
        raise NotAllowed("bad_signature", M["signature"])
    try:
        document = json.loads(body)
    except ValueError:
        raise invalid([FieldError("body", "json_invalid", M["json"])]) from None
    try:
        data = NoticeIn.model_validate(document)
    except ValidationError as error:
        raise invalid(pydantic_field_errors(list(error.errors()))) from None

    with transaction.atomic(durable=True):
        existing = (
            PaymentNotice.objects.select_for_update()
            .filter(bank_account=bank, reference=data.reference)
            .first()
        )
        if existing is not None:
            if existing.amount_vnd != data.amount or existing.description != data.description:
                raise Conflict(
                    "reference_reused", M["reference_reused"].format(reference=data.reference)
                )
            return NoticeResult(existing, repeated=True)
        notice = PaymentNotice.objects.create(
            bank_account=bank,
            reference=data.reference,
            amount_vnd=data.amount,
            description=data.description,
            payer_account=data.payer_account,
            payer_name=data.payer_name,
            transferred_at=data.transferred_at,
            received_at=now,
            raw=data.model_dump(mode="json"),
            status=PaymentNotice.Status.UNMATCHED,
        )
        _match(notice, now)
    return NoticeResult(notice, repeated=False)


def _match(notice: PaymentNotice, now: datetime) -> None:
    bank_actor = Actor.system(f"bank:{notice.bank_account.code}")
    found = INVOICE_CODE.search(re.sub(r"\s+", "", notice.description.upper()))
    invoice = (
        Invoice.objects.select_for_update().filter(code=found.group(0)).first() if found else None
    )
    status = PaymentNotice.Status.UNMATCHED
    if invoice is not None and invoice.status == Invoice.Status.UNPAID:
        if notice.amount_vnd == invoice.amount_vnd:
            status = PaymentNotice.Status.MATCHED
        elif notice.amount_vnd > invoice.amount_vnd:
            status = PaymentNotice.Status.OVERPAID  # paid; the excess waits for a refund
        else:
            status = PaymentNotice.Status.UNDERPAID
        if status != PaymentNotice.Status.UNDERPAID:
            _pay(invoice, notice, now, bank_actor)
    notice.status = status
    notice.invoice = invoice
    notice.save(update_fields=["status", "invoice"])
    _event(invoice, notice, f"notice_{status}", bank_actor, now, data={"amount": notice.amount_vnd})


def _pay(invoice: Invoice, notice: PaymentNotice | None, now: datetime, actor: Actor) -> Receipt:
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID, paid_at=now)
    invoice.status, invoice.paid_at = Invoice.Status.PAID, now
    receipt = receipt_issue(invoice, notice, now)
    _event(invoice, notice, "paid", actor, now, data={"receipt": receipt.number})
    return receipt


def receipt_issue(invoice: Invoice, notice: PaymentNotice | None, now: datetime) -> Receipt:
    """The next number of the year's series, under the counter row's lock (inside the caller's
    transaction): concurrent payments queue here and never share or skip a number."""
    year = now.astimezone(plan.VIETNAM).year
    ReceiptCounter.objects.get_or_create(year=year)
    counter = ReceiptCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return Receipt.objects.create(
        number=f"{year}/{counter.last:06d}",
        year=year,
        sequence=counter.last,
        invoice=invoice,
        notice=notice,
        amount_vnd=invoice.amount_vnd,
        issued_at=now,
        verify_token=secrets.token_urlsafe(16)[:22],
    )


# --- Receipt files --------------------------------------------------------------------------


def receipt_pdf(receipt: Receipt, verify_url: str) -> bytes:
    """The receipt's PDF, rendered once and kept (a conditional update keeps the first)."""
    if receipt.pdf:
        return bytes(receipt.pdf)
    from cuakhau.fees.receipt_pdf import ReceiptData, ReceiptLine, render_receipt_pdf

    invoice = receipt.invoice
    items = list(invoice.items.select_related("trip").order_by("pk"))
    notice = receipt.notice
    paid_via = (
        f"VietQR — {invoice.bank_account.bank_name} {invoice.bank_account.bank_bin}, "
        f"ref {notice.reference}"
        if notice
        else "VietQR"
    )
    data = ReceiptData(
        number=receipt.number,
        issued_at=receipt.issued_at,
        invoice_code=invoice.code,
        trip_code=", ".join(item.trip.code for item in items),
        tractor_plate=", ".join(item.trip.tractor_plate for item in items),
        trailer_plate=", ".join(
            item.trip.trailer_plate for item in items if item.trip.trailer_plate
        ),
        gate_name=invoice.gate.names,
        payer_name=invoice.payer_name,
        payer_tax_code=invoice.payer_tax_code,
        enterprise_name=invoice.enterprise.name,
        lines=[
            ReceiptLine(
                Text(item.lines[0]["vi"], item.lines[0]["en"], item.lines[0]["zh"])
                if len(items) == 1
                else Text(
                    f"{item.trip.code}: {item.lines[0]['vi']}",
                    f"{item.trip.code}: {item.lines[0]['en']}",
                    f"{item.trip.code}：{item.lines[0]['zh']}",
                ),
                item.amount_vnd,
            )
            for item in items
        ],
        total_vnd=sum(item.amount_vnd for item in items),
        paid_via=paid_via,
        legal_basis=invoice.legal_basis,
        collector=COLLECTOR,
        verify_url=verify_url,
    )
    content = render_receipt_pdf(data)
    Receipt.objects.filter(pk=receipt.pk, pdf__isnull=True).update(pdf=content)
    return bytes(Receipt.objects.values_list("pdf", flat=True).get(pk=receipt.pk))


COLLECTOR = Text(
    "Trung tâm Quản lý cửa khẩu tỉnh Lạng Sơn",
    "Lang Son Border Gate Management Center",
    "谅山省口岸管理中心",
)


# --- Reconciliation -------------------------------------------------------------------------


def notice_match(*, actor: Actor, notice_id: int, invoice_code: str, reason: str) -> PaymentNotice:
    """An operator pays an invoice with a notice the bank's text did not match (a typo in the
    description, a payment split off): the amount must cover the invoice."""
    user = _operator(actor)
    reason = _reason(reason)
    with transaction.atomic(durable=True):
        notice = _lock_open_notice(notice_id)
        code = invoice_code_or_none(invoice_code)
        invoice = Invoice.objects.select_for_update().filter(code=code).first() if code else None
        if invoice is None:
            raise invalid(
                [
                    FieldError(
                        "invoice",
                        "invoice_not_found",
                        M["invoice_none"].format(code=invoice_code[:20]),
                    )
                ]
            )
        require_gate(user, invoice.gate_id)
        if invoice.status != Invoice.Status.UNPAID:
            raise Conflict(
                "invoice_not_unpaid",
                M["not_unpaid"].format(code=invoice.code, status=invoice.get_status_display()),
            )
        if notice.amount_vnd < invoice.amount_vnd:
            raise Conflict(
                "notice_short",
                M["short"].format(
                    paid=rules.vnd(notice.amount_vnd), due=rules.vnd(invoice.amount_vnd)
                ),
            )
        now = timezone.now()
        _pay(invoice, notice, now, actor)
        _close_notice(notice, PaymentNotice.Status.RESOLVED, user, now, reason, invoice)
        _event(invoice, notice, "match_by_hand", actor, now, reason=reason)
    return notice


def notice_refund(*, actor: Actor, notice_id: int, reason: str) -> PaymentNotice:
    """An operator records that the money of a notice (unmatched, short, or the excess of an
    overpayment) is sent back to the payer."""
    user = _operator(actor)
    reason = _reason(reason)
    with transaction.atomic(durable=True):
        notice = _lock_open_notice(notice_id)
        now = timezone.now()
        _close_notice(notice, PaymentNotice.Status.REFUNDED, user, now, reason, notice.invoice)
        _event(notice.invoice, notice, "notice_refund", actor, now, reason=reason)
    return notice


def invoice_refund(*, actor: Actor, invoice_code: str, reason: str) -> Invoice:
    """A paid invoice is refunded (the trip did not cross): its receipt stays in the series."""
    user = _operator(actor)
    reason = _reason(reason)
    with transaction.atomic(durable=True):
        code = invoice_code_or_none(invoice_code)
        invoice = Invoice.objects.select_for_update().filter(code=code).first() if code else None
        if invoice is None:
            raise NotFound("invoice_not_found", M["invoice_none"].format(code=invoice_code[:20]))
        require_gate(user, invoice.gate_id)
        if invoice.status != Invoice.Status.PAID:
            raise Conflict(
                "invoice_not_paid",
                M["not_unpaid"].format(code=invoice.code, status=invoice.get_status_display()),
            )
        now = timezone.now()
        Invoice.objects.filter(pk=invoice.pk).update(
            status=Invoice.Status.REFUNDED, closed_at=now, close_reason=reason[:500]
        )
        InvoiceItem.objects.filter(invoice=invoice).update(live=False)
        invoice.status = Invoice.Status.REFUNDED
        _event(invoice, None, "refund", actor, now, reason=reason)
    return invoice


def invoice_code_or_none(code: str) -> str | None:
    """The invoice code in canonical form, or None when it cannot be one (so that nothing
    odd reaches a query)."""
    code = code.strip().upper()
    return code if INVOICE_CODE.fullmatch(code) else None


def _lock_open_notice(notice_id: int) -> PaymentNotice:
    notice = (
        PaymentNotice.objects.select_for_update(of=("self",))
        .select_related("invoice", "bank_account")
        .filter(pk=notice_id)
        .first()
    )
    if notice is None:
        raise NotFound("notice_not_found", M["notice_none"])
    if notice.status in (
        PaymentNotice.Status.MATCHED,
        PaymentNotice.Status.RESOLVED,
        PaymentNotice.Status.REFUNDED,
    ):
        raise Conflict("notice_resolved", M["resolved"])
    return notice


def _close_notice(
    notice: PaymentNotice,
    status: str,
    user: User,
    now: datetime,
    reason: str,
    invoice: Invoice | None,
) -> None:
    notice.status = status
    notice.resolved_by = user
    notice.resolved_at = now
    notice.resolution = reason[:500]
    notice.invoice = invoice
    notice.save(update_fields=["status", "resolved_by", "resolved_at", "resolution", "invoice"])


# --- Rules with the queue -------------------------------------------------------------------


def paid_trips() -> Any:
    """An ``Exists`` that is true for trips whose fee is paid (for querysets of trips)."""
    return Exists(
        InvoiceItem.objects.filter(
            trip_id=OuterRef("pk"), live=True, invoice__status=Invoice.Status.PAID
        )
    )


def paid_queue_entries() -> Any:
    """The same, for querysets of queue entries."""
    return Exists(
        InvoiceItem.objects.filter(
            trip_id=OuterRef("trip_id"), live=True, invoice__status=Invoice.Status.PAID
        )
    )


def fee_paid(trip_id: int) -> bool:
    return InvoiceItem.objects.filter(
        trip_id=trip_id, live=True, invoice__status=Invoice.Status.PAID
    ).exists()


def require_fee_paid(trip: Trip, step: str) -> None:
    """Refuse a step the trip's gate requires the fee before (``call_up`` or ``departure``)."""
    rule = trip.declaration.gate.fee_due
    due = {"call_up": ("call_up",), "departure": ("call_up", "departure")}.get(step, ())
    if rule in due and not fee_paid(trip.pk):
        raise Conflict(
            "fee_unpaid",
            M[f"unpaid_{'call' if step == 'call_up' else step}"].format(code=trip.code),
        )


# --- Building blocks ------------------------------------------------------------------------


def _user(actor: Actor) -> User:
    if actor.user is None:
        raise TypeError("this action needs a user")
    return actor.user


def _operator(actor: Actor) -> User:
    user = _user(actor)
    require_role(user, RECONCILING_ROLES)
    return user


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise invalid([FieldError("reason", "required", M["reason"])])
    return reason


def _event(
    invoice: Invoice | None,
    notice: PaymentNotice | None,
    action: str,
    actor: Actor,
    now: datetime,
    *,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    InvoiceEvent.objects.create(
        invoice=invoice,
        notice=notice,
        **audit_values(action, actor, now, reason=reason, data=data),
    )
