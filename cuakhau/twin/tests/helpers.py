"""Short scenarios for the twin app's tests: the shipped Hữu Nghị file cut to a few days, so a
run of two replications takes a fraction of a second."""

from __future__ import annotations

import re
from typing import Any

from cuakhau.core.actors import Actor
from cuakhau.twin import services
from cuakhau.twin.models import TwinRun, TwinScenario

SHIPPED = "huu-nghi-2025"


def short_toml(days: int = 3, replications: int = 2, *, name: str | None = None) -> str:
    """The shipped Hữu Nghị scenario on ``days`` days (one warm-up day)."""
    text = services.shipped_text(SHIPPED)
    assert text is not None
    for key, value in (("days", days), ("warmup_days", 1), ("replications", replications)):
        text, found = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)
        assert found == 1, key
    if name is not None:
        text = re.sub(r'(?m)^name = ".*"$', f'name = "{name}"', text, count=1)
    return text


def with_line(text: str, key: str, value: str) -> str:
    """``text`` with the first ``key = …`` line set to ``value`` (raw TOML)."""
    changed, found = re.subn(rf"(?m)^{re.escape(key)} = .*$", f"{key} = {value}", text, count=1)
    assert found == 1, key
    return changed


def request_run(user: Any, **fields: Any) -> TwinRun:
    fields.setdefault("toml", short_toml())
    return services.twin_run_request(actor=Actor.of(user), **fields)


def save_scenario(user: Any, name: str = "Hữu Nghị, 3 ngày", **fields: Any) -> TwinScenario:
    fields.setdefault("toml", short_toml(name=name))
    return services.twin_scenario_save(actor=Actor.of(user), name=name, **fields)
