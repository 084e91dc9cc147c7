"""HTTP API for agency checks: an officer's pending work and their decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from cuakhau.accounts.auth import AUTH
from cuakhau.checks.rules import CheckStatus
from cuakhau.checks.services import check_decide, pending_checks_for
from cuakhau.core.api import InputSchema, Pagination, Presented, actor_of, responses
from cuakhau.core.schemas import LongStr, ShortStr
from cuakhau.declarations.api import trip_reply
from cuakhau.declarations.schemas import TripOut, plate_display, state_names

router = Router(tags=["checks"], auth=AUTH)


class PendingCheckOut(Schema):
    trip: str
    agency: str
    status: str
    trip_state: str
    trip_state_names: dict[str, str]
    direction: str
    gate: str
    yard: str | None = None
    tractor_plate_display: str
    enterprise: str
    waiting_since: datetime


class DecisionIn(InputSchema):
    decision: Literal["passed", "held", "refused"]
    reason: LongStr = ""


@router.get("/checks/pending", response=responses({200: list[PendingCheckOut]}))
@paginate(Pagination)
def pending_checks(request: HttpRequest) -> Any:
    """The checks the officer's agency still has to decide at the officer's gates."""
    return Presented(pending_checks_for(request.auth), _pending_out)  # type: ignore[attr-defined]


def _pending_out(checks: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "trip": check.trip.code,
            "agency": check.agency.code,
            "status": check.status,
            "trip_state": check.trip.state,
            "trip_state_names": state_names(check.trip.state),
            "direction": check.trip.declaration.direction,
            "gate": check.trip.declaration.gate.code,
            "yard": check.trip.yard.code if check.trip.yard else None,
            "tractor_plate_display": plate_display(
                check.trip.tractor_plate, check.trip.tractor_country
            ),
            "enterprise": check.trip.declaration.enterprise.name,
            "waiting_since": check.trip.state_changed_at,
        }
        for check in checks
    ]


@router.post("/trips/{code}/checks/{agency}/decision", response=responses({200: TripOut}, 409))
def decide(request: HttpRequest, code: str, agency: ShortStr, payload: DecisionIn) -> Any:
    """Record the agency's decision: passed, held (with a reason) or refused (with a reason)."""
    check = check_decide(
        actor=actor_of(request),
        trip_code=code,
        agency_code=agency.lower(),
        decision=CheckStatus(payload.decision),
        reason=payload.reason,
    )
    return trip_reply(request, check.trip)
