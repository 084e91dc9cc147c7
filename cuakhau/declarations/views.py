"""Pages for declarations and trips: the enterprise's list, form and detail; check-in and trip
steps for gate operators; correction decisions for agencies; the driver's page.

Views stay thin: reads go through the scoped selectors, writes through the services, and a
domain error comes back to the page as a message in the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cuakhau.accounts.models import User
from cuakhau.accounts.roles import (
    CALL_ROLES,
    CHECK_IN_ROLES,
    CONTROL_ENTRY_ROLES,
    DEPARTURE_ROLES,
    GATE_SCOPED_ROLES,
    Role,
)
from cuakhau.checks.models import AgencyCheck
from cuakhau.core.errors import DomainError, NotFound
from cuakhau.core.templatetags.ui import CHECK_NAMES, CHECK_TONES, STATE_TONES
from cuakhau.core.text import Text
from cuakhau.core.views import (
    Problem,
    actor,
    describe,
    form_text,
    language,
    or_404,
    paginate,
    query_text,
    role_required,
    say,
)
from cuakhau.declarations import links, selectors, services
from cuakhau.declarations.lifecycle import ON_SITE, TERMINAL, Action, TripState, allowed_actions
from cuakhau.declarations.models import (
    CorrectionRequest,
    Declaration,
    Trip,
    TripEvent,
)
from cuakhau.declarations.qr import is_code, normalize_code
from cuakhau.fees.views import driver_fee_context, fee_panels
from cuakhau.gates.models import Gate, Passage, Yard
from cuakhau.queueing import selectors as queue_selectors
from cuakhau.queueing.views import queue_panels
from cuakhau.reference.codes import CURRENCIES, UNITS
from cuakhau.reference.identifiers import normalize_plate_text
from cuakhau.reference.models import CustomsDeclarationType, GoodsRegime, VehicleClass
from cuakhau.situation.selectors import public_trip

ENTERPRISE = (Role.ENTERPRISE,)
# States in which a truck has not reached a yard yet: the enterprise may still change anything.
BEFORE_ARRIVAL = frozenset({TripState.DRAFT, TripState.DECLARED, TripState.CANCELLED})
CANCELLABLE = frozenset({TripState.DRAFT, TripState.DECLARED})
BAD_DRIVER_LINK = Text(
    "Đường dẫn cho lái xe không hợp lệ hoặc đã hết hạn. Hãy xin doanh nghiệp gửi lại.",
    "This driver link is not valid or has expired. Ask the enterprise to send it again.",
    "该司机链接无效或已过期。请联系企业重新发送。",
)


def _trip_rows(user: User) -> Any:
    """Trips the user may see, with what every trip card shows."""
    return (
        selectors.trips_for(user)
        .with_declaration()
        .select_related("source_trip")
        .prefetch_related(
            "containers",
            Prefetch("checks", queryset=AgencyCheck.objects.select_related("agency", "officer")),
        )
    )


def _with_events(trips: Any) -> Any:
    return trips.prefetch_related(
        Prefetch("events", queryset=TripEvent.objects.select_related("gate", "yard"))
    )


# --- The enterprise's declarations ----------------------------------------------------------


@role_required(*ENTERPRISE)
def declaration_list(request: HttpRequest) -> HttpResponse:
    declarations = (
        selectors.declarations_for(request.user)  # type: ignore[arg-type]
        .select_related("gate", "passage", "regime")
        .annotate(trip_count=Count("trips", distinct=True))
        .prefetch_related(
            Prefetch("trips", queryset=Trip.objects.only("id", "code", "state", "declaration_id"))
        )
        .order_by("-created_at", "-id")
    )
    status = request.GET.get("status", "")
    if status in Declaration.Status.values:
        declarations = declarations.filter(status=status)
    query = query_text(request, "q")
    if query:
        code = query.upper()
        declarations = declarations.filter(
            Q(code=code) | Q(customs_declarations__number=code) | Q(trips__code=code)
        ).distinct()
    page = paginate(request, declarations, 20)
    trip_ids = [trip.pk for d in page.object_list for trip in d.trips.all()]
    return render(
        request,
        "declarations/list.html",
        {
            "page": page,
            "places": queue_selectors.queue_places(trip_ids),
            "status": status,
            "statuses": Declaration.Status.choices,
            "query": query,
        },
    )


def _reference() -> dict[str, Any]:
    """What the form's selects offer, named in the reader's language."""
    lang = language()
    passages = Passage.objects.filter(is_active=True)
    gates = Gate.objects.filter(is_active=True).prefetch_related(
        Prefetch("passages", queryset=passages)
    )
    return {
        "gates": [
            {
                "code": gate.code,
                "name": gate.name_for(lang),
                "passages": [
                    {
                        "code": p.code,
                        "name": p.name_for(lang),
                        "export": p.allows_export,
                        "import": p.allows_import,
                    }
                    for p in gate.passages.all()
                ],
            }
            for gate in gates
        ],
        "regimes": [
            {
                "code": r.code,
                "name": r.name_for(lang),
                "export": r.allows_export,
                "import": r.allows_import,
            }
            for r in GoodsRegime.objects.all()
        ],
        "types": [
            {"code": t.code, "name": t.name_for(lang), "direction": t.direction}
            for t in CustomsDeclarationType.objects.all()
        ],
        "vehicle_classes": [
            {"code": v.code, "name": v.name_for(lang)} for v in VehicleClass.objects.all()
        ],
        "units": [{"code": code, "name": text.get(lang)} for code, text in UNITS.items()],
        "currencies": sorted(CURRENCIES),
    }


def _blank_document() -> dict[str, Any]:
    arrival = timezone.localtime() + timedelta(hours=3)
    return {
        "direction": "export",
        "regime": "",
        "gate": "",
        "passage": "",
        "planned_arrival": arrival.strftime("%Y-%m-%dT%H:00"),
        "perishable": False,
        "fee_payer": None,
        "road_manifest_number": "",
        "note": "",
        "customs_declarations": [{"number": "", "type_code": "", "lines": [{"currency": "USD"}]}],
        "trips": [{"tractor_country": "VN", "containers": []}],
    }


def _document_of(declaration: Declaration) -> dict[str, Any]:
    document = services.declaration_document(declaration).model_dump(mode="json")
    # The form's date-time input speaks local wall time (Asia/Ho_Chi_Minh).
    document["planned_arrival"] = timezone.localtime(declaration.planned_arrival).strftime(
        "%Y-%m-%dT%H:%M"
    )
    return document


def _form(
    request: HttpRequest, mode: str, declaration: Declaration | None, document: dict[str, Any]
) -> HttpResponse:
    api = reverse("api:api-root")
    endpoints: dict[str, str] = {"validate": f"{api}declarations/validate"}
    if declaration is None:
        endpoints["create"] = f"{api}declarations"
    else:
        endpoints["update"] = f"{api}declarations/{declaration.pk}"
        endpoints["submit"] = f"{api}declarations/{declaration.pk}/submit"
        endpoints["correct"] = f"{api}declarations/{declaration.pk}/corrections"
    return render(
        request,
        "declarations/form.html",
        {
            "mode": mode,
            "declaration": declaration,
            "reference": _reference(),
            "document": document,
            "endpoints": endpoints,
            "detail_url": reverse("declarations:detail", args=[0]),
            "js_text": {
                "saving": _("Saving…"),
                "checking": _("Checking…"),
                "valid": _("Everything filled in is valid."),
                "network": _("The server could not be reached. Check the connection and retry."),
                "fix": _("Fix the highlighted fields, then try again."),
                "hidden": _("%(count)s more field(s) still to fill in."),
                "choose": _("— choose —"),
                "reason_required": _("Give the reason for the correction."),
            },
        },
    )


@role_required(*ENTERPRISE)
def declaration_new(request: HttpRequest) -> HttpResponse:
    return _form(request, "new", None, _blank_document())


def _declaration_or_404(request: HttpRequest, pk: int) -> Declaration:
    return or_404(selectors.declaration_for, request.user, pk)


def _checked_in(declaration: Declaration) -> bool:
    return declaration.trips.exclude(state__in=list(BEFORE_ARRIVAL)).exists()


@role_required(*ENTERPRISE)
def declaration_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft, or a submitted declaration before any truck checked in (a new version)."""
    declaration = _declaration_or_404(request, pk)
    if declaration.status == Declaration.Status.CANCELLED:
        messages.error(request, say(services.M["cancelled"]))
        return redirect("declarations:detail", pk)
    if _checked_in(declaration):
        messages.info(request, say(services.M["not_editable"]))
        return redirect("declarations:correct", pk)
    return _form(request, "edit", declaration, _document_of(declaration))


@role_required(*ENTERPRISE)
def declaration_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """After check-in: the same form, sent as a correction request for the agency to approve."""
    declaration = _declaration_or_404(request, pk)
    if declaration.status == Declaration.Status.CANCELLED:
        messages.error(request, say(services.M["cancelled"]))
        return redirect("declarations:detail", pk)
    if not _checked_in(declaration):
        messages.info(request, say(services.M["not_checked_in"]))
        return redirect("declarations:edit", pk)
    if declaration.correction_requests.filter(status=CorrectionRequest.Status.PENDING).exists():
        messages.info(request, say(services.M["correction_pending"]))
        return redirect("declarations:detail", pk)
    return _form(request, "correct", declaration, _document_of(declaration))


def _driver_link(request: HttpRequest, code: str) -> str:
    return request.build_absolute_uri(
        reverse("declarations:driver", args=[links.driver_token(code)])
    )


@login_required
def declaration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    declaration = _declaration_or_404(request, pk)
    owner = user.role == Role.ENTERPRISE
    trips = list(
        _with_events(_trip_rows(user).filter(declaration=declaration)).order_by("position", "pk")
    )
    panels = queue_panels(trips, owner=owner)
    fees = fee_panels(trips, user)
    cards = []
    for trip in trips:
        card: dict[str, Any] = {
            "trip": trip,
            "cancellable": owner and trip.state in CANCELLABLE,
            "queue": panels.get(trip.pk),
            "fee": fees.get(trip.pk),
        }
        if owner and trip.state not in TERMINAL and trip.state != TripState.DRAFT:
            card["qr_svg"] = links.qr_svg(links.trip_qr_payload(trip.code))
            card["driver_link"] = _driver_link(request, trip.code)
        cards.append(card)
    checked_in = any(trip.state not in BEFORE_ARRIVAL for trip in trips)
    corrections = declaration.correction_requests.select_related(
        "agency", "requested_by", "decided_by"
    )
    pending_correction = any(c.status == CorrectionRequest.Status.PENDING for c in corrections)
    live = declaration.status != Declaration.Status.CANCELLED
    return render(
        request,
        "declarations/detail.html",
        {
            "declaration": declaration,
            "customs": declaration.customs_declarations.select_related("type").prefetch_related(
                "lines"
            ),
            "cards": cards,
            "versions": declaration.versions.select_related("created_by"),
            "corrections": corrections,
            "owner": owner,
            "can_edit": owner and live and not checked_in,
            "can_submit": owner and declaration.status == Declaration.Status.DRAFT,
            "can_correct": owner and live and checked_in and not pending_correction,
            "can_cancel": owner and live and not checked_in,
            # One invoice for every trip still to invoice, when there are several.
            "invoice_all": sum(1 for fee in fees.values() if fee.can_create),
        },
    )


@require_POST
@role_required(*ENTERPRISE)
def declaration_submit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.declaration_submit(actor=actor(request), declaration_id=pk)
    except DomainError as error:
        _raise_if_missing(error)
        messages.error(request, describe(error))
    else:
        messages.success(request, _("Declaration submitted. Send each driver their link."))
    return redirect("declarations:detail", pk)


@require_POST
@role_required(*ENTERPRISE)
def declaration_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.declaration_cancel(
            actor=actor(request), declaration_id=pk, reason=form_text(request, "reason")
        )
    except DomainError as error:
        _raise_if_missing(error)
        messages.error(request, describe(error))
    else:
        messages.success(request, _("Declaration cancelled."))
    return redirect("declarations:detail", pk)


def _raise_if_missing(error: DomainError) -> None:
    if isinstance(error, NotFound):
        raise Http404(say(error.message))


# --- Trips ----------------------------------------------------------------------------------

# A step a person records on a trip at the yard or the gate: the service, the lifecycle action it
# makes, the roles allowed, and the button's label.
STEPS: dict[str, tuple[Callable[..., Trip], Action, frozenset[Role], Any]] = {
    "call": (services.trip_call, Action.CALL, CALL_ROLES, gettext_lazy("Call up to the gate")),
    "no-show": (
        services.trip_no_show,
        Action.NO_SHOW,
        CALL_ROLES,
        gettext_lazy("Did not show up (back to the queue)"),
    ),
    "enter-control": (
        services.trip_enter_control,
        Action.ENTER_CONTROL,
        CONTROL_ENTRY_ROLES,
        gettext_lazy("Entered the control area"),
    ),
    "depart": (services.trip_depart, Action.DEPART, DEPARTURE_ROLES, gettext_lazy("Departed")),
}


def steps_for(user: User, trip: Trip) -> list[tuple[str, Any]]:
    """The buttons to offer: steps the lifecycle allows now and the user's role may record."""
    held_from = TripState(trip.held_from) if trip.held_from else None
    allowed = set(
        allowed_actions(trip.declaration.direction, TripState(trip.state), held_from=held_from)
    )
    return [
        (slug, label)
        for slug, (_service, action, roles, label) in STEPS.items()
        if action in allowed and user.role_enum in roles
    ]


@login_required
def trip_detail(request: HttpRequest, code: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    normalized = normalize_code(code)
    trip = (
        _with_events(_trip_rows(user)).filter(code=normalized).first()
        if is_code(normalized)
        else None
    )
    if trip is None:
        raise Http404(say(selectors.TRIP_NOT_FOUND.format(code=code[:20])))
    if normalized != code:
        return redirect("declarations:trip", normalized)
    own_agency = user.agency.code if user.agency_id and user.agency else None
    decides = any(check.agency.code == own_agency for check in trip.checks.all())
    owner = user.role == Role.ENTERPRISE
    return render(
        request,
        "declarations/trip.html",
        {
            "trip": trip,
            "declaration": trip.declaration,
            "steps": steps_for(user, trip),
            "decides": decides and user.role_enum in GATE_SCOPED_ROLES,
            "owner": owner,
            "qr_svg": links.qr_svg(links.trip_qr_payload(trip.code))
            if owner and trip.state not in TERMINAL and trip.state != TripState.DRAFT
            else "",
            "driver_link": _driver_link(request, trip.code) if owner else "",
            "cancellable": owner and trip.state in CANCELLABLE,
            "queue": queue_panels([trip], owner=owner, booking_form=owner).get(trip.pk),
            "fee": fee_panels([trip], user).get(trip.pk),
        },
    )


@require_POST
@login_required
def trip_step(request: HttpRequest, code: str, step: str) -> HttpResponse:
    if step not in STEPS:
        raise Http404
    service, _action, _roles, label = STEPS[step]
    try:
        trip = service(actor=actor(request), trip_code=code, reason=form_text(request, "reason"))
    except DomainError as error:
        _raise_if_missing(error)
        messages.error(request, describe(error))
    else:
        messages.success(
            request,
            _("Trip %(code)s: %(step)s.") % {"code": trip.code, "step": label},
        )
    back = request.POST.get("back", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("declarations:trip", args=[code])
    return redirect(back)


@require_POST
@role_required(*ENTERPRISE)
def trip_cancel(request: HttpRequest, code: str) -> HttpResponse:
    try:
        trip = services.trip_cancel(
            actor=actor(request), trip_code=code, reason=form_text(request, "reason")
        )
    except DomainError as error:
        _raise_if_missing(error)
        messages.error(request, describe(error))
        return redirect("declarations:trip", code)
    messages.success(request, _("Trip %(code)s cancelled.") % {"code": trip.code})
    return redirect("declarations:detail", trip.declaration_id)


def _visible_trip(request: HttpRequest, code: str) -> Trip:
    return or_404(selectors.trip_for, request.user, code)


@role_required(*ENTERPRISE)
def trip_qr_png(request: HttpRequest, code: str) -> HttpResponse:
    trip = _visible_trip(request, code)
    response = HttpResponse(
        links.qr_png(links.trip_qr_payload(trip.code), scale=12), content_type="image/png"
    )
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="trip-{trip.code}.png"'
    return response


@role_required(*ENTERPRISE)
def trip_print(request: HttpRequest, code: str) -> HttpResponse:
    """A sheet to print and hand to the driver: the QR, the trip code and the vehicle."""
    trip = _visible_trip(request, code)
    return render(
        request,
        "declarations/trip_print.html",
        {
            "trip": trip,
            "qr_svg": links.qr_svg(links.trip_qr_payload(trip.code), scale=10),
            "driver_link": _driver_link(request, trip.code),
        },
    )


@role_required(*GATE_SCOPED_ROLES, Role.ADMINISTRATOR)
def trip_list(request: HttpRequest) -> HttpResponse:
    """Trips at the officer's gates: by default the trucks on site now."""
    user: User = request.user  # type: ignore[assignment]
    trips = _trip_rows(user).order_by("-state_changed_at", "-id")
    state = request.GET.get("state", "")
    if state in TripState.__members__:
        trips = trips.filter(state=state)
    elif state != "all":
        state = ""
        trips = trips.filter(state__in=list(ON_SITE))
    query = query_text(request, "q")
    if query:
        trips = trips.filter(
            Q(code=normalize_code(query)) | Q(tractor_plate=normalize_plate_text(query))
        )
    page = paginate(request, trips, 50)
    return render(
        request,
        "declarations/trips.html",
        {
            "page": page,
            "rows": [(trip, steps_for(user, trip)) for trip in page.object_list],
            "state": state,
            "states": list(TripState),
            "query": query,
        },
    )


# --- Check-in at the yard -------------------------------------------------------------------

# A scanned QR is a URL ending in /q/CODE.SIGNATURE, or that token alone.
QR_TOKEN = re.compile(r"[0-9A-Z]{8}\.[A-Z2-7]{16}")


def _check_in_by(text: str) -> services.CheckInBy:
    """What the operator typed or scanned: a QR payload, a trip code, or a plate."""
    if "/q/" in text or QR_TOKEN.fullmatch(text.upper()):
        return services.CheckInBy(qr=text)
    if is_code(normalize_code(text)):
        return services.CheckInBy(code=text)
    return services.CheckInBy(plate=text)


def _yards_of(user: User) -> list[Yard]:
    return list(
        Yard.objects.filter(is_active=True, gates__id__in=user.gate_ids())
        .distinct()
        .order_by("code")
    )


@role_required(*CHECK_IN_ROLES)
def check_in(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    yards = _yards_of(user)
    by_code = {yard.code: yard for yard in yards}
    wanted = request.POST.get("yard") or request.GET.get("yard") or request.session.get("yard")
    yard = by_code.get(str(wanted or "").upper()) or (yards[0] if yards else None)
    problem: Problem | None = None
    typed = ""
    if request.method == "POST" and yard is not None:
        request.session["yard"] = yard.code
        typed = form_text(request, "q", 300)
        try:
            trip = _check_in(request, yard, typed)
        except DomainError as error:
            problem = Problem(error)
        else:
            messages.success(
                request,
                _("Trip %(code)s checked in at %(yard)s.")
                % {"code": trip.code, "yard": yard.name_for(language())},
            )
            return redirect(f"{reverse('declarations:check_in')}?yard={yard.code}&last={trip.code}")
    last = None
    if request.GET.get("last"):
        code = normalize_code(query_text(request, "last", 20))
        last = _trip_rows(user).filter(code=code).first() if is_code(code) else None
    recent = (
        _trip_rows(user)
        .filter(yard=yard, checked_in_at__isnull=False)
        .order_by("-checked_in_at", "-id")[:20]
        if yard
        else []
    )
    return render(
        request,
        "declarations/check_in.html",
        {
            "yards": yards,
            "yard": yard,
            "problem": problem,
            "typed": typed,
            "last": last,
            "recent": recent,
        },
    )


def _check_in(request: HttpRequest, yard: Yard, typed: str) -> Trip:
    by = _check_in_by(typed)
    try:
        return services.trip_check_in(actor=actor(request), yard_code=yard.code, by=by)
    except NotFound:
        # Eight characters may be a plate as well as a trip code (12C12345): try the plate.
        if not by.code:
            raise
        try:
            return services.trip_check_in(
                actor=actor(request), yard_code=yard.code, by=services.CheckInBy(plate=typed)
            )
        except NotFound:
            pass
        raise


# --- Corrections, for the agency that approves them -----------------------------------------


@role_required(Role.CUSTOMS, Role.BORDER_GUARD, Role.ADMINISTRATOR)
def correction_list(request: HttpRequest) -> HttpResponse:
    requests = services.corrections_for(request.user).select_related("decided_by")
    return render(
        request,
        "declarations/corrections.html",
        {
            "pending": requests.filter(status=CorrectionRequest.Status.PENDING).order_by(
                "requested_at", "id"
            ),
            "decided": requests.exclude(status=CorrectionRequest.Status.PENDING).order_by(
                "-decided_at", "-id"
            )[:20],
        },
    )


@require_POST
@role_required(Role.CUSTOMS, Role.BORDER_GUARD, Role.ADMINISTRATOR)
def correction_decide(request: HttpRequest, pk: int) -> HttpResponse:
    approve = request.POST.get("approve") == "1"
    try:
        correction = services.correction_request_decide(
            actor=actor(request),
            request_id=pk,
            approve=approve,
            reason=form_text(request, "reason"),
        )
    except DomainError as error:
        messages.error(request, describe(error))
    else:
        text = (
            _("Correction of %(code)s approved: it is now version %(version)s.")
            if approve
            else _("Correction of %(code)s rejected.")
        )
        declaration = correction.declaration
        declaration.refresh_from_db(fields=["version"])
        messages.success(request, text % {"code": declaration.code, "version": declaration.version})
    return redirect("declarations:corrections")


# --- The driver's page ----------------------------------------------------------------------


def driver(request: HttpRequest, token: str) -> HttpResponse:
    """No login: the signed link is the key. The QR, the plate and the live status."""
    code = links.driver_code(token)
    trip = public_trip(code) if code else None
    if trip is None:
        raise Http404(say(BAD_DRIVER_LINK))
    api = reverse("api:api-root")
    return render(
        request,
        "declarations/driver.html",
        {
            "trip": trip,
            "qr_svg": links.qr_svg(links.trip_qr_payload(trip.code), scale=8),
            "poll_url": f"{api}public/trips/{trip.code}",
            "checks": trip.checks.select_related("agency"),
            "queue": queue_panels([trip], owner=False).get(trip.pk),
            "queue_url": reverse("queueing:driver_place", args=[token]),
            "fee": driver_fee_context(trip),
            "fee_url": reverse("fees:driver_fee", args=[token]),
            "lang": language(),
            "driver_text": {
                "tones": STATE_TONES,
                "check_tones": CHECK_TONES,
                "check_names": {status: say(name) for status, name in CHECK_NAMES.items()},
            },
        },
    )


def driver_for(trip: Trip) -> str:
    """The path of a trip's driver page (tests and e-mails build links with it)."""
    return reverse("declarations:driver", args=[links.driver_token(trip.code)])
