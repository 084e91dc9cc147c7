from django.urls import path, re_path

from cuakhau.notifications import views

app_name = "notifications"
urlpatterns = [
    path("webhooks/", views.webhooks, name="webhooks"),
    re_path(
        r"^webhooks/(?P<endpoint_id>[0-9]+)/(?P<action>enable|disable|delete|test)/$",
        views.webhook_action,
        name="webhook_action",
    ),
    path("notifications/failed/", views.failed, name="failed"),
    path("notifications/<int:message_id>/retry/", views.retry, name="retry"),
]
