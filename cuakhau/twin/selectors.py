"""Reads of the twin, scoped to the user: leaders and administrators see every saved scenario
and every run (one shared planning workspace, no personal data); everyone else sees none —
pages and the API answer them 403 before reading (``services.require_twin``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from cuakhau.core.errors import InvalidInput, NotFound
from cuakhau.twin.models import TwinRun, TwinScenario
from cuakhau.twin.scenario import parse_scenario, shipped_scenarios
from cuakhau.twin.services import M, may_use_twin


def twin_runs_for(user: Any) -> QuerySet[TwinRun]:
    runs = TwinRun.objects.select_related("requested_by")
    return runs if may_use_twin(user) else runs.none()


def twin_run_list_for(user: Any) -> QuerySet[TwinRun]:
    """Runs for lists: without their text and result, which can be large."""
    return twin_runs_for(user).defer("toml", "result").order_by("-requested_at", "-pk")


def twin_run_for(user: Any, run_id: int) -> TwinRun:
    found = twin_runs_for(user).filter(pk=run_id).first()
    if found is None:
        raise NotFound("run_not_found", M["run_none"])
    return found


def twin_scenarios_for(user: Any) -> QuerySet[TwinScenario]:
    scenarios = TwinScenario.objects.select_related("created_by", "updated_by")
    return scenarios if may_use_twin(user) else scenarios.none()


def twin_scenario_for(user: Any, scenario_id: int) -> TwinScenario:
    found = twin_scenarios_for(user).filter(pk=scenario_id).first()
    if found is None:
        raise NotFound("scenario_not_found", M["saved_none"])
    return found


@dataclass(frozen=True)
class Shipped:
    """A scenario file shipped with the platform, as lists show it."""

    key: str  # the file's name without .toml: what ``twin run`` and the API take
    name: str
    description: str = ""
    gate: str = ""
    passage: str = ""
    days: int = 0
    replications: int = 0
    per_day: float = 0.0
    valid: bool = True


def shipped_list() -> list[Shipped]:
    """Every shipped scenario, read from disk (a file that does not parse is listed as such)."""
    found = []
    for path in shipped_scenarios():
        try:
            scenario = parse_scenario(path.read_text(encoding="utf-8"), base=path.parent)
        except (InvalidInput, OSError):
            found.append(Shipped(key=path.stem, name=path.stem, valid=False))
            continue
        found.append(
            Shipped(
                key=path.stem,
                name=scenario.name,
                description=scenario.description,
                gate=scenario.gate,
                passage=scenario.passage,
                days=scenario.days,
                replications=scenario.replications,
                per_day=scenario.arrivals.per_day,
            )
        )
    return found
