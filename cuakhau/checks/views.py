"""Pages for agencies: the checks waiting at the officer's gates, and the decision on a trip."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cuakhau.accounts.models import User
from cuakhau.accounts.permissions import agency_code_of
from cuakhau.checks.models import AgencyCheck
from cuakhau.checks.rules import STATUS_NAMES as CHECK_NAMES
from cuakhau.checks.rules import CheckStatus
from cuakhau.checks.services import CHECKING_ROLES, check_decide, pending_checks_for
from cuakhau.core.errors import DomainError, FieldError, NotFound, invalid
from cuakhau.core.text import Text
from cuakhau.core.views import Problem, actor, form_text, paginate, role_required, say
from cuakhau.declarations import selectors
from cuakhau.declarations.qr import is_code, normalize_code

CHOOSE = Text("Hãy chọn một quyết định.", "Choose a decision.", "请选择一项决定。")
DECISIONS = (CheckStatus.PASSED, CheckStatus.HELD, CheckStatus.REFUSED)


@role_required(*CHECKING_ROLES)
def pending(request: HttpRequest) -> HttpResponse:
    checks = pending_checks_for(request.user).prefetch_related(  # type: ignore[arg-type]
        Prefetch("trip__checks", queryset=AgencyCheck.objects.select_related("agency").order_by()),
        "trip__containers",
    )
    return render(request, "checks/pending.html", {"page": paginate(request, checks, 50)})


@role_required(*CHECKING_ROLES)
def decide(request: HttpRequest, code: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    agency = agency_code_of(user)
    normalized = normalize_code(code)
    trip = (
        selectors.trips_for(user)
        .with_declaration()
        .prefetch_related(
            "containers",
            Prefetch("checks", queryset=AgencyCheck.objects.select_related("agency", "officer")),
        )
        .filter(code=normalized)
        .first()
        if is_code(normalized)
        else None
    )
    if trip is None:
        raise Http404(say(selectors.TRIP_NOT_FOUND.format(code=code[:20])))
    problem: Problem | None = None
    chosen = request.POST.get("decision", "")
    reason = form_text(request, "reason")
    status = 200
    if request.method == "POST":
        try:
            if chosen not in CheckStatus.__members__.values() or chosen == CheckStatus.PENDING:
                raise _choose_first()
            check_decide(
                actor=actor(request),
                trip_code=trip.code,
                agency_code=agency or "",
                decision=CheckStatus(chosen),
                reason=reason,
            )
        except NotFound as error:
            raise Http404(say(error.message)) from None
        except DomainError as error:
            problem, status = Problem(error), 400
        else:
            messages.success(
                request,
                _("Trip %(code)s: decision «%(decision)s» recorded.")
                % {"code": trip.code, "decision": say(CHECK_NAMES[CheckStatus(chosen)])},
            )
            return redirect("checks:pending")
    own = next((c for c in trip.checks.all() if c.agency.code == agency), None)
    customs = trip.declaration.customs_declarations.select_related("type").prefetch_related("lines")
    return render(
        request,
        "checks/decide.html",
        {
            "trip": trip,
            "declaration": trip.declaration,
            "own": own,
            "customs": customs,
            "decisions": [(d.value, say(CHECK_NAMES[d])) for d in DECISIONS],
            "chosen": chosen,
            "reason": reason,
            "problem": problem,
        },
        status=status,
    )


def _choose_first() -> DomainError:
    return invalid([FieldError("decision", "required", CHOOSE)])
