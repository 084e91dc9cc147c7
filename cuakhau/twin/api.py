"""HTTP API of the digital twin, for leaders and administrators: the scenarios (shipped and
saved), run requests, and runs with their progress and results. Runs are computed by a worker
(``cuakhau twin worker`` or ``cuakhau worker``): a request only queues one."""

# No ``from __future__ import annotations``: ninja's @paginate resolves the view's annotations.
from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AfterValidator, Field

from cuakhau.accounts.auth import AUTH
from cuakhau.core.api import InputSchema, Pagination, Presented, actor_of, responses
from cuakhau.core.errors import InvalidInput
from cuakhau.core.schemas import DbId, ShortStr, _clean
from cuakhau.twin import selectors, services
from cuakhau.twin.models import TwinRun, TwinScenario

router = Router(tags=["twin"], auth=AUTH)

# TOML text as pasted: its length as sent, no control characters but tabs and line breaks.
TomlText = Annotated[str, Field(max_length=services.MAX_TOML), AfterValidator(_clean)]


class ScenarioOut(Schema):
    kind: Literal["shipped", "saved"]
    key: str  # a shipped scenario's name (``scenario``), or a saved one's id (``scenario_id``)
    id: int | None
    name: str
    description: str
    gate: str
    passage: str
    days: int | None
    replications: int | None
    per_day: float | None
    valid: bool
    based_on: str
    updated_at: datetime | None


class RunIn(InputSchema):
    """What to run: a shipped scenario by name, a saved one by id, or TOML text (one of them).
    ``kind`` "search" looks for the most trucks a day the configuration carries within the
    scenario's wait bound, or, with ``target``, the changes that reach that many."""

    scenario: ShortStr | None = None
    scenario_id: DbId | None = None
    toml: TomlText | None = None
    kind: Literal["simulate", "search"] = "simulate"
    replications: int | None = Field(None, ge=1, le=services.MAX_REPLICATIONS)
    target: int | None = Field(None, ge=1, le=services.MAX_TARGET)


class RunSummaryOut(Schema):
    id: int
    kind: str
    status: str
    progress: float
    scenario_name: str
    source: str
    replications: int
    target: int | None
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    wall_seconds: float | None
    error: str


class RunOut(RunSummaryOut):
    toml: str
    result: dict[str, Any] | None


@router.get("/twin/scenarios", response=responses({200: list[ScenarioOut]}))
def scenario_list(request: HttpRequest) -> Any:
    """The shipped scenarios (files of the platform; run them by ``scenario`` name) and the
    scenarios leaders saved (run them by ``scenario_id``)."""
    services.require_twin(request.auth)  # type: ignore[attr-defined]
    shipped = [
        {
            "kind": "shipped",
            "key": s.key,
            "id": None,
            "name": s.name,
            "description": s.description,
            "gate": s.gate,
            "passage": s.passage,
            "days": s.days if s.valid else None,
            "replications": s.replications if s.valid else None,
            "per_day": s.per_day if s.valid else None,
            "valid": s.valid,
            "based_on": "",
            "updated_at": None,
        }
        for s in selectors.shipped_list()
    ]
    saved = [saved_out(s) for s in selectors.twin_scenarios_for(request.auth)]  # type: ignore[attr-defined]
    return shipped + saved


@router.post("/twin/runs", response=responses({201: RunOut}, 409))
def run_request(request: HttpRequest, payload: RunIn) -> Any:
    """Queue a run; the TOML is checked first (422 naming each bad field as ``toml.<path>``,
    or under ``scenario``/``scenario_id`` for a stored one). Follow it at ``GET
    /twin/runs/{run_id}`` until ``status`` is done or failed. 409: too many of the caller's
    runs are waiting already."""
    run = services.twin_run_request(
        actor=actor_of(request),
        kind=payload.kind,
        scenario=payload.scenario or None,
        scenario_id=payload.scenario_id,
        toml=payload.toml or None,
        replications=payload.replications,
        target=payload.target,
    )
    return Status(201, run_out(run))


@router.get("/twin/runs", response=responses({200: list[RunSummaryOut]}))
@paginate(Pagination)
def run_list(request: HttpRequest, status: ShortStr = "") -> Any:
    """Runs, newest first (``status``: queued, running, done or failed)."""
    services.require_twin(request.auth)  # type: ignore[attr-defined]
    runs = selectors.twin_run_list_for(request.auth)  # type: ignore[attr-defined]
    if status:
        runs = runs.filter(status=status)
    return Presented(runs, lambda rows: [run_summary_out(r) for r in rows])


@router.get("/twin/runs/{run_id}", response=responses({200: RunOut}))
def run_detail(request: HttpRequest, run_id: DbId) -> Any:
    """A run: its status and progress (0–1) while it runs, then its result — metrics as
    ``{mean, half_width, low, high, min, max}`` over the replications (95 % confidence),
    series, and the bottleneck — or the error that failed it."""
    services.require_twin(request.auth)  # type: ignore[attr-defined]
    return run_out(selectors.twin_run_for(request.auth, run_id))  # type: ignore[attr-defined]


def saved_out(saved: TwinScenario) -> dict[str, Any]:
    try:
        scenario = services.scenario_check(saved.toml)
    except InvalidInput:
        scenario = None
    return {
        "kind": "saved",
        "key": str(saved.pk),
        "id": saved.pk,
        "name": saved.name,
        "description": scenario.description if scenario else "",
        "gate": scenario.gate if scenario else "",
        "passage": scenario.passage if scenario else "",
        "days": scenario.days if scenario else None,
        "replications": scenario.replications if scenario else None,
        "per_day": scenario.arrivals.per_day if scenario else None,
        "valid": scenario is not None,
        "based_on": saved.based_on,
        "updated_at": saved.updated_at,
    }


def run_summary_out(run: TwinRun) -> dict[str, Any]:
    who = run.requested_by
    return {
        "id": run.pk,
        "kind": run.kind,
        "status": run.status,
        "progress": run.progress,
        "scenario_name": run.scenario_name,
        "source": run.source,
        "replications": run.replications,
        "target": run.target,
        "requested_by": who.get_username() if who else "",
        "requested_at": run.requested_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "wall_seconds": run.wall_seconds,
        "error": run.error,
    }


def run_out(run: TwinRun) -> dict[str, Any]:
    return {**run_summary_out(run), "toml": run.toml, "result": run.result}
