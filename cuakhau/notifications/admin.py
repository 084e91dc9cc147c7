from django.contrib import admin

from cuakhau.core.admin import ReadOnlyAdmin
from cuakhau.notifications.models import NotificationEvent, OutboxMessage, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ("url", "enterprise", "is_active", "created_at", "deleted_at")
    list_filter = ("is_active",)
    search_fields = ("url", "enterprise__name", "enterprise__tax_code")
    exclude = ("secret",)  # the enterprise's to keep


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "channel", "kind", "status", "attempts", "next_attempt_at")
    list_filter = ("status", "channel", "kind")
    search_fields = ("event_id", "kind")
    exclude = ("recipient",)  # phone numbers and addresses: see the operators' page


@admin.register(NotificationEvent)
class NotificationEventAdmin(ReadOnlyAdmin):
    list_display = ("action", "actor_label", "at", "endpoint", "message")
    list_filter = ("action",)
