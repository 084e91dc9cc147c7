from django.contrib import admin

from cuakhau.declarations.models import Declaration, Trip, TripEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Operational records change only through the platform's services, which keep history."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Declaration)
class DeclarationAdmin(ReadOnlyAdmin):
    list_display = ("code", "enterprise", "direction", "gate", "status", "version", "created_at")
    list_filter = ("status", "direction", "gate")
    search_fields = ("code", "enterprise__name", "customs_declarations__number")


@admin.register(Trip)
class TripAdmin(ReadOnlyAdmin):
    list_display = ("code", "tractor_plate", "state", "declaration", "state_changed_at")
    list_filter = ("state",)
    search_fields = ("code", "tractor_plate", "trailer_plate")


@admin.register(TripEvent)
class TripEventAdmin(ReadOnlyAdmin):
    list_display = ("trip", "action", "state_before", "state_after", "actor_label", "at")
    list_filter = ("action",)
