"""The engine's own guarantees: the same seed gives the same run, and its bookkeeping of trucks
in the system and the yard agrees with each truck's own times (Little's law, L = λW)."""

from __future__ import annotations

from dataclasses import replace
from random import Random

import pytest

from cuakhau.twin.engine import Simulation
from cuakhau.twin.results import summarise
from cuakhau.twin.scenario import Scenario, load_scenario, parse_scenario


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


def small(extra: str = "", *, per_day: float = 480, days: int = 6, step: str = "") -> Scenario:
    """One passage, general goods unless the mix says otherwise, one 10-lane step of 5 min."""
    return parse_scenario(
        f"""
[scenario]
name = "small"
start = 2025-01-06
days = {days}
[arrivals]
kind = "poisson"
per_day = {per_day}
{extra}
{
            step
            or '''[[steps]]
name = "customs"
manual = { lanes = 10, service = 5 }'''
        }
"""
    )


def run(scenario: Scenario, seed: int = 1):
    return Simulation(scenario, Random(seed)).run()


def test_a_full_yard_sends_trucks_to_wait_on_the_road():
    scenario = small(
        """
[[yards]]
code = "XC"
capacity = 20
[dispatch]
calls_per_hour = 10
"""
    )
    result = run(scenario)
    # 20 trucks an hour arrive and 10 are called: the yard fills and the rest wait outside.
    assert result.yard_max["XC"] == 20
    assert max(result.hourly_road) > 100
    assert len(result.hourly_waiting) == 6 * 24  # sampled at the end of every hour


def test_no_shows_go_back_to_the_queue_and_still_cross_later():
    scenario = small(
        """[dispatch]
no_show_probability = 0.3
call_expiry_minutes = 30
"""
    )
    result = run(scenario)
    summary = summarise(result, scenario)["metrics"]
    calls = result.calls_made
    # About 30 % of calls are not answered; each returns the truck to the end of the queue.
    assert 0.2 < result.no_shows / calls < 0.4
    assert summary["throughput_per_day"] == pytest.approx(480, rel=0.05)
    assert result.system_area == pytest.approx(result.system_time_sum, rel=1e-9)
    # A truck that missed its call waited at least the expiry: the P99 wait shows it.
    assert summary["wait.all.p99"] >= 30


def test_the_partner_quota_caps_a_goods_group_each_day():
    scenario = small(
        """mix = { fruit = 0.5, general = 0.5 }
[partner]
quotas = [{ goods_group = "fruit", trucks_per_day = 100 }]
"""
    )
    result = run(scenario)
    summary = summarise(result, scenario)["metrics"]
    # 240 fruit trucks a day arrive, 100 are accepted: fruit piles up, general goods flow.
    assert summary["held_share.partner_quota"] > 0.5
    assert summary["wait.fruit.p50"] > 12 * 60
    assert summary["wait.general.p90"] < 30
    assert summary["throughput_per_day"] == pytest.approx(240 + 100, rel=0.06)


def test_a_closure_stops_the_calls_for_its_hours():
    scenario = small(
        """[hours]
closures = [{ from = 2025-01-08T00:00:00, to = 2025-01-09T00:00:00, reason = "Tết" }]
"""
    )
    result = run(scenario)
    assert result.calls_daily[2] == 0
    assert result.calls_daily[1] > 400
    # The next day clears the backlog at once (the step has room for it).
    assert result.calls_daily[3] > 800
    assert summarise(result, scenario)["metrics"]["held_share.closed"] == pytest.approx(
        1 / 6, abs=0.01
    )


def test_smart_lanes_take_eligible_goods_and_holds_pull_manual_lane_trucks_aside():
    scenario = small(
        """mix = { fruit = 0.5, general = 0.5 }""",
        step="""[[steps]]
name = "customs"
manual = { lanes = 10, service = 10 }
smart = { lanes = 2, service = 1, eligible = ["fruit"], share = 0.9 }
hold = { probability = 0.1, minutes = 60 }
""",
    )
    result = run(scenario)
    m = summarise(result, scenario)["metrics"]
    # 240 fruit trucks a day, 90 % of them on the smart lanes at 1 min: 216 min on 2 lanes.
    assert m["step.customs.utilisation_smart"] == pytest.approx(216 / (2 * 1440), rel=0.1)
    # 264 trucks on manual lanes at 10 min on 10 lanes.
    assert m["step.customs.utilisation_manual"] == pytest.approx(264 * 10 / (10 * 1440), rel=0.1)
    # A tenth of the manual-lane trucks is held (264 of 480); device-cleared trucks are not.
    assert m["step.customs.held_share"] == pytest.approx(0.1 * 264 / 480, abs=0.015)
    # Time at the step: service (216 × 1 + 264 × 10 min over 480 trucks) plus the held ones'
    # hour.
    assert m["step.customs.time_mean"] == pytest.approx(
        (216 + 2640) / 480 + 0.1 * 264 / 480 * 60, rel=0.1
    )
