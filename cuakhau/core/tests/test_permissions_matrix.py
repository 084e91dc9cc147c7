"""The role × endpoint permission matrix: every operation of ``/api/v1``, called by every kind
of caller, answers the status the rules say (domain.md §3, style.md "Permissions").

* anonymous callers reach only the public endpoints; everything else is 401;
* an enterprise sees only its own declarations and trips: another's are 404;
* the API token acts as its enterprise, but cannot manage tokens (those need a signed-in session);
* an officer acts only for their agency at their gates: 403 otherwise, 404 when the trip is not
  theirs to see (another gate, or no check by their agency); drafts are the enterprise's own;
* fees: invoices are the enterprise's and its gate's operators'; reconciliation and refunds are
  the gate operators' alone; a bank's notice is authenticated by its signature, whoever sends it;
* the digital twin is the leaders' and administrators' (of any gate): everyone else gets 403;
* every status is one the OpenAPI document declares for the operation.

Each cell runs in its own savepoint over the shared world (``world.py``), so a call that
succeeds (a check-in, a cancel) does not change what the next cell sees.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cuakhau.api import api
from cuakhau.conftest import fruit_export
from cuakhau.core.tests.world import (
    BANK,
    Signed,
    World,
    bookable_hour,
    calendar_week_ahead,
    notice_body,
    sign_notice,
    world_in_transaction,
)
from cuakhau.fees.models import Invoice
from cuakhau.gates import capacity as plan
from cuakhau.twin.models import TwinRun

PREFIX = "/api/v1"

# The callers, as columns. "rival" is another enterprise acting on the exporter's objects;
# "chi_ma_customs" a customs officer posted at Chi Ma only; "animal_officer" an agency that
# none of the world's trips needs.
ROLES = (
    "anonymous",
    "exporter",
    "rival",
    "token",
    "gate_operator",
    "customs_officer",
    "border_guard",
    "plant_officer",
    "animal_officer",
    "leader",
    "administrator",
    "chi_ma_customs",
)
OFFICERS = (
    "gate_operator",
    "customs_officer",
    "border_guard",
    "plant_officer",
    "animal_officer",
    "leader",
    "chi_ma_customs",
)
AGENCY_OF = {
    "customs_officer": "customs",
    "chi_ma_customs": "customs",
    "border_guard": "border_guard",
    "plant_officer": "plant_quarantine",
    "animal_officer": "animal_quarantine",
}


def expect(default: int, *, anonymous: int = 401, **overrides: int) -> dict[str, int]:
    """Expected status per role: ``default`` unless overridden; anonymous callers get 401."""
    table = dict.fromkeys(ROLES, default)
    table["anonymous"] = anonymous
    for role, status in overrides.items():
        assert role in table, role
        table[role] = status
    return table


def public(status: int = 200) -> dict[str, int]:
    return expect(status, anonymous=status)


# Who may see the exporter's submitted durian export at Hữu Nghị: its enterprise, the gate's
# operator, the agencies that check it (customs, border guard, plant quarantine) and the
# administrator. Not the rival, not animal quarantine, not Chi Ma, and not the leader: leaders
# see aggregates (domain.md §3), never a driver's data.
SEES_EXPORT = expect(200, rival=404, animal_officer=404, chi_ma_customs=404, leader=404)
# A draft: only its enterprise (and the administrator).
SEES_DRAFT = expect(404, exporter=200, token=200, administrator=200)
ENTERPRISE_ONLY = {
    "rival": 404,
    **dict.fromkeys(OFFICERS, 403),
    "administrator": 403,
}


@dataclass(frozen=True)
class Cell:
    """One row of the matrix: an operation called on one object, and who gets what."""

    op: str  # "METHOD /path" as the OpenAPI document names it
    url: str  # the concrete path, with ``{…}`` filled from ``World.refs``
    statuses: dict[str, int]
    body: Any = None  # JSON, or ``callable(world, role) -> JSON``
    setup: Callable[[World], None] | None = None  # run first, as the gate operator etc.
    name: str = ""
    url_for: Callable[[World, str], str] | None = field(default=None, compare=False)
    # Role → why the cell is a known defect (outside the API layer): a strict xfail, so that
    # the fix turns it into a failure to remove here.
    known_defects: dict[str, str] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.op.split()[0]

    @property
    def id(self) -> str:
        return self.name or self.op


def _call(world: World, who: str, method: str, url: str, body: Any = None) -> Any:
    client = world.client_as(who)
    kwargs: dict[str, Any] = {}
    if isinstance(body, Signed):  # a bank's notice: its bytes as signed, and the signature
        kwargs = body.request()
    elif method in ("POST", "PUT"):
        kwargs = {"data": {} if body is None else body, "content_type": "application/json"}
    return getattr(client, method.lower())(PREFIX + url, **kwargs)


def _step(who: str, method: str, url: str, body: Any = None) -> Callable[[World], None]:
    def run(world: World) -> None:
        response = _call(world, who, method, url.format(**world.refs()), body)
        assert response.status_code in (200, 201), response.content

    return run


def _cancel_draft(world: World) -> None:
    _step("exporter", "POST", "/declarations/{draft_id}/cancel", {"reason": "Không đi nữa"})(world)


def _correction(world: World, role: str) -> dict[str, Any]:
    document = deepcopy(world.documents["at_gate"])
    document["trips"][0]["driver_phone"] = "0911222444"
    return {"reason": "Đổi tài xế", "document": document}


def _transshipment(world: World, role: str) -> dict[str, Any]:
    truck = fruit_export()["trips"][1] | {"tractor_plate": "12C-246.80"}
    goods = [{"goods_line_id": world.goods_line_id, "quantity": "100", "gross_weight_kg": "1500"}]
    return {"zone": "SANG-TAI", "receiving": [{"vehicle": truck, "goods": goods}]}


def _own_agency(world: World, role: str) -> str:
    return f"/trips/{world.trips['at_gate']}/checks/{AGENCY_OF.get(role, 'customs')}/decision"


def _slot(world: World, role: str) -> dict[str, Any]:
    # Computed at call time: which hours can be booked depends on the clock.
    return {"start": bookable_hour().isoformat()}


def _hour(world: World, role: str) -> dict[str, Any]:
    start = plan.hour_floor(timezone.now().astimezone(plan.VIETNAM)) + timedelta(hours=2)
    return {"hour_start": start.isoformat(), "calls": 12, "reason": "Tăng ca cuối tuần"}


def _quota(world: World, role: str) -> dict[str, Any]:
    today = timezone.now().astimezone(plan.VIETNAM).date()
    return {"day": today.isoformat(), "goods_group": "fruit", "trucks": 300, "note": "Phía TQ báo"}


# The queue controls of a passage: only its gate's operators (administrators are not operators).
OPERATOR_ONLY = expect(403, gate_operator=200)
HN = "/queue/passages/HN-1119/export"
CM = "/queue/passages/CM-MAIN/export"  # Chi Ma: not one of the operator's gates
PLAN = {
    "lanes_open": 3,
    "minutes_per_vehicle": "5",
    "control_area_room": 30,
    "slot_share_percent": 40,
    "booking_days_ahead": 3,
    "reason": "Mở thêm làn",
}
CALL_ARRIVED = _step("gate_operator", "POST", "/trips/{arrived}/call")


# --- Fees --------------------------------------------------------------------------------------
# An invoice at Hữu Nghị: its enterprise, the gate's operators and the administrator see it;
# everyone else is told it does not exist (the read is scoped, like a trip's).
SEES_HN_INVOICE = expect(404, exporter=200, token=200, gate_operator=200, administrator=200)
# Reconciliation and refunds: the gate operators alone (RECONCILING_ROLES; not the
# administrator, who sees the queue but does not handle money).
REFUND = {"reason": "Xe không qua cửa khẩu, hoàn phí"}
NOTICES = "/payments/notices"


def _match(invoice: str) -> Callable[[World, str], dict[str, Any]]:
    return lambda w, r: {"invoice": w.invoices[invoice], "reason": "Khách ghi sai nội dung CK"}


def _paying_notice(world: World, role: str) -> Signed:
    # Signed when the cell runs (the signature's time must be now): it pays the unpaid invoice.
    return sign_notice(notice_body(world.invoices["unpaid"], _amount(world, "unpaid")))


def _amount(world: World, invoice: str) -> int:
    return Invoice.objects.get(code=world.invoices[invoice]).amount_vnd


def _forged_notice(world: World, role: str) -> Signed:
    body = notice_body(world.invoices["unpaid"], _amount(world, "unpaid"))
    return sign_notice(body, secret="not-the-bank-secret")


def _unsigned_notice(world: World, role: str) -> Signed:
    return Signed(_paying_notice(world, role).body, "")


# --- The digital twin ---------------------------------------------------------------------------
# Scenarios and runs are a shared planning workspace of the leaders and administrators.
TWIN_ONLY = expect(403, leader=200, administrator=200)


def _twin_run(world: World, role: str) -> str:
    run = TwinRun.objects.create(
        scenario_name="Hữu Nghị 2025",
        source="text",
        toml="",
        replications=2,
        requested_by=world.users["leader"],
    )
    return f"/twin/runs/{run.pk}"


MATRIX: list[Cell] = [
    # --- Public ---------------------------------------------------------------------------
    Cell("GET /health", "/health", public()),
    Cell("GET /reference", "/reference", public()),
    Cell("GET /public/trips/{code}", "/public/trips/{declared}", public()),
    Cell("GET /public/trips/{code}", "/public/trips/{draft}", public(404), name="public draft"),
    Cell(
        "GET /public/trips/{code}",
        "/public/trips/{draft}",
        public(404),
        setup=_cancel_draft,
        name="public cancelled draft",
    ),
    # --- Accounts: tokens need a signed-in enterprise session --------------------------------
    Cell("GET /me", "/me", expect(200)),
    Cell(
        "GET /tokens",
        "/tokens",
        expect(403, exporter=200, rival=200, token=401),
    ),
    Cell(
        "POST /tokens",
        "/tokens",
        expect(403, exporter=201, rival=201, token=401),
        body={"name": "CI"},
    ),
    Cell(
        "POST /tokens/{token_id}/revoke",
        "/tokens/{token_id}/revoke",
        expect(403, exporter=200, rival=404, token=401),
    ),
    # --- Webhooks: the enterprise's own endpoints; notifications: operators ----------------
    Cell("GET /webhooks", "/webhooks", expect(200, **(ENTERPRISE_ONLY | {"rival": 200}))),
    Cell(
        "POST /webhooks",
        "/webhooks",
        expect(201, **(ENTERPRISE_ONLY | {"rival": 201})),
        body={"url": "https://erp.example.vn/cuakhau/webhook"},
    ),
    Cell("DELETE /webhooks/{webhook_id}", "/webhooks/{webhook_id}", expect(204, **ENTERPRISE_ONLY)),
    Cell(
        "DELETE /webhooks/{webhook_id}",
        "/webhooks/{rival_webhook_id}",
        expect(404, **dict.fromkeys(OFFICERS, 403), administrator=403, rival=204),
        name="rival's webhook delete",
    ),
    Cell(
        "POST /webhooks/{webhook_id}/enable",
        "/webhooks/{webhook_id}/enable",
        expect(200, **ENTERPRISE_ONLY),
    ),
    Cell(
        "POST /webhooks/{webhook_id}/disable",
        "/webhooks/{webhook_id}/disable",
        expect(200, **ENTERPRISE_ONLY),
    ),
    Cell(
        "POST /webhooks/{webhook_id}/test",
        "/webhooks/{webhook_id}/test",
        expect(200, **ENTERPRISE_ONLY),
    ),
    Cell(
        "GET /notifications/failed",
        "/notifications/failed",
        expect(403, gate_operator=200, administrator=200),
    ),
    Cell(
        "POST /notifications/{message_id}/retry",
        "/notifications/{message_id}/retry",
        expect(403, gate_operator=200, administrator=200),
    ),
    # --- Declarations ---------------------------------------------------------------------
    Cell("GET /declarations", "/declarations", expect(200)),
    Cell(
        "POST /declarations",
        "/declarations",
        expect(403, exporter=201, rival=201, token=201),
        body=fruit_export(),
    ),
    Cell(
        "POST /declarations/validate",
        "/declarations/validate",
        expect(403, exporter=200, rival=200, token=200),
        body=fruit_export(),
    ),
    Cell("GET /declarations/{declaration_id}", "/declarations/{export_id}", SEES_EXPORT),
    Cell(
        "GET /declarations/{declaration_id}",
        "/declarations/{draft_id}",
        SEES_DRAFT,
        name="draft declaration",
    ),
    Cell(
        "GET /declarations/{declaration_id}",
        "/declarations/{draft_id}",
        SEES_DRAFT,
        setup=_cancel_draft,
        name="cancelled draft declaration",
    ),
    Cell(
        "GET /declarations/{declaration_id}",
        "/declarations/{rival_id}",
        expect(
            200,
            exporter=404,
            token=404,
            rival=200,
            animal_officer=404,
            chi_ma_customs=404,
            leader=404,
        ),
        name="rival's declaration",
    ),
    Cell(
        "GET /declarations/{declaration_id}",
        "/declarations/{chi_ma_id}",
        expect(404, exporter=200, token=200, administrator=200, chi_ma_customs=200),
        name="Chi Ma declaration",
    ),
    Cell(
        "PUT /declarations/{declaration_id}",
        "/declarations/{draft_id}",
        expect(200, **ENTERPRISE_ONLY),
        body=fruit_export(note="sửa"),
    ),
    Cell(
        "POST /declarations/{declaration_id}/submit",
        "/declarations/{draft_id}/submit",
        expect(200, **ENTERPRISE_ONLY),
    ),
    Cell(
        "POST /declarations/{declaration_id}/cancel",
        "/declarations/{draft_id}/cancel",
        expect(200, **ENTERPRISE_ONLY),
        body={"reason": "Khách hủy đơn"},
    ),
    Cell(
        "GET /declarations/{declaration_id}/versions",
        "/declarations/{export_id}/versions",
        SEES_EXPORT,
    ),
    # --- Corrections after check-in -------------------------------------------------------
    Cell(
        "POST /declarations/{declaration_id}/corrections",
        "/declarations/{at_gate_id}/corrections",
        expect(201, **ENTERPRISE_ONLY),
        body=_correction,
    ),
    Cell("GET /corrections", "/corrections", expect(200)),
    # The pending correction changes a driver: the border guard decides it (customs cannot
    # see it; Chi Ma customs neither; other roles may not decide corrections at all).
    Cell(
        "POST /corrections/{correction_id}/decision",
        "/corrections/{correction_id}/decision",
        expect(403, border_guard=200, administrator=200, customs_officer=404, chi_ma_customs=404),
        body={"approve": False, "reason": "Thiếu giấy tờ"},
    ),
    # --- Trips ------------------------------------------------------------------------------
    Cell("GET /trips", "/trips", expect(200)),
    Cell("GET /trips/{code}", "/trips/{arrived}", SEES_EXPORT),
    Cell("GET /trips/{code}", "/trips/{draft}", SEES_DRAFT, name="draft trip"),
    Cell(
        "GET /trips/{code}",
        "/trips/{draft}",
        SEES_DRAFT,
        setup=_cancel_draft,
        name="cancelled draft trip",
    ),
    Cell(
        "GET /trips/{code}",
        "/trips/{chi_ma}",
        expect(404, exporter=200, token=200, administrator=200, chi_ma_customs=200),
        name="Chi Ma trip",
    ),
    Cell("GET /trips/{code}/events", "/trips/{arrived}/events", SEES_EXPORT),
    Cell(
        "POST /trips/{code}/cancel",
        "/trips/{declared}/cancel",
        expect(200, **ENTERPRISE_ONLY),
        body={"reason": "Xe hỏng"},
    ),
    Cell(
        "POST /trips/{code}/cancel",
        "/trips/{rival}/cancel",
        expect(403, exporter=404, token=404, rival=200, anonymous=401),
        body={"reason": "Xe hỏng"},
        name="rival's trip cancel",
    ),
    # --- Yard and gate steps: the gate operator (and the border guard at the control area) --
    Cell(
        "POST /checkins",
        "/checkins",
        expect(403, gate_operator=200),
        body=lambda w, r: {"yard": "XC", "code": w.trips["declared"]},
    ),
    Cell(
        "POST /checkins",
        "/checkins",
        expect(403, gate_operator=404),
        body=lambda w, r: {"yard": "CM-BAI", "code": w.trips["chi_ma"]},
        name="check-in at another gate",
    ),
    Cell("POST /trips/{code}/call", "/trips/{arrived}/call", expect(403, gate_operator=200)),
    Cell(
        "POST /trips/{code}/no-show",
        "/trips/{arrived}/no-show",
        expect(403, gate_operator=200),
        setup=_step("gate_operator", "POST", "/trips/{arrived}/call"),
    ),
    Cell(
        "POST /trips/{code}/enter-control",
        "/trips/{arrived}/enter-control",
        expect(403, gate_operator=200, border_guard=200),
        setup=_step("gate_operator", "POST", "/trips/{arrived}/call"),
    ),
    Cell(
        "POST /trips/{code}/departure",
        "/trips/{cleared}/departure",
        expect(403, gate_operator=200, border_guard=200),
    ),
    Cell(
        "POST /trips/{code}/transshipments",
        "/trips/{cleared}/transshipments",
        expect(403, gate_operator=201, customs_officer=201, chi_ma_customs=404),
        body=_transshipment,
    ),
    # --- The yard queue: the enterprise's trips, the operators' passages, the public board ----
    Cell("GET /public/passages", "/public/passages", public()),
    Cell("GET /public/passages/{passage}/calls", "/public/passages/HN-1119/calls", public()),
    Cell(
        "GET /public/passages/{passage}/calls",
        "/public/passages/NOPE/calls",
        public(404),
        name="calls of an unknown passage",
    ),
    Cell("GET /public/passages/{passage}/calendar", "/public/passages/HN-1119/calendar", public()),
    Cell(
        "GET /public/passages/{passage}/calendar",
        "/public/passages/NOPE/calendar",
        public(404),
        name="calendar of an unknown passage",
    ),
    Cell("GET /public/yards/{yard}/board", "/public/yards/XC/board", public()),
    Cell(
        "GET /public/yards/{yard}/board",
        "/public/yards/NOPE/board",
        public(404),
        name="board of an unknown yard",
    ),
    Cell("GET /trips/{code}/queue", "/trips/{arrived}/queue", SEES_EXPORT),
    Cell(
        "GET /trips/{code}/queue",
        "/trips/{declared}/queue",
        expect(404),
        name="queue place of a trip on its way",
    ),
    # Any signed-in caller may see the free hours (no personal data).
    Cell("GET /queue/passages/{passage}/{direction}/slots", HN + "/slots", expect(200)),
    Cell(
        "POST /trips/{code}/slot",
        "/trips/{declared}/slot",
        expect(403, exporter=201, token=201, rival=404),
        body=_slot,
    ),
    Cell(
        "POST /trips/{code}/slot",
        "/trips/{rival}/slot",
        expect(403, exporter=404, token=404, rival=201),
        body=_slot,
        name="rival's trip slot",
    ),
    Cell(
        "POST /trips/{code}/slot/cancel",
        "/trips/{booked}/slot/cancel",
        expect(403, exporter=200, token=200, rival=404),
        body={"reason": "Đổi lịch xe"},
    ),
    # A called truck's time: its enterprise or the gate's operator, once.
    Cell(
        "POST /trips/{code}/extend",
        "/trips/{arrived}/extend",
        expect(403, exporter=200, token=200, rival=404, gate_operator=200),
        setup=CALL_ARRIVED,
    ),
    Cell(
        "POST /trips/{code}/prioritise",
        "/trips/{arrived}/prioritise",
        OPERATOR_ONLY,
        body={"reason": "Hàng tươi sắp hỏng"},
    ),
    Cell("GET /queue/passages/{passage}/{direction}", HN, OPERATOR_ONLY),
    Cell(
        "GET /queue/passages/{passage}/{direction}",
        CM,
        expect(403),
        name="Chi Ma passage queue",
    ),
    # Dispatch answers 200 whether the passage is open or not (closed, it calls nobody).
    Cell("POST /queue/passages/{passage}/{direction}/dispatch", HN + "/dispatch", OPERATOR_ONLY),
    Cell(
        "POST /queue/passages/{passage}/{direction}/dispatch",
        CM + "/dispatch",
        expect(403),
        name="Chi Ma dispatch",
    ),
    Cell(
        "POST /queue/passages/{passage}/{direction}/pause",
        HN + "/pause",
        OPERATOR_ONLY,
        body={"paused": True, "reason": "Sự cố thiết bị soi chiếu"},
    ),
    Cell(
        "POST /queue/passages/{passage}/{direction}/pause",
        CM + "/pause",
        expect(403),
        body={"paused": True, "reason": "Sự cố thiết bị soi chiếu"},
        name="Chi Ma pause",
    ),
    Cell("PUT /queue/passages/{passage}/{direction}/plan", HN + "/plan", OPERATOR_ONLY, body=PLAN),
    Cell(
        "PUT /queue/passages/{passage}/{direction}/hours",
        HN + "/hours",
        OPERATOR_ONLY,
        body=_hour,
    ),
    Cell(
        "PUT /queue/passages/{passage}/{direction}/quotas",
        HN + "/quotas",
        OPERATOR_ONLY,
        body=_quota,
    ),
    # The calendar: closures and extended hours, by the gate's operators.
    Cell(
        "POST /queue/passages/{passage}/{direction}/calendar",
        HN + "/calendar",
        expect(403, gate_operator=201),
        body=lambda w, r: calendar_week_ahead(),
    ),
    Cell(
        "POST /queue/passages/{passage}/{direction}/calendar",
        CM + "/calendar",
        expect(403),
        body=lambda w, r: calendar_week_ahead(),
        name="Chi Ma calendar",
    ),
    Cell(
        "POST /queue/calendar/{entry_id}/delete",
        "/queue/calendar/{calendar_entry_id}/delete",
        expect(403, gate_operator=204),
        body={"reason": "Lịch nghỉ thay đổi"},
    ),
    Cell(
        "POST /queue/calendar/{entry_id}/delete",
        "/queue/calendar/{chi_ma_calendar_entry_id}/delete",
        expect(403),
        body={"reason": "Lịch nghỉ thay đổi"},
        name="Chi Ma calendar entry delete",
    ),
    # --- Fees: quotes and invoices, the enterprise's (and its gate's operators') --------------
    # The fee is part of the trip: whoever sees the trip sees its quote.
    Cell("GET /trips/{code}/fee", "/trips/{arrived}/fee", SEES_EXPORT),
    Cell(
        "GET /trips/{code}/fee",
        "/trips/{chi_ma}/fee",
        expect(404, exporter=200, token=200, administrator=200, chi_ma_customs=200),
        name="Chi Ma trip fee",
    ),
    Cell(
        "POST /invoices",
        "/invoices",
        expect(403, exporter=201, token=201, rival=404),
        body=lambda w, r: {"trips": [w.trips["declared"]]},
    ),
    Cell(
        "POST /invoices",
        "/invoices",
        expect(403, exporter=201, token=201, rival=404),
        body=lambda w, r: {"declaration_id": w.declaration_id("export")},
        name="invoice of a declaration",
    ),
    Cell(
        "POST /invoices",
        "/invoices",
        expect(403, exporter=404, token=404, rival=201),
        body=lambda w, r: {"trips": [w.trips["rival"]]},
        name="invoice of the rival's trip",
    ),
    Cell(
        "POST /invoices",
        "/invoices",
        expect(403, exporter=409, token=409, rival=404),
        body=lambda w, r: {"trips": [w.trips["fee_unpaid"]]},
        name="invoice of a trip already invoiced",
    ),
    # Lists are scoped (see test_fee_lists_show_only_what_the_role_may_see): never refused.
    Cell("GET /invoices", "/invoices", expect(200)),
    Cell("GET /invoices/{code}", "/invoices/{unpaid_invoice}", SEES_HN_INVOICE),
    Cell(
        "GET /invoices/{code}",
        "/invoices/{paid_invoice}",
        SEES_HN_INVOICE,
        name="paid invoice",
    ),
    Cell(
        "GET /invoices/{code}",
        "/invoices/{chi_ma_invoice}",
        expect(404, exporter=200, token=200, administrator=200),
        name="Chi Ma invoice",
    ),
    Cell(
        "GET /invoices/{code}",
        "/invoices/HD00000000",
        expect(404),
        name="unknown invoice",
    ),
    Cell(
        "POST /invoices/{code}/refund",
        "/invoices/{paid_invoice}/refund",
        OPERATOR_ONLY,
        body=REFUND,
    ),
    Cell(
        "POST /invoices/{code}/refund",
        "/invoices/{unpaid_invoice}/refund",
        expect(403, gate_operator=409),
        body=REFUND,
        name="refund of an unpaid invoice",
    ),
    # --- Fees: the reconciliation queue, the gate operators' ---------------------------------
    Cell("GET /payments/notices", NOTICES, expect(200)),
    # A transfer naming no invoice is in every operator's queue; it pays an invoice of theirs.
    Cell(
        "POST /payments/notices/{notice_id}/match",
        NOTICES + "/{notice_id}/match",
        OPERATOR_ONLY,
        body=_match("unpaid"),
    ),
    Cell(
        "POST /payments/notices/{notice_id}/match",
        NOTICES + "/{notice_id}/match",
        expect(403),
        body=_match("chi_ma"),
        name="match to another gate's invoice",
    ),
    Cell(
        "POST /payments/notices/{notice_id}/match",
        NOTICES + "/{notice_id}/match",
        expect(403, gate_operator=409),
        body=_match("paid"),
        name="match to a paid invoice",
    ),
    # A short payment of a Chi Ma invoice is in Chi Ma's queue only.
    Cell(
        "POST /payments/notices/{notice_id}/match",
        NOTICES + "/{chi_ma_notice_id}/match",
        expect(403, gate_operator=404),
        body=_match("unpaid"),
        name="match of another gate's notice",
    ),
    Cell(
        "POST /payments/notices/{notice_id}/refund",
        NOTICES + "/{notice_id}/refund",
        OPERATOR_ONLY,
        body=REFUND,
    ),
    Cell(
        "POST /payments/notices/{notice_id}/refund",
        NOTICES + "/{chi_ma_notice_id}/refund",
        expect(403, gate_operator=404),
        body=REFUND,
        name="refund of another gate's notice",
    ),
    # --- Fees: the banks' notices (the signature is the credential) and receipts ------------
    Cell(
        "POST /banks/{bank}/notices",
        f"/banks/{BANK}/notices",
        public(),
        body=_paying_notice,
    ),
    Cell(
        "POST /banks/{bank}/notices",
        f"/banks/{BANK}/notices",
        public(403),
        body=_unsigned_notice,
        name="unsigned bank notice",
    ),
    Cell(
        "POST /banks/{bank}/notices",
        f"/banks/{BANK}/notices",
        public(403),
        body=_forged_notice,
        name="bank notice signed with another secret",
    ),
    Cell(
        "POST /banks/{bank}/notices",
        "/banks/NOPE/notices",
        public(404),
        body=_paying_notice,
        name="notice of an unknown bank",
    ),
    Cell("GET /public/receipts/{token}", "/public/receipts/{receipt_token}", public()),
    Cell(
        "GET /public/receipts/{token}",
        "/public/receipts/not-a-receipt-token",
        public(404),
        name="unknown receipt",
    ),
    # --- Agency checks ----------------------------------------------------------------------
    Cell("GET /checks/pending", "/checks/pending", expect(200)),
    # Customs' check on the durian truck in the control area: only customs at Hữu Nghị.
    Cell(
        "POST /trips/{code}/checks/{agency}/decision",
        "/trips/{at_gate}/checks/customs/decision",
        expect(403, customs_officer=200, chi_ma_customs=404),
        body={"decision": "passed"},
    ),
    # Each officer deciding for their own agency: those the truck needs, at its gate.
    Cell(
        "POST /trips/{code}/checks/{agency}/decision",
        "",
        expect(
            403,
            customs_officer=200,
            border_guard=200,
            plant_officer=200,
            animal_officer=404,
            chi_ma_customs=404,
        ),
        body={"decision": "held", "reason": "Kiểm tra thêm"},
        url_for=_own_agency,
        name="own agency decision",
    ),
    # --- The digital twin: leaders and administrators of any gate; nobody else -------------
    Cell("GET /twin/scenarios", "/twin/scenarios", TWIN_ONLY),
    Cell(
        "POST /twin/runs",
        "/twin/runs",
        expect(403, leader=201, administrator=201),
        body={"scenario": "huu-nghi-2025", "replications": 2},
    ),
    Cell("GET /twin/runs", "/twin/runs", TWIN_ONLY),
    Cell("GET /twin/runs/{run_id}", "", TWIN_ONLY, url_for=_twin_run),
    Cell(
        "GET /twin/runs/{run_id}",
        "/twin/runs/999999999",
        expect(403, leader=404, administrator=404),
        name="unknown twin run",
    ),
]


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Any:
    yield from world_in_transaction(django_db_blocker)


@cache
def _documented() -> dict[str, set[int]]:
    document = api.get_openapi_schema()
    return {
        f"{method.upper()} {path.removeprefix(PREFIX)}": {int(code) for code in op["responses"]}
        for path, ops in document["paths"].items()
        for method, op in ops.items()
    }


def test_the_matrix_covers_every_operation() -> None:
    # A new endpoint without a row here fails this test.
    assert set(_documented()) == {cell.op for cell in MATRIX}


def _cells() -> list[Any]:
    return [
        pytest.param(
            cell,
            role,
            id=f"{cell.id}-{role}",
            marks=[pytest.mark.xfail(strict=True, reason=cell.known_defects[role])]
            if role in cell.known_defects
            else [],
        )
        for cell in MATRIX
        for role in ROLES
    ]


@pytest.mark.parametrize(("cell", "role"), _cells())
def test_permission(cell: Cell, role: str, world: World, db: Any) -> None:
    # Given the world (and the cell's preparation, done by whoever may do it)
    if cell.setup is not None:
        cell.setup(world)
    url = cell.url_for(world, role) if cell.url_for else cell.url.format(**world.refs())
    body = cell.body(world, role) if callable(cell.body) else cell.body

    # When the role calls the operation
    response = _call(world, role, cell.method, url, body)

    # Then it gets the status the rules say, one the OpenAPI document declares, in the
    # platform's error shape when it is an error
    assert response.status_code == cell.statuses[role], response.content.decode()[:500]
    assert response.status_code in _documented()[cell.op]
    if response.status_code >= 400:
        error = response.json()
        assert set(error) == {"code", "message", "messages", "errors"}
        assert set(error["messages"]) == {"vi", "en", "zh"}


# --- Lists: scoped to the caller, never a row more ---------------------------------------------

_ALL = {"draft", "export", "at_gate", "import", "rival", "chi_ma", "queued", "fees"}
_OWN = {"draft", "export", "at_gate", "import", "chi_ma", "queued", "fees"}
_AT_HN_TT = {"export", "at_gate", "import", "rival", "queued", "fees"}
# Declarations (by world name) whose rows each role finds in /declarations and /trips.
VISIBLE = {
    "exporter": _OWN,
    "token": _OWN,
    "rival": {"rival"},
    "gate_operator": _AT_HN_TT,
    "customs_officer": _AT_HN_TT,
    "border_guard": _AT_HN_TT,
    # durian needs plant quarantine
    "plant_officer": {"export", "at_gate", "rival", "queued", "fees"},
    "animal_officer": set(),
    "leader": set(),
    "administrator": _ALL,
    "chi_ma_customs": {"chi_ma"},
}
# Trips (by world name) in each officer's pending checks: on site, at their gates.
PENDING: dict[str, set[str]] = {role: set() for role in VISIBLE} | {
    "customs_officer": {"arrived", "at_gate"},
    "border_guard": {"arrived", "at_gate"},
    "plant_officer": {"arrived", "at_gate"},
}
# Who sees the pending driver correction: its enterprise, the border guard, the administrator.
SEES_CORRECTION = {"exporter", "token", "border_guard", "administrator"}


@pytest.mark.parametrize("role", VISIBLE)
def test_lists_show_only_what_the_role_may_see(role: str, world: World, db: Any) -> None:
    names = {declaration["id"]: name for name, declaration in world.declarations.items()}
    trips = {code: name for name, code in world.trips.items()}

    declarations = _call(world, role, "GET", "/declarations?limit=500").json()["items"]
    trip_rows = _call(world, role, "GET", "/trips?limit=500").json()["items"]
    corrections = _call(world, role, "GET", "/corrections?limit=500").json()["items"]
    pending = _call(world, role, "GET", "/checks/pending?limit=500").json()["items"]

    assert {names[d["id"]] for d in declarations} == VISIBLE[role]
    assert {names[t["declaration_id"]] for t in trip_rows} == VISIBLE[role]
    assert bool(corrections) is (role in SEES_CORRECTION)
    assert {trips[c["trip"]] for c in pending} == PENDING[role]


# Invoices (by world name) in each role's /invoices, and notices in its reconciliation queue.
_OWN_INVOICES = {"unpaid", "paid", "chi_ma"}
INVOICES: dict[str, set[str]] = {role: set() for role in VISIBLE} | {
    "exporter": _OWN_INVOICES,
    "token": _OWN_INVOICES,
    "gate_operator": {"unpaid", "paid"},
    "administrator": _OWN_INVOICES,
}
QUEUE: dict[str, set[str]] = {role: set() for role in VISIBLE} | {
    "gate_operator": {"notice_id"},
    "administrator": {"notice_id", "chi_ma_notice_id"},
}


@pytest.mark.parametrize("role", VISIBLE)
def test_fee_lists_show_only_what_the_role_may_see(role: str, world: World, db: Any) -> None:
    invoices = {code: name for name, code in world.invoices.items()}
    notices = {world.notice_id: "notice_id", world.chi_ma_notice_id: "chi_ma_notice_id"}

    invoice_rows = _call(world, role, "GET", "/invoices?limit=500").json()["items"]
    paid_rows = _call(world, role, "GET", "/invoices?status=paid&limit=500").json()["items"]
    queue = _call(world, role, "GET", "/payments/notices?limit=500").json()["items"]

    assert {invoices[i["code"]] for i in invoice_rows} == INVOICES[role]
    assert {invoices[i["code"]] for i in paid_rows} == INVOICES[role] & {"paid"}
    assert {notices[n["id"]] for n in queue} == QUEUE[role]


def test_a_session_write_without_its_csrf_token_is_refused(world: World, db: Any) -> None:
    # Given the exporter's signed-in browser session, but a forged request without the token
    client = Client(enforce_csrf_checks=True)
    cookies, _headers = world.credentials("exporter")
    for name, value in cookies.items():
        client.cookies[name] = value

    # When it tries to create an API token or a declaration
    for url, body in (("/tokens", {"name": "x"}), ("/declarations", fruit_export())):
        response = client.post(PREFIX + url, body, content_type="application/json")

        # Then it is refused as a CSRF failure, in the API's error shape
        assert response.status_code == 403
        assert response.json()["code"] == "csrf_failed"
