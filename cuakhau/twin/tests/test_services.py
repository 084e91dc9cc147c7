"""The twin's runs as a leader asks for them and a worker carries them out: a bad scenario is
refused with its fields and stores nothing; a queued run is claimed by exactly one worker, its
progress is written as it goes, and it ends done with its result or failed with the reason —
never stuck running, even when its worker dies."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from cuakhau.accounts.roles import Role
from cuakhau.conftest import make_user
from cuakhau.core.actors import Actor
from cuakhau.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from cuakhau.twin import runner, services
from cuakhau.twin.models import TwinEvent, TwinRun, TwinScenario
from cuakhau.twin.tests.helpers import SHIPPED, request_run, save_scenario, short_toml, with_line


def stored() -> tuple[int, int, int]:
    return TwinRun.objects.count(), TwinScenario.objects.count(), TwinEvent.objects.count()


def fields_of(error: InvalidInput) -> set[str]:
    return {e.path for e in error.errors}


# --- Asking for a run -------------------------------------------------------------------------


def test_a_run_is_queued_with_the_exact_text_and_who_asked(leader: Any) -> None:
    # Given a short scenario
    text = short_toml()

    # When the leader asks for a run of it
    run = request_run(leader, toml=text, replications=2)

    # Then it waits for a worker, with the text as given, and the request is on record
    assert (run.status, run.progress, run.kind) == ("queued", 0.0, "simulate")
    assert run.toml == text
    assert run.scenario_name == "Hữu Nghị 2025 (hiện trạng / today)"
    assert (run.source, run.replications, run.requested_by) == ("text", 2, leader)
    event = TwinEvent.objects.get(run=run)
    assert (event.action, event.actor, event.actor_label) == ("requested", leader, "lanh")


def test_a_shipped_scenario_runs_by_name_with_its_own_replications(administrator: Any) -> None:
    run = services.twin_run_request(actor=Actor.of(administrator), scenario=SHIPPED)
    assert run.source == f"shipped:{SHIPPED}"
    assert run.toml == services.shipped_text(SHIPPED)
    assert run.replications == services.scenario_check(run.toml).replications


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        (lambda t: with_line(t, "days", "0"), {"toml.scenario.days"}),
        (
            lambda t: with_line(with_line(t, "days", "-2"), "per_day", '"nhiều"'),
            {"toml.scenario.days", "toml.arrivals.per_day"},
        ),
        (lambda t: t.replace("[arrivals]", "[arrivals", 1), {"toml"}),
        (lambda t: t + "\n[surprise]\nx = 1\n", {"toml.surprise"}),
    ],
    ids=["no days", "two bad fields", "not TOML", "an unknown table"],
)
def test_a_bad_scenario_is_refused_with_its_fields_and_nothing_is_stored(
    leader: Any, change: Any, fields: set[str]
) -> None:
    before = stored()
    with pytest.raises(InvalidInput) as refused:
        request_run(leader, toml=change(short_toml()))
    assert fields <= fields_of(refused.value)
    # Every field's message comes in the three languages.
    assert all(e.message.vi and e.message.en and e.message.zh for e in refused.value.errors)
    assert stored() == before


def test_a_scenario_may_not_make_the_server_read_other_files(leader: Any) -> None:
    # A replayed history is read from the shipped scenarios folder only: a leader's text cannot
    # point at the server's own files (whose lines would come back in the error message).
    text = with_line(short_toml(), "kind", '"replay"').replace(
        "per_day = 870", 'replay = "../../../../../etc/passwd"', 1
    )
    before = stored()
    with pytest.raises(InvalidInput) as refused:
        request_run(leader, toml=text)
    assert fields_of(refused.value) == {"toml.arrivals.replay"}
    assert "root" not in str([e.message.en for e in refused.value.errors])
    assert stored() == before


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"toml": None}, {"scenario"}),
        ({"scenario": "khong-co"}, {"scenario"}),
        ({"scenario": SHIPPED}, {"scenario", "toml"}),  # and the default text: two sources
        ({"replications": 0}, {"replications"}),
        ({"replications": services.MAX_REPLICATIONS + 1}, {"replications"}),
        ({"target": 1200}, {"target"}),  # a target is for a capacity search
        ({"kind": "guess"}, {"kind"}),
    ],
)
def test_requests_the_rules_refuse_store_nothing(
    leader: Any, fields: dict[str, Any], named: set[str]
) -> None:
    before = stored()
    with pytest.raises(InvalidInput) as refused:
        request_run(leader, **fields)
    assert named <= fields_of(refused.value)
    assert stored() == before


def test_an_unknown_saved_scenario_is_not_found(leader: Any) -> None:
    with pytest.raises(NotFound):
        request_run(leader, toml=None, scenario_id=2**40)


@pytest.mark.parametrize(
    "persona", ["exporter", "gate_operator", "customs_officer", "border_guard", "plant_officer"]
)
def test_only_leaders_and_administrators_use_the_twin(persona: str, request: Any, db: Any) -> None:
    user = request.getfixturevalue(persona)
    before = stored()
    with pytest.raises(NotAllowed):
        request_run(user)
    with pytest.raises(NotAllowed):
        save_scenario(user)
    assert stored() == before


def test_one_person_cannot_flood_the_workers(leader: Any, administrator: Any) -> None:
    for _ in range(services.MAX_OPEN_RUNS):
        request_run(leader)
    with pytest.raises(Conflict):
        request_run(leader)
    # Others are not held back by it.
    assert request_run(administrator).status == "queued"


# --- Saved scenarios --------------------------------------------------------------------------


def test_a_copy_of_a_shipped_scenario_is_saved_edited_and_recorded(leader: Any) -> None:
    saved = save_scenario(leader, "Hữu Nghị thêm làn", based_on=SHIPPED)
    assert (saved.based_on, saved.created_by) == (SHIPPED, leader)
    edited = with_line(saved.toml, "per_day", "1100")
    again = services.twin_scenario_save(
        actor=Actor.of(leader), name=saved.name, toml=edited, scenario_id=saved.pk
    )
    assert again.pk == saved.pk
    assert TwinScenario.objects.get().toml == edited
    actions = list(TwinEvent.objects.filter(scenario=saved).values_list("action", flat=True))
    assert actions == ["scenario_created", "scenario_saved"]


def test_a_saved_scenario_must_be_valid_and_its_name_free(leader: Any) -> None:
    save_scenario(leader, "Tân Thanh")
    before = stored()
    with pytest.raises(InvalidInput) as bad:
        save_scenario(leader, "Khác", toml=with_line(short_toml(), "days", "0"))
    assert "toml.scenario.days" in fields_of(bad.value)
    with pytest.raises(InvalidInput) as taken:
        save_scenario(leader, "Tân Thanh")
    assert fields_of(taken.value) == {"name"}
    with pytest.raises(InvalidInput) as blank:
        save_scenario(leader, "  ", toml="")
    assert fields_of(blank.value) == {"name", "toml"}
    assert stored() == before


def test_a_run_keeps_the_text_it_ran_after_its_scenario_changes(leader: Any) -> None:
    saved = save_scenario(leader)
    run = request_run(leader, toml=None, scenario_id=saved.pk)
    services.twin_scenario_save(
        actor=Actor.of(leader),
        name=saved.name,
        toml=with_line(saved.toml, "per_day", "2000"),
        scenario_id=saved.pk,
    )
    run.refresh_from_db()
    assert (run.source, run.saved_scenario) == (f"saved:{saved.pk}", saved)
    assert "per_day = 870" in run.toml


# --- The worker's side ------------------------------------------------------------------------


def test_a_worker_runs_the_oldest_run_to_its_result(leader: Any) -> None:
    first = request_run(leader, toml=short_toml(days=3))
    second = request_run(leader)

    done = services.twin_run_next(worker_label="worker-1", processes=1)

    assert done is not None and done.pk == first.pk
    assert (done.status, done.progress, done.error) == ("done", 1.0, "")
    assert done.started_at and done.finished_at and done.wall_seconds is not None
    metrics = done.result["metrics"]
    assert metrics["throughput_per_day"]["mean"] > 300
    assert {"mean", "half_width", "low", "high"} <= set(metrics["wait.all.p90"])
    assert done.result["replications"] == 2
    assert set(done.result["series"]) >= {"crossed_daily", "hourly_waiting"}
    assert list(done.events.values_list("action", "actor_label")) == [
        ("requested", "lanh"),
        ("started", "worker-1"),
        ("done", "worker-1"),
    ]
    assert TwinRun.objects.get(pk=second.pk).status == "queued"


def test_nothing_queued_means_nothing_to_do(db: Any) -> None:
    assert services.twin_run_next(worker_label="idle") is None


def test_progress_is_written_to_the_run_as_it_goes(
    leader: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a run whose replications report their progress
    run = request_run(leader)
    seen: list[tuple[str, float]] = []
    real = runner.run_replications

    def observed(scenario: Any, replications: Any, **options: Any) -> Any:
        progress = options["progress"]
        for fraction in (0.25, 0.6):
            progress(fraction)
            row = TwinRun.objects.get(pk=run.pk)
            seen.append((row.status, row.progress))
        return real(scenario, replications, **options)

    monkeypatch.setattr(services, "PROGRESS_SECONDS", 0.0)
    monkeypatch.setattr(runner, "run_replications", observed)

    # When a worker runs it
    services.twin_run_next(worker_label="worker-1", processes=1)

    # Then whoever looks at the run meanwhile sees it running and how far it got
    assert seen == [("running", 0.25), ("running", 0.6)]
    assert TwinRun.objects.get(pk=run.pk).progress == 1.0


def test_progress_writes_are_throttled(leader: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    run = request_run(leader)
    claimed = services.twin_run_claim(worker_label="w")
    assert claimed is not None and claimed.pk == run.pk
    progress = services._Progress(claimed)
    progress(0.1)
    progress(0.5)  # within half a second of the last write: not written
    assert TwinRun.objects.get(pk=run.pk).progress == 0.1


def test_a_failing_run_ends_failed_with_the_reason(
    leader: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = request_run(leader)

    def broken(*args: Any, **kwargs: Any) -> Any:
        kwargs["progress"](0.4)
        raise RuntimeError("the engine ran out of trucks")

    monkeypatch.setattr(runner, "run_replications", broken)
    failed = services.twin_run_next(worker_label="worker-1", processes=1)

    assert failed is not None and failed.pk == run.pk
    assert failed.status == "failed"
    assert failed.error == "RuntimeError: the engine ran out of trucks"
    assert failed.finished_at is not None and failed.result is None
    assert failed.events.last().action == "failed"
    # The next worker round does not take it again.
    assert services.twin_run_next(worker_label="worker-2") is None


def test_a_run_whose_text_no_longer_parses_fails_with_the_fields(leader: Any) -> None:
    run = request_run(leader)
    TwinRun.objects.filter(pk=run.pk).update(toml=with_line(run.toml, "days", "0"))
    failed = services.twin_run_next(worker_label="w", processes=1)
    assert failed is not None and failed.status == "failed"
    assert "scenario.days" in failed.error


def test_a_run_whose_worker_died_is_taken_back_then_failed(leader: Any) -> None:
    # Given a run claimed by a worker that then died (its heartbeat stops)
    run = request_run(leader)
    dead = services.twin_run_claim(worker_label="dead-1")
    assert dead is not None
    later = timezone.now() + services.LEASE + timedelta(minutes=1)

    # When the lease has run out, it is queued again for another worker
    assert services.twin_runs_recover(now=later) == 1
    row = TwinRun.objects.get(pk=run.pk)
    assert (row.status, row.worker, row.progress) == ("queued", "", 0.0)

    # …and the dead worker, were it to wake up, can no longer write to it
    services._Progress(dead)(0.9)
    services._finish(dead, "done", result={"x": 1}, action="done")
    assert TwinRun.objects.get(pk=run.pk).status == "queued"

    # When the second worker dies too, the run fails for good with the reason
    again = services.twin_run_claim(worker_label="dead-2")
    assert again is not None and again.attempts == 2
    assert services.twin_runs_recover(now=later + services.LEASE * 2) == 1
    row = TwinRun.objects.get(pk=run.pk)
    assert row.status == "failed"
    assert "stopped" in row.error
    actions = list(row.events.order_by("pk").values_list("action", flat=True))
    assert actions == ["requested", "started", "requeued", "started", "failed"]


def test_a_live_run_is_not_taken_back(leader: Any) -> None:
    request_run(leader)
    services.twin_run_claim(worker_label="alive")
    assert services.twin_runs_recover() == 0
    assert TwinRun.objects.get().status == "running"


def test_results_keep_only_numbers_every_database_stores() -> None:
    assert services.finite({"a": [1.0, float("nan")], "b": float("inf"), "c": "x"}) == {
        "a": [1.0, None],
        "b": None,
        "c": "x",
    }


# --- Capacity search --------------------------------------------------------------------------


def test_a_capacity_search_finds_the_most_trucks_a_day(leader: Any) -> None:
    run = request_run(leader, toml=short_toml(days=2), kind="search", replications=2)
    done = services.twin_run_next(worker_label="w", processes=1)
    assert done is not None and done.pk == run.pk and done.status == "done", done.error
    result = done.result
    assert result["search"] == "max_volume"
    assert result["max_per_day"] > 0
    assert result["probes"] and all("sustained" in p for p in result["probes"])


def test_a_capacity_search_with_a_target_lists_the_changes(leader: Any) -> None:
    run = request_run(leader, toml=short_toml(days=2), kind="search", replications=2, target=1500)
    done = services.twin_run_next(worker_label="w", processes=1)
    assert done is not None and done.pk == run.pk and done.status == "done", done.error
    result = done.result
    assert result["search"] == "target"
    assert result["target_per_day"] == 1500
    assert result["changes"], (
        "1,500 trucks a day (above its 1,350-call plan) need changes to today's Hữu Nghị"
    )
    assert {"lever", "from", "to", "why"} <= set(result["changes"][0])


# --- Several workers at once ------------------------------------------------------------------


def run_together(count: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as error:  # the test reports it below
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_never_claim_the_same_run() -> None:
    # Given eight queued runs
    leader = make_user("lanh", Role.LEADER)
    ids = [request_run(leader).pk for _ in range(8)]

    # When four workers claim at the same moment, until nothing is left
    def claim_all(index: int) -> list[int]:
        mine = []
        while (run := services.twin_run_claim(worker_label=f"worker-{index}")) is not None:
            mine.append(run.pk)
        return mine

    claims = run_together(4, claim_all)

    # Then every run was claimed exactly once, by one worker
    assert all(isinstance(c, list) for c in claims), claims
    claimed = [pk for mine in claims for pk in mine]
    assert sorted(claimed) == sorted(ids)
    runs = TwinRun.objects.filter(pk__in=ids)
    assert {r.status for r in runs} == {"running"}
    assert {r.attempts for r in runs} == {1}
    for mine, index in zip(claims, range(4), strict=True):
        assert {r.worker for r in runs if r.pk in mine} <= {f"worker-{index}"}
    assert TwinEvent.objects.filter(action="started").count() == len(ids)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_side_by_side_run_every_run_once() -> None:
    leader = make_user("lanh", Role.LEADER)
    ids = [request_run(leader, toml=short_toml(days=2)).pk for _ in range(3)]

    def work(index: int) -> list[int]:
        done = []
        while (run := services.twin_run_next(worker_label=f"w{index}", processes=1)) is not None:
            done.append(run.pk)
        return done

    results = run_together(2, work)
    assert all(isinstance(r, list) for r in results), results
    assert sorted(pk for done in results for pk in done) == sorted(ids)
    assert set(TwinRun.objects.values_list("status", flat=True)) == {"done"}
    assert TwinEvent.objects.filter(action="started").count() == 3


def test_the_demo_comes_with_one_finished_run(leader: Any) -> None:
    run = services.twin_demo_run(leader)
    assert run is not None and run.status == "done", run and run.error
    assert run.source == f"shipped:{services.SHIPPED_DEMO}" and run.replications == 2
    assert run.result["metrics"]["throughput_per_day"]["mean"] > 0
