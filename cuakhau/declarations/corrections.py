"""What a correction after check-in changes, whether it may, and who must approve it. No Django."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from cuakhau.accounts.roles import AgencyCode
from cuakhau.core.errors import Conflict
from cuakhau.core.text import Text

# Fields that place the declaration at a gate: changing them is a new declaration, not a fix.
FIXED_FIELDS = ("direction", "gate", "passage")
# Trips still waiting to arrive may be dropped by a correction; others have been on site.
REMOVABLE_STATES = frozenset({"DRAFT", "DECLARED", "CANCELLED"})


def jsonable(value: Any) -> Any:
    """Plain JSON values in one canonical form: decimals without trailing zeros ("18000", not
    "18000.000"), datetimes in ISO 8601; so that equal values compare equal."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def canonical(document: BaseModel) -> dict[str, Any]:
    """A document as canonical JSON (see ``jsonable``), for storing and comparing."""
    result: dict[str, Any] = jsonable(document.model_dump(mode="python"))
    return result


def document_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every leaf that differs, as ``{"path", "before", "after"}``; trips are matched by code."""
    changes: list[dict[str, Any]] = []
    _diff(jsonable(_keyed(before)), jsonable(_keyed(after)), "", changes)
    return changes


def _keyed(document: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(document)
    trips = out.get("trips")
    if isinstance(trips, list):
        out["trips"] = {
            (trip.get("code") or f"new-{i}"): {k: v for k, v in trip.items() if k != "code"}
            for i, trip in enumerate(trips)
        }
    return out


def _diff(before: Any, after: Any, path: str, out: list[dict[str, Any]]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in list(before) + [k for k in after if k not in before]:
            sub = f"{path}.{key}" if path else str(key)
            _diff(before.get(key), after.get(key), sub, out)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            _diff(b, a, f"{path}.{i}", out)
    elif before != after:
        out.append({"path": path, "before": before, "after": after})


GOODS_PREFIXES = ("customs_declarations", "regime", "perishable", "road_manifest_number")


def responsible_agency(changes: list[dict[str, Any]]) -> AgencyCode:
    """Customs approves anything touching goods or customs data; the border guard the rest
    (vehicles, drivers, containers)."""
    if any(change["path"].startswith(GOODS_PREFIXES) for change in changes):
        return AgencyCode.CUSTOMS
    return AgencyCode.BORDER_GUARD


NO_CHANGE = Text(
    vi="Yêu cầu điều chỉnh không thay đổi gì so với tờ khai hiện tại.",
    en="The correction changes nothing in the current declaration.",
    zh="更正申请与当前申报相比没有任何变化。",
)


def check_allowed(
    current: Mapping[str, Any], proposed: Mapping[str, Any], trip_states: Mapping[str, str]
) -> None:
    """Refuse corrections that would move the declaration or drop a truck already on site."""
    for name in FIXED_FIELDS:
        if current.get(name) != proposed.get(name):
            raise Conflict(
                code="correction_fixed_field",
                message=Text(
                    vi=f"Không thể điều chỉnh «{name}» sau khi xe đã vào bãi; hãy hủy và khai báo "
                    "lại.",
                    en=f"«{name}» cannot be corrected after check-in; cancel and declare again.",
                    zh=f"车辆入场后不能更正「{name}」；请取消后重新申报。",
                ),
            )
    kept = {trip.get("code") for trip in proposed.get("trips", [])}
    for code, state in trip_states.items():
        if code not in kept and state not in REMOVABLE_STATES:
            raise Conflict(
                code="correction_drops_trip",
                message=Text(
                    vi=f"Chuyến {code} đã vào bãi, không thể bỏ khỏi tờ khai.",
                    en=f"Trip {code} has checked in and cannot be removed from the declaration.",
                    zh=f"车次 {code} 已入场，不能从申报中删除。",
                ),
            )
    if not document_changes(current, proposed):
        raise Conflict(code="correction_empty", message=NO_CHANGE)
