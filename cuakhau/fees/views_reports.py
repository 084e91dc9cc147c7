"""The leaders' fee revenue page: totals by day, month, gate, vehicle class, regime and route,
the daily reconciliation, a bar chart of daily revenue (server-rendered SVG) and the Excel file.
Leaders see their own gates; administrators every gate."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from cuakhau.accounts.roles import Role
from cuakhau.core.views import language
from cuakhau.fees import reports
from cuakhau.gates.capacity import VIETNAM

CHART_HEIGHT = 160
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _gates(request: HttpRequest) -> Collection[int] | None:
    """None for administrators (every gate); a leader's own gates; 403 for anyone else."""
    user: Any = request.user
    if user.is_administrator:
        return None
    if user.role_enum == Role.LEADER:
        return frozenset(user.gate_ids())
    raise PermissionDenied(_("Only leaders and administrators see fee revenue."))


def _period(request: HttpRequest) -> tuple[date, date, str]:
    """The days asked for: ``month=YYYY-MM``, or ``from``/``to`` (YYYY-MM-DD); this month by
    default."""
    today = timezone.now().astimezone(VIETNAM).date()
    month = str(request.GET.get("month", ""))[:7]
    start = _day(request.GET.get("from"))
    end = _day(request.GET.get("to"))
    if start or end:
        start = start or end or today
        end = end or start
        if end < start:
            start, end = end, start
        start = max(start, end - timedelta(days=reports.MAX_DAYS - 1))
        return start, end, ""
    if not re.fullmatch(r"\d{4}-\d{2}", month) or not 1 <= int(month[5:]) <= 12:
        month = f"{today:%Y-%m}"
    first = date(int(month[:4]), int(month[5:]), 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last, month


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value or "")[:10])
    except ValueError:
        return None


def _chart(daily: list[reports.Line]) -> dict[str, Any]:
    """Bars of the net revenue of each day, scaled to the largest."""
    top = max((line.net for line in daily), default=0)
    width = 24 if len(daily) <= 40 else max(4, 960 // max(len(daily), 1))
    bars = []
    for index, line in enumerate(daily):
        height = round(line.net / top * CHART_HEIGHT) if top > 0 and line.net > 0 else 0
        bars.append(
            {
                "x": index * width + 1,
                "y": CHART_HEIGHT - height + 4,
                "width": width - 2,
                "height": height,
                "line": line,
                "label": index % max(1, len(daily) // 10) == 0,
            }
        )
    return {
        "bars": bars,
        "width": len(daily) * width + 2,
        "height": CHART_HEIGHT + 24,
        "top": top,
        "baseline": CHART_HEIGHT + 4,
    }


@login_required
def report(request: HttpRequest) -> HttpResponse:
    gates = _gates(request)
    start, end, month = _period(request)
    found = reports.fee_report(start, end, gates)
    query = request.GET.urlencode()
    return render(
        request,
        "fees/reports.html",
        {
            "report": found,
            "month": month or f"{start:%Y-%m}",
            "start": start,
            "end": end,
            "chart": _chart(found.daily),
            "query": query,
            "all_gates": gates is None,
        },
    )


@login_required
def report_excel(request: HttpRequest) -> HttpResponse:
    gates = _gates(request)
    start, end, _month = _period(request)
    found = reports.fee_report(start, end, gates)
    response = HttpResponse(reports.workbook(found, language()), content_type=XLSX)
    name = f"phi-ha-tang-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
