"""The queue over HTTP: an enterprise books and sees its place, an operator dispatches and
steers the passage, and anyone reads the board and the record of calls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cuakhau.queueing.models import PassageEvent

pytestmark = pytest.mark.django_db

PASSAGE = "/queue/passages/HN-1119/export"


def next_hour(hours=2):
    return timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours)


def test_an_enterprise_books_a_slot_and_follows_its_place_to_the_call(
    api_as, declare, exporter, gate_operator
):
    code = declare(1)[0]
    enterprise, operator = api_as(exporter), api_as(gate_operator)
    hours = enterprise.get(f"{PASSAGE}/slots").json()
    assert len(hours) == 3 * 24 and all(h["free"] == h["capacity"] for h in hours)
    free = hours[3]  # well ahead: the truck arrives before its window
    booked = enterprise.post(f"/trips/{code}/slot", {"start": free["start"]})
    assert booked.status_code == 201, booked.json()
    assert booked.json()["start_china"][:2] == f"{(int(free['start_vietnam'][:2]) + 1) % 24:02d}"
    assert enterprise.get(f"/trips/{code}/queue").status_code == 404  # not in a yard yet

    assert operator.post("/checkins", {"yard": "XC", "code": code}).status_code == 200
    place = enterprise.get(f"/trips/{code}/queue").json()
    assert (place["status"], place["position"], place["waiting"]) == ("waiting", 1, 1)
    assert place["predicted_call_at"] is not None

    # Early for its slot: the dispatcher holds it; the operator sees why.
    view = operator.get(PASSAGE).json()
    assert view["lines"][0]["trip"] == code
    assert view["lines"][0]["hold"] == "slot_not_open"
    assert view["calls_per_hour"] == 36


def test_an_operator_dispatches_and_the_public_sees_board_and_record(
    api_as, declare, check_in, gate_operator, exporter
):
    codes = declare(2)
    for code in codes:
        check_in(code)
    operator = api_as(gate_operator)
    result = operator.post(f"{PASSAGE}/dispatch").json()
    assert [c["trip"] for c in result["calls"]] == codes
    assert {c["rule"] for c in result["calls"]} == {"green_lane"}

    public = api_as(None)
    board = public.get("/public/yards/XC/board").json()
    assert {c["number"] for c in board["called"]} == {
        api_as(exporter).get(f"/trips/{code}/queue").json()["number"] for code in codes
    }
    assert board["called"][0]["tractor_plate"]
    record = public.get("/public/passages/HN-1119/calls").json()
    assert [r["trip"] for r in record] == codes
    assert all("driver" not in key for r in record for key in r)
    passages = public.get("/public/passages").json()
    assert {p["passage"] for p in passages} >= {"HN-1119", "TT-1088"}


def test_operators_steer_the_passage_with_reasons_on_record(api_as, gate_operator):
    operator = api_as(gate_operator)
    refused = operator.post(f"{PASSAGE}/pause", {"paused": True, "reason": " "})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "reason"
    paused = operator.post(f"{PASSAGE}/pause", {"paused": True, "reason": "Mưa lớn, sạt lở"})
    assert paused.json()["paused"] is True
    plan = operator.put(
        f"{PASSAGE}/plan",
        {
            "lanes_open": 4,
            "minutes_per_vehicle": "4",
            "control_area_room": 40,
            "slot_share_percent": 40,
            "booking_days_ahead": 2,
            "reason": "Mở thêm làn mùa vải",
        },
    ).json()
    assert plan["calls_per_hour"] == 60
    hour = next_hour(1)
    over = operator.put(
        f"{PASSAGE}/hours", {"hour_start": hour.isoformat(), "calls": 10, "reason": "Họp giao ban"}
    )
    assert over.status_code == 200
    quota = operator.put(
        f"{PASSAGE}/quotas",
        {"day": timezone.localdate().isoformat(), "goods_group": "fruit", "trucks": 300},
    )
    assert quota.json()["quotas_left"] == {"fruit": 300}
    bad = operator.put(
        f"{PASSAGE}/quotas",
        {"day": timezone.localdate().isoformat(), "goods_group": "durian", "trucks": 3},
    )
    assert bad.status_code == 422
    assert "durian" in bad.json()["errors"][0]["messages"]["zh"]
    assert list(
        PassageEvent.objects.order_by("pk").values_list("action", "actor_label", "reason")
    ) == [
        ("pause", "olga", "Mưa lớn, sạt lở"),
        ("plan_update", "olga", "Mở thêm làn mùa vải"),
        ("hour_override", "olga", "Họp giao ban"),
        ("partner_quota", "olga", ""),
    ]


def test_only_operators_at_the_gate_steer_it(api_as, exporter, customs_officer, chi_ma_customs):
    assert api_as(exporter).post(f"{PASSAGE}/dispatch").status_code == 403
    assert api_as(customs_officer).get(PASSAGE).status_code == 403
    assert api_as(None).post(f"{PASSAGE}/dispatch").status_code == 401
    from cuakhau.accounts.roles import Role
    from cuakhau.conftest import make_user

    chi_ma_operator = make_user("chima_op", Role.GATE_OPERATOR, gates=("CM",))
    assert api_as(chi_ma_operator).get(PASSAGE).status_code == 403
    assert api_as(chi_ma_operator).post(f"{PASSAGE}/dispatch").status_code == 403
