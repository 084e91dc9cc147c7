"""Enterprises' webhook endpoints, the notifications outbox, and the audit of what people did
to them (who, when, why)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cuakhau.accounts.models import Enterprise

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


class WebhookEndpointQuerySet(models.QuerySet["WebhookEndpoint"]):
    def live(self) -> WebhookEndpointQuerySet:
        """Not deleted (enabled or disabled)."""
        return self.filter(deleted_at__isnull=True)

    def receiving(self) -> WebhookEndpointQuerySet:
        """Endpoints that get new events: enabled, not deleted, of an active enterprise."""
        return self.filter(is_active=True, deleted_at__isnull=True, enterprise__is_active=True)


class WebhookEndpoint(models.Model):
    """A URL of an enterprise's system that receives its events, signed with ``secret``.

    The secret is kept as is (it must sign every request) and shown to the enterprise once.
    A deleted endpoint is kept (its deliveries refer to it) but no longer listed or used.
    """

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="webhooks")
    url = models.CharField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=100, blank=True)
    secret = models.CharField(max_length=80)
    is_active = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        constraints = [
            # One live endpoint per URL and enterprise: the outbox dedupes by URL anyway.
            models.UniqueConstraint(
                fields=["enterprise", "url"],
                condition=Q(deleted_at__isnull=True),
                name="webhook_url_unique_per_enterprise",
            )
        ]

    def __str__(self) -> str:
        return f"{self.url} ({self.enterprise_id})"

    @staticmethod
    def new_secret() -> str:
        return SECRET_PREFIX + secrets.token_urlsafe(32)

    @property
    def secret_hint(self) -> str:
        return f"{SECRET_PREFIX}…{self.secret[-4:]}"


class Channel(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")  # due at next_attempt_at (first try or a retry)
    SENDING = "sending", _("Sending")  # claimed by a worker until next_attempt_at (the lease)
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")  # gave up after max_attempts: an operator may retry
    CANCELLED = "cancelled", _("Cancelled")  # its endpoint was deleted before delivery


class OutboxMessage(models.Model):
    """One message to one recipient on one channel, written in the transaction of the event that
    causes it and delivered afterwards by ``outbox_deliver_due`` (at least once)."""

    channel = models.CharField(max_length=8, choices=Channel.choices)
    event_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=64)
    # The webhook URL, the phone number or the e-mail address.
    recipient = models.CharField(max_length=500)
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
    )
    payload = models.JSONField(
        default=dict, blank=True, encoder=DjangoJSONEncoder
    )  # webhook "data"
    subject = models.CharField(max_length=200, blank=True)  # an e-mail's subject
    body = models.TextField(blank=True)  # an e-mail's or an SMS's text
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=8)
    # When it is due: the next try (PENDING) or the end of a worker's lease (SENDING).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim = models.CharField(max_length=32, blank=True)  # the worker round that holds it
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        constraints = [
            # Idempotency: an event goes once to each recipient of each channel.
            models.UniqueConstraint(
                fields=["event_id", "channel", "recipient"], name="outbox_once_per_recipient"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} {self.event_id} → {self.status}"


class NotificationEvent(models.Model):
    """What a person did to an endpoint or a message: who, when, why. Append-only."""

    class Action(models.TextChoices):
        ENDPOINT_CREATED = "endpoint_created", _("endpoint created")
        ENDPOINT_ENABLED = "endpoint_enabled", _("endpoint enabled")
        ENDPOINT_DISABLED = "endpoint_disabled", _("endpoint disabled")
        ENDPOINT_DELETED = "endpoint_deleted", _("endpoint deleted")
        ENDPOINT_TESTED = "endpoint_tested", _("test event sent")
        MESSAGE_RETRIED = "message_retried", _("delivery retried")

    action = models.CharField(max_length=24, choices=Action.choices)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    message = models.ForeignKey(
        OutboxMessage, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_kind = models.CharField(max_length=8)
    actor_label = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("notification event")
        verbose_name_plural = _("notification events")

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_label} at {self.at:%Y-%m-%d %H:%M}"
