"""Pages of the infrastructure fee: the enterprise's invoices with their VietQR (the page follows
the payment by itself), the receipt's PDF, the public check of a receipt, the fee panel on trip,
declaration and driver pages, and the gate operators' reconciliation of bank notices.

Reads go through ``fees.selectors`` (an enterprise sees its own invoices, an operator those of
their gates); writes through ``fees.services``; a domain error comes back to the page as a
message in the reader's language. The public check page shows no person's data: the receipt's
number, date and amount, the invoice, trip codes and gate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cuakhau.accounts.models import User
from cuakhau.accounts.roles import Role
from cuakhau.core.errors import DomainError, NotFound
from cuakhau.core.views import (
    actor,
    describe,
    form_text,
    or_404,
    paginate,
    role_required,
    say,
)
from cuakhau.declarations import links
from cuakhau.declarations.lifecycle import TripState
from cuakhau.declarations.models import Trip
from cuakhau.declarations.qr import is_code, normalize_code
from cuakhau.fees import selectors, services
from cuakhau.fees.api import RECEIPT_NONE
from cuakhau.fees.models import Invoice, InvoiceItem, PaymentNotice, Receipt
from cuakhau.situation.selectors import public_trip

# Who sees invoices: the enterprise (its own) and the gate operators (their gates' invoices).
INVOICE_ROLES = (Role.ENTERPRISE, Role.GATE_OPERATOR, Role.ADMINISTRATOR)
RECONCILING = (Role.GATE_OPERATOR,)
POLL_SECONDS = 3


# --- The fee panel on trip, declaration and driver pages ------------------------------------


@dataclass
class FeePanel:
    """What a trip's page says about its fee: the quote (or why there is none), the live
    invoice if any, and whether the reader may create one."""

    trip: Trip
    amount: int | None = None
    lines: tuple[Any, ...] = ()
    demo: bool = False
    problem: str = ""
    invoice: Invoice | None = None
    receipt_number: str = ""
    can_create: bool = False


def fee_panels(trips: Iterable[Trip], user: User | None) -> dict[int, FeePanel]:
    """Each trip's fee panel, for readers who may see invoices (others get none): the live
    invoice of every trip in one query, and the quote of trips that have none."""
    trips = list(trips)
    if user is None or not user.is_authenticated or user.role_enum not in INVOICE_ROLES:
        return {}
    owner = user.role == Role.ENTERPRISE
    live = _live_invoices([t.pk for t in trips])
    panels: dict[int, FeePanel] = {}
    for trip in trips:
        if trip.state == TripState.DRAFT:
            continue
        panel = FeePanel(trip=trip)
        item = live.get(trip.pk)
        if item is not None:
            panel.invoice = item.invoice
            panel.amount = item.amount_vnd
            panel.lines = tuple(item.lines)
            panel.demo = item.demo_rate
            panel.receipt_number = _receipt_number(item.invoice)
        elif trip.state not in services.NOT_INVOICEABLE:
            try:
                fee = services.fee_quote(trip)
            except DomainError as error:
                panel.problem = say(error.message)
            else:
                panel.amount = fee.amount
                panel.lines = tuple(
                    {"vi": ln.text.vi, "en": ln.text.en, "zh": ln.text.zh, "amount": ln.amount}
                    for ln in fee.lines
                )
                panel.demo = fee.demo
                panel.can_create = owner
        else:
            continue
        panels[trip.pk] = panel
    return panels


def _live_invoices(trip_ids: list[int]) -> dict[int, InvoiceItem]:
    items = InvoiceItem.objects.select_related("invoice", "invoice__receipt").filter(
        trip_id__in=trip_ids, live=True
    )
    return {item.trip_id: item for item in items}


def _receipt_number(invoice: Invoice) -> str:
    try:
        return invoice.receipt.number
    except Receipt.DoesNotExist:
        return ""


def driver_fee(trip: Trip) -> Invoice | None:
    """The trip's live invoice, for the driver's page (signed link, no login)."""
    item = (
        InvoiceItem.objects.select_related("invoice", "invoice__bank_account", "invoice__receipt")
        .filter(trip_id=trip.pk, live=True)
        .first()
    )
    return item.invoice if item else None


def driver_fee_context(trip: Trip) -> dict[str, Any]:
    """The trip's invoice on the driver's page: its VietQR while unpaid (drivers often pay at
    the yard with the company's phone), or "paid" with the receipt number."""
    invoice = driver_fee(trip)
    if invoice is None:
        return {"status": ""}
    return {"status": invoice.status, **_invoice_context(invoice)}


# --- Invoices -------------------------------------------------------------------------------


@role_required(*INVOICE_ROLES)
def invoice_list(request: HttpRequest) -> HttpResponse:
    invoices = (
        selectors.invoices_for(request.user)  # type: ignore[arg-type]
        .select_related("receipt")
        .prefetch_related("items__trip")
        .order_by("-created_at", "-id")
    )
    status = request.GET.get("status", "")
    if status in Invoice.Status.values:
        invoices = invoices.filter(status=status)
    else:
        status = ""
    return render(
        request,
        "fees/invoices.html",
        {
            "page": paginate(request, invoices, 25),
            "status": status,
            "statuses": Invoice.Status.choices,
            "owner": request.user.role == Role.ENTERPRISE,  # type: ignore[union-attr]
        },
    )


def _invoice(request: HttpRequest, code: str) -> Invoice:
    return or_404(selectors.invoice_for, request.user, code)


def _invoice_context(invoice: Invoice) -> dict[str, Any]:
    """What the live part of an invoice shows: the QR while unpaid, the receipt once paid."""
    receipt = Receipt.objects.filter(invoice=invoice).first()
    return {
        "invoice": invoice,
        "bank": invoice.bank_account,
        "receipt": receipt,
        "qr_svg": invoice_qr(invoice) if invoice.status == Invoice.Status.UNPAID else "",
    }


def invoice_qr(invoice: Invoice, *, scale: int = 6) -> str:
    """The invoice's VietQR as inline SVG, named for screen readers and carrying its payload
    (a banking app scans the image; tests and assistive tools read the attributes)."""
    label = _("VietQR to pay invoice %(code)s") % {"code": invoice.code}
    svg = links.qr_svg(invoice.qr_payload, scale=scale)
    named = (
        f'<svg role="img" aria-label="{escape(label)}" data-payload="{escape(invoice.qr_payload)}" '
    )
    return svg.replace("<svg ", named, 1)


@role_required(*INVOICE_ROLES)
def invoice_detail(request: HttpRequest, code: str) -> HttpResponse:
    invoice = _invoice(request, code)
    if invoice.code != code:
        return redirect("fees:invoice", invoice.code)
    user: User = request.user  # type: ignore[assignment]
    context = _invoice_context(invoice)
    context.update(
        {
            "items": invoice.items.select_related("trip").order_by("pk"),
            "live_url": reverse("fees:invoice_live", args=[invoice.code]),
            "poll_seconds": POLL_SECONDS,
            "can_refund": user.role == Role.GATE_OPERATOR and invoice.status == Invoice.Status.PAID,
            "events": invoice.events.select_related("actor").order_by("at", "pk"),
        }
    )
    return render(request, "fees/invoice.html", context)


def _live(request: HttpRequest, invoice: Invoice, template: str) -> HttpResponse:
    """``{"status": …}`` while the status is the one the page shows (``?since=``), with the
    new HTML of the live part once it changed: a few bytes every poll, the page only once."""
    body: dict[str, Any] = {"status": invoice.status}
    if request.GET.get("since", "") != invoice.status:
        body["html"] = render_to_string(template, _invoice_context(invoice), request=request)
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


@role_required(*INVOICE_ROLES)
def invoice_live(request: HttpRequest, code: str) -> HttpResponse:
    return _live(request, _invoice(request, code), "fees/_invoice_live.html")


@require_POST
@role_required(Role.ENTERPRISE)
def invoice_new(request: HttpRequest) -> HttpResponse:
    """Create the invoice of one trip (``trip``) or of every trip of a declaration not yet
    invoiced (``declaration``), then show it to pay."""
    trip_code = normalize_code(form_text(request, "trip", 20))
    declaration = form_text(request, "declaration", 20)
    if trip_code and not is_code(trip_code):
        raise Http404
    try:
        if trip_code:
            invoice = services.invoice_create(actor=actor(request), trip_codes=[trip_code])
        elif declaration.isdigit():
            invoice = services.invoice_create(actor=actor(request), declaration_id=int(declaration))
        else:
            raise Http404
    except NotFound as error:
        raise Http404(say(error.message)) from None
    except DomainError as error:
        messages.error(request, describe(error))
        if trip_code:
            return redirect("declarations:trip", trip_code)
        return redirect("declarations:detail", int(declaration))
    messages.success(
        request, _("Invoice %(code)s created: scan the QR code to pay.") % {"code": invoice.code}
    )
    return redirect("fees:invoice", invoice.code)


@require_POST
@role_required(*RECONCILING)
def invoice_refund(request: HttpRequest, code: str) -> HttpResponse:
    invoice = _invoice(request, code)
    try:
        services.invoice_refund(
            actor=actor(request), invoice_code=invoice.code, reason=form_text(request, "reason")
        )
    except DomainError as error:
        messages.error(request, describe(error))
    else:
        messages.success(request, _("Invoice %(code)s refunded.") % {"code": invoice.code})
    return redirect("fees:invoice", invoice.code)


# --- Receipts -------------------------------------------------------------------------------


def verify_url(receipt: Receipt) -> str:
    """The public check page of a receipt, as printed in its QR code."""
    path = reverse("fees:receipt_check", args=[receipt.verify_token])
    return settings.SITE_URL.rstrip("/") + path


@role_required(*INVOICE_ROLES)
def receipt_download(request: HttpRequest, code: str) -> HttpResponse:
    invoice = _invoice(request, code)
    receipt = (
        Receipt.objects.select_related("invoice", "invoice__gate", "invoice__enterprise")
        .select_related("invoice__bank_account", "notice")
        .filter(invoice=invoice)
        .first()
    )
    if receipt is None:
        raise Http404(
            _("Invoice %(code)s has no receipt: it is not paid.") % {"code": invoice.code}
        )
    content = services.receipt_pdf(receipt, verify_url(receipt))
    response = HttpResponse(content, content_type="application/pdf")
    filename = f"bien-lai-{receipt.number.replace('/', '-')}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def receipt_check(request: HttpRequest, token: str) -> HttpResponse:
    """No login: anyone holding the receipt checks it from its QR code."""
    receipt = (
        Receipt.objects.select_related("invoice", "invoice__gate")
        .filter(verify_token=token[:32])
        .first()
    )
    if receipt is None:
        raise Http404(say(RECEIPT_NONE))
    invoice = receipt.invoice
    return render(
        request,
        "fees/receipt_check.html",
        {
            "receipt": receipt,
            "invoice": invoice,
            "trips": list(invoice.items.order_by("pk").values_list("trip__code", flat=True)),
            "refunded": invoice.status == Invoice.Status.REFUNDED,
        },
    )


# --- The driver's page ----------------------------------------------------------------------


def driver_fee_live(request: HttpRequest, token: str) -> HttpResponse:
    """The fee part of the driver's page, polled while unpaid (signed link, no login)."""
    code = links.driver_code(token)
    trip = public_trip(code) if code else None
    if trip is None:
        raise Http404
    invoice = driver_fee(trip)
    if invoice is None:
        response = JsonResponse({"status": ""})
        response["Cache-Control"] = "no-store"
        return response
    return _live(request, invoice, "fees/_driver_fee.html")


# --- Reconciliation -------------------------------------------------------------------------


@role_required(*RECONCILING)
def reconciliation(request: HttpRequest) -> HttpResponse:
    notices = selectors.reconciliation_queue(request.user).order_by("received_at", "pk")  # type: ignore[arg-type]
    return render(
        request,
        "fees/reconciliation.html",
        {"page": paginate(request, notices, 50)},
    )


def _visible_notice(request: HttpRequest, notice_id: int) -> PaymentNotice:
    notice = selectors.reconciliation_queue(request.user).filter(pk=notice_id).first()  # type: ignore[arg-type]
    if notice is None:
        raise Http404(say(services.M["notice_none"]))
    return notice


@require_POST
@role_required(*RECONCILING)
def notice_match(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = _visible_notice(request, notice_id)
    invoice_code = form_text(request, "invoice", 20).upper()
    try:
        services.notice_match(
            actor=actor(request),
            notice_id=notice.pk,
            invoice_code=invoice_code,
            reason=form_text(request, "reason"),
        )
    except DomainError as error:
        messages.error(request, f"{notice.reference}: {describe(error)}")
    else:
        messages.success(
            request,
            _("Payment %(reference)s matched to invoice %(code)s; the receipt is issued.")
            % {"reference": notice.reference, "code": invoice_code},
        )
    return redirect("fees:reconciliation")


@require_POST
@role_required(*RECONCILING)
def notice_refund(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = _visible_notice(request, notice_id)
    try:
        services.notice_refund(
            actor=actor(request), notice_id=notice.pk, reason=form_text(request, "reason")
        )
    except DomainError as error:
        messages.error(request, f"{notice.reference}: {describe(error)}")
    else:
        messages.success(
            request,
            _("Refund of payment %(reference)s recorded.") % {"reference": notice.reference},
        )
    return redirect("fees:reconciliation")
