"""Writes on notifications: the outbox (enqueue in the caller's transaction, deliver after it),
enterprises' webhook endpoints, and operators' retries — each with who, when and why.

Delivery is at least once: a message is claimed with a lease, sent outside any transaction,
then recorded. A worker that dies mid-send leaves a lease that expires, and the message is
sent again; receivers dedupe by the event id.
"""

from __future__ import annotations

import ipaddress
import math
import uuid
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from cuakhau.accounts.permissions import require_enterprise, require_role
from cuakhau.accounts.roles import Role
from cuakhau.core.actors import Actor
from cuakhau.core.errors import Conflict, FieldError, NotFound, RateLimited, invalid
from cuakhau.core.text import Text
from cuakhau.notifications import delivery
from cuakhau.notifications.models import (
    Channel,
    NotificationEvent,
    OutboxMessage,
    Status,
    WebhookEndpoint,
)

# Who looks after deliveries: the Management Board's operators and the administrator.
OPERATOR_ROLES: frozenset[Role] = frozenset({Role.GATE_OPERATOR, Role.ADMINISTRATOR})
MAX_ENDPOINTS = 10  # live endpoints per enterprise
TEST_KIND = "webhook.test"
TESTS_PER_MINUTE = 5  # per endpoint
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

M: dict[str, Text] = {
    "url_required": Text("Hãy nhập địa chỉ URL.", "Enter the URL.", "请输入 URL。"),
    "url_invalid": Text(
        "Địa chỉ URL không hợp lệ (ví dụ https://erp.congty.vn/cuakhau/webhook).",
        "Not a valid URL (e.g. https://erp.company.vn/cuakhau/webhook).",
        "URL 无效（例如 https://erp.company.vn/cuakhau/webhook）。",
    ),
    "url_https": Text(
        "Địa chỉ webhook phải dùng https://.",
        "A webhook URL must use https://.",
        "Webhook 地址必须使用 https://。",
    ),
    "url_credentials": Text(
        "Không đưa tên đăng nhập hay mật khẩu vào URL; hãy kiểm tra chữ ký X-CuaKhau-Signature.",
        "Do not put a user name or password in the URL; verify the X-CuaKhau-Signature instead.",
        "请勿在 URL 中包含用户名或密码；请校验 X-CuaKhau-Signature 签名。",
    ),
    "url_private": Text(
        "Địa chỉ webhook phải là địa chỉ công khai trên Internet.",
        "A webhook URL must be a public Internet address.",
        "Webhook 地址必须是公网地址。",
    ),
    "url_exists": Text(
        "Doanh nghiệp đã có webhook với địa chỉ này.",
        "Your enterprise already has a webhook with this URL.",
        "贵企业已有使用该地址的 Webhook。",
    ),
    "too_many": Text(
        f"Mỗi doanh nghiệp có tối đa {MAX_ENDPOINTS} webhook.",
        f"An enterprise may have at most {MAX_ENDPOINTS} webhooks.",
        f"每个企业最多可有 {MAX_ENDPOINTS} 个 Webhook。",
    ),
    "endpoint_not_found": Text(
        "Không tìm thấy webhook.", "Webhook not found.", "未找到该 Webhook。"
    ),
    "message_not_found": Text("Không tìm thấy thông báo.", "Delivery not found.", "未找到该投递。"),
    "delivered": Text(
        "Thông báo đã được gửi thành công, không cần gửi lại.",
        "This message was already delivered; there is nothing to retry.",
        "该消息已成功送达，无需重试。",
    ),
    "sending": Text(
        "Thông báo đang được gửi. Hãy tải lại trang sau ít phút.",
        "This message is being sent right now. Reload the page in a minute.",
        "该消息正在发送中。请稍后刷新页面。",
    ),
    "cancelled": Text(
        "Thông báo đã bị hủy vì webhook bị tắt hoặc xóa.",
        "This message was cancelled: its webhook was disabled or deleted.",
        "该消息已取消：其 Webhook 已被停用或删除。",
    ),
    "test_rate": Text(
        f"Mỗi phút chỉ gửi được {TESTS_PER_MINUTE} sự kiện thử cho một webhook.",
        f"At most {TESTS_PER_MINUTE} test events per webhook per minute.",
        f"每个 Webhook 每分钟最多发送 {TESTS_PER_MINUTE} 个测试事件。",
    ),
}


# --- The outbox ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Notice:
    """Something to tell people about, as the code that causes it describes it."""

    kind: str  # e.g. "trip.called", "trip.call_expired"
    event_id: str  # stable id of the causing event; the idempotency key
    payload: dict[str, Any]  # JSON-serialisable body (for webhooks)
    enterprise_id: int | None = None  # webhooks go to this enterprise's active endpoints
    sms_to: str = ""  # phone number for an SMS (a driver)
    sms_text: str = ""
    email_to: str = ""
    email_subject: str = ""
    email_body: str = ""


@dataclass(slots=True)
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    # Claimed but recorded by someone else meanwhile (the lease ran out): nothing written.
    lost: int = 0
    messages: list[int] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.delivered + self.retried + self.failed + self.lost

    def __str__(self) -> str:
        return f"delivered {self.delivered}, retried {self.retried}, failed {self.failed}"


def notices_enqueue(
    notices: Sequence[Notice], *, now: datetime | None = None
) -> list[OutboxMessage]:
    """Write outbox rows for ``notices`` in the caller's current transaction (nothing is sent
    here): one per active webhook endpoint of the notice's enterprise, one SMS if ``sms_to``,
    one e-mail if ``email_to``.

    One query for the endpoints and one bulk INSERT whatever the number of notices. A message
    already in the outbox (same event id, channel and recipient) is not written again. The
    returned rows are those meant to be written; they carry no primary key."""
    if not notices:
        return []
    now = now or timezone.now()
    enterprise_ids = {n.enterprise_id for n in notices if n.enterprise_id is not None}
    endpoints: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if enterprise_ids:
        rows = (
            WebhookEndpoint.objects.receiving()
            .filter(enterprise_id__in=enterprise_ids)
            .order_by("pk")
            .values_list("pk", "enterprise_id", "url")
        )
        for pk, enterprise_id, url in rows:
            endpoints[enterprise_id].append((pk, url))
    max_attempts = settings.CUAKHAU_NOTIFICATION_MAX_ATTEMPTS
    messages: dict[tuple[str, str, str], OutboxMessage] = {}

    def add(notice: Notice, channel: Channel, recipient: str, **fields: Any) -> None:
        key = (notice.event_id, channel.value, recipient)
        messages.setdefault(
            key,
            OutboxMessage(
                channel=channel,
                event_id=notice.event_id,
                kind=notice.kind,
                recipient=recipient,
                enterprise_id=notice.enterprise_id,
                status=Status.PENDING,
                max_attempts=max_attempts,
                next_attempt_at=now,
                created_at=now,
                **fields,
            ),
        )

    for notice in notices:
        if not notice.event_id or len(notice.event_id) > 100 or len(notice.kind) > 64:
            raise ValueError(f"bad notice id or kind: {notice.event_id!r} {notice.kind!r}")
        for endpoint_id, url in endpoints.get(notice.enterprise_id or 0, ()):
            add(notice, Channel.WEBHOOK, url, endpoint_id=endpoint_id, payload=notice.payload)
        if notice.sms_to.strip():
            add(notice, Channel.SMS, notice.sms_to.strip()[:500], body=notice.sms_text)
        if notice.email_to.strip():
            add(
                notice,
                Channel.EMAIL,
                notice.email_to.strip()[:500],
                subject=notice.email_subject[:200],
                body=notice.email_body,
            )
    out = list(messages.values())
    if out:
        OutboxMessage.objects.bulk_create(out, ignore_conflicts=True)
    return out


def _due(now: datetime) -> Q:
    # PENDING and due, or SENDING with a lease that ran out (its worker died mid-send).
    return Q(status__in=(Status.PENDING, Status.SENDING), next_attempt_at__lte=now)


def _lease(limit: int) -> timedelta:
    """Long enough to send ``limit`` messages whose receivers all time out."""
    threads = max(settings.CUAKHAU_NOTIFICATION_SEND_THREADS, 1)
    timeout = max(settings.CUAKHAU_WEBHOOK_TIMEOUT_SECONDS, settings.EMAIL_TIMEOUT or 0)
    return timedelta(seconds=timeout * math.ceil(limit / threads) + 60)


def _claim(now: datetime, limit: int, only: Sequence[int] = ()) -> tuple[str, list[OutboxMessage]]:
    """Take up to ``limit`` due messages for this round: each becomes SENDING with a lease, so
    no other worker sends it until the lease ends. The attempt is counted here, so that a
    message that kills its worker still runs out of attempts."""
    claim = uuid.uuid4().hex
    with transaction.atomic(durable=True):
        candidates = OutboxMessage.objects.filter(_due(now)).order_by("next_attempt_at", "pk")
        if only:
            candidates = candidates.filter(pk__in=only)
        if connection.features.has_select_for_update_skip_locked:
            # PostgreSQL: workers skip each other's rows instead of queueing behind them.
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        if not ids:
            return claim, []
        # The conditional update is the claim on every database: a row another worker took
        # meanwhile is no longer due and is left alone.
        OutboxMessage.objects.filter(_due(now), pk__in=ids).update(
            status=Status.SENDING,
            claim=claim,
            next_attempt_at=now + _lease(limit),
            attempts=F("attempts") + 1,
            last_attempt_at=now,
        )
    claimed = (
        OutboxMessage.objects.filter(claim=claim, status=Status.SENDING)
        .select_related("endpoint")
        .order_by("pk")
    )
    return claim, list(claimed)


def _record(message: OutboxMessage, claim: str, outcome: delivery.Outcome, now: datetime) -> str:
    """Write what happened to a claimed message; "" when the claim was lost meanwhile."""
    mine = OutboxMessage.objects.filter(pk=message.pk, claim=claim, status=Status.SENDING)
    if outcome.ok:
        changed = mine.update(
            status=Status.DELIVERED,
            claim="",
            delivered_at=now,
            last_error="",
            last_status_code=outcome.status_code,
        )
        return "delivered" if changed else ""
    error = outcome.error[: delivery.ERROR_LENGTH]
    if message.attempts >= message.max_attempts:
        changed = mine.update(
            status=Status.FAILED,
            claim="",
            last_error=error,
            last_status_code=outcome.status_code,
        )
        return "failed" if changed else ""
    changed = mine.update(
        status=Status.PENDING,
        claim="",
        next_attempt_at=now + delivery.retry_delay(message.attempts),
        last_error=error,
        last_status_code=outcome.status_code,
    )
    return "retried" if changed else ""


def _deliver(now: datetime | None, limit: int, only: Sequence[int] = ()) -> DeliveryReport:
    report = DeliveryReport()
    claim, messages = _claim(now or timezone.now(), limit, only)
    if not messages:
        return report

    def clock() -> datetime:
        return now or timezone.now()

    def record(message: OutboxMessage, outcome: delivery.Outcome) -> None:
        result = _record(message, claim, outcome, clock())
        if result:
            setattr(report, result, getattr(report, result) + 1)
        else:
            report.lost += 1
        report.messages.append(message.pk)

    threads = min(max(settings.CUAKHAU_NOTIFICATION_SEND_THREADS, 1), len(messages))
    if threads == 1:
        for message in messages:
            record(message, delivery.send(message))
        return report
    # Sending waits on the network, not the database: several at once, recorded as they end.
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="outbox") as pool:
        futures = {pool.submit(delivery.send, message): message for message in messages}
        for future in as_completed(futures):
            record(futures[future], future.result())
    return report


def outbox_deliver_due(*, now: datetime | None = None, limit: int = 100) -> DeliveryReport:
    """Deliver up to ``limit`` messages that are due: claim them (two workers never send the
    same one at once), send outside the transaction, and record success or the error with the
    next attempt (30 s × 2^(attempts−1), at most an hour apart). After
    ``CUAKHAU_NOTIFICATION_MAX_ATTEMPTS`` attempts a message is FAILED for good and shows on the
    operators' page. A message whose worker died mid-send is due again when its lease ends.

    Call it outside any transaction: it commits its claim before sending."""
    return _deliver(now, limit)


# --- Webhook endpoints (the enterprise's own) --------------------------------------------------


def _user(actor: Actor) -> Any:
    user = actor.user
    assert user is not None, "a person or their token acts here"
    return user


def _event(
    actor: Actor,
    action: str,
    *,
    endpoint: WebhookEndpoint | None = None,
    message: OutboxMessage | None = None,
    now: datetime | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> NotificationEvent:
    return NotificationEvent.objects.create(
        action=action,
        endpoint=endpoint,
        message=message,
        actor=actor.user,
        actor_kind=actor.kind,
        actor_label=actor.label[:150],
        at=now or timezone.now(),
        reason=reason,
        data=data or {},
    )


def webhook_url_clean(url: str) -> str:
    """The URL as stored, or ``InvalidInput`` naming the ``url`` field."""
    url = url.strip()

    def refuse(code: str) -> None:
        raise invalid([FieldError("url", code, M[code])])

    if not url:
        refuse("url_required")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        refuse("url_invalid")
        raise AssertionError from None  # unreachable: refuse() raised
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in url):
        refuse("url_invalid")
    if parts.username is not None or parts.password is not None:
        refuse("url_credentials")
    allow_local = settings.CUAKHAU_WEBHOOK_ALLOW_LOCAL_HTTP
    if parts.scheme != "https" and not (allow_local and host in LOCAL_HOSTS):
        refuse("url_https")
    if not allow_local:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if (
            host == "localhost"
            or host.endswith(".localhost")
            or (address and not address.is_global)
        ):
            refuse("url_private")
    # The fragment never reaches the receiver: drop it rather than store a misleading URL.
    return url.split("#", 1)[0]


def webhook_endpoint_create(
    *, actor: Actor, url: str, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint for the actor's enterprise; its secret is returned to be shown once."""
    user = _user(actor)
    enterprise_id = require_enterprise(user)
    url = webhook_url_clean(url)
    with transaction.atomic(durable=True):
        live = WebhookEndpoint.objects.live().filter(enterprise_id=enterprise_id)
        if live.filter(url=url).exists():
            raise Conflict("webhook_exists", M["url_exists"])
        if live.count() >= MAX_ENDPOINTS:
            raise Conflict("too_many_webhooks", M["too_many"])
        secret = WebhookEndpoint.new_secret()
        endpoint = WebhookEndpoint.objects.create(
            enterprise_id=enterprise_id,
            url=url,
            description=description.strip()[:100],
            secret=secret,
            created_by=user,
        )
        _event(actor, NotificationEvent.Action.ENDPOINT_CREATED, endpoint=endpoint)
    return endpoint, secret


def _lock_endpoint(user: Any, endpoint_id: int) -> WebhookEndpoint:
    enterprise_id = require_enterprise(user)
    endpoint = (
        WebhookEndpoint.objects.live()
        .select_for_update()
        .filter(pk=endpoint_id, enterprise_id=enterprise_id)
        .first()
    )
    if endpoint is None:
        raise NotFound("webhook_not_found", M["endpoint_not_found"])
    return endpoint


def _cancel_undelivered(endpoint: WebhookEndpoint, why: str) -> int:
    return OutboxMessage.objects.filter(endpoint=endpoint, status=Status.PENDING).update(
        status=Status.CANCELLED, last_error=why
    )


def webhook_endpoint_set_active(*, actor: Actor, endpoint_id: int, active: bool) -> WebhookEndpoint:
    """Enable or disable an endpoint. A disabled one gets no new events, and its messages not
    yet delivered are cancelled (so that a broken receiver stops being retried)."""
    user = _user(actor)
    with transaction.atomic(durable=True):
        endpoint = _lock_endpoint(user, endpoint_id)
        if endpoint.is_active == active:
            return endpoint
        endpoint.is_active = active
        endpoint.save(update_fields=["is_active"])
        cancelled = 0 if active else _cancel_undelivered(endpoint, "endpoint disabled")
        action = (
            NotificationEvent.Action.ENDPOINT_ENABLED
            if active
            else NotificationEvent.Action.ENDPOINT_DISABLED
        )
        _event(actor, action, endpoint=endpoint, data={"cancelled": cancelled})
    return endpoint


def webhook_endpoint_delete(*, actor: Actor, endpoint_id: int) -> None:
    """Delete an endpoint: no longer listed or used; its undelivered messages are cancelled.
    The row stays, with who deleted it and when, for the deliveries that refer to it."""
    user = _user(actor)
    now = timezone.now()
    with transaction.atomic(durable=True):
        endpoint = _lock_endpoint(user, endpoint_id)
        endpoint.deleted_at, endpoint.deleted_by, endpoint.is_active = now, user, False
        endpoint.save(update_fields=["deleted_at", "deleted_by", "is_active"])
        cancelled = _cancel_undelivered(endpoint, "endpoint deleted")
        _event(
            actor,
            NotificationEvent.Action.ENDPOINT_DELETED,
            endpoint=endpoint,
            now=now,
            data={"cancelled": cancelled},
        )


def webhook_endpoint_test(*, actor: Actor, endpoint_id: int) -> OutboxMessage:
    """Send a ``webhook.test`` event to one endpoint now, and return the message as it ended
    (delivered, or failed with the error). A test is tried once, never retried."""
    user = _user(actor)
    now = timezone.now()
    with transaction.atomic(durable=True):
        endpoint = _lock_endpoint(user, endpoint_id)
        recent = NotificationEvent.objects.filter(
            endpoint=endpoint,
            action=NotificationEvent.Action.ENDPOINT_TESTED,
            at__gte=now - timedelta(minutes=1),
        ).count()
        if recent >= TESTS_PER_MINUTE:
            raise RateLimited("test_rate_limited", M["test_rate"])
        message = OutboxMessage.objects.create(
            channel=Channel.WEBHOOK,
            event_id=f"webhook-test-{endpoint.pk}-{uuid.uuid4().hex[:12]}",
            kind=TEST_KIND,
            recipient=endpoint.url,
            enterprise_id=endpoint.enterprise_id,
            endpoint=endpoint,
            payload={
                "webhook_id": endpoint.pk,
                "message": "Sự kiện thử từ Cửa khẩu số / A test event from Cửa khẩu số",
            },
            max_attempts=1,
            next_attempt_at=now,
            created_at=now,
        )
        _event(actor, NotificationEvent.Action.ENDPOINT_TESTED, endpoint=endpoint, message=message)
    _deliver(None, 1, only=[message.pk])
    message.refresh_from_db()
    return message


# --- Operators: retry a delivery ---------------------------------------------------------------


def outbox_message_retry(
    *, actor: Actor, message_id: int, now: datetime | None = None
) -> OutboxMessage:
    """Make a failed or retrying delivery due now. A failed one gets one more attempt (and
    fails again if that one fails); a retrying one keeps its remaining attempts."""
    user = _user(actor)
    require_role(user, OPERATOR_ROLES)
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        message = (
            # Enterprises' test events are theirs alone.
            OutboxMessage.objects.select_for_update()
            .exclude(kind=TEST_KIND)
            .filter(pk=message_id)
            .first()
        )
        if message is None:
            raise NotFound("delivery_not_found", M["message_not_found"])
        before = message.status
        if before == Status.DELIVERED:
            raise Conflict("delivery_delivered", M["delivered"])
        if before == Status.SENDING:
            raise Conflict("delivery_sending", M["sending"])
        if before == Status.CANCELLED:
            raise Conflict("delivery_cancelled", M["cancelled"])
        if before == Status.FAILED:
            message.max_attempts = message.attempts + 1
        message.status, message.next_attempt_at = Status.PENDING, now
        message.save(update_fields=["status", "next_attempt_at", "max_attempts"])
        _event(
            actor,
            NotificationEvent.Action.MESSAGE_RETRIED,
            endpoint=message.endpoint,
            message=message,
            now=now,
            data={"status_before": before, "attempts": message.attempts},
        )
    return message
