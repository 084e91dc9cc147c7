from django.contrib import admin
from django.urls import include, path

from cuakhau.api import api

admin.site.site_header = "Cửa khẩu số — quản trị"
admin.site.site_title = "Cửa khẩu số"

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("cuakhau.fees.urls_reports")),  # /reports/fees/
    path("", include("cuakhau.situation.urls")),
    path("", include("cuakhau.accounts.urls")),
    path("", include("cuakhau.queueing.urls")),  # before declarations: trips/<code>/slot/
    path("", include("cuakhau.declarations.urls")),
    path("", include("cuakhau.checks.urls")),
    path("", include("cuakhau.notifications.urls")),
    path("", include("cuakhau.fees.urls")),
    path("", include("cuakhau.twin.urls")),  # /twin/
]
