"""The dispatch policy: which waiting trucks to call up to the border, in which order, and why.

Pure Python, no Django: the live dispatcher and the digital twin call this same module, the twin
hundreds of thousands of times per simulated year. Times are plain seconds on any clock (the live
system passes Unix time, the twin its simulation clock), so a call costs a sort and a loop.

The order is a per-truck key, fixed when the truck joins the queue (domain.md §6):

* tier 0 — an operator's out-of-turn priority, recorded with a written reason and published;
* tier 1 — a booked truck that arrived inside its slot window (slot ± grace), by slot start;
* tier 2 — the living queue, by arrival time minus a fixed lead for the green lane (fresh
  produce). The lead is also the bound on overtaking: an ordinary truck is passed only by green
  trucks that arrived less than ``green_lead`` after it, so no class starves.

Admission caps then stop the walk down the order: the calls left this hour, the room in the
control area, and the partner side's remaining daily acceptance per goods group. Because the key
does not depend on the clock, the live system can sort and the twin can keep a heap.

The trucks, capacities, calls and decisions are values that nothing changes once made; they are
plain (not frozen) dataclasses only because the twin makes one of each per simulated truck and
a frozen one costs four times as much to build.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

HOUR = 3600.0


class PriorityClass(StrEnum):
    GREEN = "green"  # fresh produce: HS 06–08, or perishables flagged on the declaration
    ORDINARY = "ordinary"


class Tier(IntEnum):
    OVERRIDE = 0
    SLOT = 1
    QUEUE = 2


class Rule(StrEnum):
    """Why a truck was called where it was: published with every call."""

    OVERRIDE = "override"  # operator's out-of-turn priority with a written reason
    SLOT = "slot"  # booked and arrived inside its slot window
    GREEN_LANE = "green_lane"  # fresh produce, ordered ahead by the green-lane lead
    QUEUE = "queue"  # living queue, first come first served


class Hold(StrEnum):
    """Why a waiting truck was not called in this cycle."""

    PAUSED = "paused"  # an operator paused the passage
    FEE_UNPAID = "fee_unpaid"  # the gate wants the infrastructure fee paid before call-up
    CLOSED = "closed"  # outside working hours, or a closure
    SLOT_NOT_OPEN = "slot_not_open"  # booked and early: waits for its window
    QUOTA = "partner_quota"  # the partner side's daily acceptance for its goods is used up
    ROOM = "control_area_full"  # the control area has no room
    CAPACITY = "hour_capacity"  # this hour's calls are used up


class SlotFit(StrEnum):
    EARLY = "early"
    IN_WINDOW = "in_window"
    LATE = "late"


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    green_lead: float = 2 * HOUR
    slot_length: float = HOUR
    slot_grace: float = 0.5 * HOUR


DEFAULT_CONFIG = PolicyConfig()


@dataclass(slots=True)
class WaitingTruck:
    """A truck in the yard queue of one passage and direction, as the policy sees it."""

    trip_id: int
    arrived_at: float  # when it joined the queue (check-in, or its return after a no-show)
    priority: PriorityClass
    goods_group: str
    slot_start: float | None = None  # the booked hour's start, if the booking is still valid
    override_at: float | None = None  # when an operator granted out-of-turn priority
    paid: bool = True  # False when the gate wants the fee before call-up and it is not paid


@dataclass(slots=True)
class Capacity:
    """What may be called now, for one passage and direction."""

    calls: int  # calls still allowed this hour (plan minus calls already made)
    room: int  # trucks the control area can still take (room minus inside and called)
    # The partner side's remaining acceptance today per goods group; a group not listed is
    # not capped.
    quotas: Mapping[str, int] = field(default_factory=dict)
    hold: Hold | None = None  # PAUSED or CLOSED stop every call

    @property
    def limit(self) -> int:
        if self.hold is not None:
            return 0
        return max(0, min(self.calls, self.room))

    @property
    def binding(self) -> Hold:
        """The cap that stops calls once ``limit`` is reached."""
        if self.hold is not None:
            return self.hold
        return Hold.ROOM if self.room < self.calls else Hold.CAPACITY


# (tier, order time, arrival time, trip id): total and clock-free, so the order is the same
# whatever the input order and whenever it is computed.
OrderKey = tuple[int, float, float, int]


@dataclass(slots=True)
class Call:
    trip_id: int
    rule: Rule
    key: OrderKey


@dataclass(slots=True)
class Decision:
    calls: list[Call]
    # Why each truck that was not called waits, by trip id.
    holds: dict[int, Hold]


def slot_fit(
    arrived_at: float, slot_start: float, config: PolicyConfig = DEFAULT_CONFIG
) -> SlotFit:
    """Where an arrival falls against its booked hour (slot ± grace)."""
    if arrived_at < slot_start - config.slot_grace:
        return SlotFit.EARLY
    if arrived_at <= slot_start + config.slot_length + config.slot_grace:
        return SlotFit.IN_WINDOW
    return SlotFit.LATE


def order_key(truck: WaitingTruck, config: PolicyConfig = DEFAULT_CONFIG) -> OrderKey:
    """The truck's place in the order; smaller goes first."""
    if truck.override_at is not None:
        return (Tier.OVERRIDE, truck.override_at, truck.arrived_at, truck.trip_id)
    if truck.slot_start is not None and (
        slot_fit(truck.arrived_at, truck.slot_start, config) is not SlotFit.LATE
    ):
        return (Tier.SLOT, truck.slot_start, truck.arrived_at, truck.trip_id)
    lead = config.green_lead if truck.priority is PriorityClass.GREEN else 0.0
    return (Tier.QUEUE, truck.arrived_at - lead, truck.arrived_at, truck.trip_id)


def rule_for(key: OrderKey, priority: PriorityClass) -> Rule:
    if key[0] == Tier.OVERRIDE:
        return Rule.OVERRIDE
    if key[0] == Tier.SLOT:
        return Rule.SLOT
    return Rule.GREEN_LANE if priority is PriorityClass.GREEN else Rule.QUEUE


def not_before(truck: WaitingTruck, key: OrderKey, config: PolicyConfig = DEFAULT_CONFIG) -> float:
    """The earliest time the truck may be called: booked early arrivals wait for their window."""
    if key[0] == Tier.SLOT and truck.slot_start is not None:
        return truck.slot_start - config.slot_grace
    return float("-inf")


def ordered(
    trucks: Iterable[WaitingTruck], config: PolicyConfig = DEFAULT_CONFIG
) -> list[tuple[OrderKey, WaitingTruck]]:
    """The queue in call order."""
    keyed = [(order_key(truck, config), truck) for truck in trucks]
    keyed.sort(key=_first)
    return keyed


def admit(
    queue: Iterable[tuple[OrderKey, WaitingTruck]],
    capacity: Capacity,
    now: float,
    config: PolicyConfig = DEFAULT_CONFIG,
    *,
    explain: bool = True,
) -> Decision:
    """Walk the ordered queue and call trucks until a cap stops it.

    With ``explain`` every truck left waiting gets its reason; without it the walk stops at the
    last possible call (the twin's fast path).
    """
    trucks = iter(queue)
    if capacity.hold is not None:
        stopped = {truck.trip_id: capacity.hold for _, truck in trucks} if explain else {}
        return Decision([], stopped)
    limit = capacity.limit
    quotas = dict(capacity.quotas) if capacity.quotas else {}
    calls: list[Call] = []
    holds: dict[int, Hold] = {}
    slot_tier = Tier.SLOT  # a local: the loop runs for every truck the twin calls
    for key, truck in trucks:
        full = len(calls) >= limit
        if full and not explain:
            break
        if key[0] == slot_tier and now < not_before(truck, key, config):
            holds[truck.trip_id] = Hold.SLOT_NOT_OPEN
            continue
        if not truck.paid:
            holds[truck.trip_id] = Hold.FEE_UNPAID
            continue
        left = quotas.get(truck.goods_group) if quotas else None
        if left is not None and left <= 0:
            holds[truck.trip_id] = Hold.QUOTA
            continue
        if full:
            holds[truck.trip_id] = capacity.binding
            continue
        if left is not None:
            quotas[truck.goods_group] = left - 1
        calls.append(Call(truck.trip_id, rule_for(key, truck.priority), key))
    return Decision(calls, holds)


def choose_calls(
    trucks: Sequence[WaitingTruck],
    capacity: Capacity,
    now: float,
    config: PolicyConfig = DEFAULT_CONFIG,
) -> Decision:
    """Which of ``trucks`` to call now, in order, each with the rule that put it there."""
    return admit(ordered(trucks, config), capacity, now, config)


def _first(item: tuple[OrderKey, WaitingTruck]) -> OrderKey:
    return item[0]


# --- Goods -----------------------------------------------------------------------------------


class GoodsGroup(StrEnum):
    """Goods groups the partner side sets daily acceptance for ("300 fruit trucks today")."""

    FRUIT = "fruit"  # HS chapter 08
    VEGETABLES = "vegetables"  # HS 06–07: plants, flowers, vegetables
    ELECTRONICS = "electronics"  # HS 8541, 8542: electronic components
    GENERAL = "general"


GREEN_CHAPTERS = frozenset({"06", "07", "08"})
_GROUP_RANK = (GoodsGroup.FRUIT, GoodsGroup.VEGETABLES, GoodsGroup.ELECTRONICS, GoodsGroup.GENERAL)


def goods_group_of(hs_code: str) -> GoodsGroup:
    if hs_code[:2] == "08":
        return GoodsGroup.FRUIT
    if hs_code[:2] in GREEN_CHAPTERS:
        return GoodsGroup.VEGETABLES
    if hs_code[:4] in ("8541", "8542"):
        return GoodsGroup.ELECTRONICS
    return GoodsGroup.GENERAL


def classify(hs_codes: Iterable[str], *, perishable: bool) -> tuple[PriorityClass, GoodsGroup]:
    """A truck's priority class and goods group from its cargo. Mixed cargo takes the group the
    partner side counts first (fruit, then vegetables, electronics, general) and the green lane
    if any line is fresh produce."""
    groups = {goods_group_of(code) for code in hs_codes}
    group = next((g for g in _GROUP_RANK if g in groups), GoodsGroup.GENERAL)
    green = perishable or any(g in (GoodsGroup.FRUIT, GoodsGroup.VEGETABLES) for g in groups)
    return (PriorityClass.GREEN if green else PriorityClass.ORDINARY), group


# --- Predicted call-up times ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HourCapacity:
    """Calls the living queue can still get in the hour from ``start`` (after booked slots,
    closures and, for the current hour, the calls already made)."""

    start: float
    calls: int


def predict_call_times(count: int, now: float, hours: Sequence[HourCapacity]) -> list[float | None]:
    """When the first ``count`` trucks in call order can expect their call, spreading each
    hour's calls evenly over what is left of it; ``None`` beyond the planned horizon.

    ``hours`` are consecutive and start on the hour (the current one included, with the calls
    it has left)."""
    times: list[float | None] = []
    for hour in hours:
        end = hour.start + HOUR
        if end <= now or hour.calls <= 0:
            continue
        begin = max(hour.start, now)
        step = (end - begin) / hour.calls
        for i in range(hour.calls):
            if len(times) >= count:
                return times
            times.append(begin + i * step)
    times.extend([None] * (count - len(times)))
    return times


# --- Penalties ------------------------------------------------------------------------------


class Outcome(StrEnum):
    SHOWED = "showed"  # called and entered the control area
    NO_SHOW = "no_show"  # called and did not come in time
    BOOKING_CANCELLED = "booking_cancelled"


@dataclass(frozen=True, slots=True)
class PenaltyConfig:
    no_shows_in_a_row: int = 2
    cancellations: int = 2
    cancellation_window: float = 30 * 24 * HOUR
    block_for: float = 14 * 24 * HOUR


def booking_block_until(
    history: Sequence[tuple[float, Outcome]],
    config: PenaltyConfig = PenaltyConfig(),
) -> float | None:
    """The end of the booking block an enterprise's latest outcomes earn, if any.

    ``history`` is the enterprise's outcomes oldest first. The block runs from the outcome that
    triggered it: the last of ``no_shows_in_a_row`` consecutive no-shows, or the cancellation
    that makes ``cancellations`` within the window.
    """
    if not history:
        return None
    at, latest = history[-1]
    if latest is Outcome.NO_SHOW:
        calls = [outcome for _, outcome in history if outcome is not Outcome.BOOKING_CANCELLED]
        tail = calls[-config.no_shows_in_a_row :]
        if len(tail) == config.no_shows_in_a_row and all(o is Outcome.NO_SHOW for o in tail):
            return at + config.block_for
    if latest is Outcome.BOOKING_CANCELLED:
        recent = [
            t
            for t, outcome in history
            if outcome is Outcome.BOOKING_CANCELLED and at - t < config.cancellation_window
        ]
        if len(recent) >= config.cancellations:
            return at + config.block_for
    return None
