"""Reads, always scoped to the user (NetBox's ``restrict``): nothing leaves unscoped."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from cuakhau.accounts.models import User
from cuakhau.accounts.permissions import agency_code_of
from cuakhau.accounts.roles import CHECKING_AGENCIES, Role
from cuakhau.checks.models import AgencyCheck
from cuakhau.core.errors import NotFound
from cuakhau.core.text import Text
from cuakhau.declarations.models import CustomsDeclaration, Declaration, Trip
from cuakhau.declarations.qr import is_code, normalize_code
from cuakhau.reference.catalog import ReferenceIndex, reference_index

DECLARATION_NOT_FOUND = Text(
    vi="Không tìm thấy tờ khai.", en="Declaration not found.", zh="未找到该申报。"
)
TRIP_NOT_FOUND = Text(
    vi="Không tìm thấy chuyến xe {code}.", en="Trip {code} not found.", zh="未找到车次 {code}。"
)


def declarations_for(user: User) -> QuerySet[Declaration]:
    """Declarations a user may see: an enterprise its own; a gate operator every submitted one
    at their gates; an agency officer those at their gates that need their agency. Leaders see
    aggregates only (the situation pages), never individual declarations."""
    declarations = Declaration.objects.all()
    if not user.is_authenticated:
        return declarations.none()
    if user.is_administrator:
        return declarations
    if user.role == Role.ENTERPRISE:
        return declarations.filter(enterprise_id=user.enterprise_id)
    agency = agency_code_of(user)
    if user.role != Role.GATE_OPERATOR and agency not in CHECKING_AGENCIES:
        return declarations.none()
    # Until submitted (drafts, and drafts cancelled unsubmitted) it is the enterprise's own.
    scoped = declarations.filter(gate_id__in=user.gate_ids(), submitted_at__isnull=False)
    if user.role != Role.GATE_OPERATOR:
        scoped = scoped.filter(trips__checks__agency__code=agency).distinct()
    return scoped


def trips_for(user: User) -> QuerySet[Trip]:
    """Trips a user may see, by the same rules as ``declarations_for``."""
    trips = Trip.objects.all()
    if not user.is_authenticated:
        return trips.none()
    if user.is_administrator:
        return trips
    if user.role == Role.ENTERPRISE:
        return trips.filter(declaration__enterprise_id=user.enterprise_id)
    agency = agency_code_of(user)
    if user.role != Role.GATE_OPERATOR and agency not in CHECKING_AGENCIES:
        return trips.none()
    scoped = trips.filter(
        declaration__gate_id__in=user.gate_ids(), declaration__submitted_at__isnull=False
    )
    if user.role != Role.GATE_OPERATOR:
        # Receiving trips of a transshipment carry no checks: officers who checked the source
        # trip still see them.
        scoped = scoped.filter(checks__agency__code=agency) | scoped.filter(
            source_trip__checks__agency__code=agency
        )
        scoped = scoped.distinct()
    return scoped


def declaration_for(user: User, declaration_id: int) -> Declaration:
    try:
        return (
            declarations_for(user)
            .select_related("gate", "passage", "regime", "enterprise")
            .get(pk=declaration_id)
        )
    except Declaration.DoesNotExist:
        raise NotFound(code="declaration_not_found", message=DECLARATION_NOT_FOUND) from None


def trip_not_found(code: str) -> NotFound:
    return NotFound(code="trip_not_found", message=TRIP_NOT_FOUND.format(code=code))


def trip_for(user: User, code: str) -> Trip:
    code = normalize_code(code)
    if not is_code(code):
        raise trip_not_found(code[:20])
    try:
        return trips_for(user).with_declaration().get(code=code)
    except Trip.DoesNotExist:
        raise trip_not_found(code) from None


def attach_reference(trip: Trip, index: ReferenceIndex) -> None:
    """Set a trip's gate, passage, regime, vehicle class and yard from the cached reference
    rows; rows the cache does not hold (inactive ones) load as usual when used."""
    declaration = trip.declaration
    for owner, field, kind in (
        (trip, "vehicle_class", "vehicle_class"),
        (trip, "yard", "yard"),
        (declaration, "gate", "gate"),
        (declaration, "passage", "passage"),
        (declaration, "regime", "regime"),
    ):
        row = index.rows[kind].get(getattr(owner, f"{field}_id"))
        if row is not None:
            setattr(owner, field, row)


CHECK_FIELDS = ("trip_id", "agency_id", "status", "officer_id", "decided_at", "reason")


def _trip_prefetches() -> tuple[Prefetch[Any], ...]:
    return (
        Prefetch("containers"),
        # The officer's name is all a check shows of them.
        Prefetch(
            "checks",
            queryset=AgencyCheck.objects.select_related("officer").only(
                *CHECK_FIELDS, "officer__username", "officer__first_name", "officer__last_name"
            ),
        ),
    )


def with_trip_details(trips: QuerySet[Trip]) -> QuerySet[Trip]:
    """Trips ready to present: declaration and enterprise joined, containers and checks
    prefetched. Reference rows (gate, passage, class, yard, agency) come from the cache:
    call ``attach_details`` on the rows."""
    return trips.select_related(
        "declaration", "declaration__enterprise", "source_trip"
    ).prefetch_related(*_trip_prefetches())


def attach_details(trips: Iterable[Trip]) -> list[Trip]:
    """Attach the cached reference rows to trips read with ``with_trip_details``."""
    index = reference_index()
    rows = list(trips)
    for trip in rows:
        attach_reference(trip, index)
        for check in trip.checks.all():
            agency = index.rows["agency"].get(check.agency_id)
            if agency is not None:
                check.agency = agency
    return rows


def trip_details(trip: Trip) -> Trip:
    """One trip (just changed by a service) made ready to present, without reading it again."""
    prefetch_related_objects([trip], *_trip_prefetches())
    if trip.source_trip_id and "source_trip" not in trip._state.fields_cache:
        trip.source_trip = Trip.objects.only("code").get(pk=trip.source_trip_id)
    return attach_details([trip])[0]


def declaration_details(user: User, declaration_id: int) -> tuple[Declaration, list[Trip]]:
    """A declaration the user may see with its goods and trips, ready to present."""
    declaration = declaration_for(user, declaration_id)
    index = reference_index()
    for field, kind in (("gate", "gate"), ("passage", "passage"), ("regime", "regime")):
        row = index.rows[kind].get(getattr(declaration, f"{field}_id"))
        if row is not None:
            setattr(declaration, field, row)
    prefetch_related_objects(
        [declaration],
        Prefetch(
            "customs_declarations",
            queryset=CustomsDeclaration.objects.select_related("type").prefetch_related("lines"),
        ),
    )
    trips = attach_details(with_trip_details(declaration.trips.all()).order_by("position", "pk"))
    for trip in trips:
        trip.declaration = declaration
    return declaration, trips
