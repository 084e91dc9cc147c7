"""Each required agency's check on a trip: pending → passed | held | refused."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cuakhau.accounts.models import Agency
from cuakhau.checks.rules import CheckStatus
from cuakhau.declarations.models import Trip


class AgencyCheck(models.Model):
    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="checks")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="checks")
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=[(s.value, s.value) for s in CheckStatus],
        default=CheckStatus.PENDING,
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["agency__position", "id"]
        verbose_name = _("agency check")
        verbose_name_plural = _("agency checks")
        constraints = [
            models.UniqueConstraint(fields=["trip", "agency"], name="agencycheck_one_per_agency")
        ]
        indexes = [models.Index(fields=["agency", "status"])]

    def __str__(self) -> str:
        return f"{self.trip_id}/{self.agency_id}: {self.status}"
