"""Border gates, their clearance passages and the yards trucks wait or transship in."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cuakhau.reference.models import NamedMixin


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
