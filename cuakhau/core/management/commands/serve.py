"""``cuakhau serve``: the platform behind gunicorn, static files served by WhiteNoise, and the
background worker (dispatch cycles, notifications) beside it unless ``--no-worker``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the platform with gunicorn (collects static files first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.getenv("CUAKHAU_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.getenv("WEB_CONCURRENCY", "2")))
        parser.add_argument("--threads", type=int, default=1)
        parser.add_argument("--access-log", action="store_true")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start the worker (run `cuakhau worker` elsewhere).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Cửa khẩu số on http://{options['bind']}  (Ctrl+C to stop)")
        if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
            self.stdout.write(f"Database: SQLite at {settings.DATABASES['default']['NAME']}")
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "cuakhau.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--worker-class",
            "gthread" if options["threads"] > 1 else "sync",
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
        ]
        if options["access_log"]:
            argv += ["--access-logfile", "-"]
        sys.stdout.flush()
        if options["no_worker"]:
            os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with gunicorn
        worker = subprocess.Popen([sys.executable, "-m", "cuakhau", "worker"])
        web = subprocess.Popen(argv)  # noqa: S603
        self.stdout.write("Worker started: dispatch cycles and notifications.")

        def stop(signum: int, frame: Any) -> None:
            web.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            web.wait()
        except KeyboardInterrupt:
            web.wait()
        finally:
            worker.terminate()
            worker.wait(timeout=15)
