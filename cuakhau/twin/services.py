"""Writes of the twin: saved scenarios, run requests, and the worker's side of a run (claim,
progress, result). Each public function is one transaction and records who, when and why
(``TwinEvent``); the simulation itself runs outside any transaction.

Who: leaders and administrators (``TWIN_ROLES``) of any gate. A scenario is a hypothetical
configuration with no personal data, so saved scenarios and runs are one shared workspace for
them: everyone of them sees and compares every run. Enterprises, officers and the public do not
use the twin.

A run's life: ``twin_run_request`` validates the TOML (a bad file stores nothing) and queues the
run with the exact text; ``twin_run_next`` (called by a worker) claims the oldest queued run
with a conditional update — several workers never take the same run —, runs its replications
on every core with the progress written to the row at most every half second, and ends it done
with the result or failed with the error. A run whose worker died stays ``running`` only until
its heartbeat is ``LEASE`` old: ``twin_runs_recover`` (called by every ``twin_run_next``) queues
it again once, then fails it.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from cuakhau.accounts.models import User
from cuakhau.accounts.permissions import role_forbidden
from cuakhau.accounts.roles import Role
from cuakhau.core.actors import Actor
from cuakhau.core.errors import Conflict, FieldError, InvalidInput, NotFound, invalid
from cuakhau.core.models import audit_values
from cuakhau.core.text import Text
from cuakhau.twin.models import TwinEvent, TwinRun, TwinScenario
from cuakhau.twin.scenario import SCENARIO_DIR, Scenario, parse_scenario, shipped_scenarios

TWIN_ROLES = frozenset({Role.LEADER, Role.ADMINISTRATOR})
MAX_REPLICATIONS = 200
MAX_TARGET = 100_000
MAX_TOML = 200_000  # characters; a year of hourly weights is far less
MAX_NAME = 120
# Runs one person may have waiting or running at once: the twin uses every core.
MAX_OPEN_RUNS = 10
# A running run writes its progress (and heartbeat) at most this often.
PROGRESS_SECONDS = 0.5
# A run whose heartbeat is older than this is taken back from its (dead) worker.
LEASE = timedelta(minutes=getattr(settings, "CUAKHAU_TWIN_LEASE_MINUTES", 15))
# Claims of one run before it is failed for good (a run that kills its worker every time).
MAX_ATTEMPTS = 2
ERROR_LENGTH = 4000
SHIPPED_DEMO = "huu-nghi-2025"

M = {
    "source": Text(
        "Chọn một kịch bản có sẵn, một kịch bản đã lưu, hoặc dán nội dung TOML.",
        "Pick a shipped scenario, a saved one, or paste the TOML text.",
        "请选择内置场景、已保存场景，或粘贴 TOML 内容。",
    ),
    "one_source": Text(
        "Chỉ chọn một nguồn kịch bản.",
        "Give one scenario source only.",
        "只能指定一个场景来源。",
    ),
    "unknown_shipped": Text(
        "Không có kịch bản có sẵn tên «{name}».",
        "There is no shipped scenario named «{name}».",
        "没有名为「{name}」的内置场景。",
    ),
    "saved_none": Text(
        "Không tìm thấy kịch bản đã lưu.", "Saved scenario not found.", "未找到已保存的场景。"
    ),
    "run_none": Text("Không tìm thấy lượt chạy.", "Run not found.", "未找到运行记录。"),
    "blank": Text("Bắt buộc nhập.", "Required.", "必填。"),
    "too_long": Text("Quá dài.", "Too long.", "过长。"),
    "name_taken": Text(
        "Đã có kịch bản khác tên này.",
        "Another saved scenario has this name.",
        "已有同名的已保存场景。",
    ),
    "replications": Text(
        "Số lần lặp phải từ 1 đến {high}.",
        "Replications must be between 1 and {high}.",
        "重复次数必须在 1 到 {high} 之间。",
    ),
    "target": Text(
        "Mục tiêu phải từ 1 đến {high} xe/ngày.",
        "The target must be between 1 and {high} trucks a day.",
        "目标必须在每天 1 到 {high} 辆之间。",
    ),
    "target_kind": Text(
        "Chỉ tìm công suất mới có mục tiêu.",
        "Only a capacity search takes a target.",
        "只有容量搜索才需要目标。",
    ),
    "search_missing": Text(
        "Chức năng tìm công suất chưa được cài đặt.",
        "The capacity search is not installed.",
        "容量搜索功能尚未安装。",
    ),
    "too_many": Text(
        "Bạn đã có {count} lượt chạy đang chờ hoặc đang chạy: hãy đợi chúng xong.",
        "You already have {count} runs queued or running: wait for them to finish.",
        "您已有 {count} 个运行在排队或进行中：请等待完成。",
    ),
    "search_replay": Text(
        "Kịch bản phát lại lịch sử có lưu lượng cố định: không tìm được công suất.",
        "A replayed history has a fixed volume: its capacity cannot be searched.",
        "回放历史的流量固定，无法搜索通行能力。",
    ),
    "lost": Text(
        "Tiến trình chạy đã dừng giữa chừng (quá {minutes} phút không báo).",
        "The worker stopped mid-run (no sign of life for {minutes} minutes).",
        "运行进程中途停止（{minutes} 分钟无响应）。",
    ),
}


def may_use_twin(user: Any) -> bool:
    """Leaders and administrators (of any gate) use the twin; nobody else."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_administrator or user.role == Role.LEADER)


def require_twin(user: Any) -> None:
    if not may_use_twin(user):
        raise role_forbidden(TWIN_ROLES)


# --- Scenarios: where the text comes from, and checking it ------------------------------------


def shipped_names() -> list[str]:
    return [path.stem for path in shipped_scenarios()]


def shipped_text(name: str) -> str | None:
    """The text of a shipped scenario by its name (``huu-nghi-2025``); None if there is none.
    Only names of files in the scenarios folder are accepted: never a path."""
    for path in shipped_scenarios():
        if path.stem == name:
            return path.read_text(encoding="utf-8")
    return None


def _prefixed(error: InvalidInput, prefix: str) -> InvalidInput:
    if not prefix:
        return error
    return InvalidInput(
        code=error.code,
        message=error.message,
        errors=[
            FieldError(f"{prefix}.{e.path}" if e.path else prefix, e.code, e.message)
            for e in error.errors
        ],
    )


def scenario_check(text: str, *, prefix: str = "toml") -> Scenario:
    """The scenario in ``text``, or ``InvalidInput`` naming each bad field under ``prefix``
    (``toml.steps.1.manual.lanes``). A replay file is read from the shipped folder only."""
    if len(text) > MAX_TOML:
        raise invalid([FieldError(prefix, "string_too_long", M["too_long"])])
    try:
        return parse_scenario(text, base=SCENARIO_DIR)
    except InvalidInput as error:
        raise _prefixed(error, prefix) from None


@dataclass(frozen=True)
class Source:
    """The text a run starts from, and where it came from."""

    label: str  # "shipped:<name>", "saved:<id>" or "text"
    text: str
    saved: TwinScenario | None = None
    field: str = "toml"  # where its errors point


def scenario_source(
    *, scenario: str | None = None, scenario_id: int | None = None, toml: str | None = None
) -> Source:
    """One of: a shipped scenario's name, a saved scenario's id, or TOML text."""
    given = [v for v in (scenario, scenario_id, toml) if v not in (None, "")]
    if not given:
        raise invalid([FieldError("scenario", "required", M["source"])])
    if len(given) > 1:
        fields = [
            name
            for name, value in (
                ("scenario", scenario),
                ("scenario_id", scenario_id),
                ("toml", toml),
            )
            if value not in (None, "")
        ]
        raise invalid([FieldError(name, "one_source", M["one_source"]) for name in fields])
    if scenario:
        text = shipped_text(scenario)
        if text is None:
            raise invalid(
                [
                    FieldError(
                        "scenario", "unknown_scenario", M["unknown_shipped"].format(name=scenario)
                    )
                ]
            )
        return Source(f"shipped:{scenario}", text, field="scenario")
    if scenario_id is not None:
        saved = TwinScenario.objects.filter(pk=scenario_id).first()
        if saved is None:
            raise NotFound("scenario_not_found", M["saved_none"])
        return Source(f"saved:{saved.pk}", saved.toml, saved, field="scenario_id")
    return Source("text", str(toml))


# --- Saved scenarios ----------------------------------------------------------------------------


def twin_scenario_save(
    *,
    actor: Actor,
    name: str,
    toml: str,
    scenario_id: int | None = None,
    based_on: str = "",
    reason: str = "",
) -> TwinScenario:
    """Create a saved scenario (``scenario_id`` None) or replace the text of one. The text must
    be a valid scenario; a bad one stores nothing and names each bad field."""
    user = _user(actor)
    require_twin(user)
    name = name.strip()
    errors = []
    if not name:
        errors.append(FieldError("name", "required", M["blank"]))
    elif len(name) > MAX_NAME:
        errors.append(FieldError("name", "string_too_long", M["too_long"]))
    if not toml.strip():
        errors.append(FieldError("toml", "required", M["blank"]))
    if errors:
        raise invalid(errors)
    parsed = scenario_check(toml)
    now = timezone.now()
    with transaction.atomic(durable=True):
        if scenario_id is None:
            saved = TwinScenario(
                name=name,
                toml=toml,
                based_on=based_on[:80] if based_on in shipped_names() else "",
                created_by=user,
                created_at=now,
                updated_by=user,
                updated_at=now,
            )
            before = ""
        else:
            found = TwinScenario.objects.select_for_update().filter(pk=scenario_id).first()
            if found is None:
                raise NotFound("scenario_not_found", M["saved_none"])
            saved = found
            before = saved.toml
            saved.name, saved.toml, saved.updated_by, saved.updated_at = name, toml, user, now
        if TwinScenario.objects.filter(name=name).exclude(pk=saved.pk).exists():
            raise invalid([FieldError("name", "name_taken", M["name_taken"])])
        try:
            with transaction.atomic():
                saved.save()
        except IntegrityError:  # the same name saved by someone else this instant
            raise invalid([FieldError("name", "name_taken", M["name_taken"])]) from None
        _event(
            None,
            saved,
            "scenario_created" if scenario_id is None else "scenario_saved",
            actor,
            now,
            reason=reason,
            data={
                "name": name,
                "scenario": parsed.name,
                "based_on": saved.based_on,
                "changed": before != toml,
                "chars": len(toml),
            },
        )
    return saved


# --- Runs: the request ----------------------------------------------------------------------


def search_available() -> bool:
    """Whether the capacity search (``cuakhau.twin.search``) is installed."""
    try:
        from cuakhau.twin import search  # noqa: F401
    except ImportError:
        return False
    return True


def twin_run_request(
    *,
    actor: Actor,
    kind: str = TwinRun.Kind.SIMULATE,
    scenario: str | None = None,
    scenario_id: int | None = None,
    toml: str | None = None,
    replications: int | None = None,
    target: int | None = None,
    seed: int | None = None,
    per_day: float | None = None,
) -> TwinRun:
    """Queue a run of a shipped scenario (by name), a saved one (by id) or TOML text; the TOML
    is checked first (bad input: ``InvalidInput`` naming each field, nothing stored). The run
    keeps the exact text, so later edits of a saved scenario do not change what it was."""
    user = _user(actor)
    require_twin(user)
    source = scenario_source(scenario=scenario, scenario_id=scenario_id, toml=toml)
    errors = []
    if kind not in TwinRun.Kind.values:
        errors.append(
            FieldError(
                "kind",
                "literal_error",
                Text(
                    "Phải là simulate hoặc search.",
                    "Must be simulate or search.",
                    "必须是 simulate 或 search。",
                ),
            )
        )
    elif kind == TwinRun.Kind.SEARCH and not search_available():
        errors.append(FieldError("kind", "search_missing", M["search_missing"]))
    if replications is not None and not 1 <= replications <= MAX_REPLICATIONS:
        errors.append(
            FieldError(
                "replications", "out_of_range", M["replications"].format(high=MAX_REPLICATIONS)
            )
        )
    if target is not None and kind != TwinRun.Kind.SEARCH:
        errors.append(FieldError("target", "target_kind", M["target_kind"]))
    elif target is not None and not 1 <= target <= MAX_TARGET:
        errors.append(FieldError("target", "out_of_range", M["target"].format(high=MAX_TARGET)))
    if errors:
        raise invalid(errors)
    parsed = scenario_check(source.text, prefix=source.field)
    if kind == TwinRun.Kind.SEARCH and parsed.arrivals.kind == "replay":
        raise invalid([FieldError("kind", "search_replay", M["search_replay"])])
    count = replications or _default_replications(kind, parsed)
    now = timezone.now()
    with transaction.atomic(durable=True):
        # The requester's row orders their concurrent requests, so the limit holds.
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
        open_runs = TwinRun.objects.filter(
            requested_by=user, status__in=(TwinRun.Status.QUEUED, TwinRun.Status.RUNNING)
        ).count()
        if open_runs >= MAX_OPEN_RUNS:
            raise Conflict("too_many_runs", M["too_many"].format(count=open_runs))
        run = TwinRun.objects.create(
            kind=kind,
            scenario_name=parsed.name[:200],
            source=source.label,
            saved_scenario=source.saved,
            toml=source.text,
            replications=count,
            target=target,
            seed=seed,
            per_day=per_day,
            requested_by=user,
            requested_at=now,
        )
        _event(
            run,
            source.saved,
            "requested",
            actor,
            now,
            data={"kind": kind, "source": source.label, "replications": count, "target": target},
        )
    return run


def _default_replications(kind: str, scenario: Scenario) -> int:
    if kind == TwinRun.Kind.SEARCH:
        from cuakhau.twin import search

        return int(search.DEFAULT_REPLICATIONS)
    return min(scenario.replications, MAX_REPLICATIONS)


# --- Runs: the worker's side ------------------------------------------------------------------


def twin_runs_recover(*, now: datetime | None = None, lease: timedelta = LEASE) -> int:
    """Take back runs whose worker stopped saying it is alive: queued again after a first
    loss, failed after ``MAX_ATTEMPTS``. Returns how many runs were taken back."""
    now = now or timezone.now()
    stale = TwinRun.objects.filter(status=TwinRun.Status.RUNNING, heartbeat_at__lt=now - lease)
    recovered = 0
    for run in stale.only("pk", "attempts", "claim", "worker"):
        mine = TwinRun.objects.filter(pk=run.pk, status=TwinRun.Status.RUNNING, claim=run.claim)
        lost = M["lost"].format(minutes=int(lease.total_seconds() // 60))
        with transaction.atomic(durable=True):
            if run.attempts >= MAX_ATTEMPTS:
                changed = mine.update(
                    status=TwinRun.Status.FAILED,
                    claim="",
                    finished_at=now,
                    error=lost.en,
                )
                action = "failed"
            else:
                changed = mine.update(
                    status=TwinRun.Status.QUEUED, claim="", worker="", progress=0.0
                )
                action = "requeued"
            if changed:
                _event(
                    run,
                    None,
                    action,
                    Actor.system("twin-recovery"),
                    now,
                    reason=lost.en,
                    data={"worker": run.worker, "attempts": run.attempts},
                )
                recovered += 1
    return recovered


def twin_run_claim(
    *, worker_label: str, now: datetime | None = None, only: int | None = None
) -> TwinRun | None:
    """Take the oldest queued run (or the run ``only``) for this worker (queued → running), or
    None. On PostgreSQL workers skip each other's locked rows; everywhere the conditional update
    is the claim, so a run another worker took meanwhile is left alone."""
    label = worker_label[:100]
    for _attempt in range(5):
        now = now or timezone.now()
        claim = uuid.uuid4().hex
        with transaction.atomic(durable=True):
            queued = TwinRun.objects.filter(status=TwinRun.Status.QUEUED).order_by(
                "requested_at", "pk"
            )
            if only is not None:
                queued = queued.filter(pk=only)
            if connection.features.has_select_for_update_skip_locked:
                queued = queued.select_for_update(skip_locked=True)
            candidate = queued.values_list("pk", flat=True).first()
            if candidate is None:
                return None
            changed = TwinRun.objects.filter(pk=candidate, status=TwinRun.Status.QUEUED).update(
                status=TwinRun.Status.RUNNING,
                worker=label,
                claim=claim,
                started_at=now,
                heartbeat_at=now,
                progress=0.0,
                error="",
                attempts=F("attempts") + 1,
            )
            if changed:
                run = TwinRun.objects.get(pk=candidate)
                _event(run, None, "started", Actor.system(label), now, data={"claim": claim})
                return run
        now = None  # another worker won this one: look again
    return None


class _Progress:
    """Writes a run's progress and heartbeat, at most every ``PROGRESS_SECONDS``; only while
    this worker still holds the run (its claim)."""

    def __init__(self, run: TwinRun) -> None:
        self.run = run
        self.last = 0.0
        self.written = 0.0

    def __call__(self, fraction: float) -> None:
        fraction = min(1.0, max(0.0, float(fraction)))
        tick = time.monotonic()
        if tick - self.last < PROGRESS_SECONDS:
            return
        self.last = tick
        # Never backwards: a search runs several batches of replications one after another.
        self.written = max(self.written, fraction)
        TwinRun.objects.filter(
            pk=self.run.pk, status=TwinRun.Status.RUNNING, claim=self.run.claim
        ).update(progress=min(self.written, 0.99), heartbeat_at=timezone.now())


def twin_run_execute(run: TwinRun, *, processes: int | None = None) -> TwinRun:
    """Run a claimed run to its end: done with its result, or failed with the error. Call it
    outside any transaction (progress is committed as it goes)."""
    progress = _Progress(run)
    started = time.perf_counter()
    try:
        result = _compute(run, progress, processes)
    except KeyboardInterrupt:
        # The worker was stopped, not the run's fault: someone else takes it from the start.
        _finish(run, TwinRun.Status.QUEUED, error="", action="requeued")
        raise
    except Exception as error:  # any failure ends the run failed, with why
        _finish(
            run,
            TwinRun.Status.FAILED,
            error=_describe(error),
            wall=time.perf_counter() - started,
            action="failed",
        )
    else:
        _finish(
            run,
            TwinRun.Status.DONE,
            result=result,
            wall=time.perf_counter() - started,
            action="done",
        )
    run.refresh_from_db()
    return run


def twin_run_next(*, worker_label: str, processes: int | None = None) -> TwinRun | None:
    """One unit of the twin's background work: take back runs of dead workers, then claim the
    oldest queued run and run it to its end. Returns the run (done or failed), or None when
    nothing was queued. Call it from a worker loop, outside any transaction."""
    twin_runs_recover()
    run = twin_run_claim(worker_label=worker_label)
    if run is None:
        return None
    return twin_run_execute(run, processes=processes)


def twin_demo_run(user: User) -> TwinRun | None:
    """A finished run of today's Hữu Nghị (two replications, about a second on two cores), so
    that leaders find results on the twin's page in the demo."""
    if SHIPPED_DEMO not in shipped_names():
        return None
    run = twin_run_request(actor=Actor.of(user), scenario=SHIPPED_DEMO, replications=2)
    claimed = twin_run_claim(worker_label="seed-demo", only=run.pk)
    return twin_run_execute(claimed) if claimed is not None else None


def _compute(run: TwinRun, progress: Callable[[float], None], processes: int | None) -> Any:
    from cuakhau.twin.runner import run_replications

    scenario = parse_scenario(run.toml, base=SCENARIO_DIR)
    if run.kind == TwinRun.Kind.SEARCH:
        from cuakhau.twin import search

        # A search runs many volumes: on the scenario's days, at most the search's own horizon.
        days = min(scenario.days, search.DEFAULT_DAYS)
        horizon: dict[str, Any] = {
            "replications": run.replications,
            "days": days,
            "warmup_days": None if days == search.DEFAULT_DAYS else scenario.warmup_days,
            "seed": run.seed,
            "workers": processes,
            "progress": progress,
        }
        if run.target:
            plan = search.plan_for_target(scenario, run.target, **horizon)
            return {"search": "target", **plan.as_dict()}
        volume = search.max_volume(scenario, start=run.per_day, **horizon)
        return {"search": "max_volume", **volume.as_dict()}
    return run_replications(
        scenario,
        run.replications,
        seed=run.seed,
        per_day=run.per_day,
        workers=processes,
        progress=progress,
    )


def _finish(
    run: TwinRun,
    status: str,
    *,
    result: Any = None,
    error: str = "",
    wall: float | None = None,
    action: str,
) -> None:
    now = timezone.now()
    mine = TwinRun.objects.filter(pk=run.pk, status=TwinRun.Status.RUNNING, claim=run.claim)
    fields: dict[str, Any] = {"status": status, "claim": "", "error": error[:ERROR_LENGTH]}
    if status == TwinRun.Status.QUEUED:
        fields.update(worker="", progress=0.0)
    else:
        fields.update(finished_at=now, wall_seconds=wall)
    if status == TwinRun.Status.DONE:
        fields.update(progress=1.0, result=finite(result))
    with transaction.atomic(durable=True):
        if mine.update(**fields):
            _event(
                run,
                None,
                action,
                Actor.system(run.worker or "twin"),
                now,
                reason=error[:500],
                data={"wall_seconds": wall} if wall is not None else {},
            )


def _describe(error: BaseException) -> str:
    if isinstance(error, InvalidInput):
        details = "; ".join(f"{e.path}: {e.message.en}" for e in error.errors)
        return f"{error.message.en} {details}".strip()
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def finite(value: Any) -> Any:
    """The result as JSON every database keeps: NaN and infinities (PostgreSQL's jsonb refuses
    them) become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


# --- Helpers ----------------------------------------------------------------------------------


def _user(actor: Actor) -> User:
    user = actor.user
    if user is None:
        raise role_forbidden(TWIN_ROLES)
    return user


def _event(
    run: TwinRun | None,
    scenario: TwinScenario | None,
    action: str,
    actor: Actor,
    now: datetime,
    *,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    TwinEvent.objects.create(
        run=run, scenario=scenario, **audit_values(action, actor, now, reason=reason, data=data)
    )
