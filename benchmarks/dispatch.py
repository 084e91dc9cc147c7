"""The dispatcher: the pure policy on 5,000 waiting trucks, and one full dispatch cycle.

Run ``.venv/bin/python benchmarks/dispatch.py``.

- ``dispatch_policy_5000_*``: ``queueing.policy.choose_calls`` alone (no database) choosing 100
  calls among 5,000 waiting trucks: about 40 % green, 10 % with a booked slot (in their window,
  early for a coming hour, or arrived too late), a few operator overrides, a partner-side quota
  on fruit. Median and 95th percentile of 50 runs after a warm-up.
- ``dispatch_cycle_*``: ``queueing.services.dispatch_passage`` — one cycle with its transaction,
  plan-row lock, call expiry, capacity reads, policy and 100 bulk call-ups (trip updates, events,
  queue entries, public call records, outbox) — at Hữu Nghị 1119 with the same 5,000 trucks
  waiting in the database. Before each measured cycle the 100 called trucks are put back
  (trips ARRIVED, entries waiting, the hour's call records deleted), so every cycle sees the
  same queue. Median of 7 cycles after a warm-up one.

The database: with ``DATABASE_URL`` set (PostgreSQL; the name must contain ``bench``), the
script drops and recreates that database, and drops it again at the end, also on failure.
Without it the cycle runs on a throw-away SQLite file and prints ``# database: sqlite``: the
figures keep their names but are not the PostgreSQL ones the targets are about.

One figure a line, ``name: value``, then ``#`` lines with the targets. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python benchmarks/dispatch.py` from anywhere

from benchmarks.api import (  # noqa: E402 - needs the path above
    Database,
    close_django_connections,
    create_database,
    drop_database,
)
from cuakhau.queueing import policy  # noqa: E402 - pure Python, no Django
from cuakhau.queueing.policy import (  # noqa: E402
    Capacity,
    GoodsGroup,
    PolicyConfig,
    PriorityClass,
    SlotFit,
    WaitingTruck,
)

TRUCKS = 5000
CALLS = 100
POLICY_RUNS = 50
CYCLES = 7
SEED = 2026
PASSAGE = "HN-1119"
GATE = "CKHN"
YARD = "XC"
FRUIT_QUOTA_LEFT = 400  # the policy run: fruit calls the partner side still accepts today

TARGET_POLICY_MS = 20.0
TARGET_CYCLE_MS = 300.0

HOUR = 3600.0
CONFIG = PolicyConfig()  # the settings' defaults: green lead 2 h, slot grace 30 min


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- The waiting trucks ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Truck:
    """One waiting truck as the queue holds it (what ``queue_join`` would have written)."""

    arrived_at: float
    priority: PriorityClass
    goods_group: str
    slot_start: float | None  # kept only if the truck did not come too late for it
    slot_fit: str  # "" without a booking
    override_at: float | None


def truck_mix(count: int, now: float, seed: int = SEED) -> list[Truck]:
    """A big jam: arrivals over the last 36 hours, ~40 % green (fruit, vegetables), 10 % booked
    (70 % in their window, 20 % early for one of the next three hours, 10 % too late), 0.2 %
    with an operator's out-of-turn priority."""
    rng = random.Random(seed)
    this_hour = now - now % HOUR
    trucks = []
    for _ in range(count):
        arrived = now - rng.uniform(60, 36 * HOUR)
        if rng.random() < 0.4:
            priority = PriorityClass.GREEN
            group = GoodsGroup.FRUIT if rng.random() < 0.7 else GoodsGroup.VEGETABLES
        else:
            priority = PriorityClass.ORDINARY
            group = GoodsGroup.ELECTRONICS if rng.random() < 0.3 else GoodsGroup.GENERAL
        slot_start: float | None = None
        fit = ""
        if rng.random() < 0.1:
            kind = rng.random()
            if kind < 0.7:  # arrived inside its window
                slot_start = arrived - arrived % HOUR
            elif kind < 0.9:  # early, booked for one of the coming hours
                slot_start = this_hour + rng.randint(1, 3) * HOUR
                arrived = min(arrived, slot_start - CONFIG.slot_grace - 60)
            else:  # too late: the booking was missed, the truck is in the living queue
                slot_start = arrived - arrived % HOUR - 3 * HOUR
            fit = policy.slot_fit(arrived, slot_start, CONFIG).value
            if fit == SlotFit.LATE:
                slot_start = None
        override = now - rng.uniform(0, 600) if rng.random() < 0.002 else None
        trucks.append(Truck(arrived, priority, group.value, slot_start, fit, override))
    return trucks


def waiting(trucks: list[Truck], first_id: int = 1) -> list[WaitingTruck]:
    return [
        WaitingTruck(
            trip_id=first_id + i,
            arrived_at=t.arrived_at,
            priority=t.priority,
            goods_group=t.goods_group,
            slot_start=t.slot_start,
            override_at=t.override_at,
        )
        for i, t in enumerate(trucks)
    ]


# --- The pure policy ---------------------------------------------------------------------------


def bench_policy(runs: int = POLICY_RUNS) -> tuple[float, float, int]:
    """(median ms, p95 ms, calls) of ``choose_calls`` on 5,000 trucks."""
    now = time.time()
    trucks = waiting(truck_mix(TRUCKS, now))
    capacity = Capacity(calls=CALLS, room=CALLS, quotas={GoodsGroup.FRUIT.value: FRUIT_QUOTA_LEFT})
    decision = policy.choose_calls(trucks, capacity, now, CONFIG)  # warm-up
    times: list[float] = []
    for _ in range(runs):
        shuffled = trucks[:]  # the database returns them in no particular order
        random.Random(len(times)).shuffle(shuffled)
        started = time.perf_counter()
        decision = policy.choose_calls(shuffled, capacity, now, CONFIG)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), _p95(times), len(decision.calls)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# --- The database ------------------------------------------------------------------------------


def database_from_env() -> Database | None:
    """The PostgreSQL database to recreate, or None for a throw-away SQLite file."""
    import dj_database_url

    url = os.getenv("DATABASE_URL")
    if not url:
        return None
    config = dj_database_url.parse(url)
    if not config["ENGINE"].endswith("postgresql"):
        return None
    name = str(config["NAME"])
    if "bench" not in name:
        raise SystemExit(
            f"benchmarks/dispatch.py drops and recreates its database; {name!r} does not look "
            "like a throw-away one. Use a database name containing 'bench', e.g. cuakhau_bench."
        )
    return Database(
        url=url,
        name=name,
        host=str(config.get("HOST") or "127.0.0.1"),
        port=int(config.get("PORT") or 5432),
        user=str(config.get("USER") or "postgres"),
        password=str(config.get("PASSWORD") or ""),
    )


def django_env(db: Database | None, var_dir: Path) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "cuakhau.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "CUAKHAU_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
    }
    env["DATABASE_URL"] = db.url if db else f"sqlite:///{var_dir / 'bench.sqlite3'}"
    return env


@dataclass
class Fixture:
    passage_id: int
    direction: str
    trip_ids: list[int]


def build_queue(now: datetime) -> Fixture:
    """Migrate, open the passage around the clock for 100 calls, and put 5,000 trucks in its
    queue with bulk inserts: declarations, trips in ARRIVED, slot bookings, queue entries."""
    import django
    from django.core.management import call_command

    django.setup()
    from django.db import transaction

    from cuakhau.accounts.roles import Role
    from cuakhau.conftest import make_enterprise, make_user
    from cuakhau.declarations.lifecycle import EXPORT, TripState
    from cuakhau.declarations.models import Declaration, Trip
    from cuakhau.gates import capacity as plan
    from cuakhau.gates.models import CapacityPlan, PartnerQuota, Passage, WorkingHours, Yard
    from cuakhau.queueing.capacity import policy_config
    from cuakhau.queueing.models import QueueEntry, SlotBooking, SlotHour
    from cuakhau.reference.models import GoodsRegime, VehicleClass

    call_command("migrate", interactive=False, verbosity=0)
    passage = Passage.objects.select_related("gate").get(code=PASSAGE)
    # 10 lanes at 5 minutes: 120 calls an hour; room for 100 in the control area: 100 calls.
    CapacityPlan.objects.filter(passage=passage, direction=EXPORT).update(
        lanes_open=10, minutes_per_vehicle=5, control_area_room=CALLS, is_paused=False
    )
    WorkingHours.objects.filter(gate=passage.gate).delete()  # open around the clock
    PartnerQuota.objects.create(
        gate=passage.gate,
        direction=EXPORT,
        day=now.astimezone(plan.VIETNAM).date(),
        goods_group=GoodsGroup.FRUIT.value,
        trucks=2000,  # read and counted every cycle, never the cap here
    )
    enterprise = make_enterprise("Công ty TNHH Nông sản Xanh Lạng Sơn", 100_000_001)
    user = make_user("bench_exporter", Role.ENTERPRISE, enterprise=enterprise)
    yard = Yard.objects.get(code=YARD)
    regime = GoodsRegime.objects.get(code="XK")
    vehicle_class = VehicleClass.objects.get(code="VT6")
    config = policy_config()
    stamp = now.timestamp()
    trucks = truck_mix(TRUCKS, stamp)

    def at(seconds: float) -> datetime:
        return datetime.fromtimestamp(seconds, tz=now.tzinfo)

    with transaction.atomic():
        declarations = Declaration.objects.bulk_create(
            Declaration(
                code=f"BD{i:08d}",
                enterprise=enterprise,
                created_by=user,
                status=Declaration.Status.SUBMITTED,
                direction=EXPORT,
                regime=regime,
                gate=passage.gate,
                passage=passage,
                planned_arrival=at(truck.arrived_at),
                perishable=truck.priority is PriorityClass.GREEN,
                fee_payer_name=enterprise.name,
                fee_payer_tax_code=enterprise.tax_code,
                created_at=at(truck.arrived_at - 2 * HOUR),
                updated_at=at(truck.arrived_at - 2 * HOUR),
                submitted_at=at(truck.arrived_at - 2 * HOUR),
            )
            for i, truck in enumerate(trucks)
        )
        trips = Trip.objects.bulk_create(
            Trip(
                declaration=declaration,
                code=f"B{i:08d}",
                state=TripState.ARRIVED,
                state_changed_at=at(truck.arrived_at),
                tractor_plate=f"12C-{i // 1000:02d}.{i % 1000:03d}",
                tractor_country="VN",
                vehicle_class=vehicle_class,
                driver_name="Hoàng Văn Tài",
                driver_id_number=f"020080{i:06d}",
                driver_nationality="VN",
                driver_phone=f"0912{i:06d}",
                gross_weight_kg=36_000,
                yard=yard,
                checked_in_at=at(truck.arrived_at),
            )
            for i, (declaration, truck) in enumerate(zip(declarations, trucks, strict=True))
        )
        # Bookings: one slot hour per booked hour, the booking used (or missed) at check-in.
        booked = [
            (trip, truck) for trip, truck in zip(trips, trucks, strict=True) if truck.slot_fit
        ]
        starts = {_booked_start(truck, stamp) for _, truck in booked}
        hours = {
            start: SlotHour.objects.create(
                passage=passage, direction=EXPORT, start=at(start), capacity=500, booked=0
            )
            for start in sorted(starts)
        }
        bookings = SlotBooking.objects.bulk_create(
            SlotBooking(
                code=f"S{trip.pk:010d}",
                enterprise=enterprise,
                declaration_id=trip.declaration_id,
                trip=trip,
                slot_hour=hours[_booked_start(truck, stamp)],
                start=at(_booked_start(truck, stamp)),
                tractor_plate=trip.tractor_plate,
                status=(
                    SlotBooking.Status.MISSED
                    if truck.slot_fit == SlotFit.LATE
                    else SlotBooking.Status.USED
                ),
                created_by=user,
                created_at=at(truck.arrived_at - 2 * HOUR),
                closed_at=at(truck.arrived_at),
            )
            for trip, truck in booked
        )
        booking_of = {b.trip_id: b for b in bookings}
        entries = []
        for number, (trip, truck) in enumerate(zip(trips, trucks, strict=True), start=1):
            key = policy.order_key(
                WaitingTruck(
                    trip.pk,
                    truck.arrived_at,
                    truck.priority,
                    truck.goods_group,
                    truck.slot_start,
                    truck.override_at,
                ),
                config,
            )
            entries.append(
                QueueEntry(
                    trip=trip,
                    passage=passage,
                    direction=EXPORT,
                    yard=yard,
                    enterprise=enterprise,
                    number=number,
                    priority=truck.priority.value,
                    goods_group=truck.goods_group,
                    joined_at=at(truck.arrived_at),
                    booking=booking_of.get(trip.pk),
                    slot_start=at(truck.slot_start) if truck.slot_start else None,
                    slot_fit=truck.slot_fit,
                    order_tier=key[0],
                    order_time=key[1],
                    override_at=at(truck.override_at) if truck.override_at else None,
                    override_reason=(
                        "Container lạnh hỏng máy, nguy cơ hư hỏng hàng" if truck.override_at else ""
                    ),
                    override_by=user if truck.override_at else None,
                )
            )
        QueueEntry.objects.bulk_create(entries, batch_size=1000)
    _analyze()
    return Fixture(passage.pk, EXPORT, [trip.pk for trip in trips])


def _booked_start(truck: Truck, now: float) -> float:
    if truck.slot_start is not None:
        return truck.slot_start
    # Missed: the booking was for three hours before the hour the truck arrived in.
    return truck.arrived_at - truck.arrived_at % HOUR - 3 * HOUR


def _analyze() -> None:
    """Fresh statistics after the bulk load, as autovacuum would give a real database."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def reset_called(trip_ids: list[int]) -> None:
    """Put called trucks back in the queue and forget the hour's calls, so the next cycle sees
    the same 5,000 waiting trucks and a fresh hour's capacity."""
    from django.db import transaction

    from cuakhau.declarations.lifecycle import TripState
    from cuakhau.declarations.models import Trip
    from cuakhau.queueing.models import CallUp, QueueEntry

    with transaction.atomic():
        Trip.objects.filter(pk__in=trip_ids).update(state=TripState.ARRIVED)
        QueueEntry.objects.filter(trip_id__in=trip_ids).update(
            status=QueueEntry.Status.WAITING,
            called_at=None,
            call_rule="",
            call_expires_at=None,
            lane=None,
        )
        CallUp.objects.all().delete()


@dataclass
class CycleResult:
    median_ms: float
    max_ms: float
    calls: int
    waiting: int
    queries: int
    sql: list[tuple[float, str]]
    phases: dict[str, list[float]]


def bench_cycle(fixture: Fixture, now: datetime, cycles: int = CYCLES) -> CycleResult:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cuakhau.queueing.models import DispatchRun
    from cuakhau.queueing.services import DISPATCHER, dispatch_passage

    def cycle(at: datetime) -> Any:
        return dispatch_passage(
            actor=DISPATCHER,
            passage_id=fixture.passage_id,
            direction=fixture.direction,
            now=at,
            trigger=DispatchRun.Trigger.SCHEDULE,
        )

    result = cycle(now)  # warm-up: caches, prepared plans, the reference index
    reset_called([c.trip_id for c in result.call_ups])
    times = []
    for i in range(cycles):
        at = now + timedelta(seconds=i + 1)
        started = time.perf_counter()
        result = cycle(at)
        times.append((time.perf_counter() - started) * 1000)
        reset_called([c.trip_id for c in result.call_ups])
    with CaptureQueriesContext(connection) as captured, _phases() as phases:
        result = cycle(now + timedelta(seconds=cycles + 1))
    reset_called([c.trip_id for c in result.call_ups])
    sql = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
    return CycleResult(
        median_ms=statistics.median(times),
        max_ms=max(times),
        calls=len(result.call_ups),
        waiting=result.run.waiting,
        queries=len(captured.captured_queries),
        sql=sql,
        phases=phases,
    )


# The parts of ``dispatch_passage`` timed in the query-counted cycle: (module, function).
PHASES = (
    ("cuakhau.queueing.services", "_lock_plan"),
    ("cuakhau.queueing.services", "_expire_calls"),
    ("cuakhau.queueing.services", "capacity_now"),
    ("cuakhau.queueing.services", "waiting_trucks"),
    ("cuakhau.queueing.services", "choose_calls"),
    ("cuakhau.queueing.services", "_call"),
    ("cuakhau.queueing.messages", "call_notice"),
    ("cuakhau.notifications.services", "notices_enqueue"),
    # Inside ``_call``: the trips' state UPDATE, the queue entries' bulk_update, the events',
    # call records' and outbox rows' INSERTs (the SQL and the ORM's Python work around it).
    ("django.db.models.query", "QuerySet.update"),
    ("django.db.models.query", "QuerySet.bulk_update"),
    ("django.db.models.query", "QuerySet.bulk_create"),
)


@contextlib.contextmanager
def _phases() -> Iterator[dict[str, list[float]]]:
    """Time (ms) and count queries of each part of one cycle, by wrapping the functions
    ``dispatch_passage`` looks up at call time (nothing in the services is changed)."""
    import importlib

    from django.db import connection

    found: dict[str, list[float]] = {}
    patches = []
    for module_name, name in PHASES:
        owner: Any = importlib.import_module(module_name)
        *path, attribute = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, attribute)

        def timed(*args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
            before = len(connection.queries_log)
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent = found.setdefault(_name, [0.0, 0.0, 0.0])
                spent[0] += (time.perf_counter() - started) * 1000
                spent[1] += len(connection.queries_log) - before
                spent[2] += 1

        patches.append(mock.patch.object(owner, attribute, timed))
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        yield found


def _sql_shapes(sql: list[tuple[float, str]]) -> dict[tuple[str, int], float]:
    """Statements grouped by shape (literals blanked), with how many and their total time."""
    shapes: dict[str, list[float]] = {}
    for ms, text in sql:
        shape = re.sub(r"\b\d+\b|'[^']*'", "?", text)
        shape = re.sub(r"(\(\?(, \?)*\)(, )?)+", "(…)", shape)
        shape = re.sub(r"(WHEN .*? THEN \? ?)+", "WHEN … ", shape)
        shapes.setdefault(shape[:160], []).append(ms)
    return {(shape, len(ms)): sum(ms) for shape, ms in shapes.items()}


# --- Main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sql", action="store_true", help="print the SQL of one cycle")
    parser.add_argument("--cycles", type=int, default=CYCLES, help="measured cycles (7)")
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 3 when a target is missed"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    load = os.getloadavg()[0]
    policy_median, policy_p95, policy_calls = bench_policy()
    print(f"dispatch_policy_5000_ms: {policy_median:.2f}")
    print(f"dispatch_policy_5000_p95_ms: {policy_p95:.2f}")
    print(f"dispatch_policy_5000_calls: {policy_calls}")

    db = database_from_env()
    with tempfile.TemporaryDirectory(prefix="cuakhau-bench-") as tmp:
        os.environ.update(django_env(db, Path(tmp) / "var"))
        if db is not None:
            log(f"database {db.name} on {db.host}:{db.port}: creating and migrating")
            create_database(db)
        else:
            log("DATABASE_URL is not PostgreSQL: a throw-away SQLite file, not the target figures")
        try:
            now = datetime.now().astimezone().replace(microsecond=0)
            built = time.monotonic()
            fixture = build_queue(now)
            log(f"{TRUCKS} waiting trucks in {time.monotonic() - built:.1f} s")
            cycle = bench_cycle(fixture, now, args.cycles)
        finally:
            close_django_connections()
            if db is not None:
                drop_database(db)
    print(f"dispatch_cycle_pg_ms: {cycle.median_ms:.1f}")
    print(f"dispatch_cycle_max_ms: {cycle.max_ms:.1f}")
    print(f"dispatch_cycle_queries: {cycle.queries}")
    print(f"dispatch_cycle_calls: {cycle.calls}")
    print(f"dispatch_cycle_waiting: {cycle.waiting}")
    print(f"dispatch_cycle_sql_ms: {sum(ms for ms, _ in cycle.sql):.1f}")
    for name, (ms, queries, calls) in cycle.phases.items():
        times = f" ×{calls:.0f}" if calls > 1 else ""
        print(f"# {name}{times}: {ms:.1f} ms, {queries:.0f} queries")
    if args.sql:
        for (shape, count), ms in _sql_shapes(cycle.sql).items():
            print(f"# sql ×{count} {ms:7.2f} ms  {shape}")
    print(f"# database: {'postgresql' if db else 'sqlite'}")
    met_policy = policy_median < TARGET_POLICY_MS
    met_cycle = cycle.median_ms < TARGET_CYCLE_MS and cycle.calls == CALLS
    print(f"# policy target < {TARGET_POLICY_MS:.0f} ms: {'met' if met_policy else 'MISSED'}")
    print(
        f"# cycle target < {TARGET_CYCLE_MS:.0f} ms with {CALLS} calls: "
        f"{'met' if met_cycle else 'MISSED'}"
    )
    print(f"# load average before the run: {load:.2f}")
    log(f"done in {time.monotonic() - started:.0f} s")
    return 3 if args.strict and not (met_policy and met_cycle) else 0


if __name__ == "__main__":
    sys.exit(main())
