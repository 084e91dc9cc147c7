from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Operational records change only through the platform's services, which keep history."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
