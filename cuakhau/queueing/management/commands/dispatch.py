"""``cuakhau dispatch``: run one dispatch cycle of every export passage now and say what it did
(``cuakhau worker`` runs them on a schedule)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cuakhau.queueing.services import dispatch_all


class Command(BaseCommand):
    help = "Run one dispatch cycle of every export passage and print its calls and holds."

    def handle(self, *args: Any, **options: Any) -> None:
        for result in dispatch_all():
            run = result.run
            calls = ", ".join(f"{c.trip_code} ({c.rule})" for c in result.call_ups) or "—"
            holds = ", ".join(f"{k}: {v}" for k, v in run.holds.items()) or "—"
            self.stdout.write(
                f"passage {run.passage_id} {run.direction}: {run.waiting} waiting, "
                f"{len(result.call_ups)} called [{calls}], {run.expired} expired; "
                f"waiting because of {holds}; {run.duration_ms:.1f} ms"
            )
