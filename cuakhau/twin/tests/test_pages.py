"""The twin's pages and API as leaders use them (Django's client): the list of scenarios and
runs, the editor with its errors named by field in the reader's language, a run's progress and
results (tables with confidence intervals, the bottleneck in words, SVG charts), runs compared
side by side, and nobody else getting in."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from cuakhau.accounts.models import User
from cuakhau.conftest import Api
from cuakhau.core.actors import Actor
from cuakhau.twin import services
from cuakhau.twin.models import TwinRun, TwinScenario
from cuakhau.twin.tests.helpers import SHIPPED, request_run, save_scenario, short_toml, with_line

pytestmark = pytest.mark.django_db


def client_for(user: User | None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def finished_run(user: User, **fields: Any) -> TwinRun:
    run = request_run(user, **fields)
    done = services.twin_run_next(worker_label="test", processes=1)
    assert done is not None and done.pk == run.pk and done.status == "done", done and done.error
    return done


PAGES = [
    "/twin/",
    "/twin/compare/",
    "/twin/scenarios/new/",
    "/twin/scenarios/{scenario}/",
    "/twin/runs/{run}/",
    "/twin/runs/{run}/live/",
    "/twin/live/?ids={run}",
]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    "persona", ["exporter", "gate_operator", "customs_officer", "border_guard", "plant_officer"]
)
def test_only_leaders_and_administrators_open_the_twin(
    page: str, persona: str, request: Any, leader: User, administrator: User
) -> None:
    run = request_run(leader)
    saved = save_scenario(leader)
    url = page.format(run=run.pk, scenario=saved.pk)
    assert client_for(request.getfixturevalue(persona)).get(url).status_code == 403
    anonymous = client_for(None).get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert client_for(leader).get(url).status_code == 200
    assert client_for(administrator).get(url).status_code == 200


def test_others_cannot_queue_runs_or_save_from_the_pages(exporter: User, leader: User) -> None:
    client = client_for(exporter)
    assert client.post("/twin/runs/new/", {"scenario": SHIPPED}).status_code == 403
    toml = short_toml()
    response = client.post("/twin/scenarios/new/", {"action": "save", "name": "x", "toml": toml})
    assert response.status_code == 403
    assert not TwinRun.objects.exists() and not TwinScenario.objects.exists()


def test_the_menu_shows_the_twin_to_leaders_and_administrators_only(
    leader: User, administrator: User, gate_operator: User, exporter: User
) -> None:
    link = 'href="/twin/"'
    assert link in client_for(leader).get("/").content.decode()
    assert link in client_for(administrator).get("/").content.decode()
    assert link not in client_for(gate_operator).get("/").content.decode()
    assert link not in client_for(exporter).get("/").content.decode()


def test_the_list_shows_shipped_and_saved_scenarios_and_runs_with_progress(leader: User) -> None:
    saved = save_scenario(leader, "Hữu Nghị, ba ngày")
    run = request_run(leader)
    html = client_for(leader).get("/twin/").content.decode()
    assert f'data-shipped="{SHIPPED}"' in html
    assert "Hữu Nghị 2025 (hiện trạng / today)" in html
    assert f'data-saved="{saved.pk}"' in html and "Hữu Nghị, ba ngày" in html
    assert f'data-run="{run.pk}" data-status="queued"' in html
    assert "<progress" in html
    assert f'href="/twin/scenarios/new/?from={SHIPPED}"' in html


def test_a_shipped_scenario_is_run_from_the_list(leader: User) -> None:
    response = client_for(leader).post(
        "/twin/runs/new/", {"scenario": SHIPPED, "replications": "3", "kind": "simulate"}
    )
    run = TwinRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/twin/runs/{run.pk}/"
    assert (run.source, run.replications, run.status) == (f"shipped:{SHIPPED}", 3, "queued")


def test_a_request_the_rules_refuse_is_explained_on_the_list(leader: User) -> None:
    client = client_for(leader)
    response = client.post(
        "/twin/runs/new/", {"scenario": SHIPPED, "replications": "9999"}, follow=True
    )
    assert "Replications must be between 1 and 200." in response.content.decode()
    assert not TwinRun.objects.exists()


def test_the_runs_live_endpoint_reports_status_and_progress(leader: User) -> None:
    run = request_run(leader)
    TwinRun.objects.filter(pk=run.pk).update(status="running", progress=0.42)
    body = client_for(leader).get(f"/twin/live/?ids={run.pk},abc,999999").json()
    assert body == {
        "runs": [
            {
                "id": run.pk,
                "status": "running",
                "label": "Running",
                "tone": "info",
                "progress": 0.42,
            }
        ]
    }


# --- The editor ---------------------------------------------------------------------------------


def test_a_shipped_scenario_is_copied_into_the_editor(leader: User) -> None:
    html = client_for(leader).get(f"/twin/scenarios/new/?from={SHIPPED}").content.decode()
    assert "Hữu Nghị 2025 (hiện trạng / today) (copy)" in html
    assert "[[steps]]" in html  # the TOML, in the textarea
    assert f'name="based_on" value="{SHIPPED}"' in html


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("vi", "Phải lớn hơn hoặc bằng 1."),
        ("en", "Must be at least 1."),
        ("zh-hans", "必须大于或等于 1。"),
    ],
)
def test_the_editor_names_each_bad_field_in_the_readers_language(
    leader: User, language: str, message: str
) -> None:
    toml = with_line(short_toml(), "days", "0")
    response = client_for(leader, language).post(
        "/twin/scenarios/new/", {"action": "check", "name": "Thử", "toml": toml}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "<code>scenario.days</code>: " + message in html
    assert "days = 0" in html  # the text stays as typed
    assert not TwinScenario.objects.exists()


def test_the_editor_checks_saves_and_runs(leader: User) -> None:
    client = client_for(leader)
    toml = short_toml(name="Hữu Nghị thêm làn hải quan")
    checked = client.post(
        "/twin/scenarios/new/", {"action": "check", "name": "Thêm làn", "toml": toml}
    )
    assert checked.status_code == 200
    assert "The scenario is valid." in checked.content.decode()
    assert not TwinScenario.objects.exists()

    saved = client.post(
        "/twin/scenarios/new/",
        {"action": "save", "name": "Thêm làn", "toml": toml, "based_on": SHIPPED},
    )
    scenario = TwinScenario.objects.get()
    assert saved["Location"] == f"/twin/scenarios/{scenario.pk}/"
    assert (scenario.name, scenario.toml, scenario.based_on) == ("Thêm làn", toml, SHIPPED)

    # Run as saved: the run is the saved scenario's; run edited: it is the text.
    url = f"/twin/scenarios/{scenario.pk}/"
    client.post(url, {"action": "run", "name": "Thêm làn", "toml": toml, "replications": "2"})
    edited = with_line(toml, "per_day", "990")
    client.post(url, {"action": "run", "name": "Thêm làn", "toml": edited})
    runs = list(TwinRun.objects.order_by("pk"))
    assert [(r.source, r.replications) for r in runs] == [(f"saved:{scenario.pk}", 2), ("text", 2)]
    assert runs[1].toml == edited
    assert TwinScenario.objects.get().toml == toml  # running an edit does not save it


def test_the_editor_keeps_the_text_when_the_name_is_taken(leader: User) -> None:
    save_scenario(leader, "Tân Thanh")
    response = client_for(leader).post(
        "/twin/scenarios/new/", {"action": "save", "name": "Tân Thanh", "toml": short_toml()}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Another saved scenario has this name." in html
    assert 'aria-invalid="true"' in html
    assert TwinScenario.objects.count() == 1


# --- A run's page -------------------------------------------------------------------------------


def test_a_queued_run_shows_its_progress_and_polls(leader: User) -> None:
    run = request_run(leader)
    html = client_for(leader).get(f"/twin/runs/{run.pk}/").content.decode()
    assert f'data-twin-live="/twin/runs/{run.pk}/live/"' in html
    assert 'data-status="queued"' in html and 'data-testid="run-progress"' in html
    assert "twin/twin.js" in html


def test_a_finished_run_shows_tables_with_intervals_and_charts(leader: User) -> None:
    run = finished_run(leader, replications=3)
    html = client_for(leader).get(f"/twin/runs/{run.pk}/").content.decode()
    metrics = run.result["metrics"]
    throughput = metrics["throughput_per_day"]
    assert 'data-testid="key-metrics"' in html
    assert f"{throughput['mean']:,.0f} ± {throughput['half_width']:,.0f}" in html
    # Waits per truck class, P50/P90/P99; steps with the bottleneck said in words
    for truck_class in ("all", "green", "ordinary", "fruit"):
        assert f'data-class="{truck_class}"' in html
    assert 'data-step="customs"' in html and 'data-step="plant_quarantine"' in html
    assert "The bottleneck is" in html
    assert 'data-shelf="fruit"' in html
    # Charts: crossings per day, yard occupancy hour by hour, how busy each resource was
    assert html.count("<svg") >= 3
    for chart in ("chart-daily", "chart-lines", "chart-use"):
        assert f'data-testid="{chart}"' in html
    assert "<polyline" in html and "<rect" in html


def test_the_live_endpoint_sends_the_results_once_the_run_is_done(leader: User) -> None:
    run = request_run(leader)
    client = client_for(leader)
    waiting = client.get(f"/twin/runs/{run.pk}/live/?since=queued").json()
    assert waiting == {"status": "queued", "progress": 0.0}

    services.twin_run_next(worker_label="test", processes=1)

    done = client.get(f"/twin/runs/{run.pk}/live/?since=queued").json()
    assert (done["status"], done["progress"]) == ("done", 1.0)
    assert 'data-testid="key-metrics"' in done["html"] and "<svg" in done["html"]


def test_a_failed_run_says_why(leader: User) -> None:
    run = request_run(leader)
    TwinRun.objects.filter(pk=run.pk).update(status="failed", error="RuntimeError: boom")
    html = client_for(leader).get(f"/twin/runs/{run.pk}/").content.decode()
    assert 'data-testid="run-error"' in html and "RuntimeError: boom" in html


def test_a_capacity_search_shows_its_volumes_and_changes(leader: User) -> None:
    volume = finished_run(leader, toml=short_toml(days=2), kind="search", replications=2)
    html = client_for(leader).get(f"/twin/runs/{volume.pk}/").content.decode()
    assert 'data-testid="max-per-day"' in html and 'data-testid="chart-probes"' in html
    assert html.count("<circle") == len(volume.result["probes"])

    target = finished_run(
        leader, toml=short_toml(days=2), kind="search", replications=2, target=1500
    )
    html = client_for(leader).get(f"/twin/runs/{target.pk}/").content.decode()
    assert 'data-testid="search-changes"' in html
    first = target.result["changes"][0]
    assert first["why"]["en"] in html


def test_an_unknown_run_is_not_found(leader: User) -> None:
    client = client_for(leader)
    assert client.get("/twin/runs/999999/").status_code == 404
    assert client.get("/twin/runs/999999/live/").status_code == 404
    assert client.get("/twin/scenarios/999999/").status_code == 404


# --- Comparing ----------------------------------------------------------------------------------


def test_runs_are_compared_side_by_side(leader: User) -> None:
    today = finished_run(leader, toml=short_toml(name="Hôm nay"))
    busier = finished_run(leader, toml=with_line(short_toml(name="Đông hơn"), "per_day", "1200"))
    html = (
        client_for(leader).get(f"/twin/compare/?runs={today.pk}&runs={busier.pk}").content.decode()
    )
    assert 'data-testid="compare-metrics"' in html
    for run in (today, busier):
        mean = run.result["metrics"]["throughput_per_day"]["mean"]
        assert f"{mean:,.0f} ±" in html
    assert "Hôm nay" in html and "Đông hơn" in html
    assert html.count("<polyline") >= 4  # two runs overlaid on two charts
    assert 'data-testid="chart-use"' in html


def test_comparing_needs_two_to_four_finished_runs(leader: User) -> None:
    run = finished_run(leader)
    queued = request_run(leader)
    html = client_for(leader).get(f"/twin/compare/?runs={run.pk}&runs={queued.pk}").content.decode()
    assert "Pick between 2 and 4 finished simulation runs." in html
    assert 'data-testid="compare-metrics"' not in html


# --- The API ------------------------------------------------------------------------------------


def test_the_api_lists_scenarios_queues_a_run_and_returns_its_result(leader: User) -> None:
    api = Api(client_for(leader))
    saved = save_scenario(leader, "Ba ngày")
    scenarios = api.get("/twin/scenarios").json()
    assert {(s["kind"], s["key"]) for s in scenarios} >= {
        ("shipped", SHIPPED),
        ("saved", str(saved.pk)),
    }

    created = api.post("/twin/runs", {"scenario_id": saved.pk, "replications": 2})
    assert created.status_code == 201, created.content
    run_id = created.json()["id"]
    assert created.json()["status"] == "queued"

    services.twin_run_next(worker_label="test", processes=1)

    run = api.get(f"/twin/runs/{run_id}").json()
    assert (run["status"], run["progress"]) == ("done", 1.0)
    assert run["result"]["metrics"]["throughput_per_day"]["mean"] > 0
    listed = api.get("/twin/runs", status="done").json()
    assert [r["id"] for r in listed["items"]] == [run_id]
    assert "result" not in listed["items"][0]


def test_the_api_names_bad_toml_fields_and_stores_nothing(leader: User) -> None:
    api = Api(client_for(leader))
    response = api.post("/twin/runs", {"toml": with_line(short_toml(), "days", "0")})
    assert response.status_code == 422
    error = response.json()
    assert "toml.scenario.days" in {e["field"] for e in error["errors"]}
    assert set(error["errors"][0]["messages"]) == {"vi", "en", "zh"}
    assert not TwinRun.objects.exists()


def test_the_api_is_for_leaders_and_administrators(exporter: User, gate_operator: User) -> None:
    for user in (exporter, gate_operator):
        api = Api(client_for(user))
        assert api.get("/twin/scenarios").status_code == 403
        assert api.post("/twin/runs", {"scenario": SHIPPED}).status_code == 403
        assert api.get("/twin/runs").status_code == 403
    assert not TwinRun.objects.exists()
    assert json.loads(Api(client_for(None)).get("/twin/runs").content)["code"] == "unauthorized"


def test_a_run_request_through_the_api_is_recorded_as_the_caller(administrator: User) -> None:
    api = Api(client_for(administrator))
    response = api.post("/twin/runs", {"scenario": SHIPPED, "kind": "search", "target": 1500})
    assert response.status_code == 201, response.content
    run = TwinRun.objects.get()
    assert (run.kind, run.target, run.requested_by) == ("search", 1500, administrator)
    assert run.events.get().actor_label == Actor.of(administrator).label
