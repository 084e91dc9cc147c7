"""Public reads: the clearance situation per gate, and a trip's status by its code.

Nothing here is scoped to a user because nothing here is personal: counts, and a trip's state
and agency checks without plates, names or phone numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from cuakhau.declarations.lifecycle import ON_SITE, TripState
from cuakhau.declarations.models import Trip
from cuakhau.declarations.qr import is_code, normalize_code
from cuakhau.gates.models import Gate

# The columns of the public summary, in the order a truck goes through them.
SUMMARY_STATES: tuple[TripState, ...] = (
    TripState.DECLARED,
    TripState.ARRIVED,
    TripState.ENTERED,
    TripState.CALLED,
    TripState.AT_GATE,
    TripState.HELD,
    TripState.CLEARED,
    TripState.DEPARTED,
    TripState.REFUSED,
)


@dataclass
class GateSummary:
    gate: Gate
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def cells(self) -> list[int]:
        return [self.counts.get(state, 0) for state in SUMMARY_STATES]

    @property
    def on_site(self) -> int:
        return sum(self.counts.get(state, 0) for state in ON_SITE)


def local_day(now: datetime) -> tuple[datetime, datetime]:
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def gate_summaries(now: datetime | None = None) -> list[GateSummary]:
    """Per active gate: trucks on site now, and trips declared for, departed or refused today."""
    start, end = local_day(now or timezone.now())
    today = Q(state_changed_at__gte=start, state_changed_at__lt=end)
    expected = Q(
        state=TripState.DECLARED,
        declaration__planned_arrival__gte=start,
        declaration__planned_arrival__lt=end,
    )
    rows = (
        Trip.objects.filter(Q(state__in=list(ON_SITE)) | today | expected)
        .filter(state__in=list(SUMMARY_STATES))
        .values("declaration__gate_id", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    summaries = {gate.pk: GateSummary(gate) for gate in Gate.objects.filter(is_active=True)}
    for row in rows:
        summary = summaries.get(row["declaration__gate_id"])
        if summary is not None:
            summary.counts[row["state"]] = row["n"]
    return list(summaries.values())


def public_trip(code: str) -> Trip | None:
    """A submitted trip by its code (drafts are nobody's business but the enterprise's)."""
    normalized = normalize_code(code)
    if not is_code(normalized):
        return None
    return (
        Trip.objects.with_declaration()
        .exclude(state=TripState.DRAFT)
        .filter(code=normalized)
        .first()
    )
