"""Bad input on every write endpoint: a clear 4xx in the platform's error shape, and nothing
stored changes.

For each write operation of ``/api/v1`` the table below names who may call it and a body that
succeeds (checked first, so that the refusals are about the input, not about permissions).
Then the body is broken in every way a client can break it — unreadable JSON, another media
type, wrong types, missing and unknown fields, NUL characters and lone surrogates in strings,
numbers no column can hold, values the rules refuse — and each answer must be 400 or 422 with
``{code, message, messages{vi,en,zh}, errors[{field, code, message, messages}]}`` naming the
broken fields, while every stored row stays as it was (on SQLite and on PostgreSQL, which
refuses NUL bytes and out-of-range integers itself).

The JSON schema of each body comes from the OpenAPI document, so the mutations follow the
documented types and a new field is broken along with the others.

A bank's payment notice is the exception: its body is read as the bank signed it, not as a
documented schema. Its rows are signed correctly, so that a refusal is about the content; and
notices not signed by the bank are refused whatever they contain.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from cuakhau.accounts.models import ApiToken
from cuakhau.api import api
from cuakhau.checks.models import AgencyCheck
from cuakhau.conftest import electronics_import, fruit_export
from cuakhau.core.tests.world import (
    BANK,
    World,
    bookable_hour,
    calendar_week_ahead,
    notice_body,
    sign_notice,
    world_in_transaction,
)
from cuakhau.declarations.models import (
    Container,
    CorrectionRequest,
    CustomsDeclaration,
    Declaration,
    DeclarationVersion,
    GoodsLine,
    Transshipment,
    TransshipmentLine,
    Trip,
    TripEvent,
)
from cuakhau.fees.models import (
    BankAccount,
    Invoice,
    InvoiceEvent,
    InvoiceItem,
    PaymentNotice,
    Receipt,
    ReceiptCounter,
)
from cuakhau.gates import capacity as plan
from cuakhau.gates.models import CalendarEntry, CapacityOverride, CapacityPlan, PartnerQuota
from cuakhau.notifications.models import NotificationEvent, OutboxMessage, WebhookEndpoint
from cuakhau.queueing.models import (
    BookingBlock,
    CallUp,
    DispatchRun,
    EnterpriseOutcome,
    PassageEvent,
    QueueCounter,
    QueueEntry,
    SlotBooking,
    SlotHour,
)
from cuakhau.twin.models import TwinEvent, TwinRun, TwinScenario

PREFIX = "/api/v1"
STORED = (
    Declaration,
    DeclarationVersion,
    CustomsDeclaration,
    GoodsLine,
    Trip,
    Container,
    TripEvent,
    AgencyCheck,
    CorrectionRequest,
    Transshipment,
    TransshipmentLine,
    ApiToken,
    WebhookEndpoint,
    OutboxMessage,
    NotificationEvent,
    SlotHour,
    SlotBooking,
    QueueEntry,
    QueueCounter,
    CallUp,
    DispatchRun,
    EnterpriseOutcome,
    BookingBlock,
    PassageEvent,
    CapacityPlan,
    CapacityOverride,
    PartnerQuota,
    CalendarEntry,
    Invoice,
    InvoiceItem,
    InvoiceEvent,
    PaymentNotice,
    Receipt,
    ReceiptCounter,
    BankAccount,
    TwinScenario,
    TwinRun,
    TwinEvent,
)
WRONG_TYPE = {"not": "this type"}
HUGE = 10**40  # more digits than any column (bigint, numeric(16, 2)) holds


@dataclass(frozen=True)
class Write:
    """A write operation, who may call it, and a body with which it succeeds."""

    op: str  # "METHOD /path" as the OpenAPI document names it
    url: str  # concrete path, ``{…}`` filled from the world
    who: str
    ok: int
    body: Callable[[World], Any] | None = None  # None: the operation takes no body
    setup: Callable[[World], None] | None = None
    # Values the rules refuse: (what, change to the valid body, the field the error names).
    # A change takes the valid body, or the body and the world.
    refused: tuple[tuple[str, Callable[..., Any], str], ...] = field(default=())
    # Objects named in the body that the caller cannot see: (what, change), answered 404.
    not_found: tuple[tuple[str, Callable[..., Any]], ...] = field(default=())
    # A bank's notice: the body as sent is signed with the bank's secret.
    signed: bool = False

    @property
    def method(self) -> str:
        return self.op.split()[0]

    @property
    def id(self) -> str:
        return self.op


def _send(
    world: World,
    write: Write,
    body: Any = None,
    *,
    raw: bytes | None = None,
    content_type: str = "application/json",
    url: str | None = None,
    query: str = "",
    signature: str | None = None,
) -> Any:
    path = PREFIX + (url if url is not None else write.url.format(**world.refs())) + query
    if raw is None:
        # ensure_ascii keeps a lone surrogate as the ``\\ud800`` escape JSON allows.
        raw = json.dumps(body, default=str).encode() if body is not None else b""
    headers = {}
    if write.signed:
        signature = sign_notice(raw).signature if signature is None else signature
        if signature:  # an unsigned notice has no header at all
            headers["HTTP_X_BANK_SIGNATURE"] = signature
    return getattr(world.client_as(write.who), write.method.lower())(
        path, data=raw, content_type=content_type, **headers
    )


def _call_step(who: str, method: str, url: str) -> Callable[[World], None]:
    def run(world: World) -> None:
        response = _send(world, Write(f"{method} -", url, who, 200), {})
        assert response.status_code == 200, response.content

    return run


def _set(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    document = deepcopy(document)
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return document


def _at(*path: Any, value: Any) -> Callable[[Any], Any]:
    return lambda body: _set(body, path, value)


def _without(name: str) -> Callable[[Any], Any]:
    return lambda body: {k: v for k, v in body.items() if k != name}


def _changed(change: Callable[..., Any], body: Any, world: World) -> Any:
    """``change`` applied to the valid body (and the world, when it asks for it)."""
    if len(inspect.signature(change).parameters) == 2:
        return change(body, world)
    return change(body)


def _correction(world: World) -> dict[str, Any]:
    document = deepcopy(world.documents["at_gate"])
    document["trips"][0]["driver_phone"] = "0911222444"
    return {"reason": "Đổi tài xế", "document": document}


def _transshipment(world: World) -> dict[str, Any]:
    truck = fruit_export()["trips"][1] | {"tractor_plate": "12C-246.80"}
    goods = [{"goods_line_id": world.goods_line_id, "quantity": "100", "gross_weight_kg": "1500"}]
    return {"zone": "SANG-TAI", "receiving": [{"vehicle": truck, "goods": goods}]}


YESTERDAY = (timezone.now() - timedelta(days=1)).isoformat()
DECLARATION_REFUSED = (
    ("unknown gate", _at("gate", value="XX"), "gate"),
    ("arrival in the past", _at("planned_arrival", value=YESTERDAY), "planned_arrival"),
    ("bad plate", _at("trips", 0, "tractor_plate", value="??"), "trips.0.tractor_plate"),
    (
        "bad HS code",
        _at("customs_declarations", 0, "lines", 0, "hs_code", value="0000"),
        "customs_declarations.0.lines.0.hs_code",
    ),
)
NO_REASON = (("no reason", _at("reason", value="  "), "reason"),)
CALL = _call_step("gate_operator", "POST", "/trips/{arrived}/call")
HN = "/queue/passages/HN-1119/export"


def _this_hour() -> Any:
    return plan.hour_floor(timezone.now().astimezone(plan.VIETNAM))


# Slot starts are computed when the request is built: the bookable hours move with the clock.
SLOT_REFUSED = (
    (
        "not on the hour",
        lambda b: {"start": (bookable_hour() + timedelta(minutes=30)).isoformat()},
        "start",
    ),
    ("in the past", lambda b: {"start": (_this_hour() - timedelta(hours=1)).isoformat()}, "start"),
    ("this hour", lambda b: {"start": _this_hour().isoformat()}, "start"),
    (
        "beyond the booking days",
        lambda b: {"start": (_this_hour() + timedelta(days=4)).isoformat()},
        "start",
    ),
)


def _from_now(**delta: float) -> str:
    return (timezone.now() + timedelta(**delta)).isoformat()


CALENDAR_REFUSED = (
    ("unknown kind", _at("kind", value="open"), "kind"),
    ("unknown cause", _at("cause", value="typhoon"), "cause"),
    ("no Vietnamese name", _at("name_vi", value="   "), "name_vi"),
    ("ends before it starts", lambda b: {**b, "ends_at": b["starts_at"]}, "ends_at"),
    ("longer than 90 days", lambda b: {**b, "ends_at": _from_now(days=100)}, "ends_at"),
    (
        "over already",
        lambda b: {**b, "starts_at": _from_now(hours=-5), "ends_at": _from_now(hours=-1)},
        "ends_at",
    ),
    (
        "years ahead",
        lambda b: {**b, "starts_at": _from_now(days=800), "ends_at": _from_now(days=801)},
        "starts_at",
    ),
)

WRITES = [
    Write(
        "POST /tokens",
        "/tokens",
        "exporter",
        201,
        lambda w: {"name": "CI"},
        refused=(("blank name", _at("name", value="   "), "name"),),
    ),
    Write("POST /tokens/{token_id}/revoke", "/tokens/{token_id}/revoke", "exporter", 200),
    Write(
        "POST /declarations",
        "/declarations",
        "exporter",
        201,
        lambda w: fruit_export(),
        refused=DECLARATION_REFUSED,
    ),
    Write(
        "POST /declarations/validate",
        "/declarations/validate",
        "exporter",
        200,
        lambda w: electronics_import(),
        refused=DECLARATION_REFUSED,
    ),
    Write(
        "PUT /declarations/{declaration_id}",
        "/declarations/{draft_id}",
        "exporter",
        200,
        lambda w: fruit_export(note="Sửa giờ đến"),
        refused=DECLARATION_REFUSED,
    ),
    Write(
        "POST /declarations/{declaration_id}/submit",
        "/declarations/{draft_id}/submit",
        "exporter",
        200,
    ),
    Write(
        "POST /declarations/{declaration_id}/cancel",
        "/declarations/{draft_id}/cancel",
        "exporter",
        200,
        lambda w: {"reason": "Khách hủy đơn"},
        refused=NO_REASON,
    ),
    Write(
        "POST /declarations/{declaration_id}/corrections",
        "/declarations/{at_gate_id}/corrections",
        "exporter",
        201,
        _correction,
        refused=(
            *NO_REASON,
            (
                "bad phone",
                _at("document", "trips", 0, "driver_phone", value="12"),
                "document.trips.0.driver_phone",
            ),
        ),
    ),
    Write(
        "POST /corrections/{correction_id}/decision",
        "/corrections/{correction_id}/decision",
        "border_guard",
        200,
        lambda w: {"approve": False, "reason": "Thiếu giấy tờ"},
        refused=(("rejected without a reason", _at("reason", value=""), "reason"),),
    ),
    Write(
        "POST /trips/{code}/cancel",
        "/trips/{declared}/cancel",
        "exporter",
        200,
        lambda w: {"reason": "Xe hỏng"},
        refused=NO_REASON,
    ),
    Write(
        "POST /checkins",
        "/checkins",
        "gate_operator",
        200,
        lambda w: {"yard": "XC", "code": w.trips["declared"]},
        refused=(
            ("unknown yard", _at("yard", value="NOPE"), "yard"),
            ("nothing to find the trip by", lambda b: {"yard": "XC"}, "code"),
            ("forged QR", lambda b: {"yard": "XC", "qr": "https://x/q/ABCDEFGH.AAAA"}, "qr"),
        ),
    ),
    Write(
        "POST /trips/{code}/call",
        "/trips/{arrived}/call",
        "gate_operator",
        200,
        lambda w: {"reason": "Đến lượt"},
    ),
    Write(
        "POST /trips/{code}/no-show",
        "/trips/{arrived}/no-show",
        "gate_operator",
        200,
        lambda w: {"reason": "Quá 30 phút"},
        setup=CALL,
    ),
    Write(
        "POST /trips/{code}/enter-control",
        "/trips/{arrived}/enter-control",
        "gate_operator",
        200,
        lambda w: {"reason": "Vào khu kiểm soát"},
        setup=CALL,
    ),
    Write(
        "POST /trips/{code}/departure",
        "/trips/{cleared}/departure",
        "gate_operator",
        200,
        lambda w: {"reason": "Xuất cảnh"},
    ),
    Write(
        "POST /trips/{code}/transshipments",
        "/trips/{cleared}/transshipments",
        "customs_officer",
        201,
        _transshipment,
        refused=(
            ("unknown zone", _at("zone", value="Z"), "zone"),
            ("no receiving truck", _at("receiving", value=[]), "receiving"),
            (
                "nothing moved",
                _at("receiving", 0, "goods", 0, "quantity", value="0"),
                "receiving.0.goods.0.quantity",
            ),
            (
                "more than declared",
                _at("receiving", 0, "goods", 0, "quantity", value="401"),
                "receiving.0.goods.0.quantity",
            ),
            (
                "a Chinese receiving truck",
                _at("receiving", 0, "vehicle", "tractor_country", value="CN"),
                "receiving.0.vehicle.tractor_country",
            ),
        ),
    ),
    Write(
        "POST /trips/{code}/checks/{agency}/decision",
        "/trips/{at_gate}/checks/customs/decision",
        "customs_officer",
        200,
        lambda w: {"decision": "passed"},
        refused=(("held without a reason", lambda b: {"decision": "held"}, "reason"),),
    ),
    # --- Webhooks and failed notifications ---------------------------------------------------
    Write(
        "POST /webhooks",
        "/webhooks",
        "exporter",
        201,
        lambda w: {"url": "https://erp.example.vn/cuakhau/webhook", "description": "ERP"},
        refused=(
            ("plain http", _at("url", value="http://erp.example.vn/hook"), "url"),
            ("not a URL", _at("url", value="erp.example.vn"), "url"),
        ),
    ),
    Write("DELETE /webhooks/{webhook_id}", "/webhooks/{webhook_id}", "exporter", 204),
    Write("POST /webhooks/{webhook_id}/enable", "/webhooks/{webhook_id}/enable", "exporter", 200),
    Write("POST /webhooks/{webhook_id}/disable", "/webhooks/{webhook_id}/disable", "exporter", 200),
    Write("POST /webhooks/{webhook_id}/test", "/webhooks/{webhook_id}/test", "exporter", 200),
    Write(
        "POST /notifications/{message_id}/retry",
        "/notifications/{message_id}/retry",
        "gate_operator",
        200,
    ),
    # --- The yard queue ------------------------------------------------------------------------
    Write(
        "POST /trips/{code}/slot",
        "/trips/{declared}/slot",
        "exporter",
        201,
        lambda w: {"start": bookable_hour().isoformat()},
        refused=SLOT_REFUSED,
    ),
    Write(
        "POST /trips/{code}/slot/cancel",
        "/trips/{booked}/slot/cancel",
        "exporter",
        200,
        lambda w: {"reason": "Đổi lịch xe"},
        refused=NO_REASON,
    ),
    Write("POST /trips/{code}/extend", "/trips/{arrived}/extend", "exporter", 200, setup=CALL),
    Write(
        "POST /trips/{code}/prioritise",
        "/trips/{arrived}/prioritise",
        "gate_operator",
        200,
        lambda w: {"reason": "Hàng tươi sắp hỏng"},
        refused=NO_REASON,
    ),
    Write(
        "POST /queue/passages/{passage}/{direction}/dispatch",
        HN + "/dispatch",
        "gate_operator",
        200,
    ),
    Write(
        "POST /queue/passages/{passage}/{direction}/pause",
        HN + "/pause",
        "gate_operator",
        200,
        lambda w: {"paused": True, "reason": "Sự cố thiết bị soi chiếu"},
        refused=NO_REASON,
    ),
    Write(
        "PUT /queue/passages/{passage}/{direction}/plan",
        HN + "/plan",
        "gate_operator",
        200,
        lambda w: {
            "lanes_open": 3,
            "minutes_per_vehicle": "5.5",
            "control_area_room": 30,
            "slot_share_percent": 40,
            "booking_days_ahead": 3,
            "reason": "Mở thêm làn",
        },
        refused=(
            *NO_REASON,
            ("no time per vehicle", _at("minutes_per_vehicle", value="0"), "minutes_per_vehicle"),
            (
                "more decimals than stored",
                _at("minutes_per_vehicle", value="5.125"),
                "minutes_per_vehicle",
            ),
            (
                "more than the whole hour",
                _at("slot_share_percent", value=150),
                "slot_share_percent",
            ),
            ("negative lanes", _at("lanes_open", value=-1), "lanes_open"),
            ("a month ahead", _at("booking_days_ahead", value=31), "booking_days_ahead"),
        ),
    ),
    Write(
        "PUT /queue/passages/{passage}/{direction}/hours",
        HN + "/hours",
        "gate_operator",
        200,
        lambda w: {
            "hour_start": (_this_hour() + timedelta(hours=2)).isoformat(),
            "calls": 12,
            "reason": "Tăng ca cuối tuần",
        },
        refused=(
            *NO_REASON,
            (
                "not on the hour",
                lambda b: {**b, "hour_start": (_this_hour() + timedelta(minutes=90)).isoformat()},
                "hour_start",
            ),
            ("negative calls", _at("calls", value=-1), "calls"),
        ),
    ),
    Write(
        "PUT /queue/passages/{passage}/{direction}/quotas",
        HN + "/quotas",
        "gate_operator",
        200,
        lambda w: {
            "day": _this_hour().date().isoformat(),
            "goods_group": "fruit",
            "trucks": 300,
            "note": "Phía Trung Quốc báo",
        },
        refused=(
            ("unknown goods group", _at("goods_group", value="durian"), "goods_group"),
            ("negative trucks", _at("trucks", value=-5), "trucks"),
            ("not a day", _at("day", value="2026-02-30"), "day"),
        ),
    ),
    Write(
        "POST /queue/passages/{passage}/{direction}/calendar",
        HN + "/calendar",
        "gate_operator",
        201,
        lambda w: calendar_week_ahead(),
        refused=CALENDAR_REFUSED,
    ),
    Write(
        "POST /queue/calendar/{entry_id}/delete",
        "/queue/calendar/{calendar_entry_id}/delete",
        "gate_operator",
        204,
        lambda w: {"reason": "Lịch nghỉ thay đổi"},
        refused=NO_REASON,
    ),
    # --- Fees ------------------------------------------------------------------------------------
    Write(
        "POST /invoices",
        "/invoices",
        "exporter",
        201,
        lambda w: {"trips": [w.trips["declared"]]},
        refused=(
            ("nothing to invoice", lambda b: {}, "trips"),
            ("no trips", _at("trips", value=[]), "trips"),
            (
                "trips of two declarations",
                lambda b, w: {"trips": [*b["trips"], w.trips["booked"]]},
                "trips",
            ),
            ("more than 50 trips", lambda b: {"trips": b["trips"] * 51}, "trips"),
            ("a trip code longer than any", _at("trips", 0, value="X" * 17), "trips.0"),
            ("declaration id zero", lambda b: {"declaration_id": 0}, "declaration_id"),
            ("declaration id beyond any", lambda b: {"declaration_id": HUGE}, "declaration_id"),
        ),
        not_found=(
            ("unknown trip", _at("trips", 0, value="ZZZZZZZZ")),
            ("the rival's trip", lambda b, w: {"trips": [w.trips["rival"]]}),
            ("unknown declaration", lambda b: {"declaration_id": 2**62}),
            ("the rival's declaration", lambda b, w: {"declaration_id": w.declaration_id("rival")}),
        ),
    ),
    Write(
        "POST /invoices/{code}/refund",
        "/invoices/{paid_invoice}/refund",
        "gate_operator",
        200,
        lambda w: {"reason": "Xe không qua cửa khẩu, hoàn phí"},
        refused=NO_REASON,
    ),
    Write(
        "POST /payments/notices/{notice_id}/match",
        "/payments/notices/{notice_id}/match",
        "gate_operator",
        200,
        lambda w: {"invoice": w.invoices["unpaid"], "reason": "Khách ghi sai nội dung CK"},
        refused=(
            *NO_REASON,
            ("unknown invoice", _at("invoice", value="HD00000000"), "invoice"),
            ("blank invoice", _at("invoice", value="  "), "invoice"),
            ("an invoice code longer than any", _at("invoice", value="HD" * 21), "invoice"),
        ),
    ),
    Write(
        "POST /payments/notices/{notice_id}/refund",
        "/payments/notices/{notice_id}/refund",
        "gate_operator",
        200,
        lambda w: {"reason": "Không khớp hóa đơn nào, trả lại người chuyển"},
        refused=NO_REASON,
    ),
    # The bank signs; who sends it does not matter (here nobody signed in).
    Write(
        "POST /banks/{bank}/notices",
        f"/banks/{BANK}/notices",
        "anonymous",
        200,
        lambda w: notice_body(w.invoices["unpaid"], _amount(w, "unpaid")),
        signed=True,
        refused=(
            ("negative amount", _at("amount", value=-850_000), "amount"),
            ("no amount", _at("amount", value=0), "amount"),
            ("amount as words", _at("amount", value="tám trăm nghìn"), "amount"),
            ("amount as true (1 VND?)", _at("amount", value=True), "amount"),
            ("amount beyond any transfer", _at("amount", value=HUGE), "amount"),
            ("missing reference", _without("reference"), "reference"),
            ("blank reference", _at("reference", value=""), "reference"),
            ("missing amount", _without("amount"), "amount"),
            ("missing description", _without("description"), "description"),
            ("missing transfer time", _without("transferred_at"), "transferred_at"),
            ("not a time", _at("transferred_at", value="hôm qua"), "transferred_at"),
            (
                "a time no calendar has",
                _at("transferred_at", value="9999-12-31T23:59:59-12:00"),
                "transferred_at",
            ),
            ("a description longer than kept", _at("description", value="x" * 301), "description"),
            ("a NUL character in the reference", _at("reference", value="FT\x00"), "reference"),
            (
                "a lone surrogate in the payer's name",
                _at("payer_name", value="x\ud800y"),
                "payer_name",
            ),
        ),
    ),
    # --- The digital twin: a run request is checked whole, its TOML field by field -----------
    Write(
        "POST /twin/runs",
        "/twin/runs",
        "leader",
        201,
        lambda w: {"scenario": "huu-nghi-2025", "kind": "simulate", "replications": 2},
        refused=(
            ("no scenario", lambda b: {"replications": 2}, "scenario"),
            ("an unknown shipped scenario", _at("scenario", value="khong-co"), "scenario"),
            ("two sources", lambda b: {**b, "toml": _twin_toml()}, "toml"),
            (
                "a scenario of no days",
                lambda b: {"toml": _twin_toml(days="0")},
                "toml.scenario.days",
            ),
            ("not TOML", lambda b: {"toml": "[scenario"}, "toml"),
            ("more replications than allowed", _at("replications", value=201), "replications"),
            ("a target for a simulation", lambda b: {**b, "target": 1500}, "target"),
            ("an unknown kind", _at("kind", value="guess"), "kind"),
            (
                "a replay of a file outside the scenarios",
                lambda b: {"toml": _twin_replay("/etc/passwd")},
                "toml.arrivals.replay",
            ),
        ),
        not_found=(("an unknown saved scenario", lambda b: {"scenario_id": 2**40}),),
    ),
]


def _twin_toml(**changes: str) -> str:
    """The shipped Hữu Nghị scenario with some ``key = value`` lines changed."""
    from cuakhau.twin.services import shipped_text

    text = shipped_text("huu-nghi-2025") or ""
    for key, value in changes.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)
    return text


def _twin_replay(path: str) -> str:
    text = _twin_toml(kind='"replay"')
    return re.sub(r"(?m)^per_day = .*$", f'replay = "{path}"', text, count=1)


def _amount(world: World, invoice: str) -> int:
    return Invoice.objects.get(code=world.invoices[invoice]).amount_vnd


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Any:
    yield from world_in_transaction(django_db_blocker)


# --- The documented body of each operation, and what can be broken in it --------------------


@cache
def _openapi() -> dict[str, Any]:
    return api.get_openapi_schema()


def _operation(op: str) -> dict[str, Any]:
    method, path = op.split()
    return _openapi()["paths"][PREFIX + path][method.lower()]  # type: ignore[no-any-return]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = _openapi()["components"]["schemas"][name]
    branches = [_resolve(b) for b in schema.get("anyOf", ()) if b.get("type") != "null"]
    if len(branches) == 1:
        return branches[0]
    if branches:  # a decimal: number or text
        return {"type": "number"}
    return schema


def _body_schema(op: str) -> dict[str, Any]:
    content = _operation(op)["requestBody"]["content"]["application/json"]
    return _resolve(content["schema"])


def _walk(schema: dict[str, Any], value: Any, path: tuple[Any, ...] = ()) -> Iterator[Any]:
    """Every object (``("object", path, schema)``) and leaf (``(type, path, schema)``) of a
    valid body, typed by its documented schema."""
    schema = _resolve(schema)
    if isinstance(value, dict) and "properties" in schema:
        yield ("object", path, schema)
        for name, item in value.items():
            yield from _walk(schema["properties"][name], item, (*path, name))
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            yield from _walk(schema["items"], item, (*path, i))
    elif value is not None:
        yield (schema.get("type", "string"), path, schema)


def _dotted(path: tuple[Any, ...], op: str) -> str:
    return ".".join(str(p) for p in path)


def _broken_bodies(op: str, body: Any) -> Iterator[tuple[str, Any, set[str]]]:
    """(what, broken body, fields the 422 must name) for every way of breaking ``body``."""
    schema = _body_schema(op)
    parts = list(_walk(schema, body))
    leaves = [(kind, path) for kind, path, _ in parts if kind != "object"]
    strings = [path for kind, path in leaves if kind == "string"]
    numbers = [path for kind, path in leaves if kind in ("integer", "number")]

    broken = body
    for _kind, path in leaves:
        broken = _set(broken, path, WRONG_TYPE)
    yield "every field of the wrong type", broken, {_dotted(p, op) for _, p in leaves}

    for kind, path, part in parts:
        if kind == "object":
            for name in part.get("required", ()):
                if name in _get(body, path):
                    missing = deepcopy(body)
                    del _get(missing, path)[name]
                    yield (
                        f"missing {_dotted((*path, name), op)}",
                        missing,
                        {_dotted((*path, name), op)},
                    )

    extra = deepcopy(body)
    objects = [path for kind, path, _ in parts if kind == "object"]
    for path in objects:
        _get(extra, path)["unexpected"] = 1
    yield (
        "an unknown field in every object",
        extra,
        {_dotted((*path, "unexpected"), op) for path in objects},
    )

    for what, bad in (("a NUL character", "x\x00y"), ("a lone surrogate", "x\ud800y")):
        broken = body
        for path in strings:
            broken = _set(broken, path, bad)
        yield f"{what} in every text field", broken, {_dotted(p, op) for p in strings}

    if numbers:
        broken = body
        for path in numbers:
            broken = _set(broken, path, HUGE)
        yield "numbers too large for any column", broken, {_dotted(p, op) for p in numbers}


def _get(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


# --- Checking an answer ------------------------------------------------------------------------


def _stored() -> dict[str, list[dict[str, Any]]]:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in STORED}


def _assert_refused(
    response: Any, statuses: tuple[int, ...], fields: set[str] | None = None
) -> dict[str, Any]:
    assert response.status_code in statuses, response.content.decode()[:800]
    assert response["Content-Type"].startswith("application/json")
    error = response.json()
    assert set(error) == {"code", "message", "messages", "errors"}
    assert error["code"] and error["message"]
    assert set(error["messages"]) == {"vi", "en", "zh"}
    assert all(error["messages"].values())
    for item in error["errors"]:
        assert set(item) == {"field", "code", "message", "messages"}
        assert set(item["messages"]) == {"vi", "en", "zh"}
    if response.status_code == 422:
        assert error["errors"], "a 422 names the fields to fix"
    if fields:
        named = {item["field"] for item in error["errors"]}
        assert fields <= named, f"not named: {sorted(fields - named)}"
    return error  # type: ignore[no-any-return]


def _prepare(world: World, write: Write) -> Any:
    if write.setup is not None:
        write.setup(world)
    return write.body(world) if write.body is not None else None


# --- The tests ---------------------------------------------------------------------------------


def test_every_write_operation_has_a_row() -> None:
    documented = {
        f"{method.upper()} {path.removeprefix(PREFIX)}"
        for path, ops in _openapi()["paths"].items()
        for method in ops
        if method in ("post", "put", "patch", "delete")
    }
    assert documented == {write.op for write in WRITES}


@pytest.mark.parametrize("write", WRITES, ids=[w.id for w in WRITES])
def test_the_valid_request_succeeds(write: Write, world: World, db: Any) -> None:
    # The control for everything below: the same caller and body are accepted.
    body = _prepare(world, write)
    response = _send(world, write, body if write.body else None)
    assert response.status_code == write.ok, response.content.decode()[:800]


# The bank's notice has no documented body (it is read as signed): it has its own tests below.
BODY_WRITES = [w for w in WRITES if w.body is not None and not w.signed]


@pytest.mark.parametrize("write", BODY_WRITES, ids=[w.id for w in BODY_WRITES])
def test_unreadable_bodies_are_refused(write: Write, world: World, db: Any) -> None:
    _prepare(world, write)
    before = _stored()
    for raw, content_type in (
        (b'{"reason": ', "application/json"),
        (b"\xff\xfe\x00{", "application/json"),
        (b'{"a": 1}{"b": 2}', "application/json"),
        (b"reason=x", "application/x-www-form-urlencoded"),
        (b"--xx\r\nbroken", "multipart/form-data; boundary=xx"),
    ):
        response = _send(world, write, raw=raw, content_type=content_type)
        error = _assert_refused(response, (400,))
        assert error["code"] == "bad_request", (raw, content_type)
    # JSON labelled as a form: a POST is read as a form first (for the CSRF check) and refused;
    # other methods read the JSON, whose fields are then checked as usual.
    response = _send(world, write, raw=b"{}", content_type="multipart/form-data")
    _assert_refused(response, (400, 422))
    # More than the server reads (DATA_UPLOAD_MAX_MEMORY_SIZE): refused before parsing.
    huge = b'{"reason": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2**21) + b'"}'
    error = _assert_refused(_send(world, write, raw=huge), (400,))
    assert error["code"] == "bad_request"
    # No body at all: the body is missing, as a field would be.
    error = _assert_refused(_send(world, write, raw=b""), (422,), {"body"})
    assert error["errors"][0]["code"] == "missing"
    assert _stored() == before


@pytest.mark.parametrize("write", BODY_WRITES, ids=[w.id for w in BODY_WRITES])
def test_bodies_that_are_not_objects_are_refused(write: Write, world: World, db: Any) -> None:
    _prepare(world, write)
    before = _stored()
    for body in ([], "text", 42, None, True):
        response = _send(world, write, raw=json.dumps(body).encode())
        _assert_refused(response, (400, 422))
    assert _stored() == before


@pytest.mark.parametrize("write", BODY_WRITES, ids=[w.id for w in BODY_WRITES])
def test_broken_fields_are_refused_and_named(write: Write, world: World, db: Any) -> None:
    body = _prepare(world, write)
    before = _stored()
    for what, broken, fields in _broken_bodies(write.op, body):
        response = _send(world, write, broken)
        try:
            _assert_refused(response, (422,), fields)
        except AssertionError as failure:
            raise AssertionError(f"{write.op}: {what}: {failure}") from None
    assert _stored() == before


REFUSALS = [(w, r) for w in WRITES for r in w.refused]


@pytest.mark.parametrize(
    ("write", "refusal"), REFUSALS, ids=[f"{w.id}: {r[0]}" for w, r in REFUSALS]
)
def test_values_the_rules_refuse(
    write: Write, refusal: tuple[str, Callable[[Any], Any], str], world: World, db: Any
) -> None:
    body = _prepare(world, write)
    _what, change, field_name = refusal
    before = _stored()
    response = _send(world, write, _changed(change, body, world))
    _assert_refused(response, (422,), {field_name})
    assert _stored() == before


NOT_FOUND = [(w, n) for w in WRITES for n in w.not_found]


@pytest.mark.parametrize(
    ("write", "missing"), NOT_FOUND, ids=[f"{w.id}: {n[0]}" for w, n in NOT_FOUND]
)
def test_objects_the_caller_cannot_see_are_not_found(
    write: Write, missing: tuple[str, Callable[..., Any]], world: World, db: Any
) -> None:
    body = _prepare(world, write)
    before = _stored()
    response = _send(world, write, _changed(missing[1], body, world))
    _assert_refused(response, (404,))
    assert _stored() == before


ID_WRITES = [w for w in WRITES if "_id}" in w.op]


@pytest.mark.parametrize("write", ID_WRITES, ids=[w.id for w in ID_WRITES])
def test_ids_that_are_not_ids_are_refused(write: Write, world: World, db: Any) -> None:
    body = _prepare(world, write)
    name = write.op.split("{")[1].split("}")[0]
    template = write.op.split()[1]
    before = _stored()
    for bad in ("abc", "0", "-1", str(2**63), str(HUGE), "1.5", "%00"):
        response = _send(world, write, body, url=template.replace(f"{{{name}}}", bad))
        _assert_refused(response, (422,), {name})
    assert _stored() == before


@pytest.mark.parametrize(
    ("op", "query", "field_name"),
    [
        ("POST /declarations", "?submit=maybe", "submit"),
        ("POST /declarations", "?submit=true&submit=false", "submit"),
        ("PUT /declarations/{declaration_id}", "?reason=a%00b", "reason"),
        ("PUT /declarations/{declaration_id}", "?reason=" + "x" * 501, "reason"),
    ],
)
def test_bad_query_parameters_are_refused(
    op: str, query: str, field_name: str, world: World, db: Any
) -> None:
    write = next(w for w in WRITES if w.op == op)
    body = _prepare(world, write)
    before = _stored()
    response = _send(world, write, body, query=query)
    _assert_refused(response, (422,), {field_name})
    assert _stored() == before


# A driver name is 120 characters in the trips table; PostgreSQL refuses a longer one itself.
def test_a_driver_name_longer_than_the_register_is_refused(world: World, db: Any) -> None:
    write = next(w for w in WRITES if w.op == "POST /declarations")
    long_name = fruit_export()
    long_name["trips"][0]["driver_name"] = "Nguyễn Văn " * 12  # 132 characters
    before = _stored()
    response = _send(world, write, long_name)
    error = _assert_refused(response, (422,), {"trips.0.driver_name"})
    assert error["errors"][0]["messages"]["en"] == "Too long."
    assert _stored() == before


# --- Times the yard queue must refuse, not misread or crash on -------------------------------
QUEUE_TIMES = [
    pytest.param(
        "POST /trips/{code}/slot",
        {"start": "9999-12-31T23:00:00-12:00"},
        "start",
        id="slot after year 9999 in Vietnam's time",
    ),
    pytest.param(
        "POST /trips/{code}/slot",
        {"start": "0001-01-01T00:00:00+14:00"},
        "start",
        id="slot before year 1 in Vietnam's time",
    ),
    pytest.param(
        "PUT /queue/passages/{passage}/{direction}/hours",
        {"hour_start": "9999-12-31T23:00:00-12:00", "calls": 3, "reason": "Tăng ca"},
        "hour_start",
        id="hour after year 9999 in UTC",
    ),
    pytest.param(
        "PUT /queue/passages/{passage}/{direction}/hours",
        {"hour_start": "0001-01-01T00:00:00+14:00", "calls": 3, "reason": "Tăng ca"},
        "hour_start",
        id="hour before year 1 in UTC",
    ),
    pytest.param(
        "PUT /queue/passages/{passage}/{direction}/hours",
        {"hour_start": "2026-11-24T10:00:00+05:30", "calls": 3, "reason": "Tăng ca"},
        "hour_start",
        id="hour on the hour only in its own offset",
    ),
    pytest.param(
        "PUT /queue/passages/{passage}/{direction}/hours",
        {"hour_start": "2026-11-24T10:00:00-22:00", "calls": 3, "reason": "Tăng ca"},
        "hour_start",
        id="an offset no place has (PostgreSQL refuses beyond 15:59)",
    ),
]


@pytest.mark.parametrize(("op", "body", "field_name"), QUEUE_TIMES)
def test_queue_times_are_refused_not_misread(
    op: str, body: dict[str, Any], field_name: str, world: World, db: Any
) -> None:
    write = next(w for w in WRITES if w.op == op)
    _prepare(world, write)
    before = _stored()
    client = world.client_as(write.who)
    client.raise_request_exception = False  # a server error is an answer here
    response = getattr(client, write.method.lower())(
        PREFIX + write.url.format(**world.refs()),
        data=json.dumps(body),
        content_type="application/json",
    )
    _assert_refused(response, (422,), {field_name})
    assert _stored() == before


@pytest.mark.parametrize(
    ("day", "status"), [("2026-02-01", 200), ("9999-12-31", 422), ("0001-01-01", 422)]
)
def test_the_public_call_record_of_any_day_answers(
    day: str, status: int, world: World, db: Any
) -> None:
    # A day with no calls is an empty record; a day outside 1970–9000 is refused, never a 500.
    client = world.client_as("anonymous")
    client.raise_request_exception = False
    response = client.get(f"{PREFIX}/public/passages/HN-1119/calls?day={day}")
    assert response.status_code == status, response.content.decode()[:300]
    if status == 200:
        assert response.json() == []
    else:
        _assert_refused(response, (422,), {"day"})


# --- A bank's notice: read as the bank signed it ---------------------------------------------
NOTICE = next(w for w in WRITES if w.signed)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"reference": ', id="unreadable JSON"),
        pytest.param(b"\xff\xfe\x00{", id="not UTF-8"),
        pytest.param(b'{"a": 1}{"b": 2}', id="two documents"),
        pytest.param(b"[]", id="a list"),
        pytest.param(b'"text"', id="text"),
        pytest.param(b"null", id="null"),
        pytest.param(b"", id="nothing"),
    ],
)
def test_signed_notices_that_are_not_a_notice_are_refused(
    raw: bytes, world: World, db: Any
) -> None:
    # Signed by the bank, so the refusal is about the content: the body as a whole.
    before = _stored()
    response = _send(world, NOTICE, raw=raw)
    _assert_refused(response, (422,), {"body"})
    assert _stored() == before


def _forged(body: bytes) -> str:
    return sign_notice(body, secret="not-the-bank-secret").signature


def _stale(body: bytes) -> str:
    return sign_notice(body, at=timezone.now() - timedelta(minutes=10)).signature


def _ahead(body: bytes) -> str:
    return sign_notice(body, at=timezone.now() + timedelta(minutes=10)).signature


def _of_another_body(body: bytes) -> str:
    return sign_notice(body.replace(b'"amount": ', b'"amount": 1')).signature


def _without_time(body: bytes) -> str:
    return sign_notice(body).signature.split(",", 1)[1]


def _not_hex(body: bytes) -> str:
    stamp = int(timezone.now().timestamp())
    return f"t={stamp},v1=" + "z" * 64


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(lambda body: "", id="unsigned"),
        pytest.param(_forged, id="forged: another secret"),
        pytest.param(_stale, id="replayed: signed ten minutes ago"),
        pytest.param(_ahead, id="signed ten minutes ahead"),
        pytest.param(_of_another_body, id="tampered: the signature of another body"),
        pytest.param(_without_time, id="no time"),
        pytest.param(_not_hex, id="not a signature"),
        pytest.param(lambda body: "t=1,v1=" + "0" * 64 + ",garbage", id="malformed"),
    ],
)
def test_notices_not_signed_by_the_bank_are_refused(
    signature: Callable[[bytes], str], world: World, db: Any
) -> None:
    body = _prepare(world, NOTICE)
    raw = json.dumps(body).encode()
    before = _stored()
    response = _send(world, NOTICE, raw=raw, signature=signature(raw))
    error = _assert_refused(response, (403,))
    assert error["code"] == "bad_signature"
    assert _stored() == before


def test_a_nul_character_in_a_field_the_platform_ignores_is_no_server_error(
    world: World, db: Any
) -> None:
    # Fields the platform does not read are ignored, but the notice is kept as sent (``raw``):
    # it is taken (200) or refused (422), never a crash of the database (PostgreSQL refuses NUL
    # in jsonb), and a refusal stores nothing.
    body = {**_prepare(world, NOTICE), "note": "x\x00y"}
    before = _stored()
    client = world.client_as(NOTICE.who)
    client.raise_request_exception = False  # a server error is an answer here
    response = client.post(PREFIX + NOTICE.url, **sign_notice(body).request())
    assert response.status_code in (200, 422), response.content.decode()[:300]
    if response.status_code == 422:
        _assert_refused(response, (422,))
        assert _stored() == before


@pytest.mark.parametrize(
    ("method", "url", "who"),
    [
        ("get", "/invoices/{code}", "exporter"),
        ("post", "/invoices/{code}/refund", "gate_operator"),
    ],
)
@pytest.mark.parametrize("code", ["HD%00", "HD%2500", "H" * 300, "hd\u00e9", "%F0%9F%92%B8"])
def test_invoice_codes_that_are_not_codes_are_refused(
    method: str, url: str, who: str, code: str, world: World, db: Any
) -> None:
    # Not found (or refused as input): never a query the database cannot run.
    before = _stored()
    client = world.client_as(who)
    client.raise_request_exception = False  # a server error is an answer here
    kwargs = {"data": {"reason": "Hoàn phí"}, "content_type": "application/json"}
    response = getattr(client, method)(
        PREFIX + url.format(code=code), **(kwargs if method == "post" else {})
    )
    _assert_refused(response, (404, 422))
    assert _stored() == before


def test_a_notice_to_an_unknown_bank_is_not_found(world: World, db: Any) -> None:
    body = _prepare(world, NOTICE)
    before = _stored()
    response = _send(world, NOTICE, body, url="/banks/NOPE/notices")
    _assert_refused(response, (404,))
    assert _stored() == before


def test_a_reference_sent_again_with_other_content_is_refused(world: World, db: Any) -> None:
    # The bank's reference is its transfer's identity: the same again with another amount is a
    # conflict, and pays nothing.
    body = _prepare(world, NOTICE)
    assert _send(world, NOTICE, body).status_code == 200
    before = _stored()
    response = _send(world, NOTICE, {**body, "amount": body["amount"] + 1})
    error = _assert_refused(response, (409,))
    assert error["code"] == "reference_reused"
    assert _stored() == before
