"""The yard's display board in a real browser (Debian's chromium through Playwright): it shows a
truck called through the services within five seconds without a reload, renders its Chinese
with a CJK font, and keeps the last data on screen when the network drops."""

from __future__ import annotations

import re
from typing import Any

from playwright import sync_api as playwright

from cuakhau.accounts.models import User
from cuakhau.core.actors import Actor
from cuakhau.core.tests.browser import BROWSER_TEST
from cuakhau.declarations.models import Trip
from cuakhau.gates.models import CapacityPlan
from cuakhau.queueing import services
from cuakhau.queueing.templatetags.queue import board_plate

expect = playwright.expect

pytestmark = BROWSER_TEST


def fonts_of(page: Any, selector: str) -> list[dict[str, Any]]:
    """The fonts chromium actually drew a node's text with (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]


def test_the_board_shows_a_call_within_five_seconds_without_reloading(
    browser: Any, live_server: Any, declare: Any, check_in: Any, gate_operator: User
) -> None:
    fruit, steel = declare(1)[0], declare(1, green=False)[0]
    check_in(steel)
    check_in(fruit)
    fruit_plate = board_plate(Trip.objects.get(code=fruit).tractor_plate)
    steel_plate = board_plate(Trip.objects.get(code=steel).tractor_plate)

    # A viewer whose browser speaks English: the board still speaks Vietnamese and Chinese.
    context = browser.new_context(
        locale="en-US", timezone_id="Europe/Paris", viewport={"width": 1920, "height": 1080}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/yards/XC/board/")
    called = page.locator("#board-called")
    upcoming = page.locator("#board-next")
    expect(called).to_contain_text("Chưa có xe được gọi")
    expect(upcoming.locator("li").first).to_contain_text(fruit_plate)
    expect(upcoming.locator("li").first).to_contain_text("绿色通道")
    expect(page.locator("#called-title")).to_contain_text("已叫号车辆")
    # The clocks run on both sides' time, not the viewer's (Paris here).
    expect(page.locator("#clock-vn")).to_have_text(re.compile(r"^\d{2}:\d{2}:\d{2}$"))
    page.evaluate("window.boardNotReloaded = true")

    # The Chinese is drawn with a CJK font, not as empty boxes.
    fonts = fonts_of(page, "#called-title span[lang]")
    assert any("CJK" in f["familyName"] and f["glyphCount"] > 0 for f in fonts), fonts

    services.dispatch_passage(
        actor=Actor.of(gate_operator),
        passage_id=CapacityPlan.objects.get(passage__code="HN-1119", direction="export").passage_id,
        direction="export",
    )
    expect(called).to_contain_text(fruit_plate, timeout=5_000)
    expect(called).to_contain_text(steel_plate, timeout=5_000)
    expect(called.locator("tr.fresh")).to_have_count(2)
    expect(upcoming).to_contain_text("Không có xe đang chờ")
    assert page.evaluate("window.boardNotReloaded") is True

    # The network drops: the last data stays, with a small "offline" marker; then it recovers.
    page.route("**/api/v1/public/yards/**", lambda route: route.abort())
    offline = page.locator("#board-offline")
    expect(offline).to_be_visible(timeout=6_000)
    expect(offline).to_contain_text("连接中断")
    expect(called).to_contain_text(fruit_plate)
    page.unroute("**/api/v1/public/yards/**")
    expect(offline).to_be_hidden(timeout=6_000)
    context.close()
