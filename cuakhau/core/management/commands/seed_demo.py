"""``cuakhau seed-demo``: a believable day at Hữu Nghị and Tân Thanh, and the demo logins.

Idempotent: ``make run`` calls it every time; when the demo is there it prints the logins again
and stops. It refuses to run with ``DEBUG`` off unless ``--force`` is given, so that demo accounts
with a printed password never reach a production database by accident.

``--reset`` starts again from an empty database. Demo rows cannot be deleted one by one (trip
events and declaration versions are append-only, and foreign keys protect them), so on SQLite it
deletes the whole database file — everything in it, not only the demo — then migrates and seeds.
Stop ``cuakhau serve`` first. On PostgreSQL it refuses and says what to do instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from cuakhau.core import demo


class Command(BaseCommand):
    help = (
        "Fill the database with a demo day at Hữu Nghị and Tân Thanh (about 200 trips in every "
        "state) and print the demo logins. Does nothing when the demo data is already there."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. Never on a production database: the demo accounts "
            "share a published password.",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="SQLite only: delete the whole database file, migrate and seed again.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: this looks like production. The demo creates accounts whose "
                "password is printed on screen. Use --force only on a throw-away database."
            )
        if options["reset"]:
            self._reset()
        if demo.demo_exists():
            self.stdout.write("Demo data is already there: nothing to do.")
            self._report()
            return
        if demo.demo_incomplete():
            raise CommandError(
                "An earlier seed-demo was interrupted: the demo data is incomplete. Run "
                "`cuakhau seed-demo --reset` (SQLite), or start from an empty database."
            )
        self.stdout.write("Building the demo day…")
        result = demo.build_demo(progress=self.stdout.write)
        self._twin_run()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {result.declarations} declarations, {result.trips} trips, "
                f"{result.steps} steps, in {result.seconds:.1f} s."
            )
        )
        self._report()
        if result.api_token:
            self.stdout.write(
                "\nAPI token of the ERP of Kinh Bắc (user dientu), shown only this once:\n"
                f"  {result.api_token}\n"
                "  e.g. curl -H 'Authorization: Bearer <token>' "
                f"{self._site()}/api/v1/declarations"
            )

    def _twin_run(self) -> None:
        """One finished run of the digital twin, so that leaders see results on /twin/."""
        from cuakhau.accounts.models import User
        from cuakhau.twin.services import twin_demo_run

        leader = User.objects.filter(username="lanhdao").first()
        run = twin_demo_run(leader) if leader is not None else None
        if run is not None:
            self.stdout.write(f"Digital twin: run #{run.pk} {run.scenario_name}: {run.status}.")

    def _reset(self) -> None:
        database = settings.DATABASES["default"]
        if not database["ENGINE"].endswith("sqlite3"):
            raise CommandError(
                "--reset works on SQLite only. On PostgreSQL, drop and create the database "
                "(e.g. dropdb/createdb), then run `cuakhau migrate` and `cuakhau seed-demo`."
            )
        path = Path(database["NAME"])
        self.stdout.write(f"Deleting the SQLite database {path} and migrating again…")
        connections.close_all()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        call_command("migrate", interactive=False, verbosity=0)

    def _site(self) -> str:
        return "http://" + os.getenv("CUAKHAU_BIND", "127.0.0.1:8000")

    def _report(self) -> None:
        write = self.stdout.write
        rows = [("username", "role", "gate / enterprise")]
        rows += [(a.username, a.role.value, a.scope) for a in demo.ACCOUNTS]
        extra = demo.extra_accounts()
        rows += [(a.username, a.role.value, a.scope) for a in extra]
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        write("")
        write(self.style.MIGRATE_HEADING(f"Demo accounts — password for all: {demo.DEMO_PASSWORD}"))
        for i, (username, role, scope) in enumerate(rows):
            line = f"  {username:<{widths[0]}}  {role:<{widths[1]}}  {scope}"
            write(self.style.MIGRATE_LABEL(line) if i == 0 else line)
        site = self._site()
        write("")
        write(self.style.MIGRATE_HEADING("Where to start"))
        write(f"  {site}/            the clearance situation (public), then sign in")
        write(f"  {site}/admin/      administration (quantri)")
        write(f"  {site}/api/v1/docs the API and its OpenAPI document")
        counts = demo.demo_trip_counts()
        write("")
        write(self.style.MIGRATE_HEADING(f"Demo trips per state ({sum(counts.values())} in all)"))
        for state, n in counts.items():
            write(f"  {state:<10} {n:>4}")
