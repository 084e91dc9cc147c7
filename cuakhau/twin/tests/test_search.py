"""Capacity search: the largest sustained volume of a gate whose capacity is known by hand, the
plan that lifts a gate to a target by the lever its bottleneck names, and a partner's quota
reported as the limit nobody on our side can lift."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from cuakhau.core.errors import InvalidInput
from cuakhau.twin.runner import run_replications
from cuakhau.twin.scenario import MINUTE, load_scenario, parse_scenario
from cuakhau.twin.search import (
    Probe,
    assess,
    configuration,
    hours_text,
    lane_limit,
    lane_rates,
    max_volume,
    partner_shortfall,
    plan_for_target,
)

# One step, two lanes, exactly 10 minutes a truck, open round the clock: the lanes clear
# 2 × 6 = 12 trucks an hour, 288 a day, and nothing else limits (calls are not capped). The
# control area holds 4 trucks (2 in service, 2 waiting for a lane), so the queue forms in the yard.
ONE_STEP = """
[scenario]
name = "one step, two lanes"
start = 2025-01-06
days = 21
warmup_days = 3
seed = 11
replications = 4

[arrivals]
kind = "poisson"
per_day = 200

[dispatch]
control_area_room = 4

[[steps]]
name = "check"
manual = { lanes = 2, service = 10 }

[results]
wait_bound_hours = 4
"""

FAST = {"replications": 4, "days": 21, "warmup_days": 3}


@pytest.fixture(scope="module")
def one_step():
    return parse_scenario(ONE_STEP)


@pytest.fixture(scope="module")
def volume(one_step):
    fractions: list[float] = []
    result = max_volume(one_step, progress=fractions.append, **FAST)
    return result, fractions


def test_the_sustained_volume_lies_where_queueing_theory_puts_it(volume):
    result, _ = volume
    # Above 288 a day the lanes cannot keep up (utilisation > 1): never sustained. At 250 a day
    # (utilisation 0.87) even M/M/2 — exponential, slower to clear than our deterministic
    # 10 minutes — keeps the P90 wait at ln(10·C)/(cμ − λ) = ln(8.07)/1.58 h ≈ 80 minutes, a
    # third of the 4 h bound: sustained with room for the confidence interval. The search must
    # land in between, within its resolution.
    assert 250 <= result.max_per_day <= 288
    assert result.wait_bound_minutes == 240
    assert not result.capped
    assert result.bottleneck == "check.manual"
    sustained = [p for p in result.probes if p.sustained]
    failed = [p for p in result.probes if not p.sustained]
    assert sustained and failed
    assert max(p.per_day for p in sustained) == result.max_per_day
    # The bracket closed to the resolution: the next volume up was tried and failed.
    assert min(p.per_day for p in failed) - result.max_per_day <= result.resolution
    for probe in sustained:
        assert probe.wait_p90_high <= 240
        assert probe.throughput_per_day >= 0.97 * probe.arrivals_per_day
    # Past the lanes' capacity the gate clears 288 a day and no more.
    beyond = [p for p in failed if p.per_day >= 295]
    assert beyond
    for probe in beyond:
        assert probe.throughput_per_day == pytest.approx(288, rel=0.02)
        assert {"wait", "queue", "throughput"} <= set(probe.failed)


def test_the_volume_search_is_a_json_table_and_reports_progress(volume):
    result, fractions = volume
    data = json.loads(json.dumps(result.as_dict()))
    assert data["max_per_day"] == result.max_per_day
    assert len(data["probes"]) == len(result.probes)
    assert [row["per_day"] for row in data["table"]] == sorted(p.per_day for p in result.probes)
    row = data["probes"][0]
    assert {"per_day", "throughput_per_day", "wait_p90_minutes", "sustained", "bottleneck"} <= set(
        row
    )
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert 0 < fractions[0] < 1


def test_the_volume_search_is_deterministic_for_a_seed(one_step):
    quick = {"replications": 2, "days": 8, "warmup_days": 1, "start": 260, "resolution": 20}
    first = max_volume(one_step, **quick)
    again = max_volume(one_step, **quick)
    assert first.as_dict() == again.as_dict()
    other = max_volume(one_step, seed=99, **quick)
    assert other.as_dict()["probes"][0] != first.as_dict()["probes"][0]


def test_a_target_above_capacity_gets_the_lane_its_bottleneck_names(one_step):
    plan = plan_for_target(one_step, 400, **FAST)
    # 400 a day against 288: the lanes are the bottleneck, so the first change adds one.
    assert not plan.start.sustained
    assert plan.start.bottleneck == "check.manual"
    first = plan.changes[0]
    assert (first.lever, first.resource, first.before, first.after) == (
        "lanes",
        "check.manual",
        2,
        3,
    )
    assert first.why.en.startswith("check.manual lanes are the bottleneck")
    assert first.why.vi and first.why.zh
    assert plan.reached and plan.limited_by == ""
    assert plan.changes[-1].result is not None and plan.changes[-1].result.sustained
    # Three lanes clear 432 a day: enough for 400.
    assert plan.final.steps[0].manual.lanes >= 3
    assert plan.final.days == one_step.days
    data = json.loads(json.dumps(plan.as_dict()))
    assert data["changes"][0]["from"] == 2 and data["changes"][0]["to"] == 3
    assert data["configuration"]["steps"][0]["manual"]["lanes"] == plan.final.steps[0].manual.lanes
    assert set(data["changes"][0]["why"]) == {"vi", "en", "zh"}


def test_a_target_already_sustained_needs_no_change(one_step):
    plan = plan_for_target(one_step, 150, **FAST)
    assert plan.reached and plan.changes == ()
    assert plan.final.steps == one_step.steps


def test_lanes_past_the_sites_room_are_cut_in_minutes_instead():
    text = ONE_STEP.replace("manual = { lanes = 2,", "manual = { lanes = 2, max_lanes = 2,")
    plan = plan_for_target(parse_scenario(text), 320, max_changes=1, **FAST)
    (change,) = plan.changes
    assert (change.lever, change.resource, change.before, change.after) == (
        "minutes_per_truck",
        "check.manual",
        10.0,
        9.0,
    )
    assert plan.final.steps[0].manual.service.expected == pytest.approx(9 * MINUTE)
    assert plan.limited_by == "steps" and not plan.reached


def test_short_hours_are_extended_toward_24_hours():
    # Open 06:00–22:00 with lanes to spare: a third of the trucks arrive at night and wait up to
    # 8 hours, so the P90 wait is past the 4 h bound whatever the lanes do.
    hours = '[hours]\nweekly = { daily = [["06:00", "22:00"]] }\n\n[[steps]]'
    text = ONE_STEP.replace("[[steps]]", hours)
    text = text.replace("lanes = 2, service = 10", "lanes = 4, service = 10")
    text = text.replace("control_area_room = 4", "control_area_room = 8")
    plan = plan_for_target(parse_scenario(text), 150, **FAST)
    assert plan.start.bottleneck == "hours"
    first = plan.changes[0]
    assert (first.lever, first.before, first.after) == ("hours", "06:00–22:00", "05:00–23:00")
    assert "partner side must agree" in first.why.en
    assert plan.reached
    assert all(change.lever == "hours" for change in plan.changes)
    assert hours_text(plan.final) == plan.changes[-1].after


PARTNER_BOUND = (
    ONE_STEP.replace(
        'kind = "poisson"\nper_day = 200',
        'kind = "poisson"\nper_day = 200\nmix = { fruit = 0.5, general = 0.5 }',
    )
    .replace(
        "[results]",
        '[partner]\nquotas = [{ goods_group = "fruit", trucks_per_day = 50 }]\n\n[results]',
    )
    .replace("lanes = 2, service = 10", "lanes = 4, service = 10")
)


def test_a_partner_quota_is_reported_as_the_limit_not_fixed():
    scenario = parse_scenario(PARTNER_BOUND)
    # 100 fruit trucks a day arrive; the partner takes 50. Lanes clear 576 a day.
    assert partner_shortfall(scenario) == {"fruit": (pytest.approx(100.0), 50.0)}
    plan = plan_for_target(scenario, 200, **FAST)
    assert not plan.reached and plan.limited_by == "partner"
    (change,) = plan.changes
    assert change.lever == "partner" and change.resource == "partner.fruit"
    assert "cannot be fixed on our side" in change.why.en
    assert change.result is None
    assert plan.final.steps == scenario.steps  # nothing on our side was changed
    assert plan.start.bottleneck == "partner"


def test_a_partner_bound_gate_sustains_no_more_than_its_quota_allows():
    scenario = parse_scenario(PARTNER_BOUND)
    result = max_volume(scenario, replications=3, days=14, warmup_days=2)
    # Half the trucks are fruit and 50 fruit trucks a day cross: about 100 a day at most (the
    # bisection's step and a fortnight's noise allow a little over), far below the 576 the
    # lanes clear.
    assert 40 <= result.max_per_day <= 110
    assert result.bottleneck == "partner"


def test_lane_rates_and_limits_follow_the_configuration():
    today = load_scenario("huu-nghi-2025")
    rates = lane_rates(today)
    # 5 lanes × 60 / 3 min; 8 × 60 / 5; 4 × 60 / 6 for the 40 % fruit and vegetables.
    assert rates["border_guard.manual"] == pytest.approx(100)
    assert rates["customs.manual"] == pytest.approx(96)
    assert rates["plant_quarantine.manual"] == pytest.approx(100)
    assert lane_limit(today.steps[1].manual) == 16
    smart = load_scenario("huu-nghi-smart-2027")
    smart_rates = lane_rates(smart)
    # Two thirds of trucks use manual lanes (pilot goods 55 %, of which 60 % match).
    assert smart_rates["customs.manual"] == pytest.approx(96 / (1 - 0.55 * 0.6))
    assert smart.dispatch.calls_per_hour <= min(smart_rates.values())
    config = configuration(smart)
    assert config["hours"] == "06:00–24:00"
    assert config["open_hours_per_week"] == 126
    assert math.isclose(config["lanes_clear_per_hour"], round(min(smart_rates.values()), 1))
    json.dumps(config)


def test_a_replayed_history_or_a_bad_target_is_refused(one_step, tmp_path):
    (tmp_path / "h.csv").write_text("arrived_at,goods_group\n2025-01-06T08:00,fruit\n")
    replay = parse_scenario(
        ONE_STEP.replace('kind = "poisson"\nper_day = 200', 'kind = "replay"\nreplay = "h.csv"'),
        base=tmp_path,
    )
    with pytest.raises(InvalidInput) as caught:
        max_volume(replay)
    assert caught.value.errors[0].path == "arrivals.kind"
    with pytest.raises(InvalidInput):
        plan_for_target(one_step, 0)


def test_a_probe_reads_the_runners_aggregate(one_step):
    short = replace(one_step, days=6, warmup_days=1)
    result = run_replications(short, 2, per_day=150)
    probe = assess(result, short, 150)
    assert isinstance(probe, Probe)
    assert probe.sustained and probe.failed == ()
    assert probe.throughput_per_day == pytest.approx(
        result["metrics"]["throughput_per_day"]["mean"]
    )
    assert probe.lane_use == {"check.manual": pytest.approx(150 * 10 / (2 * 1440), rel=0.15)}
