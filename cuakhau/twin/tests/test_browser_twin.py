"""The twin in a real browser (Debian's chromium through Playwright): a leader opens the twin,
runs a short saved scenario, and — while a worker carries the run out — the page shows its
progress and then the results table and charts by itself, without a reload."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from django.db import connection
from playwright import sync_api as playwright

from cuakhau.accounts.models import User
from cuakhau.conftest import PASSWORD
from cuakhau.core.tests.browser import BROWSER_TEST
from cuakhau.twin import runner, services
from cuakhau.twin.models import TwinRun
from cuakhau.twin.tests.helpers import save_scenario

expect = playwright.expect

pytestmark = BROWSER_TEST


def sign_in(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(locale="en-US", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    return page


def test_a_leader_runs_a_scenario_and_watches_it_finish(
    browser: Any, live_server: Any, leader: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a short saved scenario (3 days, 2 replications)
    saved = save_scenario(leader, "Hữu Nghị, ba ngày")
    page = sign_in(browser, live_server.url, "lanh")

    # When the leader opens the twin from the menu and runs it
    page.get_by_role("link", name="Digital twin").click()
    expect(page).to_have_url(re.compile(r"/twin/$"))
    row = page.locator(f'tr[data-saved="{saved.pk}"]')
    expect(row).to_contain_text("Hữu Nghị, ba ngày")
    row.locator('[data-action="run"]').click()

    # Then the run's page says it is queued, and keeps following it without a reload
    expect(page).to_have_url(re.compile(r"/twin/runs/\d+/$"))
    run = TwinRun.objects.get()
    status = page.get_by_test_id("run-status")
    expect(status).to_have_text("Queued")
    page.evaluate("window.twinNotReloaded = true")

    # A worker takes it; halfway through the replications it pauses until the page showed it.
    halfway, seen = threading.Event(), threading.Event()
    real = runner.run_replications

    def paused(scenario: Any, replications: Any, **options: Any) -> Any:
        options["progress"](0.5)
        halfway.set()
        seen.wait(timeout=30)
        return real(scenario, replications, **options)

    monkeypatch.setattr(runner, "run_replications", paused)
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["run"] = services.twin_run_next(worker_label="browser-test", processes=1)
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    try:
        assert halfway.wait(timeout=30)
        expect(status).to_have_text("Running")
        expect(page.get_by_test_id("run-percent")).to_have_text("50 %")
        expect(page.get_by_test_id("run-progress")).to_have_attribute("value", re.compile(r"^0\.5"))
    finally:
        seen.set()
        worker.join(timeout=60)
    assert outcome["run"].pk == run.pk and outcome["run"].status == "done"

    # When the run is done, the results appear: the tables and the charts
    expect(status).to_have_text("Done", timeout=10_000)
    metrics = page.get_by_test_id("key-metrics")
    expect(metrics).to_be_visible()
    expect(metrics.locator('tr[data-metric="throughput_per_day"]')).to_contain_text("±")
    expect(page.get_by_test_id("waits").locator('tr[data-class="fruit"]')).to_be_visible()
    expect(page.get_by_test_id("bottleneck")).to_contain_text("bottleneck")
    expect(page.locator('svg[data-testid="chart-daily"] rect').first).to_be_attached()
    expect(page.locator('svg[data-testid="chart-lines"] polyline')).to_have_count(3)
    expect(page.locator('svg[data-testid="chart-use"]')).to_be_visible()
    assert page.evaluate("window.twinNotReloaded") is True

    # And the list shows the run done
    page.goto(f"{live_server.url}/twin/")
    expect(page.locator(f'tr[data-run="{run.pk}"] [data-role="status"]')).to_have_text("Done")
    page.context.close()
