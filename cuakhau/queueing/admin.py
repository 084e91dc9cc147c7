"""Read-mostly admin views of the queue: the records are written by the services, with events."""

from django.contrib import admin

from cuakhau.core.admin import ReadOnlyAdmin
from cuakhau.queueing.models import (
    BookingBlock,
    CallForecast,
    CallUp,
    DispatchRun,
    PassageEvent,
    QueueEntry,
    SlotBooking,
)


@admin.register(QueueEntry)
class QueueEntryAdmin(ReadOnlyAdmin):
    list_display = ("number", "trip", "yard", "passage", "priority", "status", "joined_at")
    list_filter = ("status", "priority", "yard")


@admin.register(SlotBooking)
class SlotBookingAdmin(ReadOnlyAdmin):
    list_display = ("code", "trip", "enterprise", "start", "tractor_plate", "status")
    list_filter = ("status",)


@admin.register(CallUp)
class CallUpAdmin(ReadOnlyAdmin):
    list_display = ("at", "trip_code", "passage", "rule", "priority", "lane", "called_by")
    list_filter = ("rule", "passage")


@admin.register(DispatchRun)
class DispatchRunAdmin(ReadOnlyAdmin):
    list_display = ("at", "passage", "direction", "trigger", "waiting", "calls", "duration_ms")


@admin.register(CallForecast)
class CallForecastAdmin(ReadOnlyAdmin):
    list_display = ("trip", "passage", "p50_at", "p90_at", "called_share", "computed_at")


@admin.register(PassageEvent)
class PassageEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "passage", "direction", "action", "actor_label", "reason")


@admin.register(BookingBlock)
class BookingBlockAdmin(admin.ModelAdmin):
    """Administrators may lift a block early, with a reason; who lifted it is recorded."""

    list_display = ("enterprise", "starts_at", "ends_at", "reason", "lifted_at", "lifted_by")
    fields = ("enterprise", "starts_at", "ends_at", "reason", "lifted_at", "lift_reason")
    readonly_fields = ("enterprise", "starts_at", "ends_at", "reason")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if obj.lifted_at and not obj.lifted_by_id:
            obj.lifted_by = request.user
        super().save_model(request, obj, form, change)
