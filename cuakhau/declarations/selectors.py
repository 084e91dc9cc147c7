"""Reads, always scoped to the user (NetBox's ``restrict``): nothing leaves unscoped."""

from __future__ import annotations

from django.db.models import QuerySet

from cuakhau.accounts.models import User
from cuakhau.accounts.permissions import agency_code_of
from cuakhau.accounts.roles import Role
from cuakhau.core.errors import NotFound
from cuakhau.core.text import Text
from cuakhau.declarations.lifecycle import TripState
from cuakhau.declarations.models import Declaration, Trip
from cuakhau.declarations.qr import is_code, normalize_code

DECLARATION_NOT_FOUND = Text(
    vi="Không tìm thấy tờ khai.", en="Declaration not found.", zh="未找到该申报。"
)
TRIP_NOT_FOUND = Text(
    vi="Không tìm thấy chuyến xe {code}.", en="Trip {code} not found.", zh="未找到车次 {code}。"
)


def declarations_for(user: User) -> QuerySet[Declaration]:
    """Declarations a user may see: an enterprise its own; officers those at their gates."""
    declarations = Declaration.objects.all()
    if not user.is_authenticated:
        return declarations.none()
    if user.is_administrator:
        return declarations
    if user.role == Role.ENTERPRISE:
        return declarations.filter(enterprise_id=user.enterprise_id)
    if user.is_gate_scoped:
        # Drafts are the enterprise's own business until submitted.
        scoped = declarations.filter(gate_id__in=user.gate_ids()).exclude(
            status=Declaration.Status.DRAFT
        )
        agency = agency_code_of(user)
        if agency and user.role != Role.GATE_OPERATOR:
            scoped = scoped.filter(trips__checks__agency__code=agency).distinct()
        return scoped
    return declarations.none()


def trips_for(user: User) -> QuerySet[Trip]:
    """Trips a user may see, by the same rules as ``declarations_for``."""
    trips = Trip.objects.all()
    if not user.is_authenticated:
        return trips.none()
    if user.is_administrator:
        return trips
    if user.role == Role.ENTERPRISE:
        return trips.filter(declaration__enterprise_id=user.enterprise_id)
    if user.is_gate_scoped:
        scoped = trips.filter(declaration__gate_id__in=user.gate_ids()).exclude(
            state=TripState.DRAFT
        )
        agency = agency_code_of(user)
        if agency and user.role != Role.GATE_OPERATOR:
            # Receiving trips of a transshipment carry no checks: officers who checked the
            # source trip still see them.
            scoped = scoped.filter(checks__agency__code=agency) | scoped.filter(
                source_trip__checks__agency__code=agency
            )
            scoped = scoped.distinct()
        return scoped
    return trips.none()


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
