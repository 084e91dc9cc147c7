"""Working hours, closures and extended hours as calendar data: operators write them (with the
dispatcher following at once), everyone reads them on both sides' clocks (Vietnam UTC+7,
China UTC+8), in the API and on the pages."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cuakhau.accounts.models import User
from cuakhau.core.actors import Actor
from cuakhau.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from cuakhau.core.text import Text
from cuakhau.gates import capacity as plan
from cuakhau.gates.models import CalendarEntry, CapacityPlan, Gate, WorkingHours
from cuakhau.queueing import selectors, services
from cuakhau.queueing.models import PassageEvent

pytestmark = pytest.mark.django_db

PASSAGE = "/queue/passages/HN-1119/export"
TET = Text("Tết Nguyên Đán", "Lunar New Year", "春节")


def hn_plan() -> CapacityPlan:
    return CapacityPlan.objects.select_related("passage").get(
        passage__code="HN-1119", direction="export"
    )


def dispatch(operator: User) -> services.DispatchResult:
    return services.dispatch_passage(
        actor=Actor.of(operator), passage_id=hn_plan().passage_id, direction="export"
    )


def add(operator: User, **changes: Any) -> CalendarEntry:
    now = timezone.now()
    values: dict[str, Any] = {
        "actor": Actor.of(operator),
        "passage_code": "HN-1119",
        "direction": "export",
        "kind": "closure",
        "cause": "holiday",
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(hours=2),
        "names": TET,
        "whole_gate": False,
    }
    return services.calendar_entry_create(**{**values, **changes})


def closed_now(gate: Gate) -> None:
    """Working hours that leave the current hour closed (an hour, two hours from now)."""
    hour = timezone.localtime().hour
    opens, closes = time((hour + 2) % 24), time((hour + 3) % 24)
    WorkingHours.objects.bulk_create(
        WorkingHours(gate=gate, weekday=day, opens=opens, closes=closes) for day in range(7)
    )


def seven_to_seven(gate: Gate) -> None:
    WorkingHours.objects.bulk_create(
        WorkingHours(gate=gate, weekday=day, opens=time(7), closes=time(19)) for day in range(7)
    )


def client_for(user: User | None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


# --- Services -----------------------------------------------------------------------------------


def test_a_closure_holds_the_dispatcher_until_it_is_deleted(declare, check_in, gate_operator):
    codes = declare(2)
    for code in codes:
        check_in(code)

    entry = add(gate_operator, cause="partner_closed", names=Text("Phía bạn nghỉ", "", ""))
    assert (entry.gate.code, entry.passage.code) == ("CKHN", "HN-1119")
    result = dispatch(gate_operator)
    assert result.call_ups == [] and result.run.holds == {"closed": 2}

    services.calendar_entry_delete(
        actor=Actor.of(gate_operator), entry_id=entry.pk, reason="Phía bạn mở lại"
    )
    assert not CalendarEntry.objects.exists()
    assert [c.trip_code for c in dispatch(gate_operator).call_ups] == codes


def test_extended_hours_open_a_closed_hour(declare, check_in, gate_operator):
    code = declare(1)[0]
    check_in(code)
    closed_now(hn_plan().passage.gate)
    assert dispatch(gate_operator).run.holds == {"closed": 1}

    add(gate_operator, kind="extended", cause="peak_season", names=Text("Mùa vải", "", ""))
    assert [c.trip_code for c in dispatch(gate_operator).call_ups] == [code]


def test_a_closure_of_the_whole_gate_closes_its_other_passages(gate_operator):
    entry = add(gate_operator, whole_gate=True)
    assert entry.passage is None
    main = CapacityPlan.objects.select_related("passage").get(
        passage__code="HN-MAIN", direction="export"
    )
    from cuakhau.queueing.capacity import capacity_now

    assert capacity_now(main, timezone.now()).capacity.hold == "closed"
    tan_thanh = CapacityPlan.objects.select_related("passage").get(
        passage__code="TT-1088", direction="export"
    )
    assert capacity_now(tan_thanh, timezone.now()).capacity.hold is None


def test_every_change_is_on_the_record_of_each_passage_it_changes(gate_operator):
    entry = add(gate_operator, whole_gate=True)
    gate_plans = CapacityPlan.objects.filter(passage__gate__code="CKHN").count()
    added = PassageEvent.objects.filter(action="calendar_add")
    assert added.count() == gate_plans >= 2
    event = added.get(passage__code="HN-1119", direction="export")
    assert (event.actor, event.reason) == (gate_operator, "Tết Nguyên Đán")
    assert event.data["entry"] == entry.pk
    assert event.data["kind"] == "closure" and event.data["whole_gate"] is True
    assert event.data["names"] == {"vi": "Tết Nguyên Đán", "en": "Lunar New Year", "zh": "春节"}

    services.calendar_entry_delete(
        actor=Actor.of(gate_operator), entry_id=entry.pk, reason="Lịch nghỉ thay đổi"
    )
    deleted = PassageEvent.objects.filter(action="calendar_delete")
    assert deleted.count() == gate_plans
    assert {e.reason for e in deleted} == {"Lịch nghỉ thay đổi"}
    assert deleted.first().data["entry"] == entry.pk

    # One passage's entry: only that passage's plans record it.
    add(gate_operator)
    assert set(
        PassageEvent.objects.filter(action="calendar_add")
        .exclude(data__whole_gate=True)
        .values_list("passage__code", flat=True)
    ) == {"HN-1119"}


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"kind": "open"}, "kind", "unknown"),
        ({"cause": "typhoon"}, "cause", "unknown"),
        ({"names": Text("  ", "New Year", "")}, "name_vi", "required"),
        ({"ends_at_hours": -2}, "ends_at", "ends_before_start"),
        ({"ends_at_hours": 91 * 24}, "ends_at", "too_long"),
        ({"starts_at_hours": -5, "ends_at_hours": -4}, "ends_at", "in_the_past"),
        ({"starts_at_hours": 401 * 24, "ends_at_hours": 402 * 24}, "starts_at", "too_far"),
    ],
)
def test_refused_entries_name_the_field(gate_operator, changes, field, code):
    now = timezone.now()
    if "starts_at_hours" in changes:
        changes["starts_at"] = now + timedelta(hours=changes.pop("starts_at_hours"))
    if "ends_at_hours" in changes:
        changes["ends_at"] = now + timedelta(hours=changes.pop("ends_at_hours"))
    with pytest.raises(InvalidInput) as refused:
        add(gate_operator, **changes)
    assert [(e.path, e.code) for e in refused.value.errors] == [(field, code)]
    assert not CalendarEntry.objects.exists()
    assert not PassageEvent.objects.exists()


def test_only_operators_at_the_gate_write_the_calendar(
    gate_operator, customs_officer, chi_ma_customs
):
    with pytest.raises(NotAllowed):
        add(customs_officer)
    with pytest.raises(NotAllowed):
        add(gate_operator, passage_code="CM-MAIN")
    with pytest.raises(NotFound):
        add(gate_operator, passage_code="NOPE")
    entry = add(gate_operator)
    with pytest.raises(NotAllowed):
        services.calendar_entry_delete(
            actor=Actor.of(customs_officer), entry_id=entry.pk, reason="Sai"
        )
    assert CalendarEntry.objects.filter(pk=entry.pk).exists()


def test_deleting_needs_a_reason_and_keeps_ended_entries(gate_operator):
    operator = Actor.of(gate_operator)
    entry = add(gate_operator)
    with pytest.raises(InvalidInput) as refused:
        services.calendar_entry_delete(actor=operator, entry_id=entry.pk, reason="  ")
    assert refused.value.errors[0].path == "reason"
    with pytest.raises(NotFound):
        services.calendar_entry_delete(actor=operator, entry_id=entry.pk + 100, reason="Sai")

    ended = CalendarEntry.objects.create(
        gate=entry.gate,
        kind="closure",
        cause="event",
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=1),
        name_vi="Hội nghị",
    )
    with pytest.raises(Conflict) as conflict:
        services.calendar_entry_delete(actor=operator, entry_id=ended.pk, reason="Dọn lịch")
    assert conflict.value.code == "calendar_entry_ended"
    assert CalendarEntry.objects.count() == 2


# --- The selector: both sides' clocks -----------------------------------------------------------


def test_the_calendar_shows_hours_and_entries_on_both_clocks(gate_operator):
    gate = hn_plan().passage.gate
    seven_to_seven(gate)
    WorkingHours.objects.filter(gate=gate, weekday=6).update(opens=time(8), closes=time(0))
    start = timezone.localtime().replace(hour=7, minute=0, second=0, microsecond=0)
    start += timedelta(days=2)
    entry = add(gate_operator, starts_at=start, ends_at=start + timedelta(hours=12))
    add(gate_operator, passage_code="HN-MAIN", names=Text("Khác lối", "", ""))

    calendar = selectors.calendar_for(
        gate.pk, hn_plan().passage_id, timezone.now(), timezone.now() + timedelta(days=14)
    )
    assert [(s.first, s.last, s.vietnam, s.china) for s in calendar.spans] == [
        (0, 5, "07:00–19:00", "08:00–20:00"),
        (6, 6, "08:00–24:00", "09:00–01:00"),
    ]
    # The other passage's entry is not this passage's.
    (line,) = calendar.entries
    assert line.entry == entry and not line.whole_gate and not line.ongoing
    assert line.starts_vietnam == f"07:00 {start:%d/%m}"
    assert line.starts_china == f"08:00 {start:%d/%m}"
    assert (line.ends_vietnam[:5], line.ends_china[:5]) == ("19:00", "20:00")
    # The gate as a whole: every passage's entries.
    assert len(selectors.calendar_ahead(gate.pk, None).entries) == 2


# --- API ----------------------------------------------------------------------------------------


def test_an_operator_adds_and_deletes_an_entry_and_the_public_reads_it(api_as, gate_operator):
    operator, public = api_as(gate_operator), api_as(None)
    seven_to_seven(hn_plan().passage.gate)
    start = (timezone.localtime() + timedelta(days=3)).replace(
        hour=7, minute=0, second=0, microsecond=0
    )
    created = operator.post(
        f"{PASSAGE}/calendar",
        {
            "kind": "closure",
            "cause": "holiday",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(days=1)).isoformat(),
            "name_vi": "Tết Nguyên Đán",
            "name_en": "Lunar New Year",
            "name_zh": "春节",
            "whole_gate": True,
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["gate"], body["passage"], body["kind"]) == ("CKHN", None, "closure")
    assert body["starts_vietnam"] == f"07:00 {start:%d/%m}"
    assert body["starts_china"] == f"08:00 {start:%d/%m}"

    calendar = public.get("/public/passages/hn-1119/calendar").json()
    assert calendar["passage"] == "HN-1119" and calendar["gate"] == "CKHN"
    assert calendar["around_the_clock"] is False
    assert len(calendar["working_hours"]) == 7
    assert calendar["working_hours"][0] == {
        "weekday": 0,
        "opens": "07:00",
        "closes": "19:00",
        "vietnam": "07:00–19:00",
        "china": "08:00–20:00",
    }
    (entry,) = calendar["entries"]
    assert entry["id"] == body["id"]
    assert entry["names"] == {"vi": "Tết Nguyên Đán", "en": "Lunar New Year", "zh": "春节"}
    assert entry["ends_china"] == f"08:00 {start + timedelta(days=1):%d/%m}"

    refused = operator.post(f"/queue/calendar/{body['id']}/delete", {"reason": ""})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "reason"
    deleted = operator.post(f"/queue/calendar/{body['id']}/delete", {"reason": "Đổi lịch"})
    assert deleted.status_code == 204
    assert public.get("/public/passages/HN-1119/calendar").json()["entries"] == []
    again = operator.post(f"/queue/calendar/{body['id']}/delete", {"reason": "Đổi lịch"})
    assert again.status_code == 404


def test_the_api_names_the_fields_it_refuses(api_as, gate_operator, exporter):
    operator = api_as(gate_operator)
    now = timezone.now()
    refused = operator.post(
        f"{PASSAGE}/calendar",
        {
            "kind": "closure",
            "cause": "event",
            "starts_at": (now + timedelta(hours=3)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "name_vi": " ",
        },
    )
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == {"ends_at", "name_vi"}
    wrong = operator.post(f"{PASSAGE}/calendar", {"kind": "open", "cause": "event"})
    assert wrong.status_code == 422
    assert {"kind", "starts_at", "ends_at", "name_vi"} <= {
        e["field"] for e in wrong.json()["errors"]
    }
    assert not CalendarEntry.objects.exists()
    assert api_as(exporter).post(f"{PASSAGE}/calendar", {}).status_code == 422
    forbidden = api_as(exporter).post(
        f"{PASSAGE}/calendar",
        {
            "kind": "closure",
            "cause": "event",
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "name_vi": "Sự kiện",
        },
    )
    assert forbidden.status_code == 403
    assert api_as(None).get("/public/passages/NOPE/calendar").status_code == 404


def test_an_ended_entry_cannot_be_deleted(api_as, gate_operator):
    entry = CalendarEntry.objects.create(
        gate=hn_plan().passage.gate,
        kind="closure",
        cause="event",
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=1),
        name_vi="Hội nghị",
    )
    answer = api_as(gate_operator).post(f"/queue/calendar/{entry.pk}/delete", {"reason": "Dọn"})
    assert answer.status_code == 409
    assert answer.json()["code"] == "calendar_entry_ended"


# --- Pages --------------------------------------------------------------------------------------


def calendar_form(start: datetime, **changes: str) -> dict[str, str]:
    return {
        "kind": "closure",
        "cause": "partner_closed",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=10)).strftime("%Y-%m-%dT%H:%M"),
        "name_vi": "Phía Trung Quốc nghỉ",
        "name_en": "China side closed",
        "name_zh": "中方闭关",
        **changes,
    }


def test_the_operator_adds_a_closure_on_the_passage_page_and_deletes_it(gate_operator):
    client = client_for(gate_operator)
    url = reverse("queueing:passage", args=["HN-1119", "export"])
    add_url = reverse("queueing:control", args=["HN-1119", "export", "calendar"])
    page = client.get(url).content.decode()
    assert 'id="calendar"' in page and "No closure or extended hours ahead." in page

    start = (timezone.localtime() + timedelta(days=1)).replace(
        hour=7, minute=0, second=0, microsecond=0
    )
    bad = client.post(add_url, calendar_form(start, ends_at="tomorrow", name_vi=""))
    assert bad.status_code == 422
    html = bad.content.decode()
    assert "Enter a date and time (Vietnam time)." in html
    assert 'value="中方闭关"' in html  # what was typed comes back
    ancient = client.post(add_url, calendar_form(start, starts_at="0001-01-01T00:00"))
    assert ancient.status_code == 422
    assert "Enter a date and time (Vietnam time)." in ancient.content.decode()
    assert not CalendarEntry.objects.exists()

    done = client.post(add_url, calendar_form(start, whole_gate="1"), follow=True)
    html = done.content.decode()
    assert "Added to the calendar." in html
    entry = CalendarEntry.objects.get()
    assert entry.passage is None
    assert timezone.localtime(entry.starts_at).hour == 7
    assert f'data-entry="{entry.pk}"' in html
    assert f"07:00 {start:%d/%m}" in html and "08:00" in html and "China time" in html
    assert "added to the calendar" in html  # the passage's record of changes

    delete_url = reverse("queueing:calendar_delete", args=["HN-1119", "export", entry.pk])
    kept = client.post(delete_url, {"reason": ""}, follow=True)
    assert "A reason is required." in kept.content.decode()
    assert CalendarEntry.objects.exists()
    chinese = client_for(gate_operator, "zh-hans").get(url).content.decode()
    assert "日历" in chinese and "中方闭关" in chinese and "北京时间" in chinese
    gone = client.post(delete_url, {"reason": "Phía bạn mở cửa lại"}, follow=True)

    assert "Taken off the calendar." in gone.content.decode()
    assert not CalendarEntry.objects.exists()
    assert client.post(delete_url, {"reason": "Lại"}).status_code == 404


def test_the_calendar_form_is_for_operators_at_the_gate(gate_operator, exporter):
    start = timezone.localtime() + timedelta(days=1)
    url = reverse("queueing:control", args=["CM-MAIN", "export", "calendar"])
    assert client_for(gate_operator).post(url, calendar_form(start)).status_code == 403
    url = reverse("queueing:control", args=["HN-1119", "export", "calendar"])
    assert client_for(exporter).post(url, calendar_form(start)).status_code == 403
    assert not CalendarEntry.objects.exists()


def test_the_public_sees_hours_and_closures_on_both_clocks(gate_operator):
    seven_to_seven(hn_plan().passage.gate)
    start = (timezone.localtime() + timedelta(days=2)).replace(
        hour=7, minute=0, second=0, microsecond=0
    )
    add(gate_operator, starts_at=start, ends_at=start + timedelta(hours=12))
    add(
        gate_operator,
        kind="extended",
        cause="peak_season",
        starts_at=start + timedelta(days=1, hours=12),
        ends_at=start + timedelta(days=1, hours=16),
        names=Text("Tăng ca mùa vải", "Lychee season", "荔枝季"),
    )

    calls = client_for(None, "vi").get(reverse("queueing:calls", args=["HN-1119"]))
    html = calls.content.decode()
    assert "07:00–19:00 giờ Việt Nam" in html
    assert "08:00–20:00</span> giờ Trung Quốc" in html
    assert "Tết Nguyên Đán" in html and "Tăng ca mùa vải" in html
    assert f"07:00 {start:%d/%m}" in html

    page = client_for(None, "zh-hans").get(reverse("queueing:calendar"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-gate="CKHN"' in html and 'data-gate="TT"' in html
    assert "春节" in html and "荔枝季" in html
    assert html.count('data-kind="closure"') == 1
    assert html.count('data-kind="extended"') == 1
    assert 'data-hours="always"' in html  # the other gates: no working hours in these tests

    home = client_for(None).get(reverse("situation:home")).content.decode()
    assert reverse("queueing:calendar") in home


def test_the_public_calendar_page_reads_in_a_fixed_number_of_queries(
    gate_operator, django_assert_max_num_queries
):
    seven_to_seven(hn_plan().passage.gate)
    add(gate_operator)
    add(gate_operator, passage_code="TT-1088")
    with django_assert_max_num_queries(4):
        client_for(None).get(reverse("queueing:calendar"))


def test_the_chinese_clock_follows_the_vietnamese_one_across_midnight():
    line = selectors._interval(4, time(18), time(0))
    assert (line.vietnam, line.china) == ("18:00–24:00", "19:00–01:00")
    assert plan.both_local_times(datetime(2026, 2, 16, 23, 30, tzinfo=plan.VIETNAM)) == (
        "23:30 16/02",
        "00:30 17/02",
    )
