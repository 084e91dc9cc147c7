"""Pages: an enterprise's webhooks, and the operators' failed deliveries with "retry now"."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cuakhau.accounts.roles import Role
from cuakhau.core.errors import DomainError
from cuakhau.core.views import Problem, actor, describe, form_text, paginate, role_required
from cuakhau.notifications import selectors, services
from cuakhau.notifications.api import delivery_out
from cuakhau.notifications.models import Status


@role_required(Role.ENTERPRISE)
def webhooks(request: HttpRequest) -> HttpResponse:
    """The enterprise's endpoints; a new one's secret is shown once, here, and never again."""
    created = None
    secret: str | None = None
    problem: Problem | None = None
    status = 200
    if request.method == "POST":
        try:
            created, secret = services.webhook_endpoint_create(
                actor=actor(request),
                url=form_text(request, "url", 500),
                description=form_text(request, "description", 100),
            )
        except DomainError as error:
            problem, status = Problem(error), 400
        else:
            messages.success(request, _("Webhook %(url)s added.") % {"url": created.url})
    endpoints = selectors.webhook_endpoints_for(request.user).select_related("created_by")  # type: ignore[arg-type]
    response = render(
        request,
        "notifications/webhooks.html",
        {
            "endpoints": endpoints,
            "created": created,
            "secret": secret,
            "problem": problem,
            "url_value": form_text(request, "url", 500) if problem else "",
        },
        status=status,
    )
    # The secret must not linger in any cache.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@role_required(Role.ENTERPRISE)
def webhook_action(request: HttpRequest, endpoint_id: int, action: str) -> HttpResponse:
    try:
        if action in ("enable", "disable"):
            endpoint = services.webhook_endpoint_set_active(
                actor=actor(request), endpoint_id=endpoint_id, active=action == "enable"
            )
            done = _("Webhook enabled.") if endpoint.is_active else _("Webhook disabled.")
            messages.success(request, done)
        elif action == "delete":
            services.webhook_endpoint_delete(actor=actor(request), endpoint_id=endpoint_id)
            messages.success(request, _("Webhook deleted."))
        else:  # "test", as the URL allows nothing else
            message = services.webhook_endpoint_test(actor=actor(request), endpoint_id=endpoint_id)
            if message.status == Status.DELIVERED:
                messages.success(
                    request,
                    _("Test event %(id)s delivered (HTTP %(status)s).")
                    % {"id": message.event_id, "status": message.last_status_code},
                )
            else:
                messages.error(
                    request,
                    _("Test event %(id)s was not delivered: %(error)s")
                    % {"id": message.event_id, "error": message.last_error},
                )
    except DomainError as error:
        messages.error(request, describe(error))
    return redirect("notifications:webhooks")


@role_required(Role.GATE_OPERATOR, Role.ADMINISTRATOR)
def failed(request: HttpRequest) -> HttpResponse:
    """Deliveries that failed for good or are being retried, with a "retry now" button."""
    page = paginate(request, selectors.deliveries_for_operators(request.user), per_page=50)  # type: ignore[arg-type]
    rows = [delivery_out(m) for m in page.object_list]
    return render(request, "notifications/failed.html", {"page": page, "rows": rows})


@require_POST
@role_required(Role.GATE_OPERATOR, Role.ADMINISTRATOR)
def retry(request: HttpRequest, message_id: int) -> HttpResponse:
    try:
        message = services.outbox_message_retry(actor=actor(request), message_id=message_id)
    except DomainError as error:
        messages.error(request, describe(error))
    else:
        messages.success(
            request, _("Delivery %(id)s will be retried now.") % {"id": message.event_id}
        )
    return redirect("notifications:failed")
