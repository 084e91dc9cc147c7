"""The fee in a real browser (Debian's chromium through Playwright): an exporter creates the
invoice of a trip from its page and sees the VietQR; the bank's signed notice arrives; the page
shows "paid" by itself within five seconds, without a reload, and the receipt downloads as a
PDF."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.utils import timezone
from playwright import sync_api as playwright

from cuakhau.accounts.models import User
from cuakhau.conftest import PASSWORD, fruit_export
from cuakhau.core.actors import Actor
from cuakhau.core.tests.browser import BROWSER_TEST
from cuakhau.declarations import links
from cuakhau.declarations import services as declaration_services
from cuakhau.declarations.documents import DeclarationDoc
from cuakhau.fees import services
from cuakhau.fees.models import BankAccount, Invoice, Receipt
from cuakhau.notifications import signing

expect = playwright.expect

pytestmark = BROWSER_TEST


def sign_in(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(
        locale="en-US", timezone_id="Asia/Ho_Chi_Minh", accept_downloads=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    return page


def bank_pays(invoice_code: str, amount: int) -> None:
    """The bank's notice of a transfer, signed with the collecting account's secret."""
    body = json.dumps(
        {
            "reference": "FT26327990001",
            "amount": amount,
            "description": f"CONG TY NONG SAN CK {invoice_code} PHI HA TANG",
            "transferred_at": timezone.now().isoformat(),
            "payer_account": "0011001932418",
            "payer_name": "CONG TY NONG SAN XANH",
        }
    ).encode()
    secret = BankAccount.objects.get(code="VCB-LS").notice_secret
    signature = signing.sign(secret, body, int(timezone.now().timestamp()))
    result = services.bank_notice_receive(bank_code="VCB-LS", body=body, signature=signature)
    assert result.notice.status == "matched"


def test_an_invoice_page_shows_the_payment_by_itself_and_the_receipt_downloads(
    browser: Any, live_server: Any, exporter: User, tmp_path: Path
) -> None:
    declaration = declaration_services.declaration_create(
        actor=Actor.of(exporter), doc=DeclarationDoc.model_validate(fruit_export()), submit=True
    )
    trip = declaration.trips.order_by("position").first()
    base = live_server.url
    page = sign_in(browser, base, "alice")

    # The trip's page quotes the fee; one click makes the invoice and shows it to pay.
    page.goto(f"{base}/trips/{trip.code}/")
    expect(page.locator("#fee")).to_contain_text("600,000 VND")
    page.click('[data-action="invoice"]')
    expect(page).to_have_url(re.compile(r"/invoices/HD\d{8}/$"))
    invoice = Invoice.objects.get()
    qr = page.locator(f'svg[aria-label="VietQR to pay invoice {invoice.code}"]')
    expect(qr).to_be_visible()
    expect(qr).to_have_attribute("data-payload", invoice.qr_payload)
    status = page.get_by_test_id("invoice-status")
    expect(status).to_have_text("Unpaid")
    expect(page.locator(".pay-description")).to_have_text(invoice.code)
    expect(page.get_by_test_id("receipt-download")).to_have_count(0)
    page.evaluate("window.invoiceNotReloaded = true")

    # The bank reports the transfer: the page follows by itself, without a reload.
    bank_pays(invoice.code, invoice.amount_vnd)
    expect(status).to_have_text("Paid", timeout=5_000)
    expect(qr).to_have_count(0)
    receipt = Receipt.objects.get(invoice=invoice)
    expect(page.get_by_test_id("receipt-number")).to_have_text(receipt.number)
    assert page.evaluate("window.invoiceNotReloaded") is True

    # The receipt downloads as a PDF (rendered on the first download: about a second).
    with page.expect_download(timeout=15_000) as download:
        page.get_by_test_id("receipt-download").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"bien-lai-{receipt.number.replace('/', '-')}.pdf"
    assert saved.read_bytes().startswith(b"%PDF")

    # The driver's page, from the signed link, says the fee is paid with the receipt's number.
    driver = page.context.new_page()
    driver.goto(f"{base}/d/{links.driver_token(trip.code)}")
    expect(driver.get_by_test_id("driver-fee")).to_contain_text(receipt.number)
    page.context.close()
