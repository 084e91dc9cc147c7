"""Public pages: the clearance situation, and a trip's status by its code or its QR."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from cuakhau.core.errors import InvalidInput
from cuakhau.core.views import query_text, say
from cuakhau.declarations import links, qr
from cuakhau.declarations.lifecycle import STATE_NAMES
from cuakhau.declarations.schemas import public_trip_out
from cuakhau.declarations.selectors import TRIP_NOT_FOUND
from cuakhau.gates.models import CapacityPlan, Yard
from cuakhau.situation import selectors


def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "situation/home.html",
        {
            "summaries": selectors.gate_summaries(now),
            "columns": [(state, STATE_NAMES[state]) for state in selectors.SUMMARY_STATES],
            "now": now,
            # The yard queues: anyone can check the order of calls, and see the yards' boards.
            "queues": CapacityPlan.objects.select_related("passage", "passage__gate").filter(
                passage__is_active=True, direction="export"
            ),
            "boards": Yard.objects.filter(
                is_active=True, gates__passages__capacity_plans__direction="export"
            ).distinct(),
        },
    )


def _tracking(
    request: HttpRequest, code: str, *, error: str = "", status: int = 200
) -> HttpResponse:
    status_out = None
    if code and not error:
        trip = selectors.public_trip(code)
        if trip is None:
            error, status = say(TRIP_NOT_FOUND.format(code=code.strip()[:20])), 404
        else:
            status_out = public_trip_out(trip)
            status_out["gate_row"] = trip.declaration.gate
            status_out["passage_row"] = trip.declaration.passage
    return render(
        request,
        "situation/track.html",
        {"code": code.strip()[:20], "trip": status_out, "error": error},
        status=status,
    )


def track(request: HttpRequest) -> HttpResponse:
    return _tracking(request, query_text(request, "code", 20))


def qr_landing(request: HttpRequest, token: str) -> HttpResponse:
    """Where a phone lands after scanning a trip's QR: its public status, if the QR is genuine."""
    try:
        code = qr.verify_qr(token, links.qr_key())
    except InvalidInput as error:
        return _tracking(request, "", error=say(error.message), status=400)
    return _tracking(request, code)
