"""``cuakhau twin`` as a planner uses it: run a scenario file or a shipped one and read the
report or the JSON; a bad file names each field in the user's language and exits with 2."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cuakhau.twin.tests.helpers import SHIPPED, short_toml, with_line


def twin(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("twin", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def short_file(tmp_path: Path) -> Path:
    path = tmp_path / "huu-nghi-3-ngay.toml"
    path.write_text(short_toml(), encoding="utf-8")
    return path


def test_json_gives_the_whole_result(short_file: Path) -> None:
    out, err = twin("run", str(short_file), "--replications", "2", "--json", "--workers", "1")
    result = json.loads(out)
    assert result["replications"] == 2
    assert result["days"] == 3
    assert result["metrics"]["throughput_per_day"]["mean"] > 300
    assert {"mean", "half_width", "low", "high"} <= set(result["metrics"]["wait.all.p90"])
    assert result["bottleneck"]["resource"]
    # The progress bar went to stderr, drawn in place, and ended full.
    assert "\r[" in err and "100 %" in err


def test_the_report_reads_as_tables_with_intervals(short_file: Path) -> None:
    out, _err = twin("run", str(short_file), "--replications", "2", "--language", "en")
    assert "Key measures (mean ± half-width of the 95 percent confidence interval)" in out
    assert "Trucks crossing per day" in out and " ± " in out
    assert "Waits in the yards per truck class" in out and "P90" in out
    assert "Control steps" in out and "Customs" in out and "manual lanes busy" in out
    assert "The bottleneck is" in out or "No bottleneck" in out


def test_seed_and_volume_are_the_users(short_file: Path) -> None:
    out, _ = twin(
        "run", str(short_file), "--replications", "2", "--seed", "7", "--per-day", "500", "--json"
    )
    result = json.loads(out)
    assert (result["seed"], result["per_day"]) == (7, 500)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ([], "Phải lớn hơn hoặc bằng 1."),
        (["--language", "en"], "Must be at least 1."),
        (["--language", "zh"], "必须大于或等于 1。"),
    ],
)
def test_a_bad_file_names_its_fields_and_exits_with_2(
    tmp_path: Path, language: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(with_line(short_toml(), "days", "0"), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("twin", "run", str(bad), *language, stdout=io.StringIO(), stderr=err)
    assert failed.value.returncode == 2
    assert f"scenario.days: {message}" in err.getvalue()


def test_an_unknown_scenario_exits_with_2() -> None:
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("twin", "run", "khong-co-kich-ban", stderr=err, stdout=io.StringIO())
    assert failed.value.returncode == 2
    assert "khong-co-kich-ban" in err.getvalue()


def test_the_shell_sees_exit_status_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario]\nname = 1\n", encoding="utf-8")
    env = {**os.environ, "LANG": "en_US.UTF-8"}
    done = subprocess.run(  # noqa: S603 - our own console script
        [sys.executable, "-m", "cuakhau", "twin", "run", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "scenario.name: Must be text." in done.stderr
    assert "arrivals: This field is required." in done.stderr


def test_the_list_names_the_shipped_scenarios(db: Any) -> None:
    out, _ = twin("list", "--language", "en")
    assert SHIPPED in out and "Hữu Nghị 2025" in out


def test_a_search_reports_the_most_trucks_a_day(short_file: Path) -> None:
    out, _ = twin("search", str(short_file), "--replications", "2", "--days", "3", "--json")
    found = json.loads(out)
    assert found["search"] == "max_volume" and found["max_per_day"] > 0
    text, _ = twin(
        "search", str(short_file), "--replications", "2", "--days", "3", "--language", "en"
    )
    assert "Most trucks a day sustained" in text and "Volumes tried" in text


def test_the_worker_runs_what_leaders_queued(leader: Any) -> None:
    from cuakhau.twin.tests.helpers import request_run

    run = request_run(leader)
    out, _ = twin("worker", "--once", "--workers", "1")
    run.refresh_from_db()
    assert run.status == "done"
    assert f"run #{run.pk}" in out and "done" in out
