"""The twin's records: scenarios leaders saved (TOML text), runs asked for and their results,
and who did what (domain.md §10).

The engine itself (``scenario``, ``engine``, ``results``, ``runner``) is plain Python and knows
nothing of these tables: a run keeps the exact TOML it was given, so a result can always be
traced to its input even after the saved scenario was edited.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cuakhau.core.models import AuditRecord


class TwinScenario(models.Model):
    """A scenario a leader saved: TOML text, valid when it was saved. Shipped scenarios stay
    files on disk (``cuakhau/twin/scenarios``); copying one here makes it editable."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    toml = models.TextField(_("scenario (TOML)"))
    based_on = models.CharField(_("copied from"), max_length=80, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("twin scenario")
        verbose_name_plural = _("twin scenarios")

    def __str__(self) -> str:
        return self.name


class TwinRun(models.Model):
    """One run of the twin, from the request to its result: the worker claims it (queued →
    running), writes its progress, and ends it done (with the result) or failed (with why)."""

    class Kind(models.TextChoices):
        SIMULATE = "simulate", _("Simulation")
        SEARCH = "search", _("Capacity search")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", pgettext_lazy("twin run", "Failed")

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SIMULATE)
    # The scenario's own name (``[scenario] name``) and where the text came from:
    # "shipped:huu-nghi-2025", "saved:12" or "text".
    scenario_name = models.CharField(_("scenario"), max_length=200)
    source = models.CharField(max_length=100)
    saved_scenario = models.ForeignKey(
        TwinScenario, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    toml = models.TextField()  # exactly the text that was run
    replications = models.PositiveSmallIntegerField(_("replications"))
    target = models.PositiveIntegerField(_("target (trucks/day)"), null=True, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    per_day = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The worker that holds the run: its label, a claim token only it knows, and when it last
    # said it was alive. A run whose heartbeat is too old is taken back (``twin_runs_recover``).
    worker = models.CharField(max_length=100, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    wall_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("twin run")
        verbose_name_plural = _("twin runs")
        indexes = [models.Index(fields=["status", "requested_at"], name="twinrun_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1), name="twinrun_progress_0_1"
            ),
            models.CheckConstraint(condition=Q(replications__gte=1), name="twinrun_replications"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.scenario_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class TwinEvent(AuditRecord):
    """Who did what to a scenario or a run, when and why. Append-only."""

    run = models.ForeignKey(
        TwinRun, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    scenario = models.ForeignKey(
        TwinScenario, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
