"""The twin's records for administrators, read-only: scenarios and runs change through the
twin's pages and services, which keep their history."""

from __future__ import annotations

from django.contrib import admin

from cuakhau.core.admin import ReadOnlyAdmin
from cuakhau.twin.models import TwinEvent, TwinRun, TwinScenario


@admin.register(TwinScenario)
class TwinScenarioAdmin(ReadOnlyAdmin):
    list_display = ("name", "based_on", "updated_at", "updated_by")
    search_fields = ("name",)


@admin.register(TwinRun)
class TwinRunAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "scenario_name",
        "kind",
        "status",
        "progress",
        "requested_by",
        "requested_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("scenario_name", "source")
    exclude = ("result",)


@admin.register(TwinEvent)
class TwinEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "action", "actor_label", "run", "scenario")
    list_filter = ("action",)
