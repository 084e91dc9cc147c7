"""``cuakhau worker``: the platform's background work — dispatch cycles of every passage on
their schedule, expired calls, the notifications outbox and the twin's call-up forecasts in one
loop; the twin's simulation runs (minutes long) in a thread beside it, so they never hold up a
dispatch cycle.

One line per round when something happened. Several workers may run: dispatch cycles lock their
passage's plan row, outbox messages and twin runs are claimed one worker at a time.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone

from cuakhau.core.errors import DomainError
from cuakhau.notifications.services import outbox_deliver_due
from cuakhau.queueing.forecasts import forecasts_refresh_all
from cuakhau.queueing.services import dispatch_all
from cuakhau.twin.services import twin_run_next

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run dispatch cycles and deliver notifications until stopped (--once for one round)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One round, then exit.")
        parser.add_argument(
            "--dispatch-interval",
            type=float,
            default=float(settings.CUAKHAU_DISPATCH_INTERVAL_SECONDS),
            help="Seconds between dispatch cycles (CUAKHAU_DISPATCH_INTERVAL_SECONDS).",
        )
        parser.add_argument(
            "--delivery-interval", type=float, default=3.0, help="Seconds between outbox rounds."
        )
        parser.add_argument(
            "--forecast-interval",
            type=float,
            default=float(settings.CUAKHAU_FORECAST_INTERVAL_SECONDS),
            help="Seconds between call-up forecasts (CUAKHAU_FORECAST_INTERVAL_SECONDS).",
        )
        parser.add_argument(
            "--no-twin", action="store_true", help="Leave the twin's simulation runs to others."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        twin: _TwinRuns | None = None
        if not options["once"]:
            signal.signal(signal.SIGTERM, stop)
            self.stdout.write(
                f"Worker: dispatch every {options['dispatch_interval']:g} s, "
                f"notifications every {options['delivery_interval']:g} s, "
                f"forecasts every {options['forecast_interval']:g} s."
            )
            if not options["no_twin"]:
                twin = _TwinRuns(self)
                twin.start()
        next_dispatch = next_forecast = 0.0
        try:
            while not stopping:
                try:
                    if time.monotonic() >= next_dispatch:
                        self._dispatch()
                        next_dispatch = time.monotonic() + options["dispatch_interval"]
                    if time.monotonic() >= next_forecast:
                        # After the dispatch: the forecast starts from the queue it left.
                        next_forecast = time.monotonic() + options["forecast_interval"]
                        self._forecast()
                    self._deliver()
                    if options["once"] and not options["no_twin"]:
                        self._twin_once()
                except DatabaseError as error:
                    # The database went away for a moment: say so and try again next round.
                    self.stderr.write(f"{timezone.localtime():%H:%M:%S} database error: {error}")
                except DomainError as error:
                    # A cycle lost a race with an operator (it rolled back whole): next round.
                    self.stderr.write(f"{timezone.localtime():%H:%M:%S} {error.code}: {error}")
                except Exception:
                    # Keep the worker alive; the traceback goes to the log for the operators.
                    logger.exception("worker round failed")
                if options["once"]:
                    return
                # Between rounds, as Django does between requests: drop a broken connection.
                close_old_connections()
                time.sleep(options["delivery_interval"])
        except KeyboardInterrupt:
            pass
        finally:
            if twin is not None:
                twin.stop()

    def _dispatch(self) -> None:
        results = dispatch_all()
        calls = sum(len(result.call_ups) for result in results)
        expired = sum(result.run.expired for result in results)
        if calls or expired:
            waiting = sum(result.run.waiting for result in results)
            self.stdout.write(
                f"{timezone.localtime():%H:%M:%S} dispatch: {calls} called, "
                f"{expired} calls expired, {waiting} waiting"
            )

    def _forecast(self) -> None:
        refreshed = forecasts_refresh_all()
        trucks = sum(result.trucks for result in refreshed)
        if trucks:
            self.stdout.write(
                f"{timezone.localtime():%H:%M:%S} forecasts: {trucks} waiting trucks "
                f"at {len(refreshed)} passages"
            )

    def _twin_once(self) -> None:
        run = twin_run_next(worker_label=worker_label())
        if run is not None:
            self.stdout.write(f"{timezone.localtime():%H:%M:%S} twin: run {run.pk} {run.status}")

    def _deliver(self) -> None:
        report = outbox_deliver_due()
        if report.attempted:
            self.stdout.write(f"{timezone.localtime():%H:%M:%S} notifications: {report}")


def worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class _TwinRuns(threading.Thread):
    """The twin's queued simulation runs, one after another, beside the worker's loop (each
    runs its replications in a process pool and reports progress on its row)."""

    IDLE_SECONDS = 2.0

    def __init__(self, command: Command) -> None:
        super().__init__(name="twin-runs", daemon=True)
        self.command = command
        self.stopping = threading.Event()

    def run(self) -> None:
        label = worker_label()
        try:
            while not self.stopping.is_set():
                try:
                    run = twin_run_next(worker_label=label)
                except DatabaseError as error:
                    self.command.stderr.write(f"twin runs: database error: {error}")
                    run = None
                except Exception:
                    logger.exception("twin run failed")
                    run = None
                if run is not None:
                    self.command.stdout.write(
                        f"{timezone.localtime():%H:%M:%S} twin: run {run.pk} {run.status}"
                    )
                    continue
                close_old_connections()
                self.stopping.wait(self.IDLE_SECONDS)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopping.set()
