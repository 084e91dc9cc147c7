"""``cuakhau worker``: the platform's background work in one loop — dispatch cycles of every
passage on their schedule, expired calls, and the notifications outbox.

One line per round when something happened. Several workers may run: dispatch cycles lock their
passage's plan row and outbox messages are claimed one worker at a time.
"""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from cuakhau.core.errors import DomainError
from cuakhau.notifications.services import outbox_deliver_due
from cuakhau.queueing.services import dispatch_all

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

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        if not options["once"]:
            signal.signal(signal.SIGTERM, stop)
            self.stdout.write(
                f"Worker: dispatch every {options['dispatch_interval']:g} s, "
                f"notifications every {options['delivery_interval']:g} s."
            )
        next_dispatch = 0.0
        try:
            while not stopping:
                try:
                    if time.monotonic() >= next_dispatch:
                        self._dispatch()
                        next_dispatch = time.monotonic() + options["dispatch_interval"]
                    self._deliver()
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

    def _deliver(self) -> None:
        report = outbox_deliver_due()
        if report.attempted:
            self.stdout.write(f"{timezone.localtime():%H:%M:%S} notifications: {report}")
