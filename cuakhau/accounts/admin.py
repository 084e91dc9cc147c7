from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from cuakhau.accounts.models import Agency, ApiToken, Enterprise, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "get_full_name", "role", "enterprise", "agency", "is_active")
    list_filter = ("role", "agency", "is_active")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Cửa khẩu số", {"fields": ("role", "enterprise", "agency", "gates", "phone")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Cửa khẩu số", {"fields": ("role", "enterprise", "agency", "gates")}),
    )
    filter_horizontal = ("gates", "groups", "user_permissions")


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "tax_code", "country", "is_active")
    search_fields = ("name", "tax_code")


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "name_zh")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "enterprise", "key_id", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("key_id", "digest", "created_at", "last_used_at")
    list_filter = ("enterprise",)
