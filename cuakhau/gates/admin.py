from django.contrib import admin

from cuakhau.gates.models import Gate, Passage, Yard, YardZone


class PassageInline(admin.TabularInline):
    model = Passage
    extra = 0


@admin.register(Gate)
class GateAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "kind", "mode", "counterpart_name_zh", "is_active")
    inlines = [PassageInline]


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
