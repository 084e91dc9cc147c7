"""The trip state machine (domain.md §5), as plain data and one function. No Django.

export: DRAFT → DECLARED → ARRIVED → CALLED → AT_GATE → CLEARED → DEPARTED
import: DRAFT → DECLARED → ENTERED → AT_GATE → CLEARED → DEPARTED
side:   HELD ↔ the state it was held from; REFUSED; CANCELLED (before arrival);
        CALLED → ARRIVED when the truck does not show up in time (no-show).

Trips received in a transshipment start CLEARED: their goods were cleared on the source trip.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cuakhau.core.errors import Conflict
from cuakhau.core.text import Text


class TripState(StrEnum):
    DRAFT = "DRAFT"
    DECLARED = "DECLARED"
    ARRIVED = "ARRIVED"
    ENTERED = "ENTERED"
    CALLED = "CALLED"
    AT_GATE = "AT_GATE"
    HELD = "HELD"
    CLEARED = "CLEARED"
    DEPARTED = "DEPARTED"
    REFUSED = "REFUSED"
    CANCELLED = "CANCELLED"


class Action(StrEnum):
    SUBMIT = "submit"
    CHECK_IN = "check_in"
    CALL = "call"
    NO_SHOW = "no_show"
    ENTER_CONTROL = "enter_control"
    HOLD = "hold"
    RELEASE = "release"
    CLEAR = "clear"
    REFUSE = "refuse"
    DEPART = "depart"
    CANCEL = "cancel"


EXPORT = "export"
IMPORT = "import"
DIRECTIONS = (EXPORT, IMPORT)

S = TripState
A = Action

# (direction, from state, action) → to state. HOLD and RELEASE are handled apart (they remember
# where the trip was held from).
_TABLE: dict[tuple[str, TripState, Action], TripState] = {
    (EXPORT, S.DRAFT, A.SUBMIT): S.DECLARED,
    (EXPORT, S.DECLARED, A.CHECK_IN): S.ARRIVED,
    (EXPORT, S.ARRIVED, A.CALL): S.CALLED,
    (EXPORT, S.CALLED, A.NO_SHOW): S.ARRIVED,
    (EXPORT, S.CALLED, A.ENTER_CONTROL): S.AT_GATE,
    (EXPORT, S.AT_GATE, A.CLEAR): S.CLEARED,
    (EXPORT, S.CLEARED, A.DEPART): S.DEPARTED,
    (IMPORT, S.DRAFT, A.SUBMIT): S.DECLARED,
    (IMPORT, S.DECLARED, A.CHECK_IN): S.ENTERED,
    (IMPORT, S.ENTERED, A.ENTER_CONTROL): S.AT_GATE,
    (IMPORT, S.AT_GATE, A.CLEAR): S.CLEARED,
    (IMPORT, S.CLEARED, A.DEPART): S.DEPARTED,
}
for _direction in DIRECTIONS:
    for _state in (S.DRAFT, S.DECLARED):
        _TABLE[(_direction, _state, A.CANCEL)] = S.CANCELLED

# Where an agency can hold or refuse a trip: from check-in until it is cleared.
HOLDABLE: dict[str, frozenset[TripState]] = {
    EXPORT: frozenset({S.ARRIVED, S.CALLED, S.AT_GATE}),
    IMPORT: frozenset({S.ENTERED, S.AT_GATE}),
}
REFUSABLE: dict[str, frozenset[TripState]] = {
    direction: states | {S.HELD} for direction, states in HOLDABLE.items()
}
# Agencies record decisions while the truck is in their hands.
DECIDABLE = REFUSABLE
TERMINAL: frozenset[TripState] = frozenset({S.DEPARTED, S.REFUSED, S.CANCELLED})
# States in which the truck is physically at a yard or in the control area.
ON_SITE: frozenset[TripState] = frozenset(
    {S.ARRIVED, S.ENTERED, S.CALLED, S.AT_GATE, S.HELD, S.CLEARED}
)

STATE_NAMES: dict[TripState, Text] = {
    S.DRAFT: Text("Nháp", "Draft", "草稿"),
    S.DECLARED: Text("Đã khai báo", "Declared", "已申报"),
    S.ARRIVED: Text("Đã vào bãi, chờ gọi", "In the yard, queued", "已入场排队"),
    S.ENTERED: Text("Đã nhập cảnh vào bãi", "Crossed in, at the yard", "已入境进场"),
    S.CALLED: Text("Đã được gọi lên cửa khẩu", "Called to the gate", "已叫号"),
    S.AT_GATE: Text("Trong khu vực kiểm soát", "In the control area", "在监管区内"),
    S.HELD: Text("Tạm giữ để kiểm tra", "Held for inspection", "暂扣待查"),
    S.CLEARED: Text("Đã thông quan", "Cleared", "已通关"),
    S.DEPARTED: Text("Đã rời cửa khẩu", "Departed", "已离开口岸"),
    S.REFUSED: Text("Bị từ chối", "Refused", "已拒绝"),
    S.CANCELLED: Text("Đã hủy", "Cancelled", "已取消"),
}

ACTION_NAMES: dict[Action, Text] = {
    A.SUBMIT: Text("gửi khai báo", "submit", "提交申报"),
    A.CHECK_IN: Text("vào bãi", "check in", "入场登记"),
    A.CALL: Text("gọi xe", "call up", "叫号"),
    A.NO_SHOW: Text("xe không đến", "no-show", "未按时到达"),
    A.ENTER_CONTROL: Text("vào khu kiểm soát", "enter the control area", "进入监管区"),
    A.HOLD: Text("tạm giữ", "hold", "暂扣"),
    A.RELEASE: Text("giải tỏa", "release", "放行暂扣"),
    A.CLEAR: Text("thông quan", "clear", "通关"),
    A.REFUSE: Text("từ chối", "refuse", "拒绝"),
    A.DEPART: Text("rời cửa khẩu", "depart", "离开"),
    A.CANCEL: Text("hủy", "cancel", "取消"),
}


@dataclass(frozen=True, slots=True)
class Transition:
    before: TripState
    after: TripState
    # For HOLD: the state to return to on RELEASE.
    held_from: TripState | None = None


def transition_refused(direction: str, state: TripState, action: Action) -> Conflict:
    name = ACTION_NAMES[action]
    current = STATE_NAMES[state]
    return Conflict(
        code="transition_not_allowed",
        message=Text(
            vi=f"Không thể {name.vi} chuyến xe đang ở trạng thái «{current.vi}».",
            en=f"Cannot {name.en} a trip that is «{current.en}».",
            zh=f"车次当前状态为「{current.zh}」，不能{name.zh}。",
        ),
    )


def next_state(
    direction: str, state: TripState, action: Action, *, held_from: TripState | None = None
) -> Transition:
    """The transition ``action`` makes from ``state``, or ``Conflict`` if it is not allowed.

    ``held_from`` is the state a HELD trip was held from; RELEASE returns it there.
    """
    if action is A.HOLD:
        if state in HOLDABLE.get(direction, frozenset()):
            return Transition(state, S.HELD, held_from=state)
        raise transition_refused(direction, state, action)
    if action is A.RELEASE:
        if state is S.HELD and held_from is not None:
            return Transition(state, held_from)
        raise transition_refused(direction, state, action)
    if action is A.REFUSE:
        if state in REFUSABLE.get(direction, frozenset()):
            return Transition(state, S.REFUSED)
        raise transition_refused(direction, state, action)
    after = _TABLE.get((direction, state, action))
    if after is None:
        raise transition_refused(direction, state, action)
    return Transition(state, after)


def allowed_actions(
    direction: str, state: TripState, *, held_from: TripState | None = None
) -> list[Action]:
    """Every action that is allowed now, in the order of the lifecycle (for pages and tests)."""
    allowed = []
    for action in Action:
        try:
            next_state(direction, state, action, held_from=held_from)
        except Conflict:
            continue
        allowed.append(action)
    return allowed
