"""Template filters for the fee pages: amounts in đồng and statuses in the reader's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from cuakhau.core.views import language
from cuakhau.fees.rules import vnd as vnd_text

register = template.Library()

INVOICE_TONES = {"unpaid": "warn", "paid": "ok", "refunded": "muted", "void": "muted"}
NOTICE_TONES = {
    "matched": "ok",
    "underpaid": "warn",
    "overpaid": "warn",
    "unmatched": "bad",
    "resolved": "ok",
    "refunded": "muted",
}
# What an operator does about a notice in each open status.
NOTICE_HINTS = {
    "underpaid": _("Less than the invoice: match it to an invoice it covers, or refund it."),
    "overpaid": _("The invoice is paid; the excess waits to be refunded."),
    "unmatched": _("No invoice code found in the description: match it by hand or refund it."),
}


@register.filter
def vnd(amount: Any) -> str:
    """An amount in đồng, grouped the reader's way: 850.000 đ, 850,000 VND, 850,000 越南盾."""
    if amount is None or amount == "":
        return "—"
    try:
        return vnd_text(int(amount)).get(language())
    except (TypeError, ValueError):
        return str(amount)


@register.filter
def invoice_tone(status: str) -> str:
    return INVOICE_TONES.get(status, "muted")


@register.filter
def notice_tone(status: str) -> str:
    return NOTICE_TONES.get(status, "muted")


@register.filter
def notice_hint(status: str) -> str:
    return str(NOTICE_HINTS.get(status, ""))
