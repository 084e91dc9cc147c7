from __future__ import annotations

from typing import Any, NamedTuple

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cuakhau.accounts.roles import Role


class NavItem(NamedTuple):
    url: str
    label: str | Promise
    active: bool


CHECKING = {
    Role.CUSTOMS,
    Role.BORDER_GUARD,
    Role.PLANT_QUARANTINE,
    Role.ANIMAL_QUARANTINE,
    Role.MEDICAL_QUARANTINE,
}

# Per role: (URL name, label). The public pages come after, for everyone.
MENUS: dict[Role, list[tuple[str, Any]]] = {
    Role.ENTERPRISE: [
        ("declarations:list", _("My declarations")),
        ("declarations:new", _("New declaration")),
        ("fees:invoices", _("Invoices")),
        ("accounts:tokens", _("API tokens")),
        ("notifications:webhooks", _("Webhooks")),
    ],
    Role.GATE_OPERATOR: [
        ("declarations:check_in", _("Check-in")),
        ("queueing:index", _("Yard queue")),
        ("declarations:trips", _("Trips at my gates")),
        ("fees:invoices", _("Invoices")),
        ("fees:reconciliation", _("Payments to reconcile")),
        ("notifications:failed", _("Failed deliveries")),
    ],
    Role.CUSTOMS: [
        ("checks:pending", _("Pending checks")),
        ("declarations:corrections", _("Corrections")),
        ("declarations:trips", _("Trips at my gates")),
    ],
    Role.BORDER_GUARD: [
        ("checks:pending", _("Pending checks")),
        ("declarations:corrections", _("Corrections")),
        ("declarations:trips", _("Trips at my gates")),
    ],
    Role.PLANT_QUARANTINE: [("checks:pending", _("Pending checks"))],
    Role.ANIMAL_QUARANTINE: [("checks:pending", _("Pending checks"))],
    Role.MEDICAL_QUARANTINE: [("checks:pending", _("Pending checks"))],
    Role.LEADER: [
        ("declarations:trips", _("Trips at my gates")),
        ("fee_reports:index", _("Fee revenue")),
        ("twin:index", _("Digital twin")),
    ],
    Role.ADMINISTRATOR: [
        ("declarations:corrections", _("Corrections")),
        ("notifications:failed", _("Failed deliveries")),
        ("fee_reports:index", _("Fee revenue")),
        ("twin:index", _("Digital twin")),
    ],
}
PUBLIC: list[tuple[str, Any]] = [
    ("situation:home", _("Clearance situation")),
    ("situation:track", _("Track a trip")),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's role and the menu it gets."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    role = getattr(user, "role", "") if signed_in else ""
    role_enum = getattr(user, "role_enum", None) if signed_in else None
    entries = list(MENUS.get(role_enum, [])) if role_enum else []
    entries += PUBLIC
    if signed_in and user.is_staff:  # type: ignore[union-attr]
        entries.append(("admin:index", _("Administration")))
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    items = [NavItem(reverse(name), label, name == current) for name, label in entries]
    return {"nav_role": role, "nav_items": items}
