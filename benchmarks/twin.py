"""The digital twin: a year of Hữu Nghị on one core, the SimPy reference, the call forecast,
and the engine against Erlang C at heavy load.

Run ``.venv/bin/python benchmarks/twin.py`` (about 3–4 minutes on 2 cores).

- ``twin_year_*``: one ``engine.Simulation(...).run()`` in this process (no pool) of
  ``huu-nghi-2025`` for 365 days without warm-up — about 320,000 trucks through the live dispatch
  policy, three control steps, no-shows, holds and working hours.
- ``twin_reference_*``: the same year with ``twin.reference.run_reference`` (plain SimPy, a
  process per truck), timed over ``--reference-days`` (365) and scaled to the year if shorter;
  ``twin_speedup`` is the reference's time over the engine's.
- ``twin_forecast_2000x50_s``: ``twin.forecast.forecast_calls(example_state(2000),
  replications=50)`` — the call-up forecast for a queue of 2,000 trucks (on every core).
- ``twin_erlang_c<c>_rho095_*``: M/M/c at load 0.95 for c = 1, 4, 16 — replications on every
  core through ``runner.run_replications`` with ``--erlang-trucks`` (5,000,000) measured trucks
  per case; the mean yard wait with its 95 % half-width against Erlang C.

One figure a line, ``name: value``, then ``#`` lines with the targets. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python benchmarks/twin.py` from anywhere

from cuakhau.twin.engine import Simulation  # noqa: E402 - needs the path above
from cuakhau.twin.reference import run_reference  # noqa: E402
from cuakhau.twin.results import erlang_c_wait  # noqa: E402
from cuakhau.twin.runner import cores, run_replications  # noqa: E402
from cuakhau.twin.scenario import DAY, MINUTE, Scenario, load_scenario, mmc_scenario  # noqa: E402

SEED = 2025
YEAR = 365
ERLANG_LOAD = 0.95
ERLANG_SERVERS = (1, 4, 16)
ERLANG_PER_DAY = 10_000  # trucks a day in the M/M/c runs (only the number of trucks matters)
ERLANG_REPLICATIONS = 10

TARGET_YEAR_S = 5.0
TARGET_SPEEDUP = 5.0


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def year_of(name: str, days: int = YEAR) -> Scenario:
    return replace(load_scenario(name), days=days, warmup_days=0)


def bench_year() -> tuple[float, int]:
    """(seconds, trucks) of one engine run of a year, in this process."""
    scenario = year_of("huu-nghi-2025")
    started = time.perf_counter()
    run = Simulation(scenario, Random(SEED)).run()
    return time.perf_counter() - started, run.arrived


def bench_reference(days: int) -> tuple[float, int]:
    """(seconds, trucks) of the SimPy reference over ``days``."""
    scenario = year_of("huu-nghi-2025", days)
    started = time.perf_counter()
    result = run_reference(scenario, SEED)
    return time.perf_counter() - started, result.arrived


def bench_forecast() -> tuple[float, int]:
    # Written by the forecast's owner; a missing module fails the benchmark, as it should.
    from cuakhau.twin.forecast import example_state, forecast_calls

    state = example_state(2000)
    started = time.perf_counter()
    forecasts = forecast_calls(state, replications=50)
    return time.perf_counter() - started, len(forecasts)


def mmc(servers: int, load: float, measured_days: int) -> Scenario:
    """M/M/c as a gate, measured after a day of warm-up."""
    return mmc_scenario(
        servers, load, per_day=ERLANG_PER_DAY, days=measured_days + 1, warmup_days=1
    )


def bench_erlang(servers: int, trucks: int) -> tuple[float, float, float, float]:
    """(simulated mean wait, its 95 % half-width, Erlang C, wall seconds), in minutes."""
    measured_days = max(1, round(trucks / ERLANG_PER_DAY / ERLANG_REPLICATIONS))
    scenario = mmc(servers, ERLANG_LOAD, measured_days)
    per_minute = ERLANG_PER_DAY / (DAY / MINUTE)
    service = ERLANG_LOAD * servers / per_minute
    theory = erlang_c_wait(servers, per_minute, 1 / service)
    result = run_replications(scenario, ERLANG_REPLICATIONS, seed=SEED)
    wait = result["metrics"]["wait.all.mean"]
    return wait["mean"], wait["half_width"], theory, result["wall_seconds"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reference-days",
        type=int,
        default=YEAR,
        help="days the SimPy reference is timed over, scaled to the year (365)",
    )
    parser.add_argument(
        "--erlang-trucks",
        type=int,
        default=5_000_000,
        help="measured trucks per M/M/c case at load 0.95 (5,000,000)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 3 when a target is missed"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    load = os.getloadavg()[0]

    log("a year of huu-nghi-2025 on one core")
    year_s, trucks = bench_year()
    print(f"twin_year_s: {year_s:.2f}")
    print(f"twin_year_trucks: {trucks}")
    print(f"twin_year_trucks_per_s: {trucks / year_s:.0f}")

    days = max(1, min(YEAR, args.reference_days))
    log(f"the SimPy reference over {days} days")
    reference_s, reference_trucks = bench_reference(days)
    reference_year_s = reference_s * YEAR / days
    print(f"twin_reference_days_timed: {days}")
    print(f"twin_reference_year_s: {reference_year_s:.2f}")
    print(f"twin_reference_trucks_per_s: {reference_trucks / reference_s:.0f}")
    speedup = reference_year_s / year_s
    print(f"twin_speedup: {speedup:.1f}")

    log("the call-up forecast for 2,000 waiting trucks, 50 replications")
    forecast_s, forecast_trucks = bench_forecast()
    print(f"twin_forecast_2000x50_s: {forecast_s:.2f}")
    print(f"twin_forecast_2000x50_trucks: {forecast_trucks}")

    for servers in ERLANG_SERVERS:
        log(f"M/M/{servers} at load {ERLANG_LOAD} on {cores()} cores")
        sim, half, theory, wall = bench_erlang(servers, args.erlang_trucks)
        name = f"twin_erlang_c{servers}_rho095"
        print(f"{name}_sim_min: {sim:.4f}")
        print(f"{name}_half_width_min: {half:.4f}")
        print(f"{name}_theory_min: {theory:.4f}")
        print(f"{name}_error_pct: {(sim / theory - 1) * 100:+.2f}")
        print(f"{name}_half_width_pct: {half / theory * 100:.2f}")
        print(f"# {name}: {args.erlang_trucks:,} trucks in {wall:.0f} s")

    met_year = year_s < TARGET_YEAR_S
    met_speedup = speedup >= TARGET_SPEEDUP
    print(f"# year target < {TARGET_YEAR_S:.0f} s on one core: {'met' if met_year else 'MISSED'}")
    print(
        f"# speedup target ≥ {TARGET_SPEEDUP:.0f}× the SimPy reference: "
        f"{'met' if met_speedup else 'MISSED'}"
    )
    print(f"# load average before the run: {load:.2f}")
    log(f"done in {time.monotonic() - started:.0f} s")
    return 3 if args.strict and not (met_year and met_speedup) else 0


if __name__ == "__main__":
    sys.exit(main())
