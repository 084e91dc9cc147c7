"""``cuakhau deliver-notifications``: send what the outbox holds (webhooks, e-mail, SMS).

Once by default (for cron); ``--loop`` keeps going as a worker, a round every few seconds,
printing one line per round. Several workers may run at once: each message is claimed by one.
"""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from cuakhau.notifications.services import outbox_deliver_due


class Command(BaseCommand):
    help = "Deliver the notifications that are due (webhooks, e-mail, SMS); --loop to keep going."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Run as a worker until stopped.")
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            help="Seconds to sleep between rounds with --loop when nothing was due (5).",
        )
        parser.add_argument(
            "--limit", type=int, default=100, help="At most this many messages per round (100)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        limit = max(1, options["limit"])
        if not options["loop"]:
            self._round(limit)
            return
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(
            f"Delivering notifications every {options['interval']:g} s; Ctrl-C stops."
        )
        try:
            while not stopping:
                close_old_connections()
                try:
                    report = self._round(limit)
                except DatabaseError as error:
                    # The database went away for a moment: say so and try again next round.
                    self.stderr.write(f"{timezone.localtime():%H:%M:%S} database error: {error}")
                    report = None
                # A full round means more is waiting: go again at once.
                if report is None or report.attempted < limit:
                    time.sleep(options["interval"])
        except KeyboardInterrupt:
            pass
        self.stdout.write("Stopped.")

    def _round(self, limit: int) -> Any:
        report = outbox_deliver_due(limit=limit)
        self.stdout.write(f"{timezone.localtime():%H:%M:%S} {report}")
        return report
