"""Template filters for the pages: names and states in the reader's language, plates, badges."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from cuakhau.checks.rules import STATUS_NAMES as CHECK_NAMES
from cuakhau.checks.rules import CheckStatus
from cuakhau.core.text import Text
from cuakhau.core.views import language
from cuakhau.declarations.lifecycle import ACTION_NAMES, STATE_NAMES, Action, TripState
from cuakhau.declarations.schemas import plate_display

register = template.Library()

STATE_TONES: dict[str, str] = {
    TripState.DRAFT: "muted",
    TripState.DECLARED: "info",
    TripState.ARRIVED: "info",
    TripState.ENTERED: "info",
    TripState.CALLED: "warn",
    TripState.AT_GATE: "warn",
    TripState.HELD: "bad",
    TripState.CLEARED: "ok",
    TripState.DEPARTED: "ok",
    TripState.REFUSED: "bad",
    TripState.CANCELLED: "muted",
}
CHECK_TONES: dict[str, str] = {
    CheckStatus.PENDING: "info",
    CheckStatus.PASSED: "ok",
    CheckStatus.HELD: "warn",
    CheckStatus.REFUSED: "bad",
}
# Events that are not lifecycle actions.
OTHER_ACTIONS = {
    "amend": _("amended"),
    "check_decision": _("agency decision"),
    "transship_in": _("received goods by transshipment"),
    "transship_out": _("goods transshipped"),
}
STATUS_NAMES = {
    "draft": _("Draft"),
    "submitted": _("Submitted"),
    "cancelled": _("Cancelled"),
    "pending": _("Pending"),
    "approved": _("Approved"),
    "rejected": _("Rejected"),
}
STATUS_TONES = {
    "draft": "muted",
    "submitted": "info",
    "cancelled": "muted",
    "pending": "warn",
    "approved": "ok",
    "rejected": "bad",
}


@register.filter
def tr(value: Any) -> str:
    """A ``Text`` or a ``{"vi", "en", "zh"}`` mapping in the reader's language."""
    if isinstance(value, Text):
        return value.get(language())
    if isinstance(value, Mapping):
        return str(value.get(language()) or value.get("vi") or "")
    return "" if value is None else str(value)


@register.filter
def named(row: Any) -> str:
    """A reference row (gate, passage, yard, agency …) by its name in the reader's language."""
    if row is None:
        return ""
    name_for = getattr(row, "name_for", None)
    return str(name_for(language())) if name_for else str(row)


@register.filter
def state_name(state: str) -> str:
    try:
        return STATE_NAMES[TripState(state)].get(language())
    except ValueError:
        return state


@register.filter
def state_tone(state: str) -> str:
    return STATE_TONES.get(state, "muted")


@register.filter
def check_name(status: str) -> str:
    try:
        return CHECK_NAMES[CheckStatus(status)].get(language())
    except ValueError:
        return status


@register.filter
def check_tone(status: str) -> str:
    return CHECK_TONES.get(status, "muted")


@register.filter
def status_name(status: str) -> str:
    return str(STATUS_NAMES.get(status, status))


@register.filter
def status_tone(status: str) -> str:
    return STATUS_TONES.get(status, "muted")


@register.filter
def action_name(action: str) -> str:
    try:
        return ACTION_NAMES[Action(action)].get(language())
    except ValueError:
        return str(OTHER_ACTIONS.get(action, action))


@register.filter
def tractor(trip: Any) -> str:
    return plate_display(trip.tractor_plate, trip.tractor_country)


@register.filter
def trailer(trip: Any) -> str:
    return plate_display(trip.trailer_plate, trip.trailer_country, trailer=True)


@register.filter
def minutes(value: Any) -> int:
    """A ``timedelta`` (or hours as a number) in whole minutes."""
    if isinstance(value, timedelta):
        return int(value.total_seconds() // 60)
    try:
        return int(float(value) * 60)
    except (TypeError, ValueError):
        return 0


@register.filter
def get(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, Mapping) else None
