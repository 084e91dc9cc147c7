"""HTTP API of the infrastructure fee: quotes, invoices with their VietQR, the banks' payment
notices, the operators' reconciliation and the public check of a receipt."""

# No ``from __future__ import annotations``: ninja's @paginate resolves the view's annotations.
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from cuakhau.accounts.auth import AUTH
from cuakhau.core.api import InputSchema, Pagination, Presented, actor_of, responses
from cuakhau.core.errors import FieldError, NotFound, invalid
from cuakhau.core.schemas import DbId, LongStr, ShortStr, TinyStr
from cuakhau.core.text import Text
from cuakhau.declarations.schemas import ReasonIn
from cuakhau.declarations.selectors import trip_for
from cuakhau.fees import selectors, services
from cuakhau.fees.models import Invoice, PaymentNotice, Receipt

router = Router(tags=["fees"], auth=AUTH)
public_router = Router(tags=["public"], auth=None)

RECEIPT_NONE = Text(
    "Không tìm thấy biên lai: biên lai này không do hệ thống phát hành.",
    "Receipt not found: this receipt was not issued by the platform.",
    "未找到收据：该收据并非本平台开具。",
)


class FeeLineOut(Schema):
    text: dict[str, str]
    amount: int | None


class FeeQuoteOut(Schema):
    trip: str
    amount_vnd: int
    vehicle_class: str
    schedule: str
    legal_basis: str
    demo_rate: bool
    lines: list[FeeLineOut]


class InvoiceItemOut(Schema):
    trip: str
    amount_vnd: int
    vehicle_class: str
    route: str
    lines: list[dict[str, Any]]
    demo_rate: bool


class InvoiceOut(Schema):
    code: str
    status: str
    amount_vnd: int
    declaration_code: str
    gate: str
    payer_name: str
    payer_tax_code: str
    schedule: str
    legal_basis: str
    bank_name: str
    bank_bin: str
    account_number: str
    account_name: str
    vietqr: str
    created_at: datetime
    paid_at: datetime | None
    receipt_number: str | None
    items: list[InvoiceItemOut]


class InvoiceIn(InputSchema):
    trips: list[TinyStr] = Field(default_factory=list, max_length=50)
    declaration_id: DbId | None = None


class NoticeOut(Schema):
    id: int
    bank: str
    reference: str
    amount_vnd: int
    description: str
    payer_name: str
    transferred_at: datetime
    received_at: datetime
    status: str
    invoice: str | None
    invoice_amount_vnd: int | None
    resolution: str


class NoticeReply(Schema):
    status: str
    repeated: bool
    invoice: str | None
    receipt: str | None


class MatchIn(InputSchema):
    invoice: ShortStr
    reason: LongStr


class ReceiptCheckOut(Schema):
    number: str
    issued_at: datetime
    amount_vnd: int
    invoice: str
    invoice_status: str
    trips: list[str]
    gate: str


@router.get("/trips/{code}/fee", response=responses({200: FeeQuoteOut}, 409))
def fee_quote(request: HttpRequest, code: str) -> Any:
    """What the trip's infrastructure fee is, and why (rate, multipliers, schedule)."""
    trip = trip_for(request.auth, code)  # type: ignore[arg-type, attr-defined]
    fee = services.fee_quote(trip)
    return {
        "trip": trip.code,
        "amount_vnd": fee.amount,
        "vehicle_class": fee.vehicle_class,
        "schedule": fee.schedule,
        "legal_basis": fee.legal_basis,
        "demo_rate": fee.demo,
        "lines": [
            {"text": {"vi": ln.text.vi, "en": ln.text.en, "zh": ln.text.zh}, "amount": ln.amount}
            for ln in fee.lines
        ],
    }


@router.post("/invoices", response=responses({201: InvoiceOut}, 409))
def invoice_create(request: HttpRequest, payload: InvoiceIn) -> Any:
    """An invoice with a VietQR for some trips of one declaration, or for every trip of a
    declaration not yet invoiced (``declaration_id``)."""
    if not payload.trips and payload.declaration_id is None:
        raise invalid(
            [
                FieldError(
                    "trips",
                    "required",
                    Text(
                        "Chọn chuyến hoặc tờ khai cần lập hóa đơn.",
                        "Name the trips or the declaration to invoice.",
                        "请指定需要开票的车次或申报。",
                    ),
                )
            ]
        )
    invoice = services.invoice_create(
        actor=actor_of(request), trip_codes=payload.trips, declaration_id=payload.declaration_id
    )
    return Status(201, invoice_out(selectors.invoice_for(request.auth, invoice.code)))  # type: ignore[arg-type, attr-defined]


@router.get("/invoices", response=responses({200: list[InvoiceOut]}))
@paginate(Pagination)
def invoice_list(request: HttpRequest, status: ShortStr = "") -> Any:
    """The caller's invoices (an enterprise its own, an operator those of their gates)."""
    invoices = selectors.invoices_for(request.auth)  # type: ignore[arg-type, attr-defined]
    if status:
        invoices = invoices.filter(status=status)
    return Presented(invoices.order_by("-created_at"), lambda rows: [invoice_out(i) for i in rows])


@router.get("/invoices/{code}", response=responses({200: InvoiceOut}))
def invoice_detail(request: HttpRequest, code: str) -> Any:
    return invoice_out(selectors.invoice_for(request.auth, code))  # type: ignore[arg-type, attr-defined]


@router.post("/invoices/{code}/refund", response=responses({200: InvoiceOut}, 409))
def invoice_refund(request: HttpRequest, code: str, payload: ReasonIn) -> Any:
    """A paid invoice is refunded (operators at the gate); its receipt keeps its number."""
    invoice = services.invoice_refund(
        actor=actor_of(request), invoice_code=code, reason=payload.reason
    )
    return invoice_out(selectors.invoice_for(request.auth, invoice.code))  # type: ignore[arg-type, attr-defined]


@router.get("/payments/notices", response=responses({200: list[NoticeOut]}))
@paginate(Pagination)
def reconciliation(request: HttpRequest) -> Any:
    """Payments waiting for an operator: short, over, or matching no invoice."""
    notices = selectors.reconciliation_queue(request.auth)  # type: ignore[arg-type, attr-defined]
    return Presented(notices.order_by("received_at"), lambda rows: [notice_out(n) for n in rows])


@router.post("/payments/notices/{notice_id}/match", response=responses({200: NoticeOut}, 409))
def notice_match(request: HttpRequest, notice_id: DbId, payload: MatchIn) -> Any:
    """Pay an invoice with a notice by hand (its amount must cover the invoice)."""
    _visible_notice(request, notice_id)
    notice = services.notice_match(
        actor=actor_of(request),
        notice_id=notice_id,
        invoice_code=payload.invoice,
        reason=payload.reason,
    )
    return notice_out(notice)


@router.post("/payments/notices/{notice_id}/refund", response=responses({200: NoticeOut}, 409))
def notice_refund(request: HttpRequest, notice_id: DbId, payload: ReasonIn) -> Any:
    """Record that a notice's money goes back to the payer."""
    _visible_notice(request, notice_id)
    notice = services.notice_refund(
        actor=actor_of(request), notice_id=notice_id, reason=payload.reason
    )
    return notice_out(notice)


@public_router.post(
    "/banks/{bank}/notices", response=responses({200: NoticeReply}, 403, 409, public=True)
)
def bank_notice(request: HttpRequest, bank: ShortStr) -> Any:
    """A bank's payment notice: JSON signed with the bank's secret in ``X-Bank-Signature``
    (``t=<unix>,v1=<hex HMAC-SHA256 of "{t}." + body>``). The same ``reference`` again answers
    as before and pays nothing twice."""
    result = services.bank_notice_receive(
        bank_code=bank,
        body=request.body,
        signature=request.headers.get("X-Bank-Signature", ""),
    )
    notice = result.notice
    receipt = Receipt.objects.filter(notice=notice).values_list("number", flat=True).first()
    return {
        "status": notice.status,
        "repeated": result.repeated,
        "invoice": notice.invoice.code if notice.invoice else None,
        "receipt": receipt,
    }


@public_router.get(
    "/public/receipts/{token}", response=responses({200: ReceiptCheckOut}, public=True)
)
def receipt_check(request: HttpRequest, token: ShortStr) -> Any:
    """Check a receipt from the QR printed on it: the number, amount and invoice it records."""
    receipt = (
        Receipt.objects.select_related("invoice", "invoice__gate")
        .filter(verify_token=token)
        .first()
    )
    if receipt is None:
        raise NotFound("receipt_not_found", RECEIPT_NONE)
    return receipt_check_out(receipt)


def receipt_check_out(receipt: Receipt) -> dict[str, Any]:
    invoice = receipt.invoice
    return {
        "number": receipt.number,
        "issued_at": receipt.issued_at,
        "amount_vnd": receipt.amount_vnd,
        "invoice": invoice.code,
        "invoice_status": invoice.status,
        "trips": list(invoice.items.values_list("trip__code", flat=True)),
        "gate": invoice.gate.code,
    }


def invoice_out(invoice: Invoice) -> dict[str, Any]:
    bank = invoice.bank_account
    receipt = Receipt.objects.filter(invoice=invoice).values_list("number", flat=True).first()
    return {
        "code": invoice.code,
        "status": invoice.status,
        "amount_vnd": invoice.amount_vnd,
        "declaration_code": invoice.declaration.code,
        "gate": invoice.gate.code,
        "payer_name": invoice.payer_name,
        "payer_tax_code": invoice.payer_tax_code,
        "schedule": invoice.schedule_code,
        "legal_basis": invoice.legal_basis,
        "bank_name": bank.bank_name,
        "bank_bin": bank.bank_bin,
        "account_number": bank.account_number,
        "account_name": bank.account_name,
        "vietqr": invoice.qr_payload,
        "created_at": invoice.created_at,
        "paid_at": invoice.paid_at,
        "receipt_number": receipt,
        "items": [
            {
                "trip": item.trip.code,
                "amount_vnd": item.amount_vnd,
                "vehicle_class": item.vehicle_class,
                "route": item.route,
                "lines": item.lines,
                "demo_rate": item.demo_rate,
            }
            for item in invoice.items.select_related("trip").order_by("pk")
        ],
    }


def notice_out(notice: PaymentNotice) -> dict[str, Any]:
    return {
        "id": notice.pk,
        "bank": notice.bank_account.code,
        "reference": notice.reference,
        "amount_vnd": notice.amount_vnd,
        "description": notice.description,
        "payer_name": notice.payer_name,
        "transferred_at": notice.transferred_at,
        "received_at": notice.received_at,
        "status": notice.status,
        "invoice": notice.invoice.code if notice.invoice else None,
        "invoice_amount_vnd": notice.invoice.amount_vnd if notice.invoice else None,
        "resolution": notice.resolution,
    }


def _visible_notice(request: HttpRequest, notice_id: int) -> None:
    from cuakhau.accounts.permissions import require_role

    require_role(request.auth, services.RECONCILING_ROLES)  # type: ignore[arg-type, attr-defined]
    if not selectors.reconciliation_queue(request.auth).filter(pk=notice_id).exists():  # type: ignore[arg-type, attr-defined]
        raise NotFound("notice_not_found", services.M["notice_none"])
