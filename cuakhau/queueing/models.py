"""Slots, the yard queue, call-ups and the penalties that keep booking honest (domain.md §6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cuakhau.accounts.models import Enterprise
from cuakhau.core.models import AuditRecord
from cuakhau.declarations.lifecycle import TripState
from cuakhau.declarations.models import Declaration, Trip
from cuakhau.gates.models import Passage, Yard
from cuakhau.queueing.policy import GoodsGroup, PriorityClass, Rule, SlotFit
from cuakhau.reference.models import Direction


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in enum]  # type: ignore[attr-defined]


class SlotHour(models.Model):
    """Bookable places of one hour; ``booked`` only grows through a conditional update
    (``booked < capacity``), so concurrent bookings can never overfill it."""

    passage = models.ForeignKey(Passage, on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    start = models.DateTimeField()
    capacity = models.PositiveIntegerField()
    booked = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["passage", "direction", "start"], name="slothour_unique_hour"
            ),
            models.CheckConstraint(
                condition=Q(booked__lte=models.F("capacity")), name="slothour_not_overbooked"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.passage_id} {self.start:%Y-%m-%d %H:%M} {self.booked}/{self.capacity}"


class SlotBooking(models.Model):
    """A one-hour slot bound to a trip's plates and declaration: not transferable."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        USED = "used", _("Used (arrived in its window)")
        MISSED = "missed", _("Missed (arrived outside its window)")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.CharField(max_length=16, unique=True)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="bookings")
    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="+")
    trip = models.ForeignKey(Trip, on_delete=models.PROTECT, related_name="bookings")
    slot_hour = models.ForeignKey(SlotHour, on_delete=models.PROTECT, related_name="bookings")
    start = models.DateTimeField(_("slot"))
    tractor_plate = models.CharField(_("tractor plate"), max_length=16)
    trailer_plate = models.CharField(_("trailer plate"), max_length=16, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["enterprise", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["trip"],
                condition=Q(status="booked"),
                name="slotbooking_one_live_per_trip",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.start:%Y-%m-%d %H:%M}"


class QueueEntryQuerySet(models.QuerySet["QueueEntry"]):
    def waiting(self) -> QueueEntryQuerySet:
        """Trucks in the queue now (a held or refused trip keeps its entry but is not waiting)."""
        return self.filter(status=QueueEntry.Status.WAITING, trip__state=TripState.ARRIVED)

    def called(self) -> QueueEntryQuerySet:
        """Trucks called and not yet in the control area."""
        return self.filter(status=QueueEntry.Status.CALLED, trip__state=TripState.CALLED)


class QueueEntry(models.Model):
    """A trip's place in its passage's yard queue, from check-in until it is called in."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        CALLED = "called", _("Called")
        DONE = "done", _("Entered the control area")
        LEFT = "left", _("Left the queue")

    trip = models.OneToOneField(Trip, on_delete=models.PROTECT, related_name="queue_entry")
    passage = models.ForeignKey(Passage, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    yard = models.ForeignKey(Yard, on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("queue number"))
    priority = models.CharField(max_length=10, choices=_choices(PriorityClass))
    goods_group = models.CharField(max_length=16, choices=_choices(GoodsGroup))
    joined_at = models.DateTimeField()
    booking = models.ForeignKey(
        SlotBooking, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    slot_start = models.DateTimeField(null=True, blank=True)
    slot_fit = models.CharField(max_length=10, choices=_choices(SlotFit), blank=True)
    # The policy's order key (tier, order time, arrival, trip id), kept for positions.
    order_tier = models.PositiveSmallIntegerField()
    order_time = models.FloatField()
    override_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.CharField(max_length=500, blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    called_at = models.DateTimeField(null=True, blank=True)
    call_rule = models.CharField(max_length=12, choices=_choices(Rule), blank=True)
    call_expires_at = models.DateTimeField(null=True, blank=True)
    lane = models.PositiveSmallIntegerField(null=True, blank=True)
    extended_at = models.DateTimeField(null=True, blank=True)
    no_shows = models.PositiveSmallIntegerField(default=0)

    objects = QueueEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("queue entry")
        verbose_name_plural = _("queue entries")
        indexes = [
            models.Index(
                fields=["passage", "direction", "status", "order_tier", "order_time"],
                name="queue_order_idx",
            ),
            models.Index(fields=["yard", "status"], name="queue_yard_idx"),
            models.Index(fields=["status", "call_expires_at"], name="queue_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.trip_id} {self.status}"


class CallForecast(models.Model):
    """The digital twin's forecast of a waiting truck's call-up (``queueing.forecasts``): the
    time by which half (P50) and nine in ten (P90) of the simulated runs had called it, empty
    when later than the forecast's horizon. Its own table: the refresh never writes the queue's
    rows, so it cannot undo a call the dispatcher makes meanwhile."""

    trip = models.OneToOneField(
        Trip, on_delete=models.CASCADE, primary_key=True, related_name="call_forecast"
    )
    passage = models.ForeignKey(Passage, on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    p50_at = models.DateTimeField(null=True, blank=True)
    p90_at = models.DateTimeField(null=True, blank=True)
    called_share = models.FloatField()  # of the runs, those that called it within the horizon
    computed_at = models.DateTimeField()  # the moment the forecast started from

    class Meta:
        indexes = [
            models.Index(
                fields=["passage", "direction", "computed_at"], name="forecast_passage_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.trip_id} {self.p50_at} {self.p90_at}"


class QueueCounter(models.Model):
    """The last queue number handed out at a yard on a day (Vietnam time)."""

    yard = models.ForeignKey(Yard, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["yard", "day"], name="queuecounter_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.yard_id} {self.day} {self.last}"


class CallUp(models.Model):
    """One call of a truck to the border, with the rule that put it there: the public record
    anyone can check the order against. Append-only; no personal data."""

    passage = models.ForeignKey(Passage, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    gate_id_cache = models.PositiveIntegerField()
    trip = models.ForeignKey(Trip, on_delete=models.PROTECT, related_name="call_ups")
    trip_code = models.CharField(max_length=12)
    at = models.DateTimeField(db_index=True)
    rule = models.CharField(max_length=12, choices=_choices(Rule))
    priority = models.CharField(max_length=10, choices=_choices(PriorityClass))
    goods_group = models.CharField(max_length=16, choices=_choices(GoodsGroup))
    joined_at = models.DateTimeField()
    slot_start = models.DateTimeField(null=True, blank=True)
    order_tier = models.PositiveSmallIntegerField()
    order_time = models.FloatField()
    override_reason = models.CharField(max_length=500, blank=True)
    lane = models.PositiveSmallIntegerField(null=True)
    run = models.ForeignKey(
        "DispatchRun", null=True, blank=True, on_delete=models.PROTECT, related_name="call_ups"
    )
    called_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["passage", "direction", "at"], name="callup_passage_idx")]

    def __str__(self) -> str:
        return f"{self.trip_code} {self.rule} {self.at:%Y-%m-%d %H:%M}"


class DispatchRun(models.Model):
    """One dispatch cycle of a passage: what capacity it saw and what it decided."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        OPERATOR = "operator", _("Operator")

    passage = models.ForeignKey(Passage, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    at = models.DateTimeField(db_index=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    actor_label = models.CharField(max_length=150)
    waiting = models.PositiveIntegerField()
    calls = models.PositiveIntegerField()
    expired = models.PositiveIntegerField(default=0)
    capacity = models.JSONField(default=dict)
    holds = models.JSONField(default=dict)  # reason → trucks held for it
    duration_ms = models.FloatField(default=0)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.passage_id} {self.direction} {self.at:%Y-%m-%d %H:%M}: {self.calls}"


class EnterpriseOutcome(models.Model):
    """What became of a call or booking, counted for booking blocks (no-shows, cancellations)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="+")
    trip = models.ForeignKey(Trip, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["enterprise", "at"], name="outcome_enterprise_idx")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.kind} {self.at:%Y-%m-%d}"


class BookingBlock(models.Model):
    """An enterprise may not book slots until ``ends_at`` (two no-shows in a row, or two
    cancellations in 30 days)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=500)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lift_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["enterprise", "ends_at"], name="block_enterprise_idx")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} until {self.ends_at:%Y-%m-%d}"


class PassageEvent(AuditRecord):
    """Who changed a passage's queue settings, when and why: pauses, capacity plans, hourly
    overrides, the partner side's quotas. Append-only."""

    passage = models.ForeignKey(Passage, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=8, choices=Direction.choices)

    class Meta(AuditRecord.Meta):
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["passage", "at"], name="passageevent_idx")]

    def __str__(self) -> str:
        return f"{self.passage_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
