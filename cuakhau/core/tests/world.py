"""A small, realistic border-gate world for the API-wide tests (fuzzing, permission matrix, bad
input): every persona, and declarations and trips in the states the endpoints act on.

Built once per test module inside a transaction that is rolled back at the end; each test then
runs in its own savepoint (pytest-django's ``db``), so a test that changes the world leaves it
unchanged for the next one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.middleware.csrf import _get_new_csrf_string  # type: ignore[attr-defined]
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from cuakhau.accounts.models import ApiToken, User
from cuakhau.accounts.roles import Role
from cuakhau.conftest import electronics_import, fruit_export, make_enterprise, make_user
from cuakhau.declarations.links import trip_qr_payload
from cuakhau.fees.models import BankAccount, PaymentNotice, Receipt
from cuakhau.gates import capacity as plan
from cuakhau.gates.models import CalendarEntry, CapacityPlan, Gate
from cuakhau.notifications import signing
from cuakhau.notifications.models import Channel, OutboxMessage
from cuakhau.notifications.models import Status as DeliveryStatus

# Persona name → (username, role, gates). Same people as the conftest personas.
PERSONAS: dict[str, tuple[str, Role, tuple[str, ...]]] = {
    "gate_operator": ("olga", Role.GATE_OPERATOR, ("CKHN", "TT")),
    "customs_officer": ("cuong", Role.CUSTOMS, ("CKHN", "TT")),
    "border_guard": ("bien", Role.BORDER_GUARD, ("CKHN", "TT")),
    "plant_officer": ("thuc", Role.PLANT_QUARANTINE, ("CKHN", "TT")),
    "animal_officer": ("dong", Role.ANIMAL_QUARANTINE, ("CKHN", "TT")),
    "chi_ma_customs": ("chima", Role.CUSTOMS, ("CM",)),
    "leader": ("lanh", Role.LEADER, ("CKHN", "TT")),
    "administrator": ("quantri", Role.ADMINISTRATOR, ()),
}


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    token: str = ""  # the exporter's plain API token ("ck_…")
    token_id: int = 0  # an active token of the exporter
    revoked_token_id: int = 0
    rival_token_id: int = 0
    webhook_id: int = 0  # the exporter's webhook endpoint (its receiver refuses connections)
    rival_webhook_id: int = 0
    message_id: int = 0  # an SMS delivery that failed for good, for the operators
    # Declarations by name → the API's JSON for it (as created).
    declarations: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Trip codes by name.
    trips: dict[str, str] = field(default_factory=dict)
    correction_id: int = 0
    goods_line_id: int = 0  # a goods line of the cleared import (for transshipments)
    qr: str = ""  # the signed QR payload of the declared (not yet arrived) export trip
    slot_code: str = ""  # the live slot booking of the "booked" trip
    calendar_entry_id: int = 0  # a closure ahead at Hữu Nghị's freight road (the operator's)
    chi_ma_calendar_entry_id: int = 0  # a closure ahead at Chi Ma (not the operator's gate)
    # Fees: invoices by name ("unpaid" and "paid" at Hữu Nghị, "chi_ma" unpaid at Chi Ma) → code.
    invoices: dict[str, str] = field(default_factory=dict)
    receipt_token: str = ""  # the public check token of the paid invoice's receipt
    notice_id: int = 0  # a bank notice matching no invoice, in every operator's queue
    chi_ma_notice_id: int = 0  # a short payment of the Chi Ma invoice (Chi Ma's queue)
    # Declaration name → its latest stored document (with trip codes), as versions shows it.
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Persona → (cookies, headers) of a signed-in browser session, for raw WSGI calls.
    sessions: dict[str, tuple[dict[str, str], dict[str, str]]] = field(default_factory=dict)

    def credentials(self, who: str) -> tuple[dict[str, str], dict[str, str]]:
        """(cookies, headers) that authenticate as a persona, as ``"token"`` (the exporter's API
        token) or as ``"anonymous"`` (none)."""
        if who == "anonymous":
            return {}, {}
        if who == "token":
            return {}, {"Authorization": f"Bearer {self.token}"}
        return self.sessions[who]

    def declaration_id(self, name: str) -> int:
        return int(self.declarations[name]["id"])

    def refs(self) -> dict[str, Any]:
        """Values for the ``{…}`` placeholders of the tests' URLs."""
        return {
            **self.trips,
            **{f"{name}_id": self.declaration_id(name) for name in self.declarations},
            "correction_id": self.correction_id,
            "token_id": self.token_id,
            "rival_token_id": self.rival_token_id,
            "webhook_id": self.webhook_id,
            "rival_webhook_id": self.rival_webhook_id,
            "message_id": self.message_id,
            "calendar_entry_id": self.calendar_entry_id,
            "chi_ma_calendar_entry_id": self.chi_ma_calendar_entry_id,
            **{f"{name}_invoice": code for name, code in self.invoices.items()},
            "receipt_token": self.receipt_token,
            "notice_id": self.notice_id,
            "chi_ma_notice_id": self.chi_ma_notice_id,
        }

    def client_as(self, who: str) -> Client:
        """A test client that authenticates as ``who`` and, like a browser, checks CSRF."""
        client = Client(enforce_csrf_checks=True)
        cookies, headers = self.credentials(who)
        for name, value in cookies.items():
            client.cookies[name] = value
        client.defaults.update(
            {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        )
        return client


class Api:
    """JSON calls to ``/api/v1`` through Django's test client."""

    def __init__(self, user: User | None = None, *, token: str | None = None) -> None:
        self.client = Client()
        if user is not None:
            self.client.force_login(user)
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def call(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        kwargs: dict[str, Any] = {**self.headers, **extra}
        if body is None and method.upper() in ("POST", "PUT"):
            body = {}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method.lower())(f"/api/v1{path}", **kwargs)

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        response = self.call(method, path, body)
        assert response.status_code in (200, 201), (method, path, response.content)
        return response.json()


def build_world() -> World:
    world = World()
    fruit = make_enterprise("Công ty TNHH Nông sản Xanh Lạng Sơn", 100_000_001)
    rival = make_enterprise("Công ty CP Logistics Đồng Đăng", 100_000_002)
    world.users["exporter"] = make_user("alice", Role.ENTERPRISE, enterprise=fruit)
    world.users["rival"] = make_user("bob", Role.ENTERPRISE, enterprise=rival)
    for name, (username, role, gates) in PERSONAS.items():
        world.users[name] = make_user(username, role, gates=gates)
    u = world.users

    key_id, secret = ApiToken.new_key()
    token = ApiToken.objects.create(
        enterprise=fruit,
        user=u["exporter"],
        name="ERP",
        key_id=key_id,
        digest=ApiToken.digest_of(secret),
    )
    world.token, world.token_id = f"ck_{key_id}_{secret}", token.pk
    exporter, rival_api = Api(u["exporter"]), Api(u["rival"])
    world.revoked_token_id = exporter.ok("POST", "/tokens", {"name": "old"})["id"]
    exporter.ok("POST", f"/tokens/{world.revoked_token_id}/revoke")
    world.rival_token_id = rival_api.ok("POST", "/tokens", {"name": "rival ERP"})["id"]
    # Webhooks: the exporter's points at a closed local port (a test event fails at once).
    with override_settings(CUAKHAU_WEBHOOK_ALLOW_LOCAL_HTTP=True):
        hook = exporter.ok("POST", "/webhooks", {"url": "http://127.0.0.1:9/hook"})
    world.webhook_id = hook["id"]
    world.rival_webhook_id = rival_api.ok(
        "POST", "/webhooks", {"url": "https://erp.dongdang.example/cuakhau"}
    )["id"]
    world.message_id = OutboxMessage.objects.create(
        channel=Channel.SMS,
        event_id="trip-event-0",
        kind="trip.called",
        recipient="0912345678",
        body="Xe 12C-123.45 vào cổng",
        enterprise=fruit,
        status=DeliveryStatus.FAILED,
        attempts=8,
        max_attempts=8,
        last_error="gateway down",
    ).pk

    operator = Api(u["gate_operator"])
    d = world.declarations
    # A draft nobody but the exporter sees.
    d["draft"] = exporter.ok("POST", "/declarations", fruit_export())
    world.trips["draft"] = d["draft"]["trips"][0]["code"]
    # A submitted export: one truck waits in the yard (ARRIVED), one is still on its way.
    d["export"] = exporter.ok("POST", "/declarations?submit=true", fruit_export())
    world.trips["arrived"] = d["export"]["trips"][0]["code"]
    world.trips["declared"] = d["export"]["trips"][1]["code"]
    operator.ok("POST", "/checkins", {"yard": "XC", "code": world.trips["arrived"]})
    # …and a correction of the waiting truck's driver phone, for the border guard to decide.
    document = exporter.ok("GET", f"/declarations/{d['export']['id']}/versions")[-1]["document"]
    world.qr = trip_qr_payload(world.trips["declared"])
    document["trips"][1]["driver_phone"] = "0911222333"
    world.correction_id = exporter.ok(
        "POST",
        f"/declarations/{d['export']['id']}/corrections",
        {"reason": "Đổi tài xế", "document": document},
    )["id"]
    # A second export, called up and in the control area (AT_GATE): checks can be decided.
    d["at_gate"] = exporter.ok(
        "POST",
        "/declarations?submit=true",
        fruit_export(trips=[fruit_export()["trips"][0] | {"tractor_plate": "12C-555.66"}]),
    )
    world.trips["at_gate"] = d["at_gate"]["trips"][0]["code"]
    operator.ok("POST", "/checkins", {"yard": "XC", "code": world.trips["at_gate"]})
    # Called out of turn (the first export waits ahead of it): the reason is published.
    operator.ok("POST", f"/trips/{world.trips['at_gate']}/call", {"reason": "Hàng tươi sắp hỏng"})
    operator.ok("POST", f"/trips/{world.trips['at_gate']}/enter-control")
    # An import cleared by every agency, waiting for transshipment at Bảo Nguyên.
    d["import"] = exporter.ok("POST", "/declarations?submit=true", electronics_import())
    world.trips["cleared"] = code = d["import"]["trips"][0]["code"]
    operator.ok("POST", "/checkins", {"yard": "BN", "code": code})
    operator.ok("POST", f"/trips/{code}/enter-control")
    for officer, agency in (("customs_officer", "customs"), ("border_guard", "border_guard")):
        Api(u[officer]).ok(
            "POST", f"/trips/{code}/checks/{agency}/decision", {"decision": "passed"}
        )
    world.goods_line_id = d["import"]["customs_declarations"][0]["lines"][0]["id"]
    # The rival's declared export through Hữu Nghị, and the exporter's through Chi Ma.
    d["rival"] = rival_api.ok(
        "POST",
        "/declarations?submit=true",
        fruit_export(trips=[fruit_export()["trips"][0] | {"tractor_plate": "12C-777.88"}]),
    )
    world.trips["rival"] = d["rival"]["trips"][0]["code"]
    d["chi_ma"] = exporter.ok(
        "POST",
        "/declarations?submit=true",
        fruit_export(
            gate="CM",
            passage="CM-MAIN",
            trips=[fruit_export()["trips"][0] | {"tractor_plate": "12C-999.00"}],
        ),
    )
    world.trips["chi_ma"] = d["chi_ma"]["trips"][0]["code"]
    # A third export through Hữu Nghị, still on its way, with a slot booked in a coming hour.
    d["queued"] = exporter.ok(
        "POST",
        "/declarations?submit=true",
        fruit_export(trips=[fruit_export()["trips"][0] | {"tractor_plate": "12C-111.22"}]),
    )
    world.trips["booked"] = code = d["queued"]["trips"][0]["code"]
    world.slot_code = exporter.ok(
        "POST", f"/trips/{code}/slot", {"start": bookable_hour().isoformat()}
    )["code"]
    # Closures a week ahead (they change no call today): at Hữu Nghị's freight road, written by
    # its operator, and at Chi Ma.
    world.calendar_entry_id = operator.ok(
        "POST", "/queue/passages/HN-1119/export/calendar", calendar_week_ahead()
    )["id"]
    chi_ma = CalendarEntry.objects.create(
        gate=Gate.objects.get(code="CM"),
        kind=CalendarEntry.Kind.CLOSURE,
        cause=CalendarEntry.Cause.EVENT,
        starts_at=timezone.now() + timedelta(days=7),
        ends_at=timezone.now() + timedelta(days=7, hours=4),
        name_vi="Diễn tập phòng cháy",
    )
    world.chi_ma_calendar_entry_id = chi_ma.pk
    # Fees, on a fourth export through Hữu Nghị (two trucks on their way): one invoice unpaid,
    # one paid by a matching bank notice (with its receipt); the Chi Ma trip's invoice paid
    # short; and a transfer naming no invoice, waiting for an operator.
    d["fees"] = exporter.ok(
        "POST",
        "/declarations?submit=true",
        fruit_export(
            trips=[
                fruit_export()["trips"][0] | {"tractor_plate": "12C-222.33"},
                fruit_export()["trips"][1] | {"tractor_plate": "12C-444.55"},
            ]
        ),
    )
    world.trips["fee_unpaid"] = d["fees"]["trips"][0]["code"]
    world.trips["fee_paid"] = d["fees"]["trips"][1]["code"]
    invoices = {
        name: exporter.ok("POST", "/invoices", {"trips": [world.trips[trip]]})
        for name, trip in (("unpaid", "fee_unpaid"), ("paid", "fee_paid"), ("chi_ma", "chi_ma"))
    }
    world.invoices = {name: invoice["code"] for name, invoice in invoices.items()}
    paid = invoices["paid"]
    matched = post_notice(notice_body(paid["code"], paid["amount_vnd"], reference="FT26327100001"))
    assert matched["status"] == "matched", matched
    world.receipt_token = Receipt.objects.get(invoice__code=paid["code"]).verify_token
    lost = post_notice(
        notice_body("", 10_000_000, reference="FT26327100002", description="THANH TOAN PHI")
    )
    assert lost["status"] == "unmatched", lost
    short = invoices["chi_ma"]
    underpaid = post_notice(
        notice_body(short["code"], short["amount_vnd"] - 1_000, reference="FT26327100003")
    )
    assert underpaid["status"] == "underpaid", underpaid
    world.notice_id, world.chi_ma_notice_id = lost["id"], underpaid["id"]
    for name, declaration in d.items():
        if declaration["status"] == "submitted":
            owner = rival_api if name == "rival" else exporter
            versions = owner.ok("GET", f"/declarations/{declaration['id']}/versions")
            world.documents[name] = versions[-1]["document"]
    world.sessions = {name: session_credentials(user) for name, user in u.items()}
    return world


BANK = "VCB-LS"  # the collecting account the fees migration seeds


@dataclass(frozen=True)
class Signed:
    """A bank's payment notice as the bank sends it: the exact bytes and their signature."""

    body: bytes
    signature: str

    def request(self) -> dict[str, Any]:
        """Keyword arguments for a Django test client's ``post`` (no header when unsigned)."""
        headers = {"HTTP_X_BANK_SIGNATURE": self.signature} if self.signature else {}
        return {"data": self.body, "content_type": "application/json", **headers}


def notice_body(
    invoice_code: str, amount: int, *, reference: str = "FT26327999999", **changes: Any
) -> dict[str, Any]:
    """A bank's payment notice paying ``amount`` with the invoice code in its description."""
    return {
        "reference": reference,
        "amount": amount,
        "description": f"CK {invoice_code} thanh toan phi ha tang".strip(),
        "transferred_at": timezone.now().isoformat(),
        "payer_account": "0011001932418",
        "payer_name": "CONG TY TNHH NONG SAN XANH LANG SON",
        **changes,
    }


def sign_notice(
    body: dict[str, Any] | bytes, *, secret: str | None = None, at: datetime | None = None
) -> Signed:
    """``body`` (JSON, or bytes as they are) signed now (or ``at``) with the bank's secret."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    if secret is None:
        secret = BankAccount.objects.get(code=BANK).notice_secret
    stamp = int((at or timezone.now()).timestamp())
    return Signed(raw, signing.sign(secret, raw, stamp))


def post_notice(body: dict[str, Any]) -> dict[str, Any]:
    """Send a signed notice as the bank; the payment notice it stored (as operators see it)."""
    response = Client().post(f"/api/v1/banks/{BANK}/notices", **sign_notice(body).request())
    assert response.status_code == 200, response.content
    notice = PaymentNotice.objects.get(bank_account__code=BANK, reference=body["reference"])
    return {"id": notice.pk, "status": notice.status, **response.json()}


def calendar_week_ahead(**changes: Any) -> dict[str, Any]:
    """A valid body for a passage's new calendar entry: a closure for a day, a week ahead."""
    start = plan.hour_floor(timezone.now().astimezone(plan.VIETNAM)) + timedelta(days=7)
    return {
        "kind": "closure",
        "cause": "holiday",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=1)).isoformat(),
        "name_vi": "Giỗ Tổ Hùng Vương",
        "name_en": "Hung Kings' Festival",
        "name_zh": "雄王祭",
        "whole_gate": False,
        **changes,
    }


def bookable_hour(passage: str = "HN-1119", direction: str = "export") -> datetime:
    """The start of a slot that can be booked now at the passage: an hour with free places, in
    Vietnam's time. The gates keep working hours, so which hour depends on the clock; it is at
    least two hours ahead, so that the hour cannot turn while the request is on its way."""
    from cuakhau.queueing.services import slot_hours

    capacity_plan = CapacityPlan.objects.select_related("passage").get(
        passage__code=passage, direction=direction
    )
    for hour, capacity, used in slot_hours(capacity_plan, timezone.now())[1:]:
        if used < capacity:
            return hour.start.astimezone(plan.VIETNAM)
    raise AssertionError(f"no bookable hour at {passage} {direction}")


def world_in_transaction(django_db_blocker: Any) -> Iterator[World]:
    """Build the world in a transaction rolled back when the generator closes.

    The outer block is flagged like a ``TestCase`` class-level block, so the services' durable
    transactions nest inside it as they do in any test.
    """
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast):
        outer = transaction.atomic()
        outer._from_testcase = True  # type: ignore[attr-defined]
        outer.__enter__()
        try:
            from cuakhau.reference.catalog import forget_reference_index

            forget_reference_index()
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            forget_reference_index()


def session_credentials(user: User) -> tuple[dict[str, str], dict[str, str]]:
    """Cookies and CSRF header of a signed-in browser session, for raw WSGI calls."""
    client = Client()
    client.force_login(user)
    csrf = _get_new_csrf_string()
    cookies = {
        settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
        settings.CSRF_COOKIE_NAME: csrf,
    }
    return cookies, {"X-CSRFToken": csrf}


class KeepConnection:
    """Django closes "obsolete" connections when a request starts and ends; inside a test
    transaction that would drop the test's data. The test client disconnects that handler for
    its requests; raw WSGI calls (schemathesis) need the same."""

    def __enter__(self) -> None:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)

    def __exit__(self, *exc: object) -> None:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
