from django.contrib import admin

from cuakhau.reference.models import CustomsDeclarationType, GoodsRegime, VehicleClass


@admin.register(VehicleClass)
class VehicleClassAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "min_tonnes", "max_tonnes", "container_feet", "is_demo")
    list_editable = ("is_demo",)


@admin.register(GoodsRegime)
class GoodsRegimeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "name_zh", "allows_export", "allows_import")


@admin.register(CustomsDeclarationType)
class CustomsDeclarationTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "direction", "name_vi", "name_zh")
    list_filter = ("direction",)
    search_fields = ("code", "name_vi")
