"""Catalogues every declaration refers to: vehicle classes, goods regimes, declaration types.

Seeded by migration and editable in the admin. Values the law does not publish are marked
``is_demo`` so nobody mistakes them for official figures.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cuakhau.core.text import Text


class Direction(models.TextChoices):
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")


class NamedMixin(models.Model):
    """Names in the three languages, shown by the reader's language."""

    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name_vi

    @property
    def names(self) -> Text:
        """The name in the three languages (English and Chinese fall back to Vietnamese)."""
        return Text(self.name_vi, self.name_en or self.name_vi, self.name_zh or self.name_vi)

    def name_for(self, language: str | None) -> str:
        key = (language or "vi")[:2]
        return str(getattr(self, f"name_{key}", "") or self.name_vi)


class VehicleClass(NamedMixin):
    code = models.CharField(_("code"), max_length=8, unique=True)
    min_tonnes = models.DecimalField(_("from (tonnes)"), max_digits=6, decimal_places=2, default=0)
    max_tonnes = models.DecimalField(
        _("under (tonnes)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    container_feet = models.PositiveSmallIntegerField(
        _("or container of (feet)"), null=True, blank=True
    )
    is_demo = models.BooleanField(
        _("demo value"), default=False, help_text=_("Bounds not taken from an official source.")
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("vehicle class")
        verbose_name_plural = _("vehicle classes")

    def __str__(self) -> str:
        return f"{self.code} — {self.name_vi}"


class GoodsRegime(NamedMixin):
    code = models.CharField(_("code"), max_length=16, unique=True)
    allows_export = models.BooleanField(_("export direction"), default=False)
    allows_import = models.BooleanField(_("import direction"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("goods regime")
        verbose_name_plural = _("goods regimes")

    def allows(self, direction: str) -> bool:
        return self.allows_export if direction == Direction.EXPORT else self.allows_import


class CustomsDeclarationType(NamedMixin):
    """A VNACCS declaration type code (E42, B11, A11, C11, G11 …)."""

    code = models.CharField(_("code"), max_length=3, unique=True)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("customs declaration type")
        verbose_name_plural = _("customs declaration types")

    def __str__(self) -> str:
        return f"{self.code} — {self.name_vi}"
