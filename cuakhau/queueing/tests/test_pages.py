"""The yard queue's pages, driven as a browser would (Django's client): the yard's board, the
operators' passage page and its controls, the public record of calls, and the queue on the
enterprise's and the driver's pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cuakhau.accounts.models import User
from cuakhau.accounts.roles import Role
from cuakhau.conftest import make_user
from cuakhau.core.actors import Actor
from cuakhau.declarations import links
from cuakhau.declarations.models import Trip
from cuakhau.gates.models import CapacityOverride, CapacityPlan, PartnerQuota
from cuakhau.queueing import services
from cuakhau.queueing.models import CallUp, QueueEntry, SlotBooking

pytestmark = pytest.mark.django_db

DRIVER_NAME = "Nguyễn Văn Tài"
DRIVER_PHONE = "0912345678"


def client_for(user: User | None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def hn_plan(**changes: Any) -> CapacityPlan:
    capacity_plan = CapacityPlan.objects.select_related("passage").get(
        passage__code="HN-1119", direction="export"
    )
    for name, value in changes.items():
        setattr(capacity_plan, name, value)
    capacity_plan.save()
    return capacity_plan


def dispatch(operator: User) -> list[str]:
    result = services.dispatch_passage(
        actor=Actor.of(operator), passage_id=hn_plan().passage_id, direction="export"
    )
    return [c.trip_code for c in result.call_ups]


def queue_url(direction: str = "export", passage: str = "HN-1119") -> str:
    return reverse("queueing:passage", args=[passage, direction])


def control_url(action: str) -> str:
    return reverse("queueing:control", args=["HN-1119", "export", action])


def trip_action_url(code: str, action: str) -> str:
    return reverse("queueing:trip_action", args=["HN-1119", "export", code, action])


def plate_of(code: str) -> str:
    return Trip.objects.get(code=code).tractor_plate


@pytest.fixture
def queued(declare, check_in) -> list[str]:
    """Three trucks in the Hữu Nghị freight road's queue: two steel, then one fruit."""
    codes = [*declare(2, green=False), *declare(1)]
    for code in codes:
        check_in(code)
    return codes


# --- The yard's board --------------------------------------------------------------------------


def test_the_board_is_public_and_shows_called_trucks_and_the_next_ones(queued, gate_operator):
    hn_plan(control_area_room=1)
    called = dispatch(gate_operator)
    page = client_for(None).get(reverse("queueing:board", args=["xc"]))
    assert page.status_code == 200
    html = page.content.decode()
    # The fruit truck goes first (green lane); the other two are next.
    assert called == [queued[2]]
    called_plate = plate_of(queued[2])
    rows = html.split('id="board-called"')[1].split("</tbody>")[0]
    assert f"{called_plate[:3]}-{called_plate[3:6]}.{called_plate[6:]}" in rows
    upcoming = html.split('id="board-next"')[1].split("</ol>")[0]
    for code in queued[:2]:
        plate = plate_of(code)
        assert f"{plate[:3]}-{plate[3:6]}.{plate[6:]}" in upcoming
    entry = QueueEntry.objects.get(trip__code=queued[2])
    assert f'<td class="num lane">{entry.lane}</td>' in rows
    # Both languages at once, whatever the reader's setting; no names or phones.
    assert "Xe được gọi vào cửa khẩu" in html
    assert "已叫号车辆" in html
    assert "北京时间" in html
    assert DRIVER_NAME not in html
    assert DRIVER_PHONE not in html
    assert 'src="/static/queueing/board.js"' in html
    assert 'data-board="/api/v1/public/yards/XC/board"' in html


def test_the_board_shows_a_paused_passage_with_its_reason(gate_operator):
    services.passage_pause(
        actor=Actor.of(gate_operator),
        passage_code="HN-1119",
        direction="export",
        paused=True,
        reason="Sương mù dày",
    )
    html = client_for(None, "zh-hans").get(reverse("queueing:board", args=["XC"])).content.decode()
    lanes = html.split('id="board-lanes"')[1].split("</ul>")[0]
    assert "Tạm dừng gọi xe" in lanes
    assert "暂停叫号" in lanes
    assert "Sương mù dày" in lanes


def test_an_unknown_yard_has_no_board():
    assert client_for(None).get(reverse("queueing:board", args=["NOPE"])).status_code == 404


# --- The operators' page -----------------------------------------------------------------------


def test_the_operator_sees_the_queue_in_call_order_with_why_each_truck_waits(queued, gate_operator):
    hn_plan(control_area_room=1)
    page = client_for(gate_operator).get(queue_url())
    assert page.status_code == 200
    html = page.content.decode()
    order = [html.index(f'data-trip="{code}"') for code in (queued[2], queued[0], queued[1])]
    assert order == sorted(order)
    assert f'data-trip="{queued[2]}" data-would-call="1"' in html
    assert f'data-trip="{queued[0]}" data-would-call="0"' in html
    assert "The control area is full" in html
    assert "Green lane: fresh produce" in html
    assert "Capacity now" in html
    assert "36" in html  # 3 lanes × 60 / 5 minutes


def test_the_operator_page_is_for_operators_at_that_gate(queued, gate_operator, exporter):
    assert client_for(exporter).get(queue_url()).status_code == 403
    anonymous = client_for(None).get(queue_url())
    assert anonymous.status_code == 302
    assert "/login/" in anonymous["Location"]
    chi_ma = make_user("chima_op", Role.GATE_OPERATOR, gates=("CM",))
    assert client_for(chi_ma).get(queue_url()).status_code == 403
    assert client_for(chi_ma).post(control_url("dispatch")).status_code == 403
    assert Trip.objects.filter(state="CALLED").count() == 0
    assert client_for(chi_ma).get(queue_url(passage="CM-MAIN")).status_code == 200
    assert client_for(gate_operator).get(queue_url(passage="NOPE")).status_code == 404
    assert client_for(gate_operator).get("/queue/HN-1119/sideways/").status_code == 404


def test_the_index_lists_the_passages_at_the_operators_gates(gate_operator):
    page = client_for(gate_operator).get(reverse("queueing:index"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-passage="HN-1119"' in html
    assert 'data-passage="TT-1088"' in html
    assert 'data-passage="CM-MAIN"' not in html
    assert reverse("queueing:board", args=["XC"]) in html
    # The operator's menu leads there.
    assert f'href="{reverse("queueing:index")}"' in html


def test_dispatch_now_calls_trucks_and_says_whom(queued, gate_operator):
    hn_plan(control_area_room=2)
    client = client_for(gate_operator)
    page = client.post(control_url("dispatch"), follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Dispatch run: 2 called" in html
    assert queued[2] in html
    assert Trip.objects.filter(state="CALLED").count() == 2
    assert f'data-called="{queued[2]}"' in html


def test_pause_needs_a_reason_and_resume_puts_it_back(gate_operator):
    client = client_for(gate_operator)
    refused = client.post(control_url("pause"), {"reason": "  "})
    assert refused.status_code == 422
    assert "A reason is required." in refused.content.decode()
    assert not hn_plan().is_paused

    page = client.post(control_url("pause"), {"reason": "Mưa lớn"}, follow=True)
    assert "Calls paused." in page.content.decode()
    assert hn_plan().is_paused
    assert hn_plan().pause_reason == "Mưa lớn"
    assert 'data-status="paused"' in page.content.decode()

    client.post(control_url("resume"), {"reason": "Tạnh mưa"})
    assert not hn_plan().is_paused


def test_the_capacity_plan_form_checks_the_numbers_then_saves(gate_operator):
    client = client_for(gate_operator)
    values = {
        "lanes_open": "4",
        "minutes_per_vehicle": "4,5",
        "control_area_room": "40",
        "slot_share_percent": "60",
        "booking_days_ahead": "2",
        "reason": "Mở thêm làn",
    }
    bad = client.post(control_url("plan"), {**values, "lanes_open": "99"})
    assert bad.status_code == 422
    assert "Enter a number from 0 to 50." in bad.content.decode()
    assert 'value="99"' in bad.content.decode()  # what was typed comes back
    assert hn_plan().lanes_open == 3

    client.post(control_url("plan"), values)
    saved = hn_plan()
    assert (saved.lanes_open, str(saved.minutes_per_vehicle)) == (4, "4.50")
    assert (saved.control_area_room, saved.slot_share_percent, saved.booking_days_ahead) == (
        40,
        60,
        2,
    )


def test_an_hours_calls_and_the_partner_quota_are_recorded(gate_operator):
    client = client_for(gate_operator)
    today = timezone.localdate().isoformat()
    client.post(control_url("hour"), {"day": today, "hour": "22", "calls": "7", "reason": "Lễ"})
    override = CapacityOverride.objects.get()
    assert override.calls == 7
    assert timezone.localtime(override.hour_start).hour == 22

    client.post(control_url("hour"), {"day": today, "hour": "22", "calls": "", "reason": "Hết"})
    assert not CapacityOverride.objects.exists()

    page = client.post(
        control_url("quota"),
        {"day": today, "goods_group": "fruit", "trucks": "300", "note": "Thông báo phía TQ"},
        follow=True,
    )
    assert PartnerQuota.objects.get().trucks == 300
    assert "300" in page.content.decode()
    bad = client.post(control_url("quota"), {"day": "31/12", "goods_group": "fruit", "trucks": 1})
    assert bad.status_code == 422
    assert "Enter a valid date." in bad.content.decode()


def test_calling_out_of_turn_needs_a_reason_and_is_published(queued, gate_operator):
    client = client_for(gate_operator)
    # The fruit truck is next: the first steel truck is out of turn.
    page = client.post(trip_action_url(queued[0], "call"), follow=True)
    assert "needs a reason" in page.content.decode()
    assert Trip.objects.get(code=queued[0]).state == "ARRIVED"

    client.post(trip_action_url(queued[0], "call"), {"reason": "Hàng y tế khẩn cấp"})
    call = CallUp.objects.get(trip__code=queued[0])
    assert (call.rule, call.override_reason) == ("override", "Hàng y tế khẩn cấp")

    client.post(trip_action_url(queued[2], "call"))  # next in line: no reason needed
    assert Trip.objects.get(code=queued[2]).state == "CALLED"


def test_priority_no_show_and_extension_from_the_operator_page(queued, gate_operator):
    client = client_for(gate_operator)
    client.post(trip_action_url(queued[1], "prioritise"), {"reason": "Xe chở thuốc"})
    assert QueueEntry.objects.get(trip__code=queued[1]).override_reason == "Xe chở thuốc"
    html = client.get(queue_url()).content.decode()
    assert html.index(f'data-trip="{queued[1]}"') < html.index(f'data-trip="{queued[2]}"')

    client.post(trip_action_url(queued[1], "call"))
    client.post(trip_action_url(queued[1], "extend"))
    assert QueueEntry.objects.get(trip__code=queued[1]).extended_at is not None
    again = client.post(trip_action_url(queued[1], "extend"), follow=True)
    assert "already had its one extension" in again.content.decode()

    client.post(trip_action_url(queued[1], "no-show"), {"reason": ""})
    entry = QueueEntry.objects.get(trip__code=queued[1])
    assert (entry.status, entry.no_shows) == ("waiting", 1)


# --- The public record of calls ----------------------------------------------------------------


def test_the_record_of_calls_is_public_and_has_no_personal_data(queued, gate_operator):
    services.trip_call_up(actor=Actor.of(gate_operator), trip_code=queued[1], reason="Xe cứu trợ")
    called = dispatch(gate_operator)
    assert called == [queued[2], queued[0]]
    page = client_for(None).get(reverse("queueing:calls", args=["hn-1119"]))
    assert page.status_code == 200
    html = page.content.decode()
    order = [html.index(f'data-trip="{code}"') for code in (queued[1], *called)]
    assert order == sorted(order)
    assert f'data-trip="{queued[1]}" data-rule="override"' in html
    assert "Xe cứu trợ" in html
    assert "Green lane: fresh produce" in html
    assert "Out of turn: an operator" in html
    assert "120 minutes earlier" in html  # the published green-lane lead
    for code in queued:
        plate = plate_of(code)
        assert plate not in html
        assert f"{plate[:3]}-{plate[3:6]}.{plate[6:]}" not in html
    assert DRIVER_NAME not in html
    assert DRIVER_PHONE not in html
    assert "olga" not in html  # who called is "operator" or "dispatcher", not a person


def test_the_record_of_calls_by_day_and_direction(queued, gate_operator):
    dispatch(gate_operator)
    url = reverse("queueing:calls", args=["HN-1119"])
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    html = client_for(None).get(url, {"day": yesterday}).content.decode()
    assert "No calls on this day." in html
    html = client_for(None).get(url, {"day": "not-a-day", "direction": "sideways"}).content
    assert f'data-trip="{queued[2]}"'.encode() in html
    assert client_for(None).get(url, {"direction": "import"}).status_code == 200
    assert client_for(None).get(reverse("queueing:calls", args=["NOPE"])).status_code == 404


def test_the_home_page_links_the_record_of_calls_and_the_boards():
    html = client_for(None).get(reverse("situation:home")).content.decode()
    assert reverse("queueing:calls", args=["HN-1119"]) in html
    assert reverse("queueing:board", args=["XC"]) in html


# --- Enterprises and drivers -------------------------------------------------------------------


def test_the_enterprise_sees_its_trucks_place_and_expected_call(queued, exporter):
    client = client_for(exporter)
    page = client.get(reverse("declarations:trip", args=[queued[0]]))
    html = page.content.decode()
    assert "2nd of 3 waiting" in html
    assert "Expected call" in html
    assert "China time" in html
    declaration = Trip.objects.get(code=queued[0]).declaration
    detail = client.get(reverse("declarations:detail", args=[declaration.pk])).content.decode()
    assert "2nd of 3 waiting" in detail
    listing = client.get(reverse("declarations:list")).content.decode()
    assert f'data-queue-place="{queued[0]}">2/3' in listing
    vietnamese = client_for(exporter, "vi").get(reverse("declarations:trip", args=[queued[0]]))
    assert "Thứ 2 trong 3 xe đang chờ" in vietnamese.content.decode()
    chinese = client_for(exporter, "zh-hans").get(reverse("declarations:trip", args=[queued[0]]))
    assert "排第 2 位（共 3 辆排队）" in chinese.content.decode()


def test_a_called_truck_shows_its_lane_and_the_enterprise_extends_once(
    queued, exporter, gate_operator
):
    dispatch(gate_operator)
    entry = QueueEntry.objects.get(trip__code=queued[2])
    client = client_for(exporter)
    html = client.get(reverse("declarations:trip", args=[queued[2]])).content.decode()
    assert "Called to the border" in html
    assert f'<dd class="call-lane">{entry.lane}</dd>' in html
    assert 'data-action="extend"' in html
    page = client.post(reverse("queueing:extend", args=[queued[2]]), follow=True)
    assert "Call extended" in page.content.decode()
    assert 'data-action="extend"' not in page.content.decode()
    assert "already been extended once" in page.content.decode()


def test_the_enterprise_books_a_free_hour_and_cancels_it_with_a_reason(declare, exporter):
    code = declare(1)[0]
    client = client_for(exporter)
    html = client.get(reverse("declarations:trip", args=[code])).content.decode()
    assert 'data-action="slot-book"' in html
    hours = services.slot_hours(hn_plan(), timezone.now())
    start = timezone.localtime(hours[2][0].start)
    assert f'value="{start.isoformat()}"' in html

    page = client.post(
        reverse("queueing:slot_book", args=[code]), {"start": start.isoformat()}, follow=True
    )
    html = page.content.decode()
    assert "Slot booked" in html
    booking = SlotBooking.objects.get(trip__code=code)
    assert booking.start == start
    assert 'data-queue-status="booked"' in html
    assert 'data-action="slot-cancel"' in html

    refused = client.post(reverse("queueing:slot_cancel", args=[code]), {"reason": ""}, follow=True)
    assert "A reason is required." in refused.content.decode()
    client.post(reverse("queueing:slot_cancel", args=[code]), {"reason": "Xe hỏng"})
    booking.refresh_from_db()
    assert (booking.status, booking.close_reason) == ("cancelled", "Xe hỏng")


def test_a_full_hour_answers_with_the_nearest_free_ones(declare, exporter):
    hn_plan(lanes_open=1, minutes_per_vehicle=60, slot_share_percent=100)
    first, second = declare(2)
    client = client_for(exporter)
    start = timezone.localtime(services.slot_hours(hn_plan(), timezone.now())[3][0].start)
    client.post(reverse("queueing:slot_book", args=[first]), {"start": start.isoformat()})
    page = client.post(
        reverse("queueing:slot_book", args=[second]), {"start": start.isoformat()}, follow=True
    )
    html = page.content.decode()
    assert "is full. Nearest free slots:" in html
    assert f"{(start - timedelta(hours=1)):%H:%M}" in html
    assert not SlotBooking.objects.filter(trip__code=second).exists()
    garbled = client.post(reverse("queueing:slot_book", args=[second]), {"start": "tomorrow"})
    assert garbled.status_code == 302


def test_no_one_books_or_extends_another_enterprises_trip(declare, rival, gate_operator):
    code = declare(1)[0]
    client = client_for(rival)
    start = timezone.localtime(services.slot_hours(hn_plan(), timezone.now())[2][0].start)
    assert (
        client.post(
            reverse("queueing:slot_book", args=[code]), {"start": start.isoformat()}
        ).status_code
        == 404
    )
    assert client.post(reverse("queueing:extend", args=[code])).status_code == 404
    operator = client_for(gate_operator)
    assert operator.post(reverse("queueing:slot_book", args=[code])).status_code == 403
    assert not SlotBooking.objects.exists()


def test_the_driver_page_shows_the_place_and_its_fragment_follows(queued, gate_operator):
    token = links.driver_token(queued[0])
    html = client_for(None).get(reverse("declarations:driver", args=[token])).content.decode()
    assert "2nd of 3 waiting" in html
    assert 'data-action="extend"' not in html
    assert reverse("queueing:driver_place", args=[token]) in html
    hn_plan(control_area_room=5)
    dispatch(gate_operator)
    fragment = client_for(None).get(reverse("queueing:driver_place", args=[token]))
    assert fragment.status_code == 200
    assert "Called to the border" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    bad = client_for(None).get(reverse("queueing:driver_place", args=["NOT-A-TOKEN"]))
    assert bad.status_code == 404
