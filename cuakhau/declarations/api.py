"""HTTP API for declarations, trips, check-in, corrections and transshipment (``/api/v1``)."""

# No ``from __future__ import annotations`` here: ninja's @paginate wraps the view and resolves
# string annotations in its own module, where ``Query[DeclarationFilter]`` means nothing; the
# query model then stays undefined and every list call (and the OpenAPI document) fails.

from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from cuakhau.accounts.auth import AUTH
from cuakhau.core.api import Pagination, Presented, actor_of, responses
from cuakhau.core.schemas import DbId, IsoDateTime, LongStr, ShortStr, TinyStr
from cuakhau.declarations import selectors, services
from cuakhau.declarations.documents import DeclarationDoc
from cuakhau.declarations.lifecycle import TripState
from cuakhau.declarations.models import Declaration, DeclarationVersion, Trip
from cuakhau.declarations.qr import is_code, normalize_code
from cuakhau.declarations.schemas import (
    CheckInIn,
    CorrectionDecisionIn,
    CorrectionIn,
    CorrectionOut,
    DeclarationOut,
    DeclarationSummaryOut,
    EventOut,
    PublicTripOut,
    ReasonIn,
    TransshipmentIn,
    TripOut,
    ValidationOut,
    VersionOut,
    declaration_out,
    declaration_summary,
    event_out,
    public_trip_out,
    trip_out,
)
from cuakhau.reference.identifiers import normalize_plate_text

router = Router(tags=["declarations"], auth=AUTH)
trips_router = Router(tags=["trips"], auth=AUTH)
public_router = Router(tags=["public"], auth=None)


def _declaration_response(request: HttpRequest, declaration: Declaration) -> dict[str, Any]:
    """The declaration read again, as the caller may see it, with goods and trips."""
    return declaration_out(*selectors.declaration_details(request.auth, declaration.pk))  # type: ignore[attr-defined]


# --- Declarations ---------------------------------------------------------------------------


class DeclarationFilter(Schema):
    status: TinyStr | None = Field(default=None, description="draft, submitted or cancelled")
    gate: TinyStr | None = None
    direction: TinyStr | None = None
    q: ShortStr | None = Field(default=None, description="Declaration code or customs number")


@router.get("/declarations", response=responses({200: list[DeclarationSummaryOut]}))
@paginate(Pagination)
def declaration_list(request: HttpRequest, filters: Query[DeclarationFilter]) -> Any:
    declarations = (
        selectors.declarations_for(request.auth)  # type: ignore[attr-defined]
        .select_related("gate", "passage", "regime", "enterprise")
        .annotate(trip_count=Count("trips", distinct=True))
    )
    if filters.status:
        declarations = declarations.filter(status=filters.status.lower())
    if filters.gate:
        declarations = declarations.filter(gate__code=filters.gate.upper())
    if filters.direction:
        declarations = declarations.filter(direction=filters.direction.lower())
    if filters.q:
        q = filters.q.strip().upper()
        declarations = declarations.filter(code=q) | declarations.filter(
            customs_declarations__number=q
        )
    return Presented(
        declarations.order_by("-created_at", "-id"),
        lambda page: [declaration_summary(d) for d in page],
    )


@router.post("/declarations/validate", response=responses({200: ValidationOut}))
def declaration_validate(request: HttpRequest, payload: DeclarationDoc) -> Any:
    """Check a whole declaration without saving it: every error, per field, in three languages."""
    clean = services.declaration_validate(actor=actor_of(request), doc=payload)
    return {"valid": True, "document": clean}


@router.post("/declarations", response=responses({201: DeclarationOut}))
def declaration_create(request: HttpRequest, payload: DeclarationDoc, submit: bool = False) -> Any:
    """Create a declaration as a draft, or submit it at once with ``?submit=true``."""
    declaration = services.declaration_create(actor=actor_of(request), doc=payload, submit=submit)
    # The service hands back everything it wrote: answer from it rather than read it again.
    return Status(201, declaration_out(declaration, list(declaration.trips.all())))


@router.get("/declarations/{declaration_id}", response=responses({200: DeclarationOut}))
def declaration_detail(request: HttpRequest, declaration_id: DbId) -> Any:
    declaration = selectors.declaration_for(request.auth, declaration_id)  # type: ignore[attr-defined]
    return _declaration_response(request, declaration)


@router.put("/declarations/{declaration_id}", response=responses({200: DeclarationOut}, 409))
def declaration_update(
    request: HttpRequest, declaration_id: DbId, payload: DeclarationDoc, reason: LongStr = ""
) -> Any:
    """Edit a draft, or a submitted declaration before any truck checks in (a new version)."""
    declaration = services.declaration_update(
        actor=actor_of(request), declaration_id=declaration_id, doc=payload, reason=reason
    )
    return _declaration_response(request, declaration)


@router.post(
    "/declarations/{declaration_id}/submit", response=responses({200: DeclarationOut}, 409)
)
def declaration_submit(request: HttpRequest, declaration_id: DbId) -> Any:
    declaration = services.declaration_submit(
        actor=actor_of(request), declaration_id=declaration_id
    )
    return _declaration_response(request, declaration)


@router.post(
    "/declarations/{declaration_id}/cancel", response=responses({200: DeclarationOut}, 409)
)
def declaration_cancel(request: HttpRequest, declaration_id: DbId, payload: ReasonIn) -> Any:
    declaration = services.declaration_cancel(
        actor=actor_of(request), declaration_id=declaration_id, reason=payload.reason
    )
    return _declaration_response(request, declaration)


@router.get("/declarations/{declaration_id}/versions", response=responses({200: list[VersionOut]}))
def declaration_versions(request: HttpRequest, declaration_id: DbId) -> Any:
    declaration = selectors.declaration_for(request.auth, declaration_id)  # type: ignore[attr-defined]
    versions = DeclarationVersion.objects.filter(declaration=declaration).select_related(
        "created_by"
    )
    return [
        {
            "number": v.number,
            "created_at": v.created_at,
            "created_by": v.created_by.get_username(),
            "reason": v.reason,
            "document": v.document,
        }
        for v in versions
    ]


# --- Corrections ----------------------------------------------------------------------------


def _correction_out(request: Any) -> dict[str, Any]:
    return {
        "id": request.pk,
        "declaration_id": request.declaration_id,
        "declaration_code": request.declaration.code,
        "status": request.status,
        "agency": request.agency.code,
        "reason": request.reason,
        "changes": request.changes,
        "requested_by": request.requested_by.get_username(),
        "requested_at": request.requested_at,
        "decided_by": request.decided_by.get_username() if request.decided_by_id else None,
        "decided_at": request.decided_at,
        "decision_reason": request.decision_reason,
    }


@router.post(
    "/declarations/{declaration_id}/corrections",
    response=responses({201: CorrectionOut}, 409),
)
def correction_create(request: HttpRequest, declaration_id: DbId, payload: CorrectionIn) -> Any:
    """After check-in: propose a corrected declaration for the responsible agency to approve."""
    correction = services.correction_request_create(
        actor=actor_of(request),
        declaration_id=declaration_id,
        doc=payload.document,
        reason=payload.reason,
    )
    return Status(201, _correction_out(correction))


class CorrectionFilter(Schema):
    status: TinyStr | None = Field(default=None, description="pending, approved or rejected")


@router.get("/corrections", response=responses({200: list[CorrectionOut]}))
@paginate(Pagination)
def correction_list(request: HttpRequest, filters: Query[CorrectionFilter]) -> Any:
    corrections = services.corrections_for(request.auth).select_related("decided_by")  # type: ignore[attr-defined]
    if filters.status:
        corrections = corrections.filter(status=filters.status.lower())
    return Presented(
        corrections.order_by("-requested_at", "-id"),
        lambda page: [_correction_out(c) for c in page],
    )


@router.post("/corrections/{correction_id}/decision", response=responses({200: CorrectionOut}, 409))
def correction_decide(
    request: HttpRequest, correction_id: DbId, payload: CorrectionDecisionIn
) -> Any:
    """The responsible agency approves (applied as a new version) or rejects with a reason."""
    correction = services.correction_request_decide(
        actor=actor_of(request),
        request_id=correction_id,
        approve=payload.approve,
        reason=payload.reason,
    )
    return _correction_out(correction)


# --- Trips ----------------------------------------------------------------------------------


class TripFilter(Schema):
    state: list[TinyStr] = Field(default_factory=list, description="One or more trip states")
    gate: TinyStr | None = None
    direction: TinyStr | None = None
    plate: ShortStr | None = Field(default=None, description="Tractor or trailer plate")
    declaration_id: DbId | None = None
    changed_since: IsoDateTime | None = Field(
        default=None, description="ISO 8601; without an offset, Vietnam time (UTC+7)"
    )


def _trip_queryset(request: HttpRequest) -> Any:
    return selectors.with_trip_details(selectors.trips_for(request.auth))  # type: ignore[attr-defined]


@trips_router.get("/trips", response=responses({200: list[TripOut]}))
@paginate(Pagination)
def trip_list(request: HttpRequest, filters: Query[TripFilter]) -> Any:
    trips = _trip_queryset(request)
    states = [s.upper() for s in filters.state if s]
    if states:
        trips = trips.filter(state__in=states)
    if filters.gate:
        trips = trips.filter(declaration__gate__code=filters.gate.upper())
    if filters.direction:
        trips = trips.filter(declaration__direction=filters.direction.lower())
    if filters.plate:
        plate = normalize_plate_text(filters.plate)
        trips = trips.filter(tractor_plate=plate) | trips.filter(trailer_plate=plate)
    if filters.declaration_id is not None:
        trips = trips.filter(declaration_id=filters.declaration_id)
    if filters.changed_since is not None:
        trips = trips.filter(state_changed_at__gte=filters.changed_since)
    return [
        trip_out(t) for t in selectors.attach_details(trips.order_by("-state_changed_at", "-id"))
    ]


@trips_router.get("/trips/{code}", response=responses({200: TripOut}))
def trip_detail(request: HttpRequest, code: str) -> Any:
    normalized = normalize_code(code)
    trip = _trip_queryset(request).filter(code=normalized).first() if is_code(normalized) else None
    if trip is None:
        raise selectors.trip_not_found(code)
    return trip_out(selectors.attach_details([trip])[0])


@trips_router.get("/trips/{code}/events", response=responses({200: list[EventOut]}))
def trip_events(request: HttpRequest, code: str) -> Any:
    trip = selectors.trip_for(request.auth, code)  # type: ignore[attr-defined]
    return [event_out(e) for e in trip.events.select_related("gate", "yard")]


def trip_reply(request: HttpRequest, trip: Trip) -> dict[str, Any]:
    """A trip a service just changed, as the API shows it (its row is not read again)."""
    return trip_out(selectors.trip_details(trip))


@trips_router.post("/trips/{code}/cancel", response=responses({200: TripOut}, 409))
def trip_cancel(request: HttpRequest, code: str, payload: ReasonIn) -> Any:
    trip = services.trip_cancel(actor=actor_of(request), trip_code=code, reason=payload.reason)
    return trip_reply(request, trip)


@trips_router.post("/checkins", response=responses({200: TripOut}, 409))
def trip_check_in(request: HttpRequest, payload: CheckInIn) -> Any:
    """A gate operator checks a trip in at a yard: scanned QR, typed trip code or plate."""
    trip = services.trip_check_in(
        actor=actor_of(request),
        yard_code=payload.yard,
        by=services.CheckInBy(qr=payload.qr, code=payload.code, plate=payload.plate),
    )
    return trip_reply(request, trip)


@trips_router.post("/trips/{code}/call", response=responses({200: TripOut}, 409))
def trip_call(request: HttpRequest, code: str, payload: ReasonIn) -> Any:
    """Call a queued export truck up to the border (the dispatcher does this by policy)."""
    trip = services.trip_call(actor=actor_of(request), trip_code=code, reason=payload.reason)
    return trip_reply(request, trip)


@trips_router.post("/trips/{code}/no-show", response=responses({200: TripOut}, 409))
def trip_no_show(request: HttpRequest, code: str, payload: ReasonIn) -> Any:
    trip = services.trip_no_show(actor=actor_of(request), trip_code=code, reason=payload.reason)
    return trip_reply(request, trip)


@trips_router.post("/trips/{code}/enter-control", response=responses({200: TripOut}, 409))
def trip_enter_control(request: HttpRequest, code: str, payload: ReasonIn) -> Any:
    trip = services.trip_enter_control(
        actor=actor_of(request), trip_code=code, reason=payload.reason
    )
    return trip_reply(request, trip)


@trips_router.post("/trips/{code}/departure", response=responses({200: TripOut}, 409))
def trip_depart(request: HttpRequest, code: str, payload: ReasonIn) -> Any:
    trip = services.trip_depart(actor=actor_of(request), trip_code=code, reason=payload.reason)
    return trip_reply(request, trip)


@trips_router.post("/trips/{code}/transshipments", response=responses({201: list[TripOut]}, 409))
def trip_transship(request: HttpRequest, code: str, payload: TransshipmentIn) -> Any:
    """Move a cleared import trip's goods onto Vietnamese trucks at a yard zone."""
    created = services.trip_transship(
        actor=actor_of(request),
        trip_code=code,
        zone_code=payload.zone,
        receiving=[
            services.ReceivingTruck(
                vehicle=truck.vehicle,
                goods=[
                    services.TransshippedGoods(g.goods_line_id, g.quantity, g.gross_weight_kg)
                    for g in truck.goods
                ],
            )
            for truck in payload.receiving
        ],
    )
    return Status(201, [trip_reply(request, trip) for trip in created])


# --- Public ---------------------------------------------------------------------------------


@public_router.get("/public/trips/{code}", response=responses({200: PublicTripOut}, public=True))
def public_trip(request: HttpRequest, code: str) -> Any:
    """A trip's status by its code, for anyone: no plates, names or phone numbers."""
    normalized = normalize_code(code)
    trip = (
        Trip.objects.with_declaration()
        .exclude(state=TripState.DRAFT)
        # A draft cancelled before it was ever submitted stays the enterprise's own business.
        .filter(code=normalized, declaration__submitted_at__isnull=False)
        .first()
        if is_code(normalized)
        else None
    )
    if trip is None:
        raise selectors.trip_not_found(code)
    return public_trip_out(trip)
