"""Twin scenarios: a gate's configuration and traffic as a TOML file, validated into plain data.

Pure Python (no Django). ``parse_scenario`` reads the text and checks every field; a bad file
raises ``InvalidInput`` whose errors name the field (``steps.1.manual.lanes``) in Vietnamese,
English and Chinese. The schema is documented in ``cuakhau/twin/scenarios/README.md``; times
in files are minutes (service, travel) or hours (bounds), the engine works in seconds.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import math
import random
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from cuakhau.core.errors import FieldError, InvalidInput
from cuakhau.core.text import Text
from cuakhau.gates import capacity as plan
from cuakhau.queueing.policy import GoodsGroup

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
GROUPS: tuple[str, ...] = tuple(g.value for g in GoodsGroup)
# Goods whose trucks go in the green lane (HS 06–08: fruit, vegetables, flowers).
GREEN_GROUPS = frozenset({GoodsGroup.FRUIT.value, GoodsGroup.VEGETABLES.value})
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
DISTRIBUTIONS = ("deterministic", "exponential", "uniform", "triangular", "lognormal", "empirical")

# Every table of a scenario file and the keys it accepts: the parser checks against this, and a
# test checks that ``scenarios/README.md`` documents each key under the table's heading. Arrays
# of tables (``[[steps]]``) are named without brackets; ``distribution`` is any duration.
SCHEMA: dict[str, tuple[str, ...]] = {
    "": ("scenario", "arrivals", "yards", "dispatch", "hours", "partner", "steps", "results"),
    "scenario": (
        "name",
        "description",
        "gate",
        "passage",
        "start",
        "days",
        "warmup_days",
        "seed",
        "replications",
    ),
    "arrivals": ("kind", "per_day", "hourly", "weekly", "seasons", "mix", "booked_share", "replay"),
    "arrivals.seasons": ("from", "to", "factor", "goods"),
    "arrivals.mix": GROUPS,
    "yards": ("code", "capacity", "share"),
    "dispatch": (
        "calls_per_hour",
        "lanes",
        "minutes_per_vehicle",
        "control_area_room",
        "interval_minutes",
        "call_expiry_minutes",
        "no_show_probability",
        "green_lead_minutes",
        "slot_grace_minutes",
        "travel",
    ),
    "hours": ("weekly", "closures"),
    "hours.weekly": ("daily", *WEEKDAYS),
    "hours.closures": ("from", "to", "reason"),
    "partner": ("quotas",),
    "partner.quotas": ("goods_group", "trucks_per_day", "from", "to"),
    "steps": ("name", "agency", "applies_to", "manual", "smart", "hold"),
    "steps.manual": ("lanes", "max_lanes", "service"),
    "steps.smart": ("lanes", "max_lanes", "service", "eligible", "share"),
    "steps.hold": ("probability", "minutes"),
    "results": ("shelf_life_hours", "wait_bound_hours"),
    "results.shelf_life_hours": GROUPS,
    "distribution": ("kind", "mean", "low", "mode", "high", "cv", "values"),
}

INVALID = Text("Kịch bản không hợp lệ.", "The scenario is not valid.", "场景无效。")
_MESSAGES: dict[str, Text] = {
    "syntax": Text(
        "Tệp TOML sai cú pháp: {detail}",
        "The TOML file has a syntax error: {detail}",
        "TOML 文件语法错误：{detail}",
    ),
    "required": Text("Thiếu trường này.", "This field is required.", "缺少此字段。"),
    "unknown": Text(
        "Trường không có trong lược đồ.",
        "This field is not in the schema.",
        "此字段不在模式中。",
    ),
    "type": Text("Phải là {kind}.", "Must be {kind}.", "必须是{kind}。"),
    "min": Text(
        "Phải lớn hơn hoặc bằng {low}.",
        "Must be at least {low}.",
        "必须大于或等于 {low}。",
    ),
    "max": Text(
        "Phải nhỏ hơn hoặc bằng {high}.",
        "Must be at most {high}.",
        "必须小于或等于 {high}。",
    ),
    "choice": Text(
        "Phải là một trong: {choices}.",
        "Must be one of: {choices}.",
        "必须是以下之一：{choices}。",
    ),
    "length": Text(
        "Phải có đúng {n} giá trị.",
        "Must have exactly {n} values.",
        "必须正好有 {n} 个值。",
    ),
    "order": Text(
        "Giá trị phải tăng dần ({detail}).",
        "Values must increase ({detail}).",
        "数值必须递增（{detail}）。",
    ),
    "sum": Text(
        "Tổng các tỷ lệ phải lớn hơn 0.",
        "The shares must add up to more than 0.",
        "比例之和必须大于 0。",
    ),
    "duplicate": Text(
        "Giá trị này đã dùng ở mục khác.",
        "This value is already used by another entry.",
        "此值已被其他条目使用。",
    ),
    "exclusive": Text(
        "Chỉ dùng một trong hai: {choices}.",
        "Use only one of: {choices}.",
        "只能使用其中之一：{choices}。",
    ),
    "replay_folder": Text(
        "Tệp lịch sử phải nằm trong thư mục của kịch bản.",
        "The history file must be in the scenario's folder.",
        "历史文件必须位于场景所在的文件夹中。",
    ),
    "replay": Text(
        "Không đọc được lịch sử: {detail}",
        "The recorded history cannot be read: {detail}",
        "无法读取历史记录：{detail}",
    ),
}
_KINDS: dict[str, Text] = {
    "number": Text("một số", "a number", "数字"),
    "integer": Text("một số nguyên", "a whole number", "整数"),
    "text": Text("một chuỗi", "text", "文本"),
    "table": Text("một bảng", "a table", "表"),
    "list": Text("một danh sách", "a list", "列表"),
    "date": Text("một ngày (YYYY-MM-DD)", "a date (YYYY-MM-DD)", "日期（YYYY-MM-DD）"),
    "datetime": Text(
        "ngày giờ (YYYY-MM-DDTHH:MM)", "a date and time (YYYY-MM-DDTHH:MM)", "日期时间"
    ),
    "time": Text("giờ (HH:MM)", "a time (HH:MM)", "时间（HH:MM）"),
    "bool": Text("true hoặc false", "true or false", "true 或 false"),
}


# --- Plain data --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Distribution:
    """A duration distribution, in seconds. ``kind`` is one of DISTRIBUTIONS."""

    kind: str
    mean: float = 0.0
    low: float = 0.0
    mode: float = 0.0
    high: float = 0.0
    cv: float = 0.0
    values: tuple[float, ...] = ()

    def sampler(self, rng: random.Random) -> Callable[[], float]:
        """A function drawing one duration from ``rng`` (built once, called per truck; partials
        of ``rng``'s methods, as a lambda around them costs a call more per truck)."""
        if self.kind == "deterministic" or (self.mean == 0 and self.kind == "exponential"):
            return itertools.repeat(self.mean).__next__
        if self.kind == "exponential":
            return partial(rng.expovariate, 1.0 / self.mean)
        if self.kind == "uniform":
            return partial(rng.uniform, self.low, self.high)
        if self.kind == "triangular":
            return partial(rng.triangular, self.low, self.high, self.mode)
        if self.kind == "lognormal":
            sigma = math.sqrt(math.log(1 + self.cv**2))
            mu = math.log(self.mean) - sigma**2 / 2
            return partial(rng.lognormvariate, mu, sigma)
        return partial(rng.choice, self.values)

    @property
    def expected(self) -> float:
        if self.kind in ("uniform",):
            return (self.low + self.high) / 2
        if self.kind == "triangular":
            return (self.low + self.mode + self.high) / 3
        if self.kind == "empirical":
            return sum(self.values) / len(self.values)
        return self.mean

    def scaled(self, factor: float) -> Distribution:
        return Distribution(
            self.kind,
            self.mean * factor,
            self.low * factor,
            self.mode * factor,
            self.high * factor,
            self.cv,
            tuple(v * factor for v in self.values),
        )


ZERO = Distribution("deterministic", 0.0)


@dataclass(frozen=True, slots=True)
class Lanes:
    lanes: int
    service: Distribution
    max_lanes: int = 0  # lanes the site has room for (capacity search); 0 = not stated


@dataclass(frozen=True, slots=True)
class SmartLanes:
    lanes: int
    service: Distribution
    eligible: frozenset[str]  # goods groups the smart lanes take
    share: float  # of eligible trucks, those whose device checks all match (the rest: manual)
    max_lanes: int = 0


@dataclass(frozen=True, slots=True)
class Hold:
    probability: float
    duration: Distribution


@dataclass(frozen=True, slots=True)
class Step:
    """One agency's control step: lanes of each type, and the chance a truck is held aside."""

    name: str
    agency: str
    manual: Lanes
    smart: SmartLanes | None = None
    applies_to: frozenset[str] = frozenset(GROUPS)
    hold: Hold | None = None


@dataclass(frozen=True, slots=True)
class Season:
    starts: date
    ends: date  # inclusive
    factor: float
    groups: frozenset[str] = frozenset(GROUPS)


@dataclass(frozen=True, slots=True)
class Yard:
    code: str
    capacity: int
    share: float


@dataclass(frozen=True, slots=True)
class Quota:
    goods_group: str
    trucks_per_day: int
    starts: date | None = None
    ends: date | None = None


@dataclass(frozen=True, slots=True)
class RecordedArrival:
    at: float  # seconds from the scenario's start
    goods_group: str
    booked: bool = False


@dataclass(frozen=True, slots=True)
class Arrivals:
    kind: str  # "profile" | "poisson" | "replay"
    per_day: float
    hourly: tuple[float, ...] = (1.0,) * 24  # relative weights, normalised when compiled
    weekly: tuple[float, ...] = (1.0,) * 7
    seasons: tuple[Season, ...] = ()
    mix: Mapping[str, float] = field(default_factory=lambda: {"general": 1.0})
    booked_share: float = 0.0
    replay: tuple[RecordedArrival, ...] = ()


@dataclass(frozen=True, slots=True)
class Dispatch:
    calls_per_hour: int  # 0 = no limit (the control area's room is then the only cap)
    control_area_room: int  # 0 = no limit
    interval: float = 0.0  # seconds between cycles; 0 = on every change, as soon as possible
    call_expiry: float = 30 * MINUTE
    no_show_probability: float = 0.0
    green_lead: float = 2 * HOUR
    slot_grace: float = 30 * MINUTE
    travel: Distribution = ZERO


@dataclass(frozen=True, slots=True)
class Closure:
    starts: datetime  # local (Vietnam), naive
    ends: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    start: date
    days: int
    arrivals: Arrivals
    dispatch: Dispatch
    steps: tuple[Step, ...]
    description: str = ""
    gate: str = ""
    passage: str = ""
    warmup_days: int = 0
    seed: int = 1
    replications: int = 10
    yards: tuple[Yard, ...] = ()
    weekly_hours: Mapping[int, tuple[tuple[time, time], ...]] = field(
        default_factory=lambda: {day: tuple(spans) for day, spans in plan.ALWAYS_OPEN.items()}
    )
    closures: tuple[Closure, ...] = ()
    quotas: tuple[Quota, ...] = ()
    shelf_life: Mapping[str, float] = field(default_factory=dict)  # goods group → seconds
    wait_bound: float = 4 * HOUR  # P90 yard wait a configuration must keep (capacity search)
    source: str = ""  # the TOML text it was read from

    @property
    def horizon(self) -> float:
        return self.days * DAY

    def with_volume(self, per_day: float) -> Scenario:
        return replace(self, arrivals=replace(self.arrivals, per_day=per_day))


# --- Reading -----------------------------------------------------------------------------------


class _Reader:
    """Walks the parsed TOML, collecting every problem with its dotted path."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, path: str, code: str, **values: Any) -> None:
        message = _MESSAGES[code]
        if "kind" in values:
            values["kind"] = _KINDS[values["kind"]]
        self.errors.append(FieldError(path, code, message.format(**values)))

    def table(self, data: Any, path: str, allowed: Sequence[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail(path, "type", kind="table")
            return {}
        for key in data:
            if key not in allowed:
                self.fail(_join(path, key), "unknown")
        return data

    def number(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        default: float | None = None,
        *,
        low: float | None = 0.0,
        high: float | None = None,
        above: bool = False,
    ) -> float:
        return self.check_number(
            data.get(key, default), _join(path, key), low=low, high=high, above=above
        )

    def check_number(
        self,
        value: Any,
        where: str,
        *,
        low: float | None = 0.0,
        high: float | None = None,
        above: bool = False,
    ) -> float:
        if value is None:
            self.fail(where, "required")
            return 0.0
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.fail(where, "type", kind="number")
            return 0.0
        if low is not None and (value <= low if above else value < low):
            self.fail(where, "min", low=f"{low:g}" + (" (>)" if above else ""))
        if high is not None and value > high:
            self.fail(where, "max", high=f"{high:g}")
        return float(value)

    def integer(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        default: int | None = None,
        *,
        low: int = 0,
        high: int | None = None,
    ) -> int:
        where = _join(path, key)
        value = data.get(key, default)
        if value is None:
            self.fail(where, "required")
            return default or 0
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, "type", kind="integer")
            return default or 0
        if value < low:
            self.fail(where, "min", low=low)
        if high is not None and value > high:
            self.fail(where, "max", high=high)
        return value

    def text(self, data: Mapping[str, Any], key: str, path: str, default: str | None = "") -> str:
        value = data.get(key, default)
        if value is None:
            self.fail(_join(path, key), "required")
            return ""
        if not isinstance(value, str):
            self.fail(_join(path, key), "type", kind="text")
            return ""
        return value

    def day(
        self, data: Mapping[str, Any], key: str, path: str, required: bool = True
    ) -> date | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(_join(path, key), "required")
            return None
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = date.fromisoformat(value)
        if not isinstance(value, date) or isinstance(value, datetime):
            self.fail(_join(path, key), "type", kind="date")
            return None
        return value

    def moment(self, data: Mapping[str, Any], key: str, path: str) -> datetime | None:
        value = data.get(key)
        if value is None:
            self.fail(_join(path, key), "required")
            return None
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = datetime.fromisoformat(value)
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime.combine(value, time(0, 0))
        if not isinstance(value, datetime):
            self.fail(_join(path, key), "type", kind="datetime")
            return None
        return value.replace(tzinfo=None)

    def groups(self, data: Mapping[str, Any], key: str, path: str) -> frozenset[str]:
        value = data.get(key)
        if value is None:
            return frozenset(GROUPS)
        if not isinstance(value, list):
            self.fail(_join(path, key), "type", kind="list")
            return frozenset(GROUPS)
        for i, group in enumerate(value):
            if group not in GROUPS:
                self.fail(f"{_join(path, key)}.{i}", "choice", choices=", ".join(GROUPS))
        return frozenset(g for g in value if g in GROUPS)

    def shares(self, data: Any, path: str) -> dict[str, float]:
        table = self.table(data, path, SCHEMA["arrivals.mix"])
        shares = {g: self.number(table, g, path) for g in table if g in GROUPS}
        if table and sum(shares.values()) <= 0:
            self.fail(path, "sum")
        return shares

    def weights(self, data: Mapping[str, Any], key: str, path: str, n: int) -> tuple[float, ...]:
        value = data.get(key)
        if value is None:
            return (1.0,) * n
        where = _join(path, key)
        if not isinstance(value, list):
            self.fail(where, "type", kind="list")
            return (1.0,) * n
        if len(value) != n:
            self.fail(where, "length", n=n)
            return (1.0,) * n
        result = [self.check_number(item, f"{where}.{i}") for i, item in enumerate(value)]
        if sum(result) <= 0:
            self.fail(where, "sum")
            return (1.0,) * n
        return tuple(result)

    def distribution(self, data: Any, path: str, *, unit: float = MINUTE) -> Distribution:
        """``4`` (deterministic minutes) or ``{kind = "exponential", mean = 4}`` …"""
        if isinstance(data, int | float) and not isinstance(data, bool):
            if data < 0 or not math.isfinite(data):
                self.fail(path, "min", low=0)
                return ZERO
            return Distribution("deterministic", float(data) * unit)
        table = self.table(data, path, SCHEMA["distribution"])
        if not table:
            return ZERO
        kind = self.text(table, "kind", path, None)
        if kind not in DISTRIBUTIONS:
            if kind:
                self.fail(_join(path, "kind"), "choice", choices=", ".join(DISTRIBUTIONS))
            return ZERO
        if kind in ("deterministic", "exponential"):
            mean = self.number(table, "mean", path, above=kind == "exponential")
            return Distribution(kind, mean * unit)
        if kind == "lognormal":
            mean = self.number(table, "mean", path, above=True)
            cv = self.number(table, "cv", path, above=True)
            return Distribution(kind, mean * unit, cv=cv)
        if kind == "empirical":
            values = table.get("values")
            if not isinstance(values, list) or not values:
                self.fail(_join(path, "values"), "type", kind="list")
                return ZERO
            parsed = [
                self.check_number(v, _join(path, f"values.{i}")) for i, v in enumerate(values)
            ]
            return Distribution(kind, values=tuple(v * unit for v in parsed))
        low = self.number(table, "low", path)
        high = self.number(table, "high", path)
        mode = self.number(table, "mode", path, default=low) if kind == "triangular" else low
        if not low <= mode <= high or low == high:
            self.fail(path, "order", detail="low ≤ mode ≤ high, low < high")
        return Distribution(kind, low=low * unit, mode=mode * unit, high=high * unit)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _clock(value: Any) -> time | None:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        if value == "24:00":
            return time(0, 0)
        try:
            return time.fromisoformat(value)
        except ValueError:
            return None
    return None


def _hours(reader: _Reader, data: Any, path: str) -> dict[int, tuple[tuple[time, time], ...]]:
    """``{ daily = [["07:00", "21:00"]], sun = [] }``: weekday → open intervals."""
    table = reader.table(data, path, SCHEMA["hours.weekly"])
    weekly: dict[int, tuple[tuple[time, time], ...]] = {}
    for key in ("daily", *WEEKDAYS):
        if key not in table:
            continue
        where = _join(path, key)
        spans = table[key]
        parsed: list[tuple[time, time]] = []
        if not isinstance(spans, list):
            reader.fail(where, "type", kind="list")
            continue
        for i, span in enumerate(spans):
            pair = [_clock(v) for v in span] if isinstance(span, list) and len(span) == 2 else []
            if len(pair) != 2 or pair[0] is None or pair[1] is None:
                reader.fail(f"{where}.{i}", "type", kind="time")
                continue
            if pair[1] != time(0, 0) and pair[1] <= pair[0]:
                # A span ends on its own day; "24:00" (or "00:00") ends at midnight.
                reader.fail(f"{where}.{i}", "order", detail="opens < closes ≤ 24:00")
                continue
            parsed.append((pair[0], pair[1]))
        days = range(7) if key == "daily" else (WEEKDAYS.index(key),)
        for weekday in days:
            weekly[weekday] = tuple(parsed)
    return weekly if table else {day: tuple(spans) for day, spans in plan.ALWAYS_OPEN.items()}


def parse_scenario(text: str, *, base: Path | None = None) -> Scenario:
    """Read a scenario from TOML text; ``base`` resolves a replay file's relative path."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(
            "scenario_invalid",
            INVALID,
            [FieldError("", "syntax", _MESSAGES["syntax"].format(detail=str(error)))],
        ) from None
    r = _Reader()
    root = r.table(data, "", SCHEMA[""])
    head = r.table(root.get("scenario", {}), "scenario", SCHEMA["scenario"])
    name = r.text(head, "name", "scenario", None)
    start = r.day(head, "start", "scenario") or date(2025, 1, 6)
    days = r.integer(head, "days", "scenario", 28, low=1, high=3660)
    warmup = r.integer(head, "warmup_days", "scenario", 0, low=0, high=max(0, days - 1))

    arrivals = _arrivals(r, root.get("arrivals"), start, base)
    dispatch = _dispatch(r, root.get("dispatch", {}))
    steps = _steps(r, root.get("steps"))
    yards = _yards(r, root.get("yards", []))
    hours_table = r.table(root.get("hours", {}), "hours", SCHEMA["hours"])
    weekly = _hours(r, hours_table.get("weekly", {}), "hours.weekly")
    closures = _closures(r, hours_table.get("closures", []))
    partner = r.table(root.get("partner", {}), "partner", SCHEMA["partner"])
    quotas = _quotas(r, partner.get("quotas", []))
    results = r.table(root.get("results", {}), "results", SCHEMA["results"])
    shelf = r.table(
        results.get("shelf_life_hours", {}),
        "results.shelf_life_hours",
        SCHEMA["results.shelf_life_hours"],
    )
    shelf_life = {
        g: r.number(shelf, g, "results.shelf_life_hours", above=True) * HOUR for g in shelf
    }
    wait_bound = r.number(results, "wait_bound_hours", "results", 4.0, above=True) * HOUR
    if r.errors:
        raise InvalidInput("scenario_invalid", INVALID, r.errors)
    return Scenario(
        name=name,
        description=r.text(head, "description", "scenario"),
        gate=r.text(head, "gate", "scenario"),
        passage=r.text(head, "passage", "scenario"),
        start=start,
        days=days,
        warmup_days=warmup,
        seed=r.integer(head, "seed", "scenario", 1),
        replications=r.integer(head, "replications", "scenario", 10, low=1, high=1000),
        arrivals=arrivals,
        dispatch=dispatch,
        steps=steps,
        yards=yards,
        weekly_hours=weekly,
        closures=closures,
        quotas=quotas,
        shelf_life=shelf_life,
        wait_bound=wait_bound,
        source=text,
    )


def load_scenario(path: str | Path) -> Scenario:
    """A scenario file by path, or a shipped one by name (``huu-nghi-2025``)."""
    candidate = Path(path)
    if not candidate.exists() and not candidate.suffix:
        candidate = SCENARIO_DIR / f"{path}.toml"
    return parse_scenario(candidate.read_text(encoding="utf-8"), base=candidate.parent)


def mmc_scenario(
    servers: int, load: float, *, per_day: float, days: int, warmup_days: int
) -> Scenario:
    """An M/M/c queue as a gate, for checking the engine against Erlang C: Poisson arrivals
    around the clock, one step of ``servers`` lanes with exponential service, and a control area
    with room for one truck per lane, so that a truck is called the moment a lane frees and its
    yard wait is the M/M/c wait in queue."""
    service_minutes = load * servers * (DAY / MINUTE) / per_day
    return parse_scenario(
        f"""
        [scenario]
        name = "M/M/{servers} at load {load}"
        start = 2025-01-06
        days = {days}
        warmup_days = {warmup_days}

        [arrivals]
        kind = "poisson"
        per_day = {per_day}

        [dispatch]
        control_area_room = {servers}

        [[steps]]
        name = "lanes"
        [steps.manual]
        lanes = {servers}
        service = {{ kind = "exponential", mean = {service_minutes!r} }}
        """
    )


def shipped_scenarios() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.toml"))


def _arrivals(r: _Reader, data: Any, start: date, base: Path | None) -> Arrivals:
    path = "arrivals"
    if data is None:
        r.fail(path, "required")
        return Arrivals("poisson", 1.0)
    table = r.table(data, path, SCHEMA["arrivals"])
    kind = r.text(table, "kind", path, "profile")
    if kind not in ("profile", "poisson", "replay"):
        r.fail(_join(path, "kind"), "choice", choices="profile, poisson, replay")
    replay: tuple[RecordedArrival, ...] = ()
    if kind == "replay":
        replay = _replay(r, table.get("replay"), start, base)
    per_day = r.number(
        table, "per_day", path, None if kind != "replay" else 0.0, above=kind != "replay"
    )
    mix = r.shares(table.get("mix", {"general": 1.0}), _join(path, "mix"))
    seasons = []
    raw = table.get("seasons", [])
    if not isinstance(raw, list):
        r.fail(_join(path, "seasons"), "type", kind="list")
        raw = []
    for i, item in enumerate(raw):
        where = f"{path}.seasons.{i}"
        season = r.table(item, where, SCHEMA["arrivals.seasons"])
        starts = r.day(season, "from", where)
        ends = r.day(season, "to", where)
        if starts and ends and ends < starts:
            r.fail(where, "order", detail="from ≤ to")
        factor = r.number(season, "factor", where)
        groups = r.groups(season, "goods", where)
        if starts and ends:
            seasons.append(Season(starts, ends, factor, groups))
    return Arrivals(
        kind=kind,
        per_day=per_day,
        hourly=r.weights(table, "hourly", path, 24),
        weekly=r.weights(table, "weekly", path, 7),
        seasons=tuple(seasons),
        mix=mix or {"general": 1.0},
        booked_share=r.number(table, "booked_share", path, 0.0, high=1.0),
        replay=replay,
    )


def _replay(r: _Reader, value: Any, start: date, base: Path | None) -> tuple[RecordedArrival, ...]:
    """A CSV of recorded arrivals (``arrived_at,goods_group[,booked]``, local times), in the
    scenario file's folder or below it: a scenario typed into a page may not make the server
    read any other file."""
    where = "arrivals.replay"
    if not isinstance(value, str):
        r.fail(where, "type", kind="text")
        return ()
    folder = base.resolve() if base is not None else None
    path = (folder / value).resolve() if folder is not None else None
    if folder is None or path is None or not path.is_relative_to(folder):
        r.fail(where, "replay_folder")
        return ()
    try:
        text = path.read_text(encoding="utf-8")
        return parse_history(text, start)
    except (OSError, ValueError, KeyError) as error:
        r.fail(where, "replay", detail=str(error))
        return ()


def parse_history(text: str, start: date) -> tuple[RecordedArrival, ...]:
    """Recorded arrivals from CSV text: ``arrived_at`` (ISO, Vietnam time), ``goods_group`` and
    optionally ``booked`` (1/0); times become seconds from ``start``'s midnight."""
    origin = datetime.combine(start, time(0, 0))
    rows = []
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        group = row["goods_group"].strip()
        if group not in GROUPS:
            raise ValueError(f"line {line}: goods_group {group!r}")
        try:
            at = datetime.fromisoformat(row["arrived_at"].strip()).replace(tzinfo=None)
        except ValueError:
            raise ValueError(f"line {line}: arrived_at {row['arrived_at']!r}") from None
        booked = (row.get("booked") or "0").strip() in ("1", "true", "yes")
        rows.append(RecordedArrival((at - origin).total_seconds(), group, booked))
    rows.sort(key=lambda a: a.at)
    return tuple(rows)


def _dispatch(r: _Reader, data: Any) -> Dispatch:
    path = "dispatch"
    table = r.table(data, path, SCHEMA["dispatch"])
    if "calls_per_hour" in table and ("lanes" in table or "minutes_per_vehicle" in table):
        # Either the plan's calls outright or the live plan's formula, never both.
        r.fail(
            _join(path, "calls_per_hour"),
            "exclusive",
            choices="calls_per_hour, lanes + minutes_per_vehicle",
        )
    if "calls_per_hour" in table:
        calls = r.integer(table, "calls_per_hour", path)
    elif "lanes" in table or "minutes_per_vehicle" in table:
        # As the live plan: lanes open × 60 / mean minutes per vehicle.
        calls = plan.calls_per_hour(
            r.integer(table, "lanes", path, low=1),
            r.number(table, "minutes_per_vehicle", path, above=True),
        )
    else:
        calls = 0
    return Dispatch(
        calls_per_hour=calls,
        control_area_room=r.integer(table, "control_area_room", path, 0),
        interval=r.number(table, "interval_minutes", path, 0.0) * MINUTE,
        call_expiry=r.number(table, "call_expiry_minutes", path, 30.0, above=True) * MINUTE,
        no_show_probability=r.number(table, "no_show_probability", path, 0.0, high=0.99),
        green_lead=r.number(table, "green_lead_minutes", path, 120.0) * MINUTE,
        slot_grace=r.number(table, "slot_grace_minutes", path, 30.0) * MINUTE,
        travel=r.distribution(table.get("travel", 0), _join(path, "travel")),
    )


def _steps(r: _Reader, data: Any) -> tuple[Step, ...]:
    if not isinstance(data, list) or not data:
        r.fail("steps", "type" if data is not None else "required", kind="list")
        return ()
    steps = []
    names: set[str] = set()
    for i, item in enumerate(data):
        where = f"steps.{i}"
        table = r.table(item, where, SCHEMA["steps"])
        name = r.text(table, "name", where, None)
        if name and name in names:
            # Results name metrics after the step (step.customs.utilisation_manual).
            r.fail(_join(where, "name"), "duplicate")
        names.add(name)
        m_path = _join(where, "manual")
        manual_table = r.table(table.get("manual", {}), m_path, SCHEMA["steps.manual"])
        lanes = r.integer(manual_table, "lanes", m_path, 1, low=1, high=10_000)
        manual = Lanes(
            lanes,
            r.distribution(manual_table.get("service", 0), _join(m_path, "service")),
            _max_lanes(r, manual_table, m_path, lanes),
        )
        smart = None
        if "smart" in table:
            s_path = _join(where, "smart")
            s_table = r.table(table["smart"], s_path, SCHEMA["steps.smart"])
            smart_lanes = r.integer(s_table, "lanes", s_path, low=1, high=10_000)
            smart = SmartLanes(
                smart_lanes,
                r.distribution(s_table.get("service", 0), _join(s_path, "service")),
                r.groups(s_table, "eligible", s_path),
                r.number(s_table, "share", s_path, 1.0, high=1.0),
                _max_lanes(r, s_table, s_path, smart_lanes),
            )
        hold = None
        if "hold" in table:
            h_path = _join(where, "hold")
            h_table = r.table(table["hold"], h_path, SCHEMA["steps.hold"])
            hold = Hold(
                r.number(h_table, "probability", h_path, high=1.0),
                r.distribution(h_table.get("minutes", 0), _join(h_path, "minutes")),
            )
        steps.append(
            Step(
                name=name,
                agency=r.text(table, "agency", where, name),
                manual=manual,
                smart=smart,
                applies_to=r.groups(table, "applies_to", where),
                hold=hold,
            )
        )
    return tuple(steps)


def _max_lanes(r: _Reader, table: Mapping[str, Any], path: str, lanes: int) -> int:
    """The lanes the site has room for: at least the lanes configured; 0 when not stated."""
    if "max_lanes" not in table:
        return 0
    return r.integer(table, "max_lanes", path, low=max(1, lanes), high=10_000)


def _yards(r: _Reader, data: Any) -> tuple[Yard, ...]:
    if not isinstance(data, list):
        r.fail("yards", "type", kind="list")
        return ()
    yards = []
    codes: set[str] = set()
    for i, item in enumerate(data):
        where = f"yards.{i}"
        table = r.table(item, where, SCHEMA["yards"])
        code = r.text(table, "code", where, None)
        if code and code in codes:
            r.fail(_join(where, "code"), "duplicate")
        codes.add(code)
        yards.append(
            Yard(
                code,
                r.integer(table, "capacity", where, low=1),
                r.number(table, "share", where, 1.0),
            )
        )
    if yards and sum(y.share for y in yards) <= 0:
        r.fail("yards", "sum")
    return tuple(yards)


def _closures(r: _Reader, data: Any) -> tuple[Closure, ...]:
    if not isinstance(data, list):
        r.fail("hours.closures", "type", kind="list")
        return ()
    closures = []
    for i, item in enumerate(data):
        where = f"hours.closures.{i}"
        table = r.table(item, where, SCHEMA["hours.closures"])
        starts = r.moment(table, "from", where)
        ends = r.moment(table, "to", where)
        if starts and ends:
            if ends <= starts:
                r.fail(where, "order", detail="from < to")
            closures.append(Closure(starts, ends, r.text(table, "reason", where)))
    return tuple(closures)


def _quotas(r: _Reader, data: Any) -> tuple[Quota, ...]:
    if not isinstance(data, list):
        r.fail("partner.quotas", "type", kind="list")
        return ()
    quotas = []
    for i, item in enumerate(data):
        where = f"partner.quotas.{i}"
        table = r.table(item, where, SCHEMA["partner.quotas"])
        group = r.text(table, "goods_group", where, None)
        if group and group not in GROUPS:
            r.fail(_join(where, "goods_group"), "choice", choices=", ".join(GROUPS))
        quotas.append(
            Quota(
                group,
                r.integer(table, "trucks_per_day", where),
                r.day(table, "from", where, required=False),
                r.day(table, "to", where, required=False),
            )
        )
    return tuple(quotas)


# --- Compiled for the engine -------------------------------------------------------------------


def hour_calls(scenario: Scenario, calls_per_hour: int | None = None) -> list[int]:
    """Calls allowed in each hour of the run, from working hours and closures, through the
    same calendar code the live plan uses (``gates.capacity.plan_hours``). -1 = no limit but
    open; 0 = closed."""
    base = scenario.dispatch.calls_per_hour if calls_per_hour is None else calls_per_hour
    first = datetime.combine(scenario.start, time(0, 0), tzinfo=plan.VIETNAM)
    exceptions = [
        plan.CalendarException(
            plan.ExceptionKind.CLOSURE,
            c.starts.replace(tzinfo=plan.VIETNAM),
            c.ends.replace(tzinfo=plan.VIETNAM),
        )
        for c in scenario.closures
    ]
    unlimited = base <= 0
    # Open shares repeat weekly; compute a week once and patch the hours closures touch.
    week = plan.plan_hours(
        first, 168, base_calls=60 if unlimited else base, weekly=scenario.weekly_hours
    )
    hours = scenario.days * 24
    calls = [week[h % 168].calls for h in range(hours)]
    shares = [week[h % 168].open_share for h in range(hours)]
    for closure in exceptions:
        begin = max(0, int((closure.starts_at - first).total_seconds() // HOUR))
        end = min(hours, math.ceil((closure.ends_at - first).total_seconds() / HOUR))
        for h in range(begin, end):
            hour_plan = plan.plan_hours(
                first + timedelta(hours=h),
                1,
                base_calls=60 if unlimited else base,
                weekly=scenario.weekly_hours,
                exceptions=exceptions,
            )[0]
            calls[h], shares[h] = hour_plan.calls, hour_plan.open_share
    if unlimited:
        return [-1 if share > 0 else 0 for share in shares]
    return calls


def arrival_rates(scenario: Scenario, per_day: float | None = None) -> list[float]:
    """Expected arrivals in each hour of the run (profile × weekday × season)."""
    arrivals = scenario.arrivals
    volume = arrivals.per_day if per_day is None else per_day
    hours = scenario.days * 24
    if arrivals.kind == "poisson":
        return [volume / 24] * hours
    hourly = [w / sum(arrivals.hourly) for w in arrivals.hourly]
    weekly = [w * 7 / sum(arrivals.weekly) for w in arrivals.weekly]
    rates = []
    for h in range(hours):
        day = scenario.start + timedelta(days=h // 24)
        factor = 1.0
        for season in arrivals.seasons:
            if season.starts <= day <= season.ends:
                # A season lifts only its goods' share of the traffic.
                share = sum(arrivals.mix.get(g, 0.0) for g in season.groups) / sum(
                    arrivals.mix.values()
                )
                factor += (season.factor - 1.0) * share
        rates.append(volume * weekly[day.weekday()] * hourly[h % 24] * factor)
    return rates


def season_mix(scenario: Scenario, day: date) -> dict[str, float]:
    """The goods mix on ``day``: seasons lift their goods' shares."""
    mix = dict(scenario.arrivals.mix)
    for season in scenario.arrivals.seasons:
        if season.starts <= day <= season.ends:
            for group in season.groups:
                if group in mix:
                    mix[group] *= season.factor
    return mix


def quotas_on(scenario: Scenario, day: date) -> dict[str, int]:
    """The partner side's acceptance on ``day`` per goods group (a group not listed: no cap)."""
    result: dict[str, int] = {}
    for quota in scenario.quotas:
        if (quota.starts is None or quota.starts <= day) and (
            quota.ends is None or day <= quota.ends
        ):
            result[quota.goods_group] = quota.trucks_per_day
    return result
