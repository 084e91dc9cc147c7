"""Reads of fees, always scoped to the user: an enterprise sees its own invoices, a gate
operator those of their gates; the reconciliation queue is the operators'."""

from __future__ import annotations

from django.db.models import QuerySet

from cuakhau.accounts.models import User
from cuakhau.accounts.roles import Role
from cuakhau.core.errors import NotFound
from cuakhau.fees.models import Invoice, PaymentNotice
from cuakhau.fees.services import M, invoice_code_or_none

OPEN_NOTICES = (
    PaymentNotice.Status.UNDERPAID,
    PaymentNotice.Status.OVERPAID,
    PaymentNotice.Status.UNMATCHED,
)


def invoices_for(user: User) -> QuerySet[Invoice]:
    invoices = Invoice.objects.select_related("declaration", "enterprise", "gate")
    if not user.is_authenticated:
        return invoices.none()
    if user.is_administrator:
        return invoices
    if user.role == Role.ENTERPRISE:
        return invoices.filter(enterprise_id=user.enterprise_id)
    if user.role == Role.GATE_OPERATOR:
        return invoices.filter(gate_id__in=user.gate_ids())
    return invoices.none()


def invoice_for(user: User, code: str) -> Invoice:
    canonical = invoice_code_or_none(code)
    found = invoices_for(user).filter(code=canonical).first() if canonical else None
    if found is None:
        raise NotFound("invoice_not_found", M["invoice_none"].format(code=code[:20]))
    return found


def reconciliation_queue(user: User) -> QuerySet[PaymentNotice]:
    """Payments waiting for an operator: short, over, or matching no invoice. Notices that
    match no invoice carry no gate: every operator sees them."""
    notices = PaymentNotice.objects.select_related("invoice", "bank_account").filter(
        status__in=OPEN_NOTICES
    )
    if user.is_administrator:
        return notices
    if user.role != Role.GATE_OPERATOR:
        return notices.none()
    gates = user.gate_ids()
    return notices.filter(invoice__isnull=True) | notices.filter(invoice__gate_id__in=gates)
