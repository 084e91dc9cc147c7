"""``cuakhau twin``: the digital twin from the command line.

* ``cuakhau twin list`` — the shipped scenarios (and saved ones, by id);
* ``cuakhau twin run SCENARIO [--replications N] [--seed S] [--per-day V] [--json]`` — run a
  scenario (a shipped name such as ``huu-nghi-2025``, or a TOML file's path) on every core, with
  a progress bar on stderr, then print the key measures with their 95 % confidence half-widths,
  the waits per truck class, the control steps and the bottleneck (``--json``: the whole result);
* ``cuakhau twin search SCENARIO [--target T]`` — the most trucks a day the configuration
  sustains, or (``--target``) the changes that reach that many;
* ``cuakhau twin worker [--once]`` — run the runs leaders queue on the twin's page.

A scenario that is not valid prints each bad field with its message (Vietnamese by default;
``--language en|zh`` or an English/Chinese ``LANG``) and exits with status 2.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import close_old_connections
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from cuakhau.core.errors import DomainError, InvalidInput
from cuakhau.core.text import LANGUAGES, Text, language_key
from cuakhau.twin import present, services
from cuakhau.twin.models import TwinScenario
from cuakhau.twin.scenario import SCENARIO_DIR, Scenario, parse_scenario, shipped_scenarios

DJANGO_LANGUAGE = {"vi": "vi", "en": "en", "zh": "zh-hans"}
NOT_FOUND = Text(
    "Không có kịch bản «{name}»: hãy đưa tên một kịch bản có sẵn (cuakhau twin list) hoặc "
    "đường dẫn tới tệp TOML.",
    "No scenario «{name}»: give a shipped scenario's name (cuakhau twin list) or the path of a "
    "TOML file.",
    "没有场景「{name}」：请给出内置场景名称（cuakhau twin list）或 TOML 文件路径。",
)
BAD_EXIT = 2


def pick_language(option: str | None) -> str:
    """``--language``, else an English or Chinese locale in the environment; Vietnamese first."""
    if option:
        return language_key(option)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        short = value.lower()[:2]
        if short in LANGUAGES:
            return short
    return "vi"


class ProgressBar:
    """A text bar updated in place on ``stream``: ``[#######.........]  42 %  3 s``."""

    def __init__(self, stream: OutputWrapper, width: int = 30, every: float = 0.1) -> None:
        self.stream = stream
        self.width = width
        self.every = every
        self.started = time.monotonic()
        self.last = -1.0
        self.shown = -1.0

    def __call__(self, fraction: float) -> None:
        now = time.monotonic()
        if fraction < 1 and now - self.last < self.every:
            return
        self.last = now
        self._draw(fraction, now)

    def _draw(self, fraction: float, now: float) -> None:
        fraction = min(1.0, max(0.0, fraction))
        self.shown = fraction
        filled = round(fraction * self.width)
        line = (
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {fraction * 100:3.0f} %"
            f"  {now - self.started:.0f} s"
        )
        self.stream.write(line, ending="")
        self.stream.flush()

    def done(self) -> None:
        if self.shown < 1:
            self._draw(1.0, time.monotonic())
        self.stream.write("")
        self.stream.flush()


def cell_text(cell: present.Cell, *, ci: bool = True) -> str:
    if cell.mean is None:
        return "—"
    text = f"{cell.mean:,.{cell.digits}f}"
    if ci and cell.half_width:
        text += f" ± {cell.half_width:,.{cell.digits}f}"
    unit = {"min": _("min"), "%": "%", "h": _("h")}.get(cell.unit, cell.unit)
    return f"{text} {unit}".rstrip() if unit else text


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell; the first left-aligned, the others right."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [str(row[0]).ljust(widths[0])]
        cells += [str(value).rjust(width) for value, width in zip(row[1:], widths[1:], strict=True)]
        return "  " + "  ".join(cells).rstrip()

    return [line(header)] + [line(row) for row in rows]


class Command(BaseCommand):
    help = "Run the digital twin: list scenarios, run one, search its capacity, or work the queue."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="The shipped and saved scenarios.")
        listing.add_argument("--language", help="vi (default), en or zh.")

        run = sub.add_parser("run", help="Run a scenario's replications and report the results.")
        self._scenario_arguments(run)
        run.add_argument("--seed", type=int, help="Base seed (default: the scenario's).")
        run.add_argument("--per-day", type=float, help="Trucks arriving a day (default: its own).")
        run.add_argument("--workers", type=int, help="Processes (default: every core).")

        search = sub.add_parser(
            "search",
            help="The most trucks a day the configuration sustains, or what reaches --target.",
        )
        self._scenario_arguments(search)
        search.add_argument("--target", type=float, help="Trucks a day to reach.")
        search.add_argument("--days", type=int, help="Days each probe runs (default 21).")
        search.add_argument("--seed", type=int, help="Base seed (default: the scenario's).")
        search.add_argument("--workers", type=int, help="Processes (default: every core).")

        worker = sub.add_parser("worker", help="Run the queued runs of the twin's page.")
        worker.add_argument("--once", action="store_true", help="At most one run, then exit.")
        worker.add_argument("--interval", type=float, default=2.0, help="Seconds between looks.")
        worker.add_argument("--workers", type=int, help="Processes per run (default: every core).")

    def _scenario_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scenario", help="A shipped scenario's name or a TOML file's path.")
        parser.add_argument("--replications", type=int, help="Replications (default: its own).")
        parser.add_argument("--json", action="store_true", help="The full result as JSON.")
        parser.add_argument("--language", help="vi (default), en or zh.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "worker":
            self._worker(options)
            return
        language = pick_language(options.get("language"))
        with translation.override(DJANGO_LANGUAGE[language]):
            if action == "list":
                self._list()
            elif action == "run":
                self._run(options, language)
            else:
                self._search(options, language)

    # --- list ---------------------------------------------------------------------------------

    def _list(self) -> None:
        from cuakhau.twin.selectors import shipped_list

        rows = [
            (s.key, s.name, f"{s.days}" if s.valid else "!", f"{s.per_day:,.0f}" if s.valid else "")
            for s in shipped_list()
        ]
        self.stdout.write(_("Shipped scenarios") + f" ({SCENARIO_DIR})")
        for line in table((_("name"), _("scenario"), _("days"), _("trucks/day")), rows):
            self.stdout.write(line)
        saved = list(TwinScenario.objects.order_by("name").values_list("pk", "name"))
        if saved:
            self.stdout.write("")
            self.stdout.write(_("Saved scenarios (run them from the twin's page)"))
            for line in table(("id", _("name")), [(str(pk), name) for pk, name in saved]):
                self.stdout.write(line)

    # --- run ----------------------------------------------------------------------------------

    def _load(self, name: str, language: str) -> Scenario:
        path = Path(name)
        if not path.exists():
            shipped = {p.stem: p for p in shipped_scenarios()}
            if name not in shipped:
                self.stderr.write(NOT_FOUND.format(name=name).get(language))
                raise CommandError(NOT_FOUND.format(name=name).en, returncode=BAD_EXIT)
            path = shipped[name]
        try:
            return parse_scenario(path.read_text(encoding="utf-8"), base=path.parent)
        except InvalidInput as error:
            self.stderr.write(f"{path}: {error.message.get(language)}")
            for item in error.errors:
                self.stderr.write(f"  {item.path or 'toml'}: {item.message.get(language)}")
            raise CommandError(
                f"{error.message.en} ({len(error.errors)})", returncode=BAD_EXIT
            ) from None
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(str(error), returncode=BAD_EXIT) from None

    def _replications(self, options: dict[str, Any]) -> int | None:
        count: int | None = options.get("replications")
        if count is not None and not 1 <= count <= services.MAX_REPLICATIONS:
            raise CommandError(
                f"--replications: 1–{services.MAX_REPLICATIONS}", returncode=BAD_EXIT
            )
        return count

    def _run(self, options: dict[str, Any], language: str) -> None:
        from cuakhau.twin.runner import run_replications

        scenario = self._load(options["scenario"], language)
        replications = self._replications(options)
        bar = ProgressBar(self.stderr)
        try:
            result = run_replications(
                scenario,
                replications,
                seed=options.get("seed"),
                per_day=options.get("per_day"),
                workers=options.get("workers"),
                progress=bar,
            )
        except DomainError as error:
            raise CommandError(error.message.get(language), returncode=BAD_EXIT) from None
        bar.done()
        result = services.finite(result)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=1))
            return
        for line in report_lines(result, present.shelf_bounds(scenario.source)):
            self.stdout.write(line)

    def _search(self, options: dict[str, Any], language: str) -> None:
        from cuakhau.twin import search

        scenario = self._load(options["scenario"], language)
        replications = self._replications(options) or search.DEFAULT_REPLICATIONS
        bar = ProgressBar(self.stderr)
        horizon: dict[str, Any] = {
            "replications": replications,
            "days": options.get("days") or search.DEFAULT_DAYS,
            "seed": options.get("seed"),
            "workers": options.get("workers"),
            "progress": bar,
        }
        try:
            if options.get("target"):
                found: dict[str, Any] = {
                    "search": "target",
                    **search.plan_for_target(scenario, options["target"], **horizon).as_dict(),
                }
            else:
                found = {"search": "max_volume", **search.max_volume(scenario, **horizon).as_dict()}
        except InvalidInput as error:
            self.stderr.write(error.message.get(language))
            for item in error.errors:
                self.stderr.write(f"  {item.path}: {item.message.get(language)}")
            raise CommandError(error.message.en, returncode=BAD_EXIT) from None
        bar.done()
        found = services.finite(found)
        if options["json"]:
            self.stdout.write(json.dumps(found, ensure_ascii=False, indent=1))
            return
        for line in search_lines(found, language):
            self.stdout.write(line)

    # --- worker -------------------------------------------------------------------------------

    def _worker(self, options: dict[str, Any]) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        label = f"{socket.gethostname()}:{os.getpid()}"
        if not options["once"]:
            signal.signal(signal.SIGTERM, stop)
            self.stdout.write(
                f"Twin worker {label}: looking for runs every {options['interval']:g} s."
            )
        while not stopping:
            run = services.twin_run_next(worker_label=label, processes=options.get("workers"))
            if run is not None:
                self.stdout.write(
                    f"{time.strftime('%H:%M:%S')} run #{run.pk} {run.scenario_name}: {run.status}"
                    + (f" ({run.wall_seconds:.1f} s)" if run.wall_seconds else "")
                    + (f" — {run.error}" if run.error else "")
                )
            if options["once"]:
                return
            close_old_connections()
            if run is None:
                time.sleep(options["interval"])


def report_lines(result: dict[str, Any], bounds: dict[str, float]) -> list[str]:
    """A simulation's result as a readable report (the reader's language via gettext)."""
    lines = [
        _(
            "%(scenario)s — %(replications)s replications × %(days)s days (%(warmup)s warm-up), "
            "seed %(seed)s, %(per_day)s trucks/day; %(wall).1f s on %(processes)s processes"
        )
        % {
            "scenario": result.get("scenario", ""),
            "replications": result.get("replications", 0),
            "days": result.get("days", 0),
            "warmup": result.get("warmup_days", 0),
            "seed": result.get("seed", ""),
            "per_day": f"{result.get('per_day') or 0:,.0f}",
            "wall": result.get("wall_seconds") or 0.0,
            "processes": result.get("processes", 1),
        },
        "",
        _("Key measures (mean ± half-width of the 95 percent confidence interval)"),
    ]
    lines += table(
        (_("measure"), pgettext("console column", "value")),
        [(str(row.label), cell_text(row.cells[0])) for row in present.key_rows([result])],
    )
    lines += ["", _("Waits in the yards per truck class (minutes, ± 95% CI)")]
    lines += table(
        (_("class"), _("trucks"), _("mean"), "P50", "P90", "P99"),
        [(str(row.label), *(cell_text(c) for c in row.cells)) for row in present.wait_rows(result)],
    )
    lines += ["", _("Control steps")]
    lines += table(
        (
            _("step"),
            _("trucks/day"),
            _("wait"),
            _("service"),
            _("time in step"),
            _("time P90"),
            _("held aside"),
            _("manual lanes busy"),
            _("smart lanes busy"),
        ),
        [
            (
                (("* " if row.highlight else "") + str(row.label)),
                *(cell_text(c, ci=False) for c in row.cells),
            )
            for row in present.step_rows(result)
        ],
    )
    held = present.held_rows(result)
    if held:
        lines += ["", _("The yard queue waited because")]
        lines += table(
            (_("cause"), _("share of the time")),
            [(str(row.label), cell_text(row.cells[0])) for row in held],
        )
    shelf = present.shelf_rows(result, bounds)
    if shelf:
        lines += ["", _("Perishable trucks that waited longer than their produce keeps")]
        lines += table(
            (_("goods"), _("keeps"), _("trucks over"), _("share")),
            [(str(row.label), *(cell_text(c) for c in row.cells)) for row in shelf],
        )
    lines += ["", present.bottleneck_text(result)]
    return lines


def search_lines(found: dict[str, Any], language: str) -> list[str]:
    """A capacity search's result as a readable report."""
    lines: list[str] = []
    if found.get("search") == "target":
        lines.append(
            (
                _("Target %(target)s trucks/day: reached.")
                if found.get("reached")
                else _("Target %(target)s trucks/day: not reached.")
            )
            % {"target": f"{found.get('target_per_day', 0):,.0f}"}
        )
        if found.get("limited_by"):
            lines.append(
                _("Limited by: %(what)s") % {"what": present.resource_label(found["limited_by"])}
            )
        lines += ["", _("Changes, in order")]
        for index, change in enumerate(found.get("changes") or [], start=1):
            why = change.get("why") or {}
            reason = why.get(language, why.get("en", ""))
            lines.append(
                f"  {index}. {present.resource_label(change.get('resource', ''))}: "
                f"{change.get('from')} → {change.get('to')} — {reason}"
            )
            after = change.get("result")
            if after:
                lines.append("     " + probe_text(after))
        if not found.get("changes"):
            lines.append("  —")
        return lines
    lines.append(
        _("Most trucks a day sustained: %(volume)s (P90 wait within %(bound)s min).")
        % {
            "volume": f"{found.get('max_per_day', 0):,.0f}" + ("+" if found.get("capped") else ""),
            "bound": f"{found.get('wait_bound_minutes', 0):,.0f}",
        }
    )
    lines.append(
        _("What stops more: %(what)s")
        % {"what": present.resource_label(found.get("bottleneck", ""))}
    )
    lines += ["", _("Volumes tried")]
    lines += table(
        (
            _("trucks/day"),
            _("crossed/day"),
            "P50",
            "P90",
            _("P90 high"),
            _("sustained"),
            _("bottleneck"),
        ),
        [
            (
                f"{p['per_day']:,.0f}",
                f"{p['throughput_per_day']:,.0f}",
                f"{p['wait_p50_minutes']:,.0f}",
                f"{p['wait_p90_minutes']:,.0f}",
                f"{p['wait_p90_high_minutes']:,.0f}",
                _("yes") if p["sustained"] else _("no"),
                present.resource_label(p.get("bottleneck", "")),
            )
            for p in found.get("table") or found.get("probes") or []
        ],
    )
    return lines


def probe_text(probe: dict[str, Any]) -> str:
    return _("then %(crossed)s crossed/day, P90 wait %(p90)s min, %(sustained)s") % {
        "crossed": f"{probe.get('throughput_per_day', 0):,.0f}",
        "p90": f"{probe.get('wait_p90_minutes', 0):,.0f}",
        "sustained": _("sustained") if probe.get("sustained") else _("not sustained"),
    }
