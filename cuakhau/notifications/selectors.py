"""Reads on notifications, always scoped to the user: an enterprise sees its own endpoints;
operators see the deliveries that need attention."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from cuakhau.accounts.models import User
from cuakhau.accounts.permissions import require_enterprise, require_role
from cuakhau.core.errors import NotFound
from cuakhau.notifications.models import OutboxMessage, Status, WebhookEndpoint
from cuakhau.notifications.services import OPERATOR_ROLES, TEST_KIND, M


def webhook_endpoints_for(user: User) -> QuerySet[WebhookEndpoint]:
    """The live (not deleted) endpoints of the user's enterprise."""
    enterprise_id = require_enterprise(user)
    return WebhookEndpoint.objects.live().filter(enterprise_id=enterprise_id)


def webhook_endpoint_for(user: User, endpoint_id: int) -> WebhookEndpoint:
    endpoint = webhook_endpoints_for(user).filter(pk=endpoint_id).select_related("created_by")
    found = endpoint.first()
    if found is None:
        raise NotFound("webhook_not_found", M["endpoint_not_found"])
    return found


def deliveries_for_operators(user: User) -> QuerySet[OutboxMessage]:
    """Deliveries that need an operator's eye: failed for good, or retrying after a failure.
    Enterprises' test events are theirs alone."""
    require_role(user, OPERATOR_ROLES)
    messages = OutboxMessage.objects.exclude(kind=TEST_KIND).filter(
        Q(status=Status.FAILED) | Q(status=Status.PENDING, attempts__gt=0)
    )
    return messages.select_related("enterprise", "endpoint").order_by(
        "status", "-last_attempt_at", "-pk"
    )
