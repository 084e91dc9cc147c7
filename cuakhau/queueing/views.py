"""Pages of the yard queue: each yard's display board, the gate operators' passage page with its
controls, the public record of calls, and the queue panel enterprises and drivers see on a trip.

Reads go through ``queueing.selectors`` after scoping (operators to their gates, enterprises to
their own trips, the driver to the trip of a signed link); writes go through
``queueing.services``; a domain error comes back to the page as a message in the reader's
language. The board and the record of calls are public and show no driver's name or phone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cuakhau.accounts.models import User
from cuakhau.accounts.permissions import GATE_FORBIDDEN
from cuakhau.accounts.roles import CALL_ROLES, Role
from cuakhau.core.errors import DomainError, FieldError, NotFound, invalid
from cuakhau.core.text import Text
from cuakhau.core.views import (
    Problem,
    actor,
    describe,
    form_text,
    language,
    or_404,
    query_text,
    role_required,
    say,
)
from cuakhau.declarations import links
from cuakhau.declarations import selectors as trip_selectors
from cuakhau.declarations.lifecycle import EXPORT, TripState
from cuakhau.declarations.models import Trip
from cuakhau.gates import capacity as plan
from cuakhau.gates.models import (
    CalendarEntry,
    CapacityOverride,
    CapacityPlan,
    Gate,
    PartnerQuota,
    Yard,
)
from cuakhau.queueing import selectors, services
from cuakhau.queueing.capacity import capacity_now
from cuakhau.queueing.models import PassageEvent, QueueEntry, SlotBooking
from cuakhau.queueing.policy import GoodsGroup
from cuakhau.situation.selectors import public_trip

DIRECTIONS = ("export", "import")
NO_PASSAGE = Text(
    "Không có lối thông quan «{code}» cho chiều này.",
    "There is no passage «{code}» for this direction.",
    "该方向不存在通道「{code}」。",
)
NO_YARD = Text("Không có bãi «{code}».", "There is no yard «{code}».", "不存在堆场「{code}」。")
BAD_SLOT = Text(
    "Hãy chọn một khung giờ trong danh sách.",
    "Choose one of the slots in the list.",
    "请从列表中选择一个时段。",
)
BAD_NUMBER = Text(
    "Nhập một số từ {low} đến {high}.",
    "Enter a number from {low} to {high}.",
    "请输入 {low} 到 {high} 之间的数字。",
)
BAD_DAY = Text("Nhập một ngày hợp lệ.", "Enter a valid date.", "请输入有效日期。")
BAD_HOUR = Text("Chọn một giờ từ 0 đến 23.", "Choose an hour from 0 to 23.", "请选择 0 到 23 点。")
BAD_TIME = Text(
    "Nhập ngày và giờ (giờ Việt Nam).",
    "Enter a date and time (Vietnam time).",
    "请输入日期和时间（越南时间）。",
)

# The board speaks both sides' languages at once, whatever the viewer's language setting.
BOARD_TEXT: dict[str, Text] = {
    "called": Text("Xe được gọi vào cửa khẩu", "Called to the border", "已叫号车辆 请进入口岸"),
    "next": Text("Xe tiếp theo", "Next in line", "即将叫号"),
    "plate": Text("Biển số", "Plate", "车牌"),
    "number": Text("Số", "No.", "排队号"),
    "lane": Text("Làn", "Lane", "车道"),
    "passage": Text("Lối thông quan", "Passage", "通道"),
    "before": Text("Vào trước", "Enter before", "截止时间"),
    "green": Text("Luồng xanh", "Green lane", "绿色通道"),
    "booked": Text("Đặt giờ", "Booked", "已预约"),
    "lanes": Text("Làn đang mở", "Lanes open", "开放车道"),
    "lanes_unit": Text("làn", "lanes", "条车道"),
    "paused": Text("Tạm dừng gọi xe", "Calls paused", "暂停叫号"),
    "closed": Text("Ngoài giờ làm việc", "Closed", "非工作时间"),
    "waiting": Text("Xe đang chờ", "Trucks waiting", "排队车辆"),
    "vietnam": Text("Giờ Việt Nam", "Vietnam time", "越南时间"),
    "china": Text("Giờ Bắc Kinh", "China time", "北京时间"),
    "none_called": Text("Chưa có xe được gọi", "No truck called", "暂无叫号车辆"),
    "none_next": Text("Không có xe đang chờ", "No truck waiting", "暂无排队车辆"),
    "offline": Text("Mất kết nối — dữ liệu lúc", "Offline — data from", "连接中断 — 数据时间"),
}


# --- The yard's display board -----------------------------------------------------------------


def _yard(code: str) -> Yard:
    yard = Yard.objects.filter(code=code.upper()[:16], is_active=True).first()
    if yard is None:
        raise Http404(say(NO_YARD.format(code=code[:16])))
    return yard


def board(request: HttpRequest, code: str) -> HttpResponse:
    """Full screen for the yard's LED or TV screen: it keeps itself up to date (board.js)."""
    yard = _yard(code)
    data = selectors.yard_board(yard)
    return render(
        request,
        "queueing/board.html",
        {
            "yard": yard,
            "board": data,
            "text": {key: text.as_dict() for key, text in BOARD_TEXT.items()},
            "poll_url": f"{reverse('api:api-root')}public/yards/{yard.code}/board",
            "now": timezone.now(),
        },
    )


# --- Operators: the passages at their gates ---------------------------------------------------


def _operator_plan(user: User, passage: str, direction: str) -> CapacityPlan:
    if direction not in DIRECTIONS:
        raise Http404
    capacity_plan = (
        CapacityPlan.objects.select_related("passage", "passage__gate")
        .filter(passage__code=passage.upper()[:16], direction=direction, passage__is_active=True)
        .first()
    )
    if capacity_plan is None:
        raise Http404(say(NO_PASSAGE.format(code=passage[:16])))
    if not user.is_administrator and capacity_plan.passage.gate_id not in user.gate_ids():
        raise PermissionDenied(say(GATE_FORBIDDEN))
    return capacity_plan


@role_required(*CALL_ROLES)
def index(request: HttpRequest) -> HttpResponse:
    """Every passage and direction at the operator's gates, with its queue now."""
    user: User = request.user  # type: ignore[assignment]
    now = timezone.now()
    plans = list(
        CapacityPlan.objects.select_related("passage", "passage__gate").filter(
            passage__gate_id__in=user.gate_ids(), passage__is_active=True
        )
    )
    counts = {
        (row["passage_id"], row["direction"]): row
        for row in QueueEntry.objects.filter(
            passage_id__in=[p.passage_id for p in plans],
            status__in=(QueueEntry.Status.WAITING, QueueEntry.Status.CALLED),
        )
        .values("passage_id", "direction")
        .annotate(
            waiting=Count(
                "pk",
                filter=Q(status=QueueEntry.Status.WAITING, trip__state=TripState.ARRIVED),
            ),
            called=Count(
                "pk", filter=Q(status=QueueEntry.Status.CALLED, trip__state=TripState.CALLED)
            ),
        )
    }
    rows = [
        {
            "plan": p,
            "seen": capacity_now(p, now),
            "waiting": counts.get((p.passage_id, p.direction), {}).get("waiting", 0),
            "called": counts.get((p.passage_id, p.direction), {}).get("called", 0),
        }
        for p in plans
    ]
    yards = (
        Yard.objects.filter(is_active=True, gates__id__in=user.gate_ids())
        .distinct()
        .order_by("code")
    )
    return render(request, "queueing/index.html", {"rows": rows, "yards": yards})


def _called_now(capacity_plan: CapacityPlan) -> list[QueueEntry]:
    """Trucks called and not yet in the control area: the operator may record a no-show."""
    return list(
        QueueEntry.objects.filter(
            passage_id=capacity_plan.passage_id,
            direction=capacity_plan.direction,
            status=QueueEntry.Status.CALLED,
            trip__state=TripState.CALLED,
        )
        .select_related("trip")
        .order_by("called_at", "number")
    )


def _queue_page(
    request: HttpRequest,
    capacity_plan: CapacityPlan,
    *,
    problem: Problem | None = None,
    form: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    view = selectors.passage_queue(capacity_plan, now=now)
    passage = capacity_plan.passage
    today = timezone.localdate()
    values = request.POST if problem else {}
    return render(
        request,
        "queueing/passage.html",
        {
            "plan": capacity_plan,
            "passage": passage,
            "direction": capacity_plan.direction,
            "view": view,
            "seen": view.seen,
            "head": view.lines[0].trip_code if view.lines else "",
            "called_now": _called_now(capacity_plan),
            "overrides": CapacityOverride.objects.filter(
                passage_id=passage.pk,
                direction=capacity_plan.direction,
                hour_start__gte=plan.hour_floor(now),
            ).order_by("hour_start")[:24],
            "quotas": PartnerQuota.objects.filter(
                gate_id=passage.gate_id, direction=capacity_plan.direction, day__gte=today
            ).order_by("day", "goods_group")[:20],
            "events": PassageEvent.objects.filter(
                passage_id=passage.pk, direction=capacity_plan.direction
            )[:10],
            "goods_groups": [g.value for g in GoodsGroup],
            # Every entry not yet over, as far ahead as one can be written.
            "calendar": selectors.calendar_for(
                passage.gate_id,
                passage.pk,
                now,
                now + timedelta(days=services.CALENDAR_AHEAD_DAYS + services.CALENDAR_MAX_DAYS),
                now=now,
            ),
            "calendar_kinds": CalendarEntry.Kind.choices,
            "calendar_causes": CalendarEntry.Cause.choices,
            "today": today,
            "this_hour": timezone.localtime(now).hour,
            "hours": range(24),
            "problem": problem,
            "form": form,
            "values": values,
            "green_lead": settings.CUAKHAU_GREEN_LANE_LEAD_MINUTES,
            "back": request.path,
        },
        status=status,
    )


@role_required(*CALL_ROLES)
def passage_queue(request: HttpRequest, passage: str, direction: str) -> HttpResponse:
    capacity_plan = _operator_plan(request.user, passage, direction)  # type: ignore[arg-type]
    return _queue_page(request, capacity_plan)


def _number(request: HttpRequest, name: str, low: int, high: int) -> int:
    raw = form_text(request, name, 12)
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise invalid([FieldError(name, "out_of_range", BAD_NUMBER.format(low=low, high=high))])
    return value


def _minutes(request: HttpRequest) -> Decimal:
    raw = form_text(request, "minutes_per_vehicle", 12).replace(",", ".")
    try:
        value = Decimal(raw).quantize(Decimal("0.01"))
    except InvalidOperation:
        value = Decimal(0)
    if not Decimal(0) < value <= Decimal(600):
        raise invalid(
            [FieldError("minutes_per_vehicle", "out_of_range", BAD_NUMBER.format(low=1, high=600))]
        )
    return value


def _day(request: HttpRequest, name: str) -> date:
    try:
        return date.fromisoformat(form_text(request, name, 10))
    except ValueError:
        raise invalid([FieldError(name, "bad_date", BAD_DAY)]) from None


def _control(request: HttpRequest, capacity_plan: CapacityPlan, action: str) -> str:
    """Run one of the passage's controls; returns the success message."""
    who = actor(request)
    code = capacity_plan.passage.code
    direction = capacity_plan.direction
    if action == "dispatch":
        result = services.dispatch_passage(
            actor=who, passage_id=capacity_plan.passage_id, direction=direction
        )
        called = ", ".join(c.trip_code for c in result.call_ups) or "—"
        return _("Dispatch run: %(calls)s called (%(trips)s), %(expired)s expired.") % {
            "calls": len(result.call_ups),
            "trips": called,
            "expired": result.run.expired,
        }
    if action in ("pause", "resume"):
        services.passage_pause(
            actor=who,
            passage_code=code,
            direction=direction,
            paused=action == "pause",
            reason=form_text(request, "reason"),
        )
        return _("Calls paused.") if action == "pause" else _("Calls resumed.")
    if action == "plan":
        change = services.PlanChange(
            lanes_open=_number(request, "lanes_open", 0, 50),
            minutes_per_vehicle=_minutes(request),
            control_area_room=_number(request, "control_area_room", 0, 5000),
            slot_share_percent=_number(request, "slot_share_percent", 0, 100),
            booking_days_ahead=_number(request, "booking_days_ahead", 0, 30),
        )
        services.capacity_plan_update(
            actor=who,
            passage_code=code,
            direction=direction,
            change=change,
            reason=form_text(request, "reason"),
        )
        return _("Capacity plan saved.")
    if action == "hour":
        day = _day(request, "day")
        try:
            hour = int(form_text(request, "hour", 2))
        except ValueError:
            hour = -1
        if not 0 <= hour <= 23:
            raise invalid([FieldError("hour", "bad_hour", BAD_HOUR)])
        calls = None if not form_text(request, "calls", 6) else _number(request, "calls", 0, 2000)
        services.capacity_hour_set(
            actor=who,
            passage_code=code,
            direction=direction,
            hour_start=datetime.combine(day, time(hour), tzinfo=plan.VIETNAM),
            calls=calls,
            reason=form_text(request, "reason"),
        )
        return _("Calls for the hour saved.") if calls is not None else _("Hour override cleared.")
    if action == "quota":
        services.partner_quota_set(
            actor=who,
            passage_code=code,
            direction=direction,
            day=_day(request, "day"),
            goods_group=form_text(request, "goods_group", 20),
            trucks=_number(request, "trucks", 0, 100_000),
            note=form_text(request, "note", 300),
        )
        return _("Partner side's quota recorded.")
    if action == "calendar":
        starts_at, ends_at = _local_times(request, "starts_at", "ends_at")
        services.calendar_entry_create(
            actor=who,
            passage_code=code,
            direction=direction,
            kind=form_text(request, "kind", 16),
            cause=form_text(request, "cause", 16),
            starts_at=starts_at,
            ends_at=ends_at,
            names=Text(
                form_text(request, "name_vi", 200),
                form_text(request, "name_en", 200),
                form_text(request, "name_zh", 200),
            ),
            whole_gate=bool(request.POST.get("whole_gate")),
        )
        return _("Added to the calendar.")
    raise Http404


def _local_times(request: HttpRequest, *names: str) -> list[datetime]:
    """Dates and times typed in the form ("2026-02-16T07:00"), in Vietnam's time."""
    values, errors = [], []
    for name in names:
        try:
            value = datetime.fromisoformat(form_text(request, name, 25))
            if not 1970 <= value.year < 9000:  # beyond, UTC may not hold it
                raise ValueError
        except ValueError:
            errors.append(FieldError(name, "bad_time", BAD_TIME))
            continue
        values.append(value if value.tzinfo else value.replace(tzinfo=plan.VIETNAM))
    if errors:
        raise invalid(errors)
    return values


CONTROLS = ("dispatch", "pause", "resume", "plan", "hour", "quota", "calendar")


@require_POST
@role_required(*CALL_ROLES)
def passage_control(
    request: HttpRequest, passage: str, direction: str, action: str
) -> HttpResponse:
    capacity_plan = _operator_plan(request.user, passage, direction)  # type: ignore[arg-type]
    if action not in CONTROLS:
        raise Http404
    try:
        done = _control(request, capacity_plan, action)
    except NotFound as error:
        raise Http404(say(error.message)) from None
    except DomainError as error:
        capacity_plan.refresh_from_db()
        return _queue_page(
            request, capacity_plan, problem=Problem(error), form=action, status=error.status
        )
    messages.success(request, done)
    return redirect("queueing:passage", capacity_plan.passage.code, direction)


TRIP_ACTIONS = ("call", "prioritise", "no-show", "extend")


@require_POST
@role_required(*CALL_ROLES)
def trip_action(
    request: HttpRequest, passage: str, direction: str, code: str, action: str
) -> HttpResponse:
    """One truck: call it (out of turn needs a reason), give it priority, record a no-show."""
    capacity_plan = _operator_plan(request.user, passage, direction)  # type: ignore[arg-type]
    if action not in TRIP_ACTIONS:
        raise Http404
    who = actor(request)
    reason = form_text(request, "reason")
    try:
        if action == "call":
            services.trip_call_up(actor=who, trip_code=code, reason=reason)
            done = _("Trip %(code)s called.")
        elif action == "prioritise":
            services.queue_prioritise(actor=who, trip_code=code, reason=reason)
            done = _("Trip %(code)s goes first at the next call.")
        elif action == "no-show":
            services.trip_no_show(actor=who, trip_code=code, reason=reason)
            done = _("Trip %(code)s: no-show recorded, back in the queue.")
        else:
            services.call_extend(actor=who, trip_code=code)
            done = _("Trip %(code)s: call extended once.")
    except NotFound as error:
        raise Http404(say(error.message)) from None
    except DomainError as error:
        messages.error(request, f"{code[:12]}: {describe(error)}")
    else:
        messages.success(request, done % {"code": code[:12]})
    return redirect("queueing:passage", capacity_plan.passage.code, direction)


@require_POST
@role_required(*CALL_ROLES)
def calendar_delete(
    request: HttpRequest, passage: str, direction: str, entry_id: str
) -> HttpResponse:
    """Take a closure or extended hours off the calendar, with the reason."""
    capacity_plan = _operator_plan(request.user, passage, direction)  # type: ignore[arg-type]
    try:
        services.calendar_entry_delete(
            actor=actor(request), entry_id=int(entry_id), reason=form_text(request, "reason")
        )
    except NotFound as error:
        raise Http404(say(error.message)) from None
    except DomainError as error:
        messages.error(request, describe(error))
    else:
        messages.success(request, _("Taken off the calendar."))
    return redirect(
        reverse("queueing:passage", args=[capacity_plan.passage.code, direction]) + "#calendar"
    )


# --- The public calendar: working hours, closures and extended hours ---------------------------


def calendar(request: HttpRequest) -> HttpResponse:
    """Every gate's working hours and its closures and extended hours in the next two weeks, on
    both sides' clocks."""
    now = timezone.now()
    gates = list(Gate.objects.filter(is_active=True))
    calendars = selectors.calendars_for(
        [(gate.pk, None) for gate in gates],
        now,
        now + timedelta(days=selectors.CALENDAR_DAYS),
        now=now,
    )
    return render(
        request,
        "queueing/calendar.html",
        {
            "gates": [(gate, calendars[(gate.pk, None)]) for gate in gates],
            "days": selectors.CALENDAR_DAYS,
            "now": now,
        },
    )


# --- The public record of calls ---------------------------------------------------------------


def call_record(request: HttpRequest, passage: str) -> HttpResponse:
    """The day's calls at a passage in order, with the rule and the inputs of the order key:
    trip codes only, no plates or people."""
    direction = request.GET.get("direction", EXPORT)
    if direction not in DIRECTIONS:
        direction = EXPORT
    capacity_plan = (
        CapacityPlan.objects.select_related("passage", "passage__gate")
        .filter(passage__code=passage.upper()[:16], direction=direction, passage__is_active=True)
        .first()
    )
    if capacity_plan is None:
        raise Http404(say(NO_PASSAGE.format(code=passage[:16])))
    today = timezone.localdate()
    try:
        day = (
            date.fromisoformat(query_text(request, "day", 10)) if request.GET.get("day") else today
        )
    except ValueError:
        day = today
    calls = selectors.call_record(capacity_plan.passage, direction, day)
    lead = settings.CUAKHAU_GREEN_LANE_LEAD_MINUTES
    rows = [
        {
            "call": c,
            "order_at": datetime.fromtimestamp(c.order_time, tz=plan.VIETNAM),
            "by_dispatcher": c.run_id is not None,
        }
        for c in calls
    ]
    passages = CapacityPlan.objects.select_related("passage").filter(
        passage__is_active=True, direction=direction
    )
    return render(
        request,
        "queueing/calls.html",
        {
            "plan": capacity_plan,
            "passage": capacity_plan.passage,
            "direction": direction,
            "directions": DIRECTIONS,
            "day": day,
            "today": today,
            "previous": day - timedelta(days=1),
            "following": day + timedelta(days=1) if day < today else None,
            "rows": rows,
            "green_lead": lead,
            "grace": settings.CUAKHAU_SLOT_GRACE_MINUTES,
            "passages": passages,
            "calendar": selectors.calendar_ahead(
                capacity_plan.passage.gate_id, capacity_plan.passage_id
            ),
            "calendar_days": selectors.CALENDAR_DAYS,
        },
    )


# --- Enterprises and drivers: place, prediction, slot, call -----------------------------------


@dataclass
class QueuePanel:
    """What a trip's page shows of the queue, and what its owner may do there."""

    trip: Trip
    place: selectors.QueuePlace | None = None
    booking: SlotBooking | None = None
    can_book: bool = False
    free_hours: list[dict[str, Any]] = field(default_factory=list)
    booking_days: int = 0
    owner: bool = False

    @property
    def shown(self) -> bool:
        return bool(self.place or self.booking or self.can_book)

    @property
    def window_opens(self) -> datetime | None:
        grace = timedelta(minutes=settings.CUAKHAU_SLOT_GRACE_MINUTES)
        return self.booking.start - grace if self.booking else None

    @property
    def window_closes(self) -> datetime | None:
        grace = timedelta(minutes=settings.CUAKHAU_SLOT_GRACE_MINUTES)
        return self.booking.start + plan.HOUR + grace if self.booking else None


def queue_panels(
    trips: Iterable[Trip], *, owner: bool, booking_form: bool = False
) -> dict[int, QueuePanel]:
    """Each trip's queue panel: a fixed number of queries whatever the number of trips (one per
    passage the trips wait at). ``booking_form`` adds the free hours for declared trips."""
    trips = list(trips)
    exports = [t for t in trips if t.declaration.direction == EXPORT]
    places = selectors.queue_places([t.pk for t in exports if t.state not in _BEFORE_QUEUE])
    bookings = {
        b.trip_id: b
        for b in SlotBooking.objects.filter(
            trip_id__in=[t.pk for t in exports if t.state == TripState.DECLARED],
            status=SlotBooking.Status.BOOKED,
        )
    }
    panels = {}
    for trip in exports:
        panel = QueuePanel(
            trip=trip, place=places.get(trip.pk), booking=bookings.get(trip.pk), owner=owner
        )
        if owner and booking_form and trip.state == TripState.DECLARED and not panel.booking:
            capacity_plan = (
                CapacityPlan.objects.select_related("passage")
                .filter(passage_id=trip.declaration.passage_id, direction=EXPORT)
                .first()
            )
            if capacity_plan is not None and capacity_plan.booking_days_ahead > 0:
                panel.can_book = True
                panel.booking_days = capacity_plan.booking_days_ahead
                panel.free_hours = _free_hours(capacity_plan)
        panels[trip.pk] = panel
    return panels


_BEFORE_QUEUE = frozenset({TripState.DRAFT, TripState.DECLARED, TripState.CANCELLED})


def _free_hours(capacity_plan: CapacityPlan) -> list[dict[str, Any]]:
    """The bookable hours with places left, grouped by the Vietnamese day."""
    days: dict[date, dict[str, Any]] = {}
    for hour, capacity, used in services.slot_hours(capacity_plan, timezone.now()):
        if used >= capacity:
            continue
        local = hour.start.astimezone(plan.VIETNAM)
        day = days.setdefault(local.date(), {"day": local.date(), "hours": []})
        day["hours"].append(
            {
                "value": local.isoformat(),
                "start": hour.start,
                "vietnam": local.strftime("%H:%M"),
                "china": hour.start.astimezone(plan.CHINA).strftime("%H:%M"),
                "free": capacity - used,
            }
        )
    return list(days.values())


def _own_trip(request: HttpRequest, code: str) -> Trip:
    return or_404(trip_selectors.trip_for, request.user, code)


def _back_to_trip(code: str) -> HttpResponse:
    return redirect(reverse("declarations:trip", args=[code]) + "#queue")


@require_POST
@role_required(Role.ENTERPRISE)
def slot_book(request: HttpRequest, code: str) -> HttpResponse:
    trip = _own_trip(request, code)
    try:
        start = datetime.fromisoformat(form_text(request, "start", 40))
        if start.tzinfo is None:
            raise ValueError
    except ValueError:
        messages.error(request, say(BAD_SLOT))
        return _back_to_trip(trip.code)
    try:
        booking = services.slot_book(actor=actor(request), trip_code=trip.code, start=start)
    except NotFound as error:
        raise Http404(say(error.message)) from None
    except DomainError as error:
        messages.error(request, describe(error))
    else:
        vietnam, china = plan.both_local_times(booking.start)
        messages.success(
            request,
            _("Slot booked: %(vietnam)s Vietnam time (%(china)s China time).")
            % {"vietnam": vietnam, "china": china[:5]},
        )
    return _back_to_trip(trip.code)


@require_POST
@role_required(Role.ENTERPRISE)
def slot_cancel(request: HttpRequest, code: str) -> HttpResponse:
    trip = _own_trip(request, code)
    try:
        services.slot_cancel(
            actor=actor(request), trip_code=trip.code, reason=form_text(request, "reason")
        )
    except NotFound as error:
        raise Http404(say(error.message)) from None
    except DomainError as error:
        messages.error(request, describe(error))
    else:
        messages.success(request, _("Slot cancelled."))
    return _back_to_trip(trip.code)


@require_POST
@role_required(Role.ENTERPRISE)
def call_extend(request: HttpRequest, code: str) -> HttpResponse:
    trip = _own_trip(request, code)
    try:
        entry = services.call_extend(actor=actor(request), trip_code=trip.code)
    except NotFound as error:
        raise Http404(say(error.message)) from None
    except DomainError as error:
        messages.error(request, describe(error))
    else:
        vietnam, china = plan.both_local_times(entry.call_expires_at or timezone.now())
        messages.success(
            request,
            _("Call extended: enter before %(vietnam)s Vietnam time (%(china)s China time).")
            % {"vietnam": vietnam[:5], "china": china[:5]},
        )
    return _back_to_trip(trip.code)


def driver_place(request: HttpRequest, token: str) -> HttpResponse:
    """The queue panel of the driver's page, as a fragment the page polls (signed link, no
    login)."""
    code = links.driver_code(token)
    trip = public_trip(code) if code else None
    if trip is None:
        raise Http404
    panel = queue_panels([trip], owner=False).get(trip.pk)
    response = render(
        request, "queueing/_place.html", {"panel": panel, "driver": True, "lang": language()}
    )
    response["Cache-Control"] = "no-store"
    return response
