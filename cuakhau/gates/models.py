"""Border gates, their clearance passages and the yards trucks wait or transship in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cuakhau.reference.models import Direction, NamedMixin


class Gate(NamedMixin):
    class Kind(models.TextChoices):
        INTERNATIONAL = "international", _("International")
        BILATERAL = "bilateral", _("Bilateral")
        SECONDARY = "secondary", _("Secondary")

    class Mode(models.TextChoices):
        ROAD = "road", _("Road")
        RAIL = "rail", _("Rail")

    code = models.CharField(_("code"), max_length=16, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.ROAD)
    counterpart_name = models.CharField(_("Chinese counterpart"), max_length=120, blank=True)
    counterpart_name_zh = models.CharField(
        _("Chinese counterpart (汉字)"), max_length=60, blank=True
    )
    requires_medical_quarantine = models.BooleanField(
        _("medical quarantine required"), default=False
    )

    class FeeDue(models.TextChoices):
        NOT_ENFORCED = "not_enforced", _("Not enforced by the platform")
        CALL_UP = "call_up", _("Before call-up")
        DEPARTURE = "departure", _("Before departure")

    fee_due = models.CharField(
        _("infrastructure fee paid"),
        max_length=12,
        choices=FeeDue.choices,
        default=FeeDue.NOT_ENFORCED,
        help_text=_(
            "Whether a trip must have paid its fee before it is called or before it departs."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("border gate")
        verbose_name_plural = _("border gates")


class Passage(NamedMixin):
    """A clearance passage of a gate; several are dedicated freight roads between border markers."""

    gate = models.ForeignKey(Gate, on_delete=models.PROTECT, related_name="passages")
    code = models.CharField(_("code"), max_length=16, unique=True)
    border_markers = models.CharField(_("border markers"), max_length=40, blank=True)
    counterpart_name = models.CharField(_("Chinese counterpart"), max_length=120, blank=True)
    counterpart_name_zh = models.CharField(
        _("Chinese counterpart (汉字)"), max_length=60, blank=True
    )
    is_dedicated_freight_road = models.BooleanField(_("dedicated freight road"), default=False)
    allows_export = models.BooleanField(_("export"), default=True)
    allows_import = models.BooleanField(_("import"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["gate__position", "code"]
        verbose_name = _("clearance passage")
        verbose_name_plural = _("clearance passages")


class Yard(NamedMixin):
    class Kind(models.TextChoices):
        GATHERING = "gathering", _("Gathering")
        WAITING = "waiting", _("Waiting")
        TRANSSHIPMENT = "transshipment", _("Transshipment")

    code = models.CharField(_("code"), max_length=16, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    gates = models.ManyToManyField(Gate, related_name="yards", verbose_name=_("gates served"))
    inside_gate_area = models.BooleanField(_("inside the gate area"), default=False)
    capacity_trucks = models.PositiveIntegerField(_("capacity (trucks at once)"), default=0)
    capacity_is_demo = models.BooleanField(_("capacity is a demo value"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("yard")
        verbose_name_plural = _("yards")


class YardZone(NamedMixin):
    yard = models.ForeignKey(Yard, on_delete=models.CASCADE, related_name="zones")
    code = models.CharField(_("code"), max_length=16)
    allows_transshipment = models.BooleanField(_("transshipment allowed"), default=False)

    class Meta:
        ordering = ["yard__code", "code"]
        verbose_name = _("yard zone")
        verbose_name_plural = _("yard zones")
        constraints = [
            models.UniqueConstraint(fields=["yard", "code"], name="yardzone_unique_code_per_yard")
        ]

    def __str__(self) -> str:
        return f"{self.yard.name_vi} — {self.name_vi}"


# --- Capacity and calendars (domain.md §6) ---------------------------------------------------


class CapacityPlan(models.Model):
    """How fast one passage clears one direction, and how the yard queue is fed to it."""

    passage = models.ForeignKey(Passage, on_delete=models.CASCADE, related_name="capacity_plans")
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    lanes_open = models.PositiveSmallIntegerField(_("lanes open"), default=2)
    minutes_per_vehicle = models.DecimalField(
        _("mean minutes per vehicle"), max_digits=5, decimal_places=2, default=6
    )
    control_area_room = models.PositiveSmallIntegerField(
        _("trucks in the control area at once"), default=20
    )
    slot_share_percent = models.PositiveSmallIntegerField(
        _("share of each hour bookable as slots (%)"), default=50
    )
    booking_days_ahead = models.PositiveSmallIntegerField(_("bookable days ahead"), default=3)
    is_paused = models.BooleanField(_("paused"), default=False)
    pause_reason = models.CharField(_("pause reason"), max_length=300, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["passage__gate__position", "passage__code", "direction"]
        verbose_name = _("capacity plan")
        verbose_name_plural = _("capacity plans")
        constraints = [
            models.UniqueConstraint(
                fields=["passage", "direction"], name="capacityplan_one_per_passage_direction"
            ),
            models.CheckConstraint(
                condition=models.Q(minutes_per_vehicle__gt=0), name="capacityplan_minutes_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(slot_share_percent__lte=100), name="capacityplan_share_le_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.passage.code} {self.direction}"


class CapacityOverride(models.Model):
    """An operator's calls for one hour, instead of the plan's."""

    passage = models.ForeignKey(Passage, on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    hour_start = models.DateTimeField(_("hour"))
    calls = models.PositiveSmallIntegerField(_("calls in the hour"))
    reason = models.CharField(_("reason"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["hour_start"]
        verbose_name = _("hourly capacity override")
        verbose_name_plural = _("hourly capacity overrides")
        constraints = [
            models.UniqueConstraint(
                fields=["passage", "direction", "hour_start"], name="capacityoverride_unique_hour"
            )
        ]

    def __str__(self) -> str:
        return f"{self.passage_id} {self.direction} {self.hour_start:%Y-%m-%d %H:%M}: {self.calls}"


class WorkingHours(models.Model):
    """A gate's regular opening on one weekday, in Vietnam's local time."""

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
    )
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"), help_text=_("00:00 means midnight at the day's end."))

    class Meta:
        ordering = ["gate", "weekday", "opens"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def __str__(self) -> str:
        return f"{self.gate_id} {self.weekday} {self.opens:%H:%M}–{self.closes:%H:%M}"


class CalendarEntry(NamedMixin):
    """A dated exception to a gate's working hours: a closure or extended hours."""

    class Kind(models.TextChoices):
        CLOSURE = "closure", _("Closure")
        EXTENDED = "extended", _("Extended hours")

    class Cause(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        PARTNER_CLOSED = "partner_closed", _("Partner side closed")
        EVENT = "event", _("Event")
        PEAK_SEASON = "peak_season", _("Peak season")
        OTHER = "other", _("Other")

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="calendar")
    passage = models.ForeignKey(
        Passage,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the whole gate."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    cause = models.CharField(_("cause"), max_length=16, choices=Cause.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("calendar entry")
        verbose_name_plural = _("calendar entries")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="calendarentry_ends_after_start",
            )
        ]


class PartnerQuota(models.Model):
    """The partner side's acceptance for one day and goods group ("China takes 300 fruit trucks
    today at Tân Thanh"); calls of that group stop when it is used up."""

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="partner_quotas")
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    day = models.DateField(_("day"))
    goods_group = models.CharField(_("goods group"), max_length=16)
    trucks = models.PositiveIntegerField(_("trucks accepted"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "gate", "goods_group"]
        verbose_name = _("partner side quota")
        verbose_name_plural = _("partner side quotas")
        constraints = [
            models.UniqueConstraint(
                fields=["gate", "direction", "day", "goods_group"], name="partnerquota_unique_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.goods_group}: {self.trucks}"
