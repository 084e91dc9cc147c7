"""Declarations, their goods, the trips they cover, and the trips' append-only history."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cuakhau.accounts.models import Agency, Enterprise
from cuakhau.declarations.lifecycle import TripState
from cuakhau.gates.models import Gate, Passage, Yard, YardZone
from cuakhau.reference.models import (
    CustomsDeclarationType,
    Direction,
    GoodsRegime,
    VehicleClass,
)


class Declaration(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.CharField(_("code"), max_length=16, unique=True)
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="declarations"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    regime = models.ForeignKey(GoodsRegime, on_delete=models.PROTECT, related_name="+")
    gate = models.ForeignKey(Gate, on_delete=models.PROTECT, related_name="declarations")
    passage = models.ForeignKey(Passage, on_delete=models.PROTECT, related_name="declarations")
    planned_arrival = models.DateTimeField(_("planned arrival"))
    perishable = models.BooleanField(_("perishable goods"), default=False)
    fee_payer_name = models.CharField(_("fee payer"), max_length=200)
    fee_payer_country = models.CharField(_("fee payer country"), max_length=2, default="VN")
    fee_payer_tax_code = models.CharField(_("fee payer tax code"), max_length=20)
    road_manifest_number = models.CharField(
        _("Chinese road manifest batch number"), max_length=40, blank=True
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        indexes = [models.Index(fields=["enterprise", "-created_at"])]

    def __str__(self) -> str:
        return self.code


class CustomsDeclaration(models.Model):
    """A VNACCS customs declaration whose goods travel on this declaration's trips."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="customs_declarations"
    )
    position = models.PositiveSmallIntegerField(default=0)
    number = models.CharField(_("customs declaration number"), max_length=12)
    type = models.ForeignKey(CustomsDeclarationType, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "number"], name="customsdecl_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.type.code})"


class GoodsLine(models.Model):
    customs_declaration = models.ForeignKey(
        CustomsDeclaration, on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(_("goods"), max_length=300)
    hs_code = models.CharField(_("HS code"), max_length=8, db_index=True)
    origin_country = models.CharField(_("origin"), max_length=2)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=8)
    gross_weight_kg = models.DecimalField(_("gross weight (kg)"), max_digits=12, decimal_places=2)
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="USD")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.hs_code} {self.description}"


class TripQuerySet(models.QuerySet["Trip"]):
    def with_declaration(self) -> TripQuerySet:
        return self.select_related(
            "declaration",
            "declaration__gate",
            "declaration__passage",
            "declaration__enterprise",
            "vehicle_class",
            "yard",
        )


class Trip(models.Model):
    """One vehicle movement across the border, and where it stands in the lifecycle."""

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="trips")
    code = models.CharField(_("trip code"), max_length=12, unique=True)
    position = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=[(s.value, s.value) for s in TripState],
        default=TripState.DRAFT,
    )
    held_from = models.CharField(
        max_length=16, blank=True, choices=[(s.value, s.value) for s in TripState]
    )
    state_changed_at = models.DateTimeField(default=timezone.now)
    tractor_plate = models.CharField(_("tractor plate"), max_length=16, db_index=True)
    tractor_country = models.CharField(_("tractor nationality"), max_length=2)
    trailer_plate = models.CharField(_("trailer plate"), max_length=16, blank=True)
    trailer_country = models.CharField(_("trailer nationality"), max_length=2, blank=True)
    vehicle_class = models.ForeignKey(VehicleClass, on_delete=models.PROTECT, related_name="+")
    driver_name = models.CharField(_("driver"), max_length=120)
    driver_id_number = models.CharField(_("driver ID / passport"), max_length=24)
    driver_nationality = models.CharField(_("driver nationality"), max_length=2)
    driver_phone = models.CharField(_("driver phone"), max_length=20)
    gross_weight_kg = models.DecimalField(_("gross weight (kg)"), max_digits=10, decimal_places=2)
    yard = models.ForeignKey(
        Yard, on_delete=models.PROTECT, null=True, blank=True, related_name="trips"
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    # Set on trips created by a transshipment: the trip whose goods this one took over.
    source_trip = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="receiving_trips"
    )
    transshipped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TripQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("trip")
        verbose_name_plural = _("trips")
        indexes = [models.Index(fields=["state", "declaration"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state=TripState.HELD) | ~Q(held_from=""),
                name="trip_held_remembers_where_from",
            )
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def direction(self) -> str:
        return self.declaration.direction


class Container(models.Model):
    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="containers")
    position = models.PositiveSmallIntegerField(default=0)
    number = models.CharField(_("container number"), max_length=11, db_index=True)
    size_ft = models.PositiveSmallIntegerField(_("size (feet)"), default=40)
    seals = models.JSONField(_("seal numbers"), default=list, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.number


class AppendOnlyModel(models.Model):
    """Rows that record what happened: written once, never changed, never deleted one by one."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError(f"{type(self).__name__} rows are append-only")


class TripEvent(AppendOnlyModel):
    """One thing that happened to a trip: who, when, where, why, and the state before and after."""

    class ActorKind(models.TextChoices):
        USER = "user", _("User")
        TOKEN = "token", _("API token")
        DEVICE = "device", _("Device")
        SYSTEM = "system", _("System")

    trip = models.ForeignKey(Trip, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=32)
    state_before = models.CharField(max_length=16, blank=True)
    state_after = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_kind = models.CharField(max_length=8, choices=ActorKind.choices)
    actor_label = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    gate = models.ForeignKey(
        Gate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    yard = models.ForeignKey(
        Yard, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    # What changed, before and after (a check's status, the corrected fields …).
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("trip event")
        verbose_name_plural = _("trip events")

    def __str__(self) -> str:
        return f"{self.trip_id} {self.action} {self.state_before}→{self.state_after}"


class DeclarationVersion(AppendOnlyModel):
    """The whole declaration as it stood after a submit, an edit or an approved correction."""

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["declaration", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "number"], name="declarationversion_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id} v{self.number}"


class CorrectionRequest(models.Model):
    """A change to a declaration after check-in, waiting for the responsible agency's approval."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    declaration = models.ForeignKey(
        Declaration, on_delete=models.PROTECT, related_name="correction_requests"
    )
    base_version = models.PositiveIntegerField()
    document = models.JSONField()
    changes = models.JSONField(default=list)
    reason = models.CharField(_("reason"), max_length=500)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One open request per declaration: a second would be based on a stale version.
            models.UniqueConstraint(
                fields=["declaration"],
                condition=Q(status="pending"),
                name="correction_one_pending_per_declaration",
            )
        ]

    def __str__(self) -> str:
        return f"correction #{self.pk} ({self.status})"


class Transshipment(models.Model):
    """Goods moved at a yard zone from an import trip onto a receiving Vietnamese truck."""

    source_trip = models.ForeignKey(Trip, on_delete=models.PROTECT, related_name="+")
    receiving_trip = models.OneToOneField(
        Trip, on_delete=models.PROTECT, related_name="transshipment"
    )
    yard_zone = models.ForeignKey(YardZone, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.source_trip_id} → {self.receiving_trip_id}"


class TransshipmentLine(models.Model):
    transshipment = models.ForeignKey(Transshipment, on_delete=models.CASCADE, related_name="lines")
    goods_line = models.ForeignKey(GoodsLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    gross_weight_kg = models.DecimalField(max_digits=12, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.goods_line_id} × {self.quantity}"
