"""Replications of a scenario, in parallel on every core, with progress.

Pure Python (no Django). Replication ``i`` uses ``random.Random(seed + i)``: the same scenario
and seed give the same result whatever the number of processes. Workers return summaries,
not raw rows, so a year of trucks never crosses a process boundary.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from random import Random
from typing import Any

from cuakhau.twin.engine import Simulation
from cuakhau.twin.results import aggregate, summarise
from cuakhau.twin.scenario import Scenario

Progress = Callable[[float], None]

# Each worker's progress (0–1) per replication, shared with the parent (set per pool).
_shared_progress: Any = None


@dataclass(frozen=True, slots=True)
class Job:
    scenario: Scenario
    index: int
    seed: int
    per_day: float | None = None


def run_one(job: Job, progress: Progress | None = None) -> dict[str, Any]:
    """One replication, summarised."""
    simulation = Simulation(
        job.scenario, Random(job.seed), per_day=job.per_day, progress=progress, seed=job.seed
    )
    return summarise(simulation.run(), job.scenario)


def _init_worker(shared: Any) -> None:
    global _shared_progress
    _shared_progress = shared


def _run_in_worker(job: Job) -> dict[str, Any]:
    shared = _shared_progress

    def report(fraction: float) -> None:
        if shared is not None:
            shared[job.index] = fraction

    return run_one(job, report)


def pool_context() -> multiprocessing.context.BaseContext:
    """How to start worker processes: forked (fast) from a single-threaded process; from a
    server process otherwise, because a fork copies only the calling thread and could inherit a
    lock another thread holds (the platform's worker runs the twin beside its main loop)."""
    if os.name != "posix":
        return multiprocessing.get_context("spawn")
    return multiprocessing.get_context("fork" if threading.active_count() == 1 else "forkserver")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_replications(
    scenario: Scenario,
    replications: int | None = None,
    *,
    seed: int | None = None,
    per_day: float | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run the replications and return the aggregate (``results.aggregate``) with the run's
    facts: scenario name, seed, replications, volume, wall time."""
    count = replications or scenario.replications
    base = scenario.seed if seed is None else seed
    jobs = [Job(scenario, i, base + i, per_day) for i in range(count)]
    processes = min(count, workers or cores())
    started = time.perf_counter()
    if processes <= 1:
        summaries = []
        for job in jobs:

            def report(fraction: float, done: int = job.index) -> None:
                if progress is not None:
                    progress((done + fraction) / count)

            summaries.append(run_one(job, report))
    else:
        summaries = _in_pool(jobs, processes, progress)
    result = aggregate(summaries)
    result.update(
        scenario=scenario.name,
        seed=base,
        per_day=scenario.arrivals.per_day if per_day is None else per_day,
        days=scenario.days,
        warmup_days=scenario.warmup_days,
        wall_seconds=time.perf_counter() - started,
        processes=processes,
    )
    return result


def _in_pool(jobs: list[Job], processes: int, progress: Progress | None) -> list[dict[str, Any]]:
    context = pool_context()
    shared = context.Array("d", len(jobs), lock=False)
    results: dict[int, dict[str, Any]] = {}
    with ProcessPoolExecutor(
        max_workers=processes, mp_context=context, initializer=_init_worker, initargs=(shared,)
    ) as pool:
        pending: dict[Future[dict[str, Any]], int] = {
            pool.submit(_run_in_worker, job): job.index for job in jobs
        }
        while pending:
            done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                results[index] = future.result()
                shared[index] = 1.0
            if progress is not None:
                progress(sum(shared) / len(jobs))
    return [results[i] for i in range(len(jobs))]
