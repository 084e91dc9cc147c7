from django.contrib import admin

from cuakhau.gates.models import (
    CalendarEntry,
    CapacityOverride,
    CapacityPlan,
    Gate,
    PartnerQuota,
    Passage,
    WorkingHours,
    Yard,
    YardZone,
)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class PassageInline(admin.TabularInline):
    model = Passage
    extra = 0


@admin.register(Gate)
class GateAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "kind", "mode", "counterpart_name_zh", "is_active")
    inlines = [PassageInline, WorkingHoursInline]


@admin.register(Passage)
class PassageAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "gate", "border_markers", "is_dedicated_freight_road")
    list_filter = ("gate",)


class YardZoneInline(admin.TabularInline):
    model = YardZone
    extra = 0


@admin.register(Yard)
class YardAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "kind", "capacity_trucks", "capacity_is_demo", "is_active")
    filter_horizontal = ("gates",)
    inlines = [YardZoneInline]


@admin.register(CapacityPlan)
class CapacityPlanAdmin(admin.ModelAdmin):
    list_display = (
        "passage",
        "direction",
        "lanes_open",
        "minutes_per_vehicle",
        "control_area_room",
        "slot_share_percent",
        "is_paused",
    )
    list_filter = ("direction", "is_paused")
    readonly_fields = ("updated_at", "updated_by")


@admin.register(CalendarEntry)
class CalendarEntryAdmin(admin.ModelAdmin):
    list_display = ("name_vi", "gate", "passage", "kind", "cause", "starts_at", "ends_at")
    list_filter = ("kind", "cause", "gate")
    date_hierarchy = "starts_at"

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not obj.created_by_id:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(CapacityOverride)
class CapacityOverrideAdmin(admin.ModelAdmin):
    list_display = ("passage", "direction", "hour_start", "calls", "reason", "created_by")
    list_filter = ("direction",)


@admin.register(PartnerQuota)
class PartnerQuotaAdmin(admin.ModelAdmin):
    list_display = ("day", "gate", "direction", "goods_group", "trucks", "recorded_by")
    list_filter = ("gate", "goods_group")
    date_hierarchy = "day"
