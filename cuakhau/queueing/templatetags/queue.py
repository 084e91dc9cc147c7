"""Template filters for the yard queue: rules, holds and classes in words, both sides' clocks,
plates as a yard's screen shows them."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from cuakhau.core.text import Text
from cuakhau.core.views import language
from cuakhau.gates.capacity import CHINA, VIETNAM
from cuakhau.queueing.policy import GoodsGroup, Hold, PriorityClass, Rule, SlotFit

register = template.Library()

RULE_NAMES: dict[str, Any] = {
    Rule.OVERRIDE: _("Out of turn: an operator's priority, with its reason published"),
    Rule.SLOT: _("Booked slot: arrived within its window"),
    Rule.GREEN_LANE: _("Green lane: fresh produce, ahead by the green-lane lead"),
    Rule.QUEUE: _("Living queue: in order of arrival"),
}
HOLD_NAMES: dict[str, Any] = {
    Hold.PAUSED: _("Calls are paused at this passage"),
    Hold.FEE_UNPAID: _("The infrastructure fee is not paid: this gate wants it before call-up"),
    Hold.CLOSED: _("The passage is closed now (working hours or a closure)"),
    Hold.SLOT_NOT_OPEN: _("Booked for a later slot: waits for its window"),
    Hold.QUOTA: _("The partner side's quota for its goods is used up today"),
    Hold.ROOM: _("The control area is full"),
    Hold.CAPACITY: _("This hour's calls are used up"),
}
PRIORITY_NAMES: dict[str, Any] = {
    PriorityClass.GREEN: _("Green lane"),
    PriorityClass.ORDINARY: _("Ordinary"),
}
GOODS_NAMES: dict[str, Any] = {
    GoodsGroup.FRUIT: _("Fruit"),
    GoodsGroup.VEGETABLES: _("Vegetables and plants"),
    GoodsGroup.ELECTRONICS: _("Electronic components"),
    GoodsGroup.GENERAL: _("General goods"),
}
SLOT_FIT_NAMES: dict[str, Any] = {
    SlotFit.EARLY: _("arrived before its slot"),
    SlotFit.IN_WINDOW: _("arrived within its slot"),
    SlotFit.LATE: _("arrived after its slot: the booking was lost"),
}
# Vietnamese plates as painted: 12C12345 → 12C-123.45, 12C1234 → 12C-1234 (board.js does the same).
_VN_PLATE = re.compile(r"^(\d{2}[A-Z]{1,2}\d?)(\d{3})(\d{2})$|^(\d{2}[A-Z]{1,2})(\d{4})$")


@register.filter
def rule_name(rule: str) -> str:
    return str(RULE_NAMES.get(rule, rule))


@register.filter
def hold_name(hold: str) -> str:
    return str(HOLD_NAMES.get(hold, hold))


@register.filter
def priority_name(priority: str) -> str:
    return str(PRIORITY_NAMES.get(priority, priority))


@register.filter
def goods_name(group: str) -> str:
    return str(GOODS_NAMES.get(group, group))


@register.filter
def slot_fit_name(fit: str) -> str:
    return str(SLOT_FIT_NAMES.get(fit, fit))


@register.filter
def board_plate(plate: str) -> str:
    match = _VN_PLATE.match(plate or "")
    if not match:
        return plate or ""
    if match.group(1):
        return f"{match.group(1)}-{match.group(2)}.{match.group(3)}"
    return f"{match.group(4)}-{match.group(5)}"


@register.filter
def vn_time(moment: datetime | None, fmt: str = "%H:%M") -> str:
    return moment.astimezone(VIETNAM).strftime(fmt) if moment else ""


@register.filter
def cn_time(moment: datetime | None, fmt: str = "%H:%M") -> str:
    return moment.astimezone(CHINA).strftime(fmt) if moment else ""


@register.filter
def both_times(moment: datetime | None, with_day: bool = True) -> SafeString | str:
    """``moment`` on both sides' clocks: "14:05 23/11 Vietnam time · 15:05 China time"."""
    if moment is None:
        return "—"
    day = " %d/%m" if with_day else ""
    return format_html(
        '<time datetime="{}">{} <span class="tz">{}</span></time>'
        ' · <span lang="zh-Hans">{}</span> <span class="tz">{}</span>',
        moment.isoformat(),
        vn_time(moment, "%H:%M" + day),
        _("Vietnam time"),
        cn_time(moment, "%H:%M"),
        _("China time"),
    )


@register.filter
def both_times_range(start: datetime | None, end: datetime | None) -> SafeString | str:
    """From ``start`` to ``end`` on both sides' clocks, the day written once when it is the
    same: "14:05–16:30 23/11 Vietnam time · 15:05–17:30 China time". Without an end, or within
    the same minute, it is ``both_times(start)``."""
    if start is None:
        return "—"
    if end is None or vn_time(end, "%H:%M %d/%m") == vn_time(start, "%H:%M %d/%m"):
        return both_times(start)
    same_vietnam_day = vn_time(start, "%d/%m") == vn_time(end, "%d/%m")
    same_china_day = cn_time(start, "%d/%m") == cn_time(end, "%d/%m")
    return format_html(
        '<time datetime="{}">{}</time>{}<time datetime="{}">{}</time> <span class="tz">{}</span>'
        ' · <span lang="zh-Hans">{}{}{}</span> <span class="tz">{}</span>',
        start.isoformat(),
        vn_time(start, "%H:%M" if same_vietnam_day else "%H:%M %d/%m"),
        "–" if same_vietnam_day else " – ",
        end.isoformat(),
        vn_time(end, "%H:%M %d/%m"),
        _("Vietnam time"),
        cn_time(start, "%H:%M"),
        "–" if same_china_day else " – ",
        cn_time(end, "%H:%M" if same_china_day else "%H:%M %d/%m"),
        _("China time"),
    )


PLACE = Text(
    "Thứ {position} trong {waiting} xe đang chờ",
    "{ordinal} of {waiting} waiting",
    "排第 {position} 位（共 {waiting} 辆排队）",
)


def ordinal_en(number: int) -> str:
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


@register.filter
def place_text(place: Any) -> str:
    """ "3rd of 57 waiting", in the reader's language."""
    if place is None or place.position is None:
        return ""
    text = PLACE.format(
        position=place.position, waiting=place.waiting, ordinal=ordinal_en(place.position)
    )
    return text.get(language())


EVENT_NAMES: dict[str, Any] = {
    "pause": _("calls paused"),
    "resume": _("calls resumed"),
    "plan_update": _("capacity plan changed"),
    "hour_override": _("calls of an hour set"),
    "partner_quota": _("partner side's quota recorded"),
    "calendar_add": _("added to the calendar"),
    "calendar_delete": _("taken off the calendar"),
}
WEEKDAY_NAMES = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)


@register.filter
def weekday_name(weekday: int) -> str:
    """Monday = 0, in the reader's language."""
    return str(WEEKDAY_NAMES[weekday]) if 0 <= weekday < 7 else ""


@register.filter
def event_name(action: str) -> str:
    return str(EVENT_NAMES.get(action, action))


@register.filter
def field_error(problem: Any, path: str) -> str:
    """The message for one field of a page's ``Problem`` (none without a problem)."""
    return problem.for_field(path) if problem is not None else ""


@register.filter
def get_value(values: Any, key: str) -> Any:
    return values.get(key, "") if hasattr(values, "get") else ""
