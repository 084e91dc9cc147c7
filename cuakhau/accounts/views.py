"""Pages: sign in and out, each role's start page, and the enterprise's API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cuakhau.accounts import services
from cuakhau.accounts.models import ApiToken, User
from cuakhau.accounts.roles import Role
from cuakhau.core.errors import DomainError
from cuakhau.core.views import Problem, actor, describe, form_text, role_required

# Where each role starts its day.
START_PAGES: dict[Role, str] = {
    Role.ENTERPRISE: "declarations:list",
    Role.GATE_OPERATOR: "declarations:check_in",
    Role.CUSTOMS: "checks:pending",
    Role.BORDER_GUARD: "checks:pending",
    Role.PLANT_QUARANTINE: "checks:pending",
    Role.ANIMAL_QUARANTINE: "checks:pending",
    Role.MEDICAL_QUARANTINE: "checks:pending",
    Role.LEADER: "situation:home",
    Role.ADMINISTRATOR: "situation:home",
}


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Sign out by POST only (the header's button), back to the public start page."""


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.is_staff and user.is_administrator:
        return redirect("admin:index")
    role = user.role_enum
    return redirect(START_PAGES[role] if role else "situation:home")


@role_required(Role.ENTERPRISE)
def tokens(request: HttpRequest) -> HttpResponse:
    """The enterprise's API tokens; a new one is shown once, here, and never again."""
    created: str | None = None
    problem: Problem | None = None
    status = 200
    if request.method == "POST":
        try:
            token, created = services.api_token_create(
                actor=actor(request), name=form_text(request, "name", 100)
            )
        except DomainError as error:
            problem, status = Problem(error), 400
        else:
            messages.success(request, _("Token «%(name)s» created.") % {"name": token.name})
    rows = ApiToken.objects.filter(enterprise_id=request.user.enterprise_id).select_related(  # type: ignore[union-attr]
        "user", "revoked_by"
    )
    response = render(
        request,
        "accounts/tokens.html",
        {"tokens": rows, "created": created, "problem": problem},
        status=status,
    )
    # The plain token must not linger in any cache.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@role_required(Role.ENTERPRISE)
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = services.api_token_revoke(actor=actor(request), token_id=token_id)
    except DomainError as error:
        messages.error(request, describe(error))
    else:
        messages.success(request, _("Token «%(name)s» revoked.") % {"name": token.name})
    return redirect("accounts:tokens")
