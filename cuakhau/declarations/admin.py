from django.contrib import admin

from cuakhau.core.admin import ReadOnlyAdmin
from cuakhau.declarations.models import Declaration, Trip, TripEvent


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
