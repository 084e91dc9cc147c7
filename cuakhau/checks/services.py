"""An officer records their agency's decision on a trip; the trip follows (hold, refuse, clear)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from cuakhau.accounts.models import Agency, User
from cuakhau.accounts.permissions import agency_code_of, role_forbidden
from cuakhau.accounts.roles import AGENCY_OF_ROLE, CHECKING_AGENCIES
from cuakhau.checks.models import AgencyCheck
from cuakhau.checks.rules import CheckStatus, check_decision
from cuakhau.core.actors import Actor
from cuakhau.core.errors import Conflict, NotAllowed, NotFound
from cuakhau.core.text import Text
from cuakhau.declarations.lifecycle import DECIDABLE, STATE_NAMES, Action, TripState
from cuakhau.declarations.models import Trip
from cuakhau.declarations.services import clear_if_ready, lock_trip, trip_event, trip_transition

NOT_REQUIRED = Text(
    vi="Chuyến {code} không cần kiểm tra của {agency}.",
    en="Trip {code} does not need a check by {agency}.",
    zh="车次 {code} 不需要{agency}检查。",
)
NOT_YOUR_AGENCY = Text(
    vi="Bạn chỉ được ghi kết quả cho cơ quan của mình.",
    en="You can only record decisions for your own agency.",
    zh="您只能记录本机构的检查结果。",
)
NOT_ON_SITE = Text(
    vi="Chuyến {code} đang «{state}»: chỉ ghi kết quả khi xe đã vào bãi hoặc khu kiểm soát.",
    en="Trip {code} is «{state}»: decisions are recorded once the truck is at the yard or in "
    "the control area.",
    zh="车次 {code} 当前为「{state}」：车辆入场或进入监管区后才能记录检查结果。",
)
CHECKING_ROLES = frozenset(
    role for role, agency in AGENCY_OF_ROLE.items() if agency in CHECKING_AGENCIES
)


def pending_checks_for(user: User) -> QuerySet[AgencyCheck]:
    """The checks an officer's agency still has to decide at the officer's gates."""
    agency = agency_code_of(user)
    if agency not in CHECKING_AGENCIES:
        return AgencyCheck.objects.none()
    on_site = sorted({state.value for states in DECIDABLE.values() for state in states})
    return (
        AgencyCheck.objects.filter(
            agency__code=agency,
            status__in=[CheckStatus.PENDING, CheckStatus.HELD],
            trip__declaration__gate_id__in=user.gate_ids(),
            trip__state__in=on_site,
        )
        .select_related(
            "trip",
            "trip__declaration",
            "trip__declaration__gate",
            "trip__declaration__enterprise",
            "trip__yard",
            "agency",
        )
        .order_by("trip__state_changed_at", "trip_id")
    )


def check_decide(
    *, actor: Actor, trip_code: str, agency_code: str, decision: CheckStatus, reason: str = ""
) -> AgencyCheck:
    """Record ``decision`` on the trip's check for ``agency_code``; hold, refuse, release or
    clear the trip as the checks together say. Locks the trip, then the check (fixed order)."""
    user = actor.user
    if user is None:
        raise TypeError("a check decision needs an officer")
    own_agency = agency_code_of(user)
    if own_agency not in CHECKING_AGENCIES:
        raise role_forbidden(CHECKING_ROLES)
    if agency_code != own_agency:
        raise NotAllowed(code="agency_not_yours", message=NOT_YOUR_AGENCY)
    with transaction.atomic(durable=True):
        trip = lock_trip(user, trip_code)
        # Timestamps are taken under the lock, so events order as the locks did.
        now = timezone.now()
        check = (
            AgencyCheck.objects.select_for_update(of=("self",))
            .select_related("agency")
            .filter(trip=trip, agency__code=agency_code)
            .first()
        )
        if check is None:
            agency = Agency.objects.get(code=agency_code)
            raise NotFound(
                code="check_not_required",
                message=NOT_REQUIRED.format(code=trip.code, agency=agency.names),
            )
        state = TripState(trip.state)
        if state not in DECIDABLE[trip.declaration.direction]:
            raise Conflict(
                code="trip_not_on_site",
                message=NOT_ON_SITE.format(code=trip.code, state=STATE_NAMES[state]),
            )
        before = CheckStatus(check.status)
        after = check_decision(before, decision, reason)
        AgencyCheck.objects.filter(pk=check.pk).update(
            status=after, officer=user, decided_at=now, reason=reason
        )
        check.status, check.officer, check.decided_at, check.reason = after, user, now, reason
        check.trip = trip
        data = {"agency": agency_code, "check_before": before.value, "check_after": after.value}
        _follow(trip, after, actor, now, reason, data)
    return check


def _follow(
    trip: Trip,
    decision: CheckStatus,
    actor: Actor,
    now: datetime,
    reason: str,
    data: dict[str, str],
) -> None:
    """Move the trip as the decision requires; the decision itself is in the event's data."""
    state = TripState(trip.state)
    if decision is CheckStatus.REFUSED:
        trip_transition(trip, Action.REFUSE, actor, now=now, reason=reason, data=data)
    elif decision is CheckStatus.HELD and state is not TripState.HELD:
        trip_transition(trip, Action.HOLD, actor, now=now, reason=reason, data=data)
    elif (
        decision is CheckStatus.PASSED
        and state is TripState.HELD
        and not trip.checks.filter(status=CheckStatus.HELD).exists()
    ):
        # The last hold is lifted: back to where the trip was held from.
        trip_transition(trip, Action.RELEASE, actor, now=now, reason=reason, data=data)
    else:
        trip_event(
            trip, "check_decision", trip.state, trip.state, actor, now=now, reason=reason, data=data
        )
    if decision is CheckStatus.PASSED:
        clear_if_ready(trip, actor, now=now)
