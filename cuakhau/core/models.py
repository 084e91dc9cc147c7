"""What every audit trail of the platform records: who did what, when and why.

``AuditRecord`` is abstract: each area keeps its own append-only table (what the event is about
differs), with these columns in common, written through ``audit_values``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from cuakhau.core.actors import Actor


class AuditRecord(models.Model):
    """Who (a user, or the system's label for itself), what, when and why. Append-only."""

    action = models.CharField(max_length=24)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"


def audit_values(
    action: str,
    actor: Actor,
    now: datetime,
    *,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The common columns of an audit row, cut to their lengths."""
    return {
        "action": action,
        "at": now,
        "actor": actor.user,
        "actor_label": actor.label[:150],
        "reason": reason[:500],
        "data": data or {},
    }
