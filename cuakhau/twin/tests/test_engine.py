"""The engine's own guarantees: the same seed gives the same run, and its bookkeeping of trucks
in the system and the yard agrees with each truck's own times (Little's law, L = λW)."""

from __future__ import annotations

from dataclasses import replace
from random import Random

import pytest

from cuakhau.twin.engine import Simulation
from cuakhau.twin.results import summarise
from cuakhau.twin.scenario import load_scenario


@pytest.fixture(scope="module")
def huu_nghi():
    return replace(load_scenario("huu-nghi-2025"), days=10, warmup_days=1)


def test_the_same_seed_gives_the_same_run(huu_nghi):
    first = summarise(Simulation(huu_nghi, Random(7)).run(), huu_nghi)
    again = summarise(Simulation(huu_nghi, Random(7)).run(), huu_nghi)
    other = summarise(Simulation(huu_nghi, Random(8)).run(), huu_nghi)
    assert first == again
    assert first["metrics"]["throughput_per_day"] != other["metrics"]["throughput_per_day"]


def test_littles_law_holds_for_the_system_and_the_yard(huu_nghi):
    run = Simulation(huu_nghi, Random(3)).run()
    assert run.arrived > 5000
    assert run.system_area == pytest.approx(run.system_time_sum, rel=1e-9)
    assert run.yard_area == pytest.approx(run.yard_time_sum, rel=1e-9)
    metrics = summarise(run, huu_nghi)["metrics"]
    assert metrics["little.system.error"] < 1e-9
    # Every truck that arrived is waiting, inside, or has crossed.
    crossed = sum(run.crossed_daily)
    assert crossed + run.waiting_at_end <= run.arrived
    assert metrics["throughput_per_day"] == pytest.approx(870, rel=0.1)
