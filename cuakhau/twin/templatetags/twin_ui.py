"""Filters of the twin's pages: a measure with its confidence interval, in the reader's number
format."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from cuakhau.twin.present import Cell

register = template.Library()


def _unit(cell: Cell) -> str:
    return {"min": _("min"), "h": _("h"), "%": "%"}.get(cell.unit, cell.unit)


def _number(value: float, digits: int) -> str:
    return str(number_format(round(value, digits), decimal_pos=digits, force_grouping=True))


@register.filter
def ci(cell: Any) -> str:
    """``870 ± 11``, ``155 ± 17 min``, ``38 %``; an em dash when not measured."""
    if not isinstance(cell, Cell) or cell.mean is None:
        return "—"
    text = _number(cell.mean, cell.digits)
    if cell.half_width:
        text += " ± " + _number(cell.half_width, cell.digits)
    unit = _unit(cell)
    return f"{text} {unit}" if unit else text


@register.filter
def mean(cell: Any) -> str:
    """The mean alone, with its unit."""
    if not isinstance(cell, Cell) or cell.mean is None:
        return "—"
    unit = _unit(cell)
    text = _number(cell.mean, cell.digits)
    return f"{text} {unit}" if unit else text


@register.filter
def share(value: Any) -> str:
    """A share (0–1) as a whole percentage."""
    try:
        return f"{round(float(value) * 100)} %"
    except (TypeError, ValueError):
        return "—"


@register.filter
def run_tone(status: str) -> str:
    return {"done": "ok", "failed": "bad", "running": "info", "queued": "warn"}.get(status, "")
