"""The twin's pages, for leaders and administrators: scenarios (shipped and saved) with recent
runs, the scenario editor, a run's live progress and results, and runs compared side by side.

A run is computed by a worker, never in the request: the pages queue it and then poll a small
JSON endpoint (``…/live/``) every second or two, swapping in the server-rendered results once
the run ends.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cuakhau.accounts.roles import Role
from cuakhau.core.errors import DomainError, InvalidInput, NotFound
from cuakhau.core.views import Problem, actor, clean_text, describe, or_404, role_required
from cuakhau.twin import present, selectors, services
from cuakhau.twin.models import TwinEvent, TwinRun, TwinScenario

TWIN = (Role.LEADER, Role.ADMINISTRATOR)
POLL_SECONDS = 1.5
RECENT = 20
MAX_COMPARE = 4


def _number(request: HttpRequest, name: str, *, high: int) -> int | None:
    """A positive whole number from the form; None when blank; 0 when not a number in range
    (the service then names the field)."""
    text = clean_text(request.POST.get(name), 12)
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        return 0
    return value if 0 < value <= high else 0


def _status_tone(status: str) -> str:
    return {"done": "ok", "failed": "bad", "running": "info", "queued": "warn"}.get(status, "")


# --- The list ---------------------------------------------------------------------------------


@role_required(*TWIN)
def index(request: HttpRequest) -> HttpResponse:
    runs = list(selectors.twin_run_list_for(request.user)[:RECENT])
    return render(
        request,
        "twin/index.html",
        {
            "shipped": selectors.shipped_list(),
            "saved": selectors.twin_scenarios_for(request.user),
            "runs": runs,
            "live_url": reverse("twin:runs_live"),
            "poll_seconds": POLL_SECONDS,
            "max_replications": services.MAX_REPLICATIONS,
            "search": services.search_available(),
        },
    )


@role_required(*TWIN)
def runs_live(request: HttpRequest) -> HttpResponse:
    """Status and progress of the runs named in ``?ids=1,2,3`` (at most 50), for the list."""
    ids: list[int] = []
    for part in str(request.GET.get("ids", ""))[:500].split(","):
        if part.strip().isdigit() and len(ids) < 50:
            ids.append(int(part))
    rows = (
        selectors.twin_runs_for(request.user)
        .select_related(None)
        .filter(pk__in=ids)
        .only("pk", "status", "progress")
    )
    body = {
        "runs": [
            {
                "id": run.pk,
                "status": run.status,
                "label": str(TwinRun.Status(run.status).label),
                "tone": _status_tone(run.status),
                "progress": run.progress,
            }
            for run in rows
        ]
    }
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


# --- Requesting a run -------------------------------------------------------------------------


@require_POST
@role_required(*TWIN)
def run_new(request: HttpRequest) -> HttpResponse:
    """Queue a run of a shipped scenario (``scenario``) or a saved one (``scenario_id``)."""
    try:
        run = services.twin_run_request(
            actor=actor(request),
            kind=clean_text(request.POST.get("kind"), 10) or TwinRun.Kind.SIMULATE,
            scenario=clean_text(request.POST.get("scenario"), 80) or None,
            scenario_id=_number(request, "scenario_id", high=2**62) or None,
            replications=_number(request, "replications", high=services.MAX_REPLICATIONS),
            target=_number(request, "target", high=services.MAX_TARGET),
        )
    except DomainError as error:
        messages.error(request, describe(error))
        return redirect("twin:index")
    return redirect("twin:run", run.pk)


# --- The editor -------------------------------------------------------------------------------


def _copy_name(base: str) -> str:
    name = _("%(name)s (copy)") % {"name": base}
    taken = set(
        TwinScenario.objects.filter(name__startswith=name[:100]).values_list("name", flat=True)
    )
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name} {n}", n + 1
    return candidate[: services.MAX_NAME]


@role_required(*TWIN)
def scenario_new(request: HttpRequest) -> HttpResponse:
    """A new saved scenario: a copy of a shipped one (``?from=huu-nghi-2025``) or blank."""
    if request.method == "POST":
        return _editor_post(request, None)
    based_on = clean_text(request.GET.get("from"), 80)
    text = services.shipped_text(based_on) if based_on else None
    if text is None:
        based_on, text = "", ""
    name = ""
    if text:
        try:
            name = _copy_name(services.scenario_check(text).name)
        except InvalidInput:
            name = _copy_name(based_on)
    return _editor(request, None, name=name, toml=text, based_on=based_on)


@role_required(*TWIN)
def scenario_edit(request: HttpRequest, scenario_id: int) -> HttpResponse:
    saved = or_404(selectors.twin_scenario_for, request.user, scenario_id)
    if request.method == "POST":
        return _editor_post(request, saved.pk)
    return _editor(request, saved, name=saved.name, toml=saved.toml, based_on=saved.based_on)


def _editor(
    request: HttpRequest,
    saved: Any,
    *,
    name: str,
    toml: str,
    based_on: str,
    problem: Problem | None = None,
    checked: Any = None,
    status: int = 200,
) -> HttpResponse:
    errors = []
    if problem is not None:
        for path, message in problem.fields.items():
            errors.append(
                {"field": path.removeprefix("toml.") if path != "toml" else "", "message": message}
            )
    return render(
        request,
        "twin/scenario_edit.html",
        {
            "saved": saved,
            "name": name,
            "toml": toml,
            "based_on": based_on,
            "problem": problem,
            "errors": errors,
            "name_error": problem.for_field("name") if problem else "",
            "checked": checked,
            "max_replications": services.MAX_REPLICATIONS,
            "max_toml": services.MAX_TOML,
            "search": services.search_available(),
            "runs": list(
                selectors.twin_run_list_for(request.user).filter(saved_scenario=saved)[:10]
            )
            if saved
            else [],
        },
        status=status,
    )


def _editor_post(request: HttpRequest, scenario_id: int | None) -> HttpResponse:
    """One form, three buttons: check the text, save it, or run it as it is."""
    action = clean_text(request.POST.get("action"), 10)
    name = clean_text(request.POST.get("name"), services.MAX_NAME + 1)
    # The TOML as typed (control characters aside): its line breaks and indentation matter.
    toml = str(request.POST.get("toml", ""))[: services.MAX_TOML + 1]
    toml = "".join(ch for ch in toml if ch in "\t\n\r" or ord(ch) >= 32)
    based_on = clean_text(request.POST.get("based_on"), 80)
    saved = or_404(selectors.twin_scenario_for, request.user, scenario_id) if scenario_id else None

    def again(error: DomainError, checked: Any = None) -> HttpResponse:
        problem = Problem(error)
        return _editor(
            request,
            saved,
            name=name,
            toml=toml,
            based_on=based_on,
            problem=problem,
            checked=checked,
            status=422 if isinstance(error, InvalidInput) else error.status,
        )

    try:
        if action == "save":
            stored = services.twin_scenario_save(
                actor=actor(request),
                name=name,
                toml=toml,
                scenario_id=scenario_id,
                based_on=based_on,
            )
            messages.success(request, _("Scenario saved."))
            return redirect("twin:scenario", stored.pk)
        if action == "run":
            # The saved text as it is runs as that scenario; an edited text runs as text.
            as_saved = saved.pk if saved is not None and saved.toml == toml else None
            run = services.twin_run_request(
                actor=actor(request),
                kind=clean_text(request.POST.get("kind"), 10) or TwinRun.Kind.SIMULATE,
                scenario_id=as_saved,
                toml=None if as_saved else toml,
                replications=_number(request, "replications", high=services.MAX_REPLICATIONS),
                target=_number(request, "target", high=services.MAX_TARGET),
            )
            return redirect("twin:run", run.pk)
        checked = services.scenario_check(toml)
    except DomainError as error:
        return again(error)
    return _editor(request, saved, name=name, toml=toml, based_on=based_on, checked=checked)


# --- A run ------------------------------------------------------------------------------------


def _run_context(run: TwinRun) -> dict[str, Any]:
    context: dict[str, Any] = {"run": run, "tone": _status_tone(run.status)}
    result = run.result or {}
    if run.status != TwinRun.Status.DONE or not result:
        return context
    if run.kind == TwinRun.Kind.SEARCH:
        context["search"] = search_context(result)
        return context
    series = result.get("series") or {}
    warmup = int(result.get("warmup_days") or 0)
    context.update(
        {
            "bottleneck": present.bottleneck_text(result),
            "key_rows": present.key_rows([result]),
            "wait_rows": present.wait_rows(result),
            "step_rows": present.step_rows(result),
            "held_rows": present.held_rows(result),
            "yard_rows": present.yard_rows(result),
            "shelf_rows": present.shelf_rows(result, present.shelf_bounds(run.toml)),
            "daily": present.day_bars(series.get("crossed_daily") or [], first_day=warmup + 1),
            "occupancy": present.line_chart(
                [
                    (
                        _("Waiting in the yards"),
                        series.get("hourly_waiting") or [],
                        present.SERIES_COLOURS["hourly_waiting"],
                    ),
                    (
                        _("In the control area"),
                        series.get("hourly_inside") or [],
                        present.SERIES_COLOURS["hourly_inside"],
                    ),
                    (
                        _("On the road to the gate"),
                        series.get("hourly_road") or [],
                        present.SERIES_COLOURS["hourly_road"],
                    ),
                ],
                first_label=warmup + 1,
            ),
            "use": present.utilisation_chart([result]),
            "result": result,
        }
    )
    return context


def search_context(result: dict[str, Any]) -> dict[str, Any]:
    from django.utils.translation import get_language

    from cuakhau.core.text import language_key

    language = language_key(get_language())
    changes = []
    for change in result.get("changes") or []:
        why = change.get("why") or {}
        changes.append(
            {
                **change,
                "what": present.resource_label(change.get("resource", "")),
                "why_text": why.get(language) or why.get("en", ""),
            }
        )
    probes = result.get("table") or sorted(
        result.get("probes") or [], key=lambda p: p.get("per_day", 0)
    )
    for probe in probes:
        probe["bottleneck_label"] = present.resource_label(probe.get("bottleneck", ""))
    return {
        "kind": result.get("search"),
        "result": result,
        "changes": changes,
        "probes": probes,
        "chart": present.probe_chart(probes, result.get("wait_bound_minutes")),
        "bottleneck_label": present.resource_label(
            result.get("bottleneck") or result.get("limited_by") or ""
        ),
        "start": result.get("start"),
        "configuration": result.get("configuration"),
    }


@role_required(*TWIN)
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = or_404(selectors.twin_run_for, request.user, run_id)
    context = _run_context(run)
    context.update(
        {
            "live_url": reverse("twin:run_live", args=[run.pk]),
            "poll_seconds": POLL_SECONDS,
            "events": TwinEvent.objects.filter(run=run)
            .select_related("actor")
            .order_by("at", "pk"),
        }
    )
    return render(request, "twin/run.html", context)


@role_required(*TWIN)
def run_live(request: HttpRequest, run_id: int) -> HttpResponse:
    """``{"status", "progress"}`` while the status is the one the page shows (``?since=``),
    with the new HTML of the live part once it changed (the results, when done)."""
    try:
        run = selectors.twin_run_for(request.user, run_id)
    except NotFound:
        return JsonResponse({"status": "", "progress": 0}, status=404)
    body: dict[str, Any] = {"status": run.status, "progress": run.progress}
    if request.GET.get("since", "") != run.status:
        body["html"] = render_to_string("twin/_run_live.html", _run_context(run), request=request)
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


# --- Comparing runs ---------------------------------------------------------------------------


@role_required(*TWIN)
def compare(request: HttpRequest) -> HttpResponse:
    """2–4 finished simulation runs side by side: key measures with their intervals, and the
    charts overlaid."""
    wanted = []
    for value in request.GET.getlist("runs")[:20]:
        if str(value).isdigit() and int(value) not in wanted:
            wanted.append(int(value))
    finished = selectors.twin_run_list_for(request.user).filter(
        status=TwinRun.Status.DONE, kind=TwinRun.Kind.SIMULATE
    )
    choices = list(finished[:50])
    context: dict[str, Any] = {"choices": choices, "wanted": wanted, "max_compare": MAX_COMPARE}
    if wanted:
        found = {
            r.pk: r
            for r in selectors.twin_runs_for(request.user).filter(
                pk__in=wanted, status=TwinRun.Status.DONE, kind=TwinRun.Kind.SIMULATE
            )
        }
        runs = [found[pk] for pk in wanted if pk in found]
        if not 2 <= len(runs) <= MAX_COMPARE:
            context["problem"] = _("Pick between 2 and %(most)s finished simulation runs.") % {
                "most": MAX_COMPARE
            }
        else:
            context.update(compare_context(runs))
    return render(request, "twin/compare.html", context)


def compare_context(runs: list[TwinRun]) -> dict[str, Any]:
    results = [r.result or {} for r in runs]
    colours = [present.PALETTE[i % len(present.PALETTE)] for i in range(len(runs))]
    columns = [
        {"run": run, "colour": colour, "bottleneck": present.bottleneck_text(result)}
        for run, colour, result in zip(runs, colours, results, strict=True)
    ]

    def label(run: TwinRun) -> str:
        return f"#{run.pk} {run.scenario_name}"

    waits = []
    for key, name in present.WAIT_CLASSES:
        for q in ("p50", "p90", "p99"):
            cells = [present.metric(r, f"wait.{key}.{q}", unit="min") for r in results]
            if any(not c.missing for c in cells):
                waits.append(present.Row(f"{key}.{q}", f"{name} — {q.upper()}", cells))
    return {
        "runs": runs,
        "columns": columns,
        "key_rows": present.key_rows(results),
        "wait_rows": waits,
        "daily": present.line_chart(
            [
                (label(run), (r.get("series") or {}).get("crossed_daily") or [], c)
                for run, r, c in zip(runs, results, colours, strict=True)
            ],
            per_label=1,
        ),
        "waiting": present.line_chart(
            [
                (label(run), (r.get("series") or {}).get("hourly_waiting") or [], c)
                for run, r, c in zip(runs, results, colours, strict=True)
            ]
        ),
        "use": present.utilisation_chart(results, colours),
    }
