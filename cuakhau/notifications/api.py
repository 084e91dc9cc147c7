"""HTTP API: an enterprise's webhook endpoints (``/webhooks``) and, for operators, the
deliveries that failed (``/notifications``)."""

# No ``from __future__ import annotations``: ninja's @paginate resolves annotations itself.

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from cuakhau.accounts.auth import AUTH
from cuakhau.core.api import InputSchema, Pagination, Presented, actor_of, responses
from cuakhau.core.schemas import CleanStr, DbId
from cuakhau.notifications import selectors, services
from cuakhau.notifications.models import Channel, OutboxMessage, WebhookEndpoint
from cuakhau.notifications.sms import mask_phone

router = Router(tags=["webhooks"], auth=AUTH)
operators_router = Router(tags=["notifications"], auth=AUTH)

UrlStr = Annotated[CleanStr, Field(max_length=500)]
DescriptionStr = Annotated[CleanStr, Field(max_length=100)]


class WebhookIn(InputSchema):
    url: UrlStr = Field(description="https:// URL of your system that receives the events")
    description: DescriptionStr = ""


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    is_active: bool
    secret_hint: str = Field(description="The end of the secret, to tell secrets apart")
    created_at: datetime
    created_by: str | None = None


class NewWebhookOut(WebhookOut):
    secret: str = Field(description="Shown only now: keep it to verify X-CuaKhau-Signature")


class WebhookTestOut(Schema):
    event_id: str
    delivered: bool
    status_code: int | None = None
    error: str = ""


def webhook_out(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "description": endpoint.description,
        "is_active": endpoint.is_active,
        "secret_hint": endpoint.secret_hint,
        "created_at": endpoint.created_at,
        "created_by": endpoint.created_by.get_username() if endpoint.created_by else None,
    }


@router.get("/webhooks", response=responses({200: list[WebhookOut]}))
def webhook_list(request: HttpRequest) -> Any:
    endpoints = selectors.webhook_endpoints_for(request.auth).select_related("created_by")  # type: ignore[attr-defined]
    return [webhook_out(e) for e in endpoints]


@router.post("/webhooks", response=responses({201: NewWebhookOut}, 409))
def webhook_create(request: HttpRequest, payload: WebhookIn) -> Any:
    """Register an endpoint. The response shows its signing secret once."""
    endpoint, secret = services.webhook_endpoint_create(
        actor=actor_of(request), url=payload.url, description=payload.description
    )
    return Status(201, {**webhook_out(endpoint), "secret": secret})


@router.delete("/webhooks/{webhook_id}", response=responses({204: None}))
def webhook_delete(request: HttpRequest, webhook_id: DbId) -> Any:
    services.webhook_endpoint_delete(actor=actor_of(request), endpoint_id=webhook_id)
    return Status(204, None)


@router.post("/webhooks/{webhook_id}/enable", response=responses({200: WebhookOut}))
def webhook_enable(request: HttpRequest, webhook_id: DbId) -> Any:
    services.webhook_endpoint_set_active(
        actor=actor_of(request), endpoint_id=webhook_id, active=True
    )
    return webhook_out(selectors.webhook_endpoint_for(request.auth, webhook_id))  # type: ignore[attr-defined]


@router.post("/webhooks/{webhook_id}/disable", response=responses({200: WebhookOut}))
def webhook_disable(request: HttpRequest, webhook_id: DbId) -> Any:
    """Stop sending to this endpoint; its undelivered events are cancelled."""
    services.webhook_endpoint_set_active(
        actor=actor_of(request), endpoint_id=webhook_id, active=False
    )
    return webhook_out(selectors.webhook_endpoint_for(request.auth, webhook_id))  # type: ignore[attr-defined]


@router.post("/webhooks/{webhook_id}/test", response=responses({200: WebhookTestOut}, 429))
def webhook_test(request: HttpRequest, webhook_id: DbId) -> Any:
    """Send a ``webhook.test`` event to this endpoint now and say how it went."""
    message = services.webhook_endpoint_test(actor=actor_of(request), endpoint_id=webhook_id)
    return {
        "event_id": message.event_id,
        "delivered": message.status == "delivered",
        "status_code": message.last_status_code,
        "error": message.last_error,
    }


# --- Operators ---------------------------------------------------------------------------------


class DeliveryOut(Schema):
    id: int
    channel: str
    kind: str
    event_id: str
    recipient: str = Field(description="Phone numbers are masked; URLs lose their query")
    enterprise: str | None = None
    enterprise_tax_code: str | None = None
    status: str = Field(description="failed (given up) or pending (to be retried)")
    attempts: int
    max_attempts: int
    last_error: str
    last_status_code: int | None = None
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime


def shown_recipient(message: OutboxMessage) -> str:
    """The recipient as operators see it: phone numbers masked, URLs without their query."""
    if message.channel == Channel.SMS:
        return mask_phone(message.recipient)
    if message.channel == Channel.WEBHOOK:
        return message.recipient.split("?", 1)[0]
    return message.recipient


def delivery_out(message: OutboxMessage) -> dict[str, Any]:
    enterprise = message.enterprise
    return {
        "id": message.pk,
        "channel": message.channel,
        "kind": message.kind,
        "event_id": message.event_id,
        "recipient": shown_recipient(message),
        "enterprise": enterprise.name if enterprise else None,
        "enterprise_tax_code": enterprise.tax_code if enterprise else None,
        "status": message.status,
        "attempts": message.attempts,
        "max_attempts": message.max_attempts,
        "last_error": message.last_error,
        "last_status_code": message.last_status_code,
        "last_attempt_at": message.last_attempt_at,
        "next_attempt_at": message.next_attempt_at if message.status == "pending" else None,
        "created_at": message.created_at,
    }


@operators_router.get("/notifications/failed", response=responses({200: list[DeliveryOut]}))
@paginate(Pagination)
def delivery_failed_list(request: HttpRequest) -> Any:
    """Deliveries that failed for good or are being retried, failed first (operators)."""
    messages = selectors.deliveries_for_operators(request.auth)  # type: ignore[attr-defined]
    return Presented(messages, lambda rows: [delivery_out(m) for m in rows])


@operators_router.post(
    "/notifications/{message_id}/retry", response=responses({200: DeliveryOut}, 409)
)
def delivery_retry(request: HttpRequest, message_id: DbId) -> Any:
    """Make a delivery due now (a failed one gets one more attempt)."""
    message = services.outbox_message_retry(actor=actor_of(request), message_id=message_id)
    return delivery_out(message)
