"""Fee schedules (data, versioned), invoices with their VietQR, the banks' payment notices,
numbered receipts, and the record of every change (domain.md §7)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cuakhau.accounts.models import Enterprise
from cuakhau.core.models import AuditRecord
from cuakhau.declarations.models import Declaration, Trip
from cuakhau.fees.rules import GoodsCategory, Route
from cuakhau.gates.models import Gate
from cuakhau.reference.models import GoodsRegime, VehicleClass


class FeeSchedule(models.Model):
    """One version of the fee table, with its legal basis and the days it applies."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to (last day)"), null=True, blank=True)
    inland_import_percent = models.PositiveSmallIntegerField(
        _("imports delivered inland (%)"), default=130
    )
    transshipment_percent = models.PositiveSmallIntegerField(
        _("vehicles only transshipped (%)"), default=30
    )
    ore_export_factor = models.PositiveSmallIntegerField(_("ordinary ore exports (×)"), default=5)
    maximum_vnd = models.PositiveBigIntegerField(
        _("maximum per trip (VND)"), null=True, blank=True, default=5_000_000
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("fee schedule")
        verbose_name_plural = _("fee schedules")
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="feeschedule_period_forward",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.effective_from:%d/%m/%Y})"


class FeeRate(models.Model):
    schedule = models.ForeignKey(FeeSchedule, on_delete=models.CASCADE, related_name="rates")
    vehicle_class = models.ForeignKey(VehicleClass, on_delete=models.PROTECT, related_name="+")
    regime = models.ForeignKey(GoodsRegime, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(
        _("goods category"),
        max_length=16,
        choices=[(c.value, c.value) for c in GoodsCategory],
    )
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"))
    is_demo = models.BooleanField(
        _("demo value"),
        default=True,
        help_text=_("Not yet taken from the official resolution: replace it before go-live."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["schedule", "vehicle_class__position", "regime__position", "category"]
        verbose_name = _("fee rate")
        verbose_name_plural = _("fee rates")
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "vehicle_class", "regime", "category"],
                name="feerate_one_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id} {self.vehicle_class_id} {self.regime_id} {self.category}"


class BankAccount(models.Model):
    """The collecting center's account a VietQR pays into, and the bank's notice secret."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    bank_name = models.CharField(_("bank"), max_length=120)
    bank_bin = models.CharField(_("bank BIN (NAPAS)"), max_length=6)
    account_number = models.CharField(_("account number"), max_length=19)
    account_name = models.CharField(_("account name"), max_length=120)
    # Signs the bank's payment notices (HMAC-SHA256); shared with the bank out of band.
    notice_secret = models.CharField(_("notice secret"), max_length=128)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")

    def __str__(self) -> str:
        return f"{self.bank_name} {self.account_number}"


class Invoice(models.Model):
    class Status(models.TextChoices):
        UNPAID = "unpaid", _("Unpaid")
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")
        VOID = "void", _("Void")

    code = models.CharField(_("invoice code"), max_length=16, unique=True)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="invoices")
    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="invoices")
    gate = models.ForeignKey(Gate, on_delete=models.PROTECT, related_name="+")
    payer_name = models.CharField(_("payer"), max_length=200)
    payer_tax_code = models.CharField(_("payer tax code"), max_length=20)
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNPAID)
    schedule_code = models.CharField(max_length=32)
    legal_basis = models.CharField(max_length=300)
    bank_account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="+")
    qr_payload = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # voided or refunded
    close_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        indexes = [models.Index(fields=["status", "gate", "paid_at"], name="invoice_status_idx")]

    def __str__(self) -> str:
        return self.code


class InvoiceItem(models.Model):
    """One trip on an invoice, with its fee and the lines that explain it."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="items")
    trip = models.ForeignKey(Trip, on_delete=models.PROTECT, related_name="invoice_items")
    # True while the invoice is unpaid or paid: a trip is on one live invoice at most.
    live = models.BooleanField(default=True)
    amount_vnd = models.PositiveBigIntegerField()
    vehicle_class = models.CharField(max_length=8)
    regime = models.CharField(max_length=8)
    route = models.CharField(max_length=16, choices=[(r.value, r.value) for r in Route])
    categories = models.JSONField(default=list)
    lines = models.JSONField(default=list)  # [{"vi":…, "en":…, "zh":…, "amount": …}]
    demo_rate = models.BooleanField(default=False)

    class Meta:
        ordering = ["invoice", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["trip"], condition=Q(live=True), name="invoiceitem_one_live_per_trip"
            )
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.trip_id}"


class PaymentNotice(models.Model):
    """A bank's notice of a transfer into the account: stored as received, then matched."""

    class Status(models.TextChoices):
        MATCHED = "matched", _("Matched")
        UNDERPAID = "underpaid", _("Underpaid")
        OVERPAID = "overpaid", _("Overpaid")
        UNMATCHED = "unmatched", _("Unmatched")
        RESOLVED = "resolved", _("Resolved by an operator")
        REFUNDED = "refunded", _("Refunded")

    bank_account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="notices")
    reference = models.CharField(_("bank reference"), max_length=64)
    amount_vnd = models.PositiveBigIntegerField()
    description = models.CharField(max_length=300)
    payer_account = models.CharField(max_length=40, blank=True)
    payer_name = models.CharField(max_length=200, blank=True)
    transferred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    raw = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices)
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_account", "reference"], name="paymentnotice_once_per_reference"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bank_account_id} {self.reference}"


class ReceiptCounter(models.Model):
    """The last receipt number of a year: taken under a row lock, so the series has no gaps."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Receipt(models.Model):
    number = models.CharField(max_length=16, unique=True)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="receipt")
    notice = models.ForeignKey(
        PaymentNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount_vnd = models.PositiveBigIntegerField()
    issued_at = models.DateTimeField()
    # Signs the public verification link so a receipt cannot be guessed.
    verify_token = models.CharField(max_length=32, unique=True)
    # The PDF, made at the first download (rendering embeds fonts and takes about a second,
    # too slow for the bank's notice) and kept: the same receipt is always the same file.
    pdf = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["year", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="receipt_unique_sequence")
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceEvent(AuditRecord):
    """Who did what to an invoice or a payment notice, when and why. Append-only."""

    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    notice = models.ForeignKey(
        PaymentNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
