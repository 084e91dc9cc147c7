"""Scenario files: every shipped one loads, runs and says what it claims; a bad file is refused
with errors that name the field exactly, in three languages; the schema README documents every
key the parser accepts."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from random import Random
from typing import Any

import pytest

from cuakhau.core.errors import InvalidInput
from cuakhau.twin.engine import Simulation
from cuakhau.twin.results import summarise
from cuakhau.twin.scenario import (
    GROUPS,
    HOUR,
    MINUTE,
    SCENARIO_DIR,
    SCHEMA,
    WEEKDAYS,
    Scenario,
    load_scenario,
    parse_scenario,
    shipped_scenarios,
)

MINIMAL = """
[scenario]
name = "minimal"
start = 2025-01-06
days = 3

[arrivals]
per_day = 100

[[steps]]
name = "border_guard"
manual = { lanes = 1, service = 2 }

[[steps]]
name = "customs"
manual = { lanes = 2, service = { kind = "triangular", low = 2, mode = 4, high = 8 } }
"""

# Every key of the schema at least once (calls_per_hour is exclusive with lanes: see below).
FULL = """
[scenario]
name = "full"
description = "every field"
gate = "CKHN"
passage = "HN-1119"
start = 2025-01-06
days = 4
warmup_days = 1
seed = 3
replications = 2

[arrivals]
kind = "profile"
per_day = 300
hourly = [1, 1, 1, 1, 1, 2, 4, 6, 7, 7, 7, 6, 5, 5, 6, 6, 6, 5, 4, 3, 3, 2, 2, 1]
weekly = [1, 1, 1, 1, 1, 1, 0.9]
seasons = [{ from = 2025-01-07, to = 2025-01-08, factor = 1.5, goods = ["fruit"] }]
mix = { fruit = 0.3, vegetables = 0.1, electronics = 0.2, general = 0.4 }
booked_share = 0.2

[[yards]]
code = "XC"
capacity = 50
share = 0.5

[[yards]]
code = "VTLP"
capacity = 500
share = 0.5

[dispatch]
lanes = 3
minutes_per_vehicle = 4
control_area_room = 20
interval_minutes = 0
call_expiry_minutes = 30
no_show_probability = 0.02
green_lead_minutes = 120
slot_grace_minutes = 30
travel = { kind = "triangular", low = 2, mode = 3, high = 6 }

[hours]
closures = [{ from = 2025-01-08T12:00:00, to = 2025-01-08T14:00:00, reason = "event" }]

[hours.weekly]
daily = [["06:00", "24:00"]]
mon = [["07:00", "22:00"]]
tue = [["07:00", "22:00"]]
wed = [["07:00", "22:00"]]
thu = [["07:00", "22:00"]]
fri = [["07:00", "22:00"]]
sat = [["07:00", "12:00"], ["13:00", "22:00"]]
sun = []

[partner]
quotas = [{ goods_group = "fruit", trucks_per_day = 80, from = 2025-01-06, to = 2025-01-31 }]

[[steps]]
name = "customs"
agency = "customs"
applies_to = ["fruit", "vegetables", "electronics", "general"]
manual = { lanes = 3, max_lanes = 6, service = { kind = "lognormal", mean = 4, cv = 0.5 } }
hold = { probability = 0.05, minutes = { kind = "exponential", mean = 30 } }

[steps.smart]
lanes = 1
max_lanes = 4
service = { kind = "empirical", values = [1, 1.5, 2] }
eligible = ["fruit", "electronics"]
share = 0.7

[[steps]]
name = "plant_quarantine"
applies_to = ["fruit", "vegetables"]
manual = { lanes = 2, service = { kind = "deterministic", mean = 5 } }

[results]
shelf_life_hours = { fruit = 48, vegetables = 36, electronics = 720, general = 720 }
wait_bound_hours = 4
"""


def _run(scenario: Scenario, seed: int = 1, **kwargs: Any) -> dict[str, Any]:
    return summarise(Simulation(scenario, Random(seed), **kwargs).run(), scenario)


def _errors(text: str, base: Path | None = None) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        parse_scenario(text, base=base)
    assert caught.value.code == "scenario_invalid"
    for error in caught.value.errors:
        # Every message comes in Vietnamese, English and Chinese.
        texts = error.message.as_dict()
        assert all(texts[language] for language in ("vi", "en", "zh")), error
        assert len(set(texts.values())) == 3, error
    return {error.path: error.code for error in caught.value.errors}


# --- Shipped scenarios ---------------------------------------------------------------------------


def test_steps_must_be_a_list_of_tables():
    text = 'steps = "customs"\n' + MINIMAL.split("[[steps]]")[0]
    assert _errors(text) == {"steps": "type"}
    assert _errors(MINIMAL.split("[[steps]]")[0]) == {"steps": "required"}


def test_the_shipped_scenarios_are_the_documented_ones():
    names = {path.stem for path in shipped_scenarios()}
    assert {
        "huu-nghi-2025",
        "tan-thanh-2025",
        "huu-nghi-smart-2027",
        "huu-nghi-smart-2030",
        "fruit-season-peak",
        "partner-slowdown",
    } <= names
    readme = (SCENARIO_DIR / "README.md").read_text(encoding="utf-8")
    for name in names:
        assert f"`{name}.toml`" in readme


@pytest.mark.parametrize("path", shipped_scenarios(), ids=lambda p: p.stem)
def test_every_shipped_scenario_loads_and_runs(path):
    scenario = load_scenario(path)
    assert scenario.name and scenario.description and scenario.gate and scenario.passage
    assert scenario.source == path.read_text(encoding="utf-8")
    assert load_scenario(path.stem) == scenario
    short = replace(scenario, days=5, warmup_days=1)
    metrics = _run(short, seed=scenario.seed)["metrics"]
    assert metrics["arrivals_per_day"] > 0.8 * scenario.arrivals.per_day
    assert metrics["throughput_per_day"] > 0
    assert metrics["little.system.error"] < 1e-9


@pytest.mark.parametrize(
    ("name", "per_day"),
    [
        ("huu-nghi-2025", 870),
        ("tan-thanh-2025", 583),
        ("huu-nghi-smart-2027", 2200),
        ("huu-nghi-smart-2030", 3800),
        ("tan-thanh-smart-2027", 1000),
    ],
)
def test_stable_scenarios_clear_what_arrives_at_their_stated_volume(name, per_day):
    scenario = load_scenario(name)
    assert scenario.arrivals.per_day == per_day
    metrics = _run(replace(scenario, days=8, warmup_days=1), seed=scenario.seed)["metrics"]
    assert metrics["arrivals_per_day"] == pytest.approx(per_day, rel=0.08)
    assert metrics["throughput_per_day"] == pytest.approx(metrics["arrivals_per_day"], rel=0.05)
    assert metrics["waiting_at_end"] < 0.1 * per_day
    # Within the wait bound, or close to it (2030 at 3,800 a day is just past it).
    assert metrics["wait.all.p90"] < 1.25 * scenario.wait_bound / MINUTE


def test_todays_huu_nghi_tops_out_near_its_conventional_maximum_and_2027_far_above():
    today = replace(load_scenario("huu-nghi-2025"), days=7, warmup_days=1)
    smart = replace(load_scenario("huu-nghi-smart-2027"), days=7, warmup_days=1)
    # Demand well above today's conventional maximum of about 1,350 a day (domain.md §1).
    today_max = _run(today, per_day=2000)["metrics"]
    smart_max = _run(smart, per_day=2000)["metrics"]
    assert 1150 < today_max["throughput_per_day"] < 1400
    assert smart_max["throughput_per_day"] == pytest.approx(2000, rel=0.06)
    assert smart_max["throughput_per_day"] > 1.4 * today_max["throughput_per_day"]
    # At their own volumes: 2,200 against 870.
    assert (
        _run(smart)["metrics"]["throughput_per_day"]
        > 2.3 * _run(today)["metrics"]["throughput_per_day"]
    )
    # The smart lanes carry pilot goods only, and are used.
    assert _run(smart)["metrics"]["step.customs.utilisation_smart"] > 0.1


def test_the_2027_smart_gate_is_what_its_comments_say():
    smart = load_scenario("huu-nghi-smart-2027")
    today = load_scenario("huu-nghi-2025")
    assert 2000 <= smart.arrivals.per_day <= 2500
    for step in smart.steps:
        assert step.smart is not None
        assert step.smart.eligible <= {"fruit", "electronics"}
    # The conventional lanes are today's: the smart gate adds, it does not re-tune them.
    manual_today = {s.name: s.manual for s in today.steps}
    for step in smart.steps:
        if step.name in manual_today:
            assert step.manual == manual_today[step.name]
    hours = smart.weekly_hours[0][0]
    assert (hours[0].hour, hours[1].hour) == (6, 0)  # 06:00–24:00, longer than today's 07–22


def test_the_partner_slowdown_grows_a_fruit_backlog_that_outlives_its_shelf_life():
    scenario = load_scenario("partner-slowdown")
    season = load_scenario("fruit-season-peak")
    quota = scenario.quotas[0]
    assert (quota.goods_group, quota.trucks_per_day) == ("fruit", 100)
    run = Simulation(scenario, Random(5)).run()
    metrics = summarise(run, scenario)["metrics"]
    # The queue just before opening (06:00) each morning of the quota grows day after day by
    # several hundred trucks: the fruit China does not take.
    first_day = scenario.warmup_days
    morning = [run.hourly_waiting[(day - first_day) * 24 + 5] for day in range(first_day, 28)]
    quota_days = morning[(quota.starts - scenario.start).days - first_day + 2 :]
    assert all(b > a + 200 for a, b in pairwise(quota_days))
    assert metrics["waiting_at_end"] > 5000
    assert metrics["wait.fruit.p90"] > 5 * 24 * 60
    assert metrics["wait.fruit.p90"] > 10 * metrics["wait.general.p90"]
    assert metrics["shelf.fruit.over"] > 1000
    assert metrics["shelf.fruit.share"] > 0.3
    assert metrics["held_share.partner_quota"] > 0.2
    # The same season without the quota: far fewer fruit trucks beyond their shelf life.
    same_days = replace(season, days=scenario.days)
    without = _run(same_days, seed=5)["metrics"]
    assert without["held_share.partner_quota"] == 0
    assert without["shelf.fruit.share"] < metrics["shelf.fruit.share"] / 3
    assert without["throughput_per_day"] > metrics["throughput_per_day"] + 200


def test_the_fruit_season_lifts_fruit_and_overloads_todays_gate():
    season = load_scenario("fruit-season-peak")
    assert season.shelf_life["fruit"] == 48 * HOUR
    (peak,) = season.arrivals.seasons
    assert peak.groups == frozenset({"fruit"}) and peak.factor == 2.0
    metrics = _run(season, seed=2)["metrics"]
    normal = _run(replace(load_scenario("huu-nghi-2025"), days=season.days), seed=2)["metrics"]
    assert metrics["arrivals_per_day"] > 1.2 * normal["arrivals_per_day"]
    assert metrics["wait.fruit.p90"] > 3 * normal["wait.fruit.p90"]
    assert metrics["throughput_per_day"] < 0.98 * metrics["arrivals_per_day"]


# --- The schema ---------------------------------------------------------------------------------


def _keys_by_table(data: Any, path: str = "") -> dict[str, set[str]]:
    """The keys a parsed TOML document uses, under the SCHEMA's table names."""
    found: dict[str, set[str]] = {}
    if not isinstance(data, dict):
        return found
    found.setdefault(path, set()).update(data)
    for key, value in data.items():
        child = f"{path}.{key}" if path else key
        if (child.startswith("steps.") and key in ("service", "minutes")) or key == "travel":
            child = "distribution"
        for item in value if isinstance(value, list) else [value]:
            for table, keys in _keys_by_table(item, child).items():
                found.setdefault(table, set()).update(keys)
    return found


def test_the_full_example_uses_every_key_of_the_schema_and_parses():
    scenario = parse_scenario(FULL)
    used = _keys_by_table(tomllib.loads(FULL))
    used.setdefault("dispatch", set()).add("calls_per_hour")  # exclusive with lanes
    used.setdefault("arrivals", set()).add("replay")  # with kind = "replay": tests below
    for table, keys in SCHEMA.items():
        assert set(keys) <= used.get(table, set()), table
    assert scenario.dispatch.calls_per_hour == 45
    assert scenario.steps[0].manual.max_lanes == 6
    assert scenario.steps[0].smart is not None and scenario.steps[0].smart.max_lanes == 4
    assert scenario.weekly_hours[6] == ()
    assert len(scenario.weekly_hours[5]) == 2
    metrics = _run(scenario)["metrics"]
    assert metrics["throughput_per_day"] > 0
    calls = parse_scenario(FULL.replace("lanes = 3\nminutes_per_vehicle = 4", "calls_per_hour = 7"))
    assert calls.dispatch.calls_per_hour == 7


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("4", 4.0),
        ('{ kind = "deterministic", mean = 4 }', 4.0),
        ('{ kind = "exponential", mean = 4 }', 4.0),
        ('{ kind = "uniform", low = 2, high = 6 }', 4.0),
        ('{ kind = "triangular", low = 2, mode = 3, high = 7 }', 4.0),
        ('{ kind = "lognormal", mean = 4, cv = 0.5 }', 4.0),
        ('{ kind = "empirical", values = [2, 4, 6] }', 4.0),
    ],
)
def test_each_distribution_kind_reads_in_minutes(service, expected):
    text = MINIMAL.replace("service = 2", f"service = {service}")
    step = parse_scenario(text).steps[0]
    assert step.manual.service.expected == pytest.approx(expected * MINUTE)
    draw = step.manual.service.sampler(Random(1))
    values = [draw() for _ in range(4000)]
    assert sum(values) / len(values) == pytest.approx(expected * MINUTE, rel=0.08)


def _readme_sections() -> dict[str, str]:
    text = (SCENARIO_DIR / "README.md").read_text(encoding="utf-8")
    sections: dict[str, str] = {}
    for chunk in re.split(r"^### ", text, flags=re.MULTILINE)[1:]:
        title, _, body = chunk.partition("\n")
        match = re.match(r"`([^`]+)`", title)
        sections[match.group(1) if match else title.strip()] = body
    return sections


@pytest.mark.parametrize("table", list(SCHEMA))
def test_the_readme_documents_every_key_the_parser_accepts(table):
    sections = _readme_sections()
    section = sections["Top level" if table == "" else table]
    for key in SCHEMA[table]:
        assert f"`{key}`" in section, f"{table or 'top level'}: {key}"


# Where each table sits in MINIMAL-based documents, to plant an unknown key in it.
_TABLE_PLACES = {
    "": ("", "bogus = 1\n"),
    "scenario": ("[scenario]\n", "bogus = 1\n"),
    "arrivals": ("[arrivals]\n", "bogus = 1\n"),
    "arrivals.mix": ("[arrivals]\n", "mix = { fruit = 1, bogus = 1 }\n"),
    "arrivals.seasons": (
        "[arrivals]\n",
        "seasons = [{ from = 2025-01-06, to = 2025-01-07, factor = 2, bogus = 1 }]\n",
    ),
    "yards": ("", '[[yards]]\ncode = "XC"\ncapacity = 5\nbogus = 1\n'),
    "dispatch": ("", "[dispatch]\nbogus = 1\n"),
    "hours": ("", "[hours]\nbogus = 1\n"),
    "hours.weekly": ("", '[hours]\nweekly = { daily = [["07:00", "22:00"]], bogus = [] }\n'),
    "hours.closures": (
        "",
        "[hours]\nclosures = [{ from = 2025-01-06, to = 2025-01-07, bogus = 1 }]\n",
    ),
    "partner": ("", "[partner]\nbogus = 1\n"),
    "partner.quotas": (
        "",
        '[partner]\nquotas = [{ goods_group = "fruit", trucks_per_day = 5, bogus = 1 }]\n',
    ),
    "steps": ("", '[[steps]]\nname = "third"\nbogus = 1\n'),
    "steps.manual": ("", '[[steps]]\nname = "third"\nmanual = { lanes = 1, bogus = 1 }\n'),
    "steps.smart": ("", '[[steps]]\nname = "third"\nsmart = { lanes = 1, bogus = 1 }\n'),
    "steps.hold": ("", '[[steps]]\nname = "third"\nhold = { probability = 0.1, bogus = 1 }\n'),
    "results": ("", "[results]\nbogus = 1\n"),
    "results.shelf_life_hours": ("", "[results]\nshelf_life_hours = { fruit = 5, bogus = 1 }\n"),
    "distribution": (
        "",
        '[[steps]]\nname = "third"\n'
        'manual = { service = { kind = "exponential", mean = 2, bogus = 1 } }\n',
    ),
}
_PATHS = {
    "": "bogus",
    "arrivals.seasons": "arrivals.seasons.0.bogus",
    "yards": "yards.0.bogus",
    "hours.closures": "hours.closures.0.bogus",
    "partner.quotas": "partner.quotas.0.bogus",
    "steps": "steps.2.bogus",
    "steps.manual": "steps.2.manual.bogus",
    "steps.smart": "steps.2.smart.bogus",
    "steps.hold": "steps.2.hold.bogus",
    "distribution": "steps.2.manual.service.bogus",
}


@pytest.mark.parametrize("table", list(SCHEMA))
def test_a_key_outside_the_schema_is_refused_where_it_stands(table):
    anchor, addition = _TABLE_PLACES[table]
    if anchor:
        text = MINIMAL.replace(anchor, anchor + addition)
    elif table == "":
        text = addition + MINIMAL
    else:
        text = MINIMAL + "\n" + addition
    errors = _errors(text)
    assert errors == {_PATHS.get(table, f"{table}.bogus"): "unknown"}


# --- Validation errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # Bad types.
        ("manual = { lanes = 2,", 'manual = { lanes = "two",', {"steps.1.manual.lanes": "type"}),
        ("per_day = 100", 'per_day = "many"', {"arrivals.per_day": "type"}),
        ("days = 3", "days = 2.5", {"scenario.days": "type"}),
        ("start = 2025-01-06", 'start = "next monday"', {"scenario.start": "type"}),
        ("per_day = 100", "per_day = 100\nhourly = 5", {"arrivals.hourly": "type"}),
        # Missing required fields.
        ('name = "minimal"\n', "", {"scenario.name": "required"}),
        ("start = 2025-01-06\n", "", {"scenario.start": "required"}),
        ("per_day = 100\n", 'kind = "profile"\n', {"arrivals.per_day": "required"}),
        ('name = "border_guard"\n', "", {"steps.0.name": "required"}),
        (
            'name = "customs"',
            'name = "customs"\nhold = { minutes = 4 }',
            {"steps.1.hold.probability": "required"},
        ),
        # Unknown fields.
        ("days = 3", "days = 3\ndais = 4", {"scenario.dais": "unknown"}),
        ("manual = { lanes = 1,", "manual = { lane = 1,", {"steps.0.manual.lane": "unknown"}),
        (
            "per_day = 100",
            "per_day = 100\nmix = { fruits = 1 }",
            {"arrivals.mix.fruits": "unknown", "arrivals.mix": "sum"},
        ),
        # Values out of range.
        ("manual = { lanes = 2,", "manual = { lanes = 0,", {"steps.1.manual.lanes": "min"}),
        ("per_day = 100", "per_day = 0", {"arrivals.per_day": "min"}),
        ("per_day = 100", "per_day = 100\nbooked_share = 1.5", {"arrivals.booked_share": "max"}),
        ("days = 3", "days = 3\nwarmup_days = 3", {"scenario.warmup_days": "max"}),
        ("days = 3", "days = 0", {"scenario.days": "min"}),
        (
            "manual = { lanes = 2,",
            "manual = { lanes = 2, max_lanes = 1,",
            {"steps.1.manual.max_lanes": "min"},
        ),
        ("service = 2", "service = -1", {"steps.0.manual.service": "min"}),
        # Distributions.
        (
            'kind = "triangular"',
            'kind = "gamma"',
            {"steps.1.manual.service.kind": "choice"},
        ),
        (
            "low = 2, mode = 4, high = 8",
            "low = 8, mode = 4, high = 2",
            {"steps.1.manual.service": "order"},
        ),
        (
            "low = 2, mode = 4, high = 8",
            "low = 2, mode = 9, high = 8",
            {"steps.1.manual.service": "order"},
        ),
        (
            'kind = "triangular", low = 2, mode = 4, high = 8',
            'kind = "lognormal", mean = 4',
            {"steps.1.manual.service.cv": "required"},
        ),
        (
            'kind = "triangular", low = 2, mode = 4, high = 8',
            'kind = "empirical", values = []',
            {"steps.1.manual.service.values": "type"},
        ),
        # Choices, lengths, orders and sums.
        ("per_day = 100", 'per_day = 100\nkind = "steady"', {"arrivals.kind": "choice"}),
        ("per_day = 100", "per_day = 100\nweekly = [1, 1, 1]", {"arrivals.weekly": "length"}),
        ("per_day = 100", "per_day = 100\nmix = { fruit = 0 }", {"arrivals.mix": "sum"}),
        (
            "per_day = 100",
            "per_day = 100\nseasons = [{ from = 2025-02-01, to = 2025-01-01, factor = 2 }]",
            {"arrivals.seasons.0": "order"},
        ),
        (
            'name = "customs"',
            'name = "customs"\napplies_to = ["fruit", "durian"]',
            {"steps.1.applies_to.1": "choice"},
        ),
        ('name = "customs"', 'name = "border_guard"', {"steps.1.name": "duplicate"}),
    ],
)
def test_a_bad_field_is_named_exactly(old, new, expected):
    assert old in MINIMAL
    assert _errors(MINIMAL.replace(old, new, 1)) == expected


@pytest.mark.parametrize(
    ("addition", "expected"),
    [
        (
            "[dispatch]\ncalls_per_hour = 90\nlanes = 6\nminutes_per_vehicle = 4\n",
            {"dispatch.calls_per_hour": "exclusive"},
        ),
        ("[dispatch]\nlanes = 6\n", {"dispatch.minutes_per_vehicle": "required"}),
        ("[dispatch]\nno_show_probability = 1.5\n", {"dispatch.no_show_probability": "max"}),
        ('[hours]\nweekly = { daily = [["22:00", "06:00"]] }\n', {"hours.weekly.daily.0": "order"}),
        ('[hours]\nweekly = { mon = [["7h", "22:00"]] }\n', {"hours.weekly.mon.0": "type"}),
        (
            "[hours]\nclosures = [{ from = 2025-01-07T10:00:00, to = 2025-01-07T09:00:00 }]\n",
            {"hours.closures.0": "order"},
        ),
        (
            '[partner]\nquotas = [{ goods_group = "durian", trucks_per_day = 5 }]\n',
            {"partner.quotas.0.goods_group": "choice"},
        ),
        (
            '[partner]\nquotas = [{ goods_group = "fruit", trucks_per_day = -1 }]\n',
            {"partner.quotas.0.trucks_per_day": "min"},
        ),
        ('[[yards]]\ncode = "XC"\ncapacity = 0\n', {"yards.0.capacity": "min"}),
        (
            '[[yards]]\ncode = "XC"\ncapacity = 5\n[[yards]]\ncode = "XC"\ncapacity = 5\n',
            {"yards.1.code": "duplicate"},
        ),
        ("[results]\nwait_bound_hours = 0\n", {"results.wait_bound_hours": "min"}),
        (
            "[results]\nshelf_life_hours = { fruit = -2 }\n",
            {"results.shelf_life_hours.fruit": "min"},
        ),
        (
            '[[steps]]\nname = "third"\nsmart = { lanes = 1, share = 2, eligible = ["fruit"] }\n',
            {"steps.2.smart.share": "max"},
        ),
        (
            '[[steps]]\nname = "third"\nsmart = { share = 0.5 }\n',
            {"steps.2.smart.lanes": "required"},
        ),
    ],
)
def test_a_bad_table_field_is_named_exactly(addition, expected):
    assert _errors(MINIMAL + "\n" + addition) == expected


def test_every_problem_is_reported_at_once():
    text = MINIMAL.replace("days = 3", "days = 3\ndais = 1").replace(
        "manual = { lanes = 2,", "manual = { lanes = 0,"
    )
    text = text.replace('kind = "triangular"', 'kind = "gamma"') + "\n[dispatch]\nlanes = 0\n"
    assert _errors(text) == {
        "scenario.dais": "unknown",
        "steps.1.manual.lanes": "min",
        "steps.1.manual.service.kind": "choice",
        "dispatch.lanes": "min",
        "dispatch.minutes_per_vehicle": "required",
    }


def test_a_toml_syntax_error_is_reported_with_its_line():
    with pytest.raises(InvalidInput) as caught:
        parse_scenario(MINIMAL.replace("per_day = 100", "per_day = = 100"))
    (error,) = caught.value.errors
    assert (error.path, error.code) == ("", "syntax")
    assert "line 8" in error.message.en
    assert error.message.vi.startswith("Tệp TOML sai cú pháp")
    assert error.message.zh.startswith("TOML 文件语法错误")


def test_a_missing_replay_file_is_named(tmp_path):
    text = MINIMAL.replace("per_day = 100", 'kind = "replay"\nreplay = "history.csv"')
    assert _errors(text, base=tmp_path) == {"arrivals.replay": "replay"}
    (tmp_path / "history.csv").write_text(
        "arrived_at,goods_group\n2025-01-06T08:00,fruit\n2025-01-06T09:00,durian\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as caught:
        parse_scenario(text, base=tmp_path)
    (error,) = caught.value.errors
    assert error.path == "arrivals.replay" and "line 3" in error.message.en


def test_a_replayed_history_runs_truck_for_truck(tmp_path):
    rows = ["arrived_at,goods_group,booked"]
    rows += [
        f"2025-01-06T{h:02d}:{m:02d},{GROUPS[m % 4]},{m % 2}" for h in range(6, 20) for m in (5, 35)
    ]
    (tmp_path / "history.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    path = tmp_path / "replay.toml"
    path.write_text(
        MINIMAL.replace("per_day = 100", 'kind = "replay"\nreplay = "history.csv"'),
        encoding="utf-8",
    )
    scenario = load_scenario(path)
    assert len(scenario.arrivals.replay) == 28
    assert scenario.arrivals.replay[0].at == 6 * HOUR + 5 * MINUTE
    run = Simulation(scenario, Random(1)).run()
    assert run.arrived == 28 and sum(run.crossed_daily) == 28


def test_weekday_hours_override_daily_and_unlisted_days_close():
    text = MINIMAL + '\n[hours]\nweekly = { mon = [["08:00", "12:00"]] }\n'
    scenario = parse_scenario(text)
    assert [len(scenario.weekly_hours.get(day, ())) for day in range(7)] == [1, 0, 0, 0, 0, 0, 0]
    assert WEEKDAYS[0] == "mon"


def test_a_replay_file_outside_the_scenarios_folder_is_not_read(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("arrived_at,goods_group\n2025-01-06T08:00,fruit\n", encoding="utf-8")
    folder = tmp_path / "scenarios"
    folder.mkdir()
    outside = MINIMAL.replace("per_day = 100", 'kind = "replay"\nreplay = "../secret.csv"')
    absolute = MINIMAL.replace("per_day = 100", f'kind = "replay"\nreplay = "{secret}"')
    for text in (outside, absolute):
        assert _errors(text, base=folder) == {"arrivals.replay": "replay_folder"}
    # Text that does not come from a file has no folder: it cannot replay anything.
    assert _errors(outside) == {"arrivals.replay": "replay_folder"}
    (folder / "secret.csv").write_text(secret.read_text(encoding="utf-8"), encoding="utf-8")
    inside = MINIMAL.replace("per_day = 100", 'kind = "replay"\nreplay = "secret.csv"')
    assert len(parse_scenario(inside, base=folder).arrivals.replay) == 1
