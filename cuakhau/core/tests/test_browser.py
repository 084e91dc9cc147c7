"""The pages in a real browser: Debian's chromium driven by Playwright against a live server.

An exporter declares a truck through the form (live validation included), gets its QR; a gate
operator checks it in; the driver's page follows the trip by itself.
"""

from __future__ import annotations

import re
from typing import Any

from playwright import sync_api as playwright

from cuakhau.accounts.models import User
from cuakhau.conftest import PASSWORD, fruit_export
from cuakhau.core.actors import Actor
from cuakhau.core.tests.browser import BROWSER_TEST
from cuakhau.declarations import links, services
from cuakhau.declarations.documents import DeclarationDoc
from cuakhau.declarations.lifecycle import TripState
from cuakhau.declarations.models import Declaration, Trip

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


def field(page: Any, path: str) -> Any:
    return page.locator(f'[data-path="{path}"]')


def error_of(page: Any, path: str) -> Any:
    return page.locator(f'[data-path="{path}"] + .field-error')


def test_declare_through_the_form_then_check_in_at_the_yard(
    browser: Any, live_server: Any, exporter: User, gate_operator: User
) -> None:
    base = live_server.url
    page = sign_in(browser, base, "alice")
    expect(page).to_have_url(re.compile(r"/declarations/$"))

    page.click("text=New declaration")
    expect(page.locator("#declaration-form")).to_be_visible()
    page.select_option('[data-path="regime"]', "XK")
    page.select_option('[data-path="gate"]', "CKHN")
    page.select_option('[data-path="passage"]', "HN-1119")
    field(page, "perishable").check()

    field(page, "customs_declarations.0.number").fill("305123456789")
    page.select_option('[data-path="customs_declarations.0.type_code"]', "B11")
    line = "customs_declarations.0.lines.0"
    field(page, f"{line}.description").fill("Sầu riêng tươi")
    field(page, f"{line}.hs_code").fill("08106000")
    field(page, f"{line}.origin_country").fill("VN")
    field(page, f"{line}.quantity").fill("18000")
    page.select_option(f'[data-path="{line}.unit"]', "KGM")
    field(page, f"{line}.gross_weight_kg").fill("19500")
    field(page, f"{line}.value").fill("54000")

    # A plate that cannot be Vietnamese: the error shows next to the field as one types.
    field(page, "trips.0.tractor_plate").fill("12C-ABC")
    expect(error_of(page, "trips.0.tractor_plate")).to_be_visible()
    expect(field(page, "trips.0.tractor_plate")).to_have_attribute("aria-invalid", "true")
    field(page, "trips.0.tractor_plate").fill("12C-123.45")
    expect(error_of(page, "trips.0.tractor_plate")).to_have_count(0)

    page.select_option('[data-path="trips.0.vehicle_class"]', "VT6")
    field(page, "trips.0.driver_name").fill("Nguyễn Văn Tài")
    field(page, "trips.0.driver_id_number").fill("020085001234")
    field(page, "trips.0.driver_phone").fill("0912345678")
    field(page, "trips.0.gross_weight_kg").fill("29500")

    # A container number with a wrong ISO 6346 check digit, then the right one.
    page.click('[data-add="containers"]')
    field(page, "trips.0.containers.0.number").fill("CSQU3054384")
    expect(error_of(page, "trips.0.containers.0.number")).to_be_visible()
    field(page, "trips.0.containers.0.number").fill("CSQU3054383")
    expect(error_of(page, "trips.0.containers.0.number")).to_have_count(0)
    expect(page.locator("#form-status")).to_have_text("Everything filled in is valid.")

    page.click('[data-action="submit"]')
    expect(page).to_have_url(re.compile(r"/declarations/\d+/$"))
    qr = page.locator('[data-testid="trip-qr"] svg')
    expect(qr).to_be_visible()
    code = page.locator("section.trip").first.get_attribute("data-trip")

    declaration = Declaration.objects.get()
    assert declaration.status == Declaration.Status.SUBMITTED
    assert declaration.perishable is True
    trip = Trip.objects.get(code=code)
    assert trip.state == TripState.DECLARED
    assert trip.tractor_plate == "12C12345"
    assert list(trip.containers.values_list("number", flat=True)) == ["CSQU3054383"]

    # A gate operator, in another browser, checks the truck in by typing its code.
    operator = sign_in(browser, base, "olga")
    expect(operator).to_have_url(re.compile(r"/check-in/$"))
    operator.select_option("#yard-select", "XC")  # the page reloads for that yard
    expect(operator.locator('input[name="yard"]')).to_have_value("XC")
    operator.fill("#checkin-q", code.lower())
    operator.press("#checkin-q", "Enter")
    result = operator.locator('[data-testid="checkin-result"]')
    expect(result.locator('[data-state="ARRIVED"]')).to_be_visible()
    expect(result).to_contain_text("In the yard, queued")
    trip.refresh_from_db()
    assert trip.state == TripState.ARRIVED
    assert trip.yard is not None
    assert trip.events.last().actor_label == "olga"


def test_the_driver_page_follows_the_trip_by_itself(
    browser: Any, live_server: Any, exporter: User, gate_operator: User
) -> None:
    doc = DeclarationDoc.model_validate(fruit_export())
    declaration = services.declaration_create(actor=Actor.of(exporter), doc=doc, submit=True)
    trip = declaration.trips.order_by("position").first()

    context = browser.new_context(locale="en-US")
    page = context.new_page()
    # Fake timers: the page's 10-second polling runs at once when the test moves the clock.
    page.clock.install()
    page.goto(f"{live_server.url}/d/{links.driver_token(trip.code)}")
    state = page.locator("#driver-state")
    expect(state).to_have_attribute("data-state", "DECLARED")
    expect(page.locator('[data-testid="trip-qr"] svg')).to_be_visible()

    services.trip_check_in(
        actor=Actor.of(gate_operator), yard_code="XC", by=services.CheckInBy(code=trip.code)
    )
    page.clock.run_for(11_000)
    expect(state).to_have_attribute("data-state", "ARRIVED")
    expect(state).to_have_text("In the yard, queued")
    context.close()


def test_the_same_form_edits_a_draft_and_requests_a_correction(
    browser: Any, live_server: Any, exporter: User, gate_operator: User
) -> None:
    doc = DeclarationDoc.model_validate(fruit_export())
    draft = services.declaration_create(actor=Actor.of(exporter), doc=doc)
    page = sign_in(browser, live_server.url, "alice")

    # A draft: change the second driver's name, then save and submit in one go.
    page.goto(f"{live_server.url}/declarations/{draft.pk}/edit/")
    expect(field(page, "trips.1.driver_name")).to_have_value("Hoàng Văn Lộc")
    field(page, "trips.1.driver_name").fill("Hoàng Văn Long")
    page.click('[data-action="submit"]')
    expect(page).to_have_url(re.compile(rf"/declarations/{draft.pk}/$"))
    expect(page.locator("text=Hoàng Văn Long")).to_be_visible()
    draft.refresh_from_db()
    assert draft.status == Declaration.Status.SUBMITTED
    assert draft.trips.filter(driver_name="Hoàng Văn Long", state=TripState.DECLARED).exists()

    # After check-in the same form sends a correction request, with its reason.
    first = draft.trips.order_by("position").first()
    services.trip_check_in(
        actor=Actor.of(gate_operator), yard_code="XC", by=services.CheckInBy(code=first.code)
    )
    page.goto(f"{live_server.url}/declarations/{draft.pk}/correction/")
    field(page, "trips.0.driver_phone").fill("0911222333")
    page.click('[data-action="correct"]')
    expect(error_of(page, "reason")).to_be_visible()  # the reason is required
    field(page, "reason").fill("The driver changed")
    page.click('[data-action="correct"]')
    expect(page).to_have_url(re.compile(rf"/declarations/{draft.pk}/$"))
    expect(page.locator("[data-correction]")).to_contain_text("The driver changed")
    correction = draft.correction_requests.get()
    assert correction.status == correction.Status.PENDING
    assert correction.agency.code == "border_guard"
