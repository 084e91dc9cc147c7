"""The fee pages, driven as a browser would (Django's client): the fee on trip and declaration
pages, the invoice with its VietQR and the status it polls, the receipt's PDF, the public check
of a receipt, the driver's page, the operators' reconciliation, and who may see what."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cuakhau.accounts.models import User
from cuakhau.accounts.roles import Role
from cuakhau.conftest import fruit_export, make_user
from cuakhau.core.actors import Actor
from cuakhau.declarations import links
from cuakhau.declarations import services as declaration_services
from cuakhau.declarations.documents import DeclarationDoc
from cuakhau.declarations.models import Declaration
from cuakhau.fees import services
from cuakhau.fees.models import BankAccount, Invoice, PaymentNotice, Receipt
from cuakhau.notifications import signing

pytestmark = pytest.mark.django_db


def client_for(user: User | None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def declare(user: User, **changes: Any) -> Declaration:
    doc = DeclarationDoc.model_validate(fruit_export(**changes))
    return declaration_services.declaration_create(actor=Actor.of(user), doc=doc, submit=True)


def trip_codes(declaration: Declaration) -> list[str]:
    return [t.code for t in declaration.trips.order_by("position")]


def invoice_of(user: User, codes: list[str]) -> Invoice:
    return services.invoice_create(actor=Actor.of(user), trip_codes=codes)


def notify(description: str, amount: int, reference: str = "FT26327000001") -> PaymentNotice:
    body = json.dumps(
        {
            "reference": reference,
            "amount": amount,
            "description": description,
            "transferred_at": timezone.now().isoformat(),
            "payer_account": "0011001932418",
            "payer_name": "CONG TY NONG SAN",
        }
    ).encode()
    secret = BankAccount.objects.get(code="VCB-LS").notice_secret
    header = signing.sign(secret, body, int(timezone.now().timestamp()))
    return services.bank_notice_receive(bank_code="VCB-LS", body=body, signature=header).notice


def pay(invoice: Invoice) -> Receipt:
    notify(f"CK {invoice.code} thanh toan phi", invoice.amount_vnd)
    return Receipt.objects.get(invoice=invoice)


@pytest.fixture
def far_operator(db: Any) -> User:
    """A gate operator posted at Chi Ma only: the exporter's trips go through Hữu Nghị."""
    return make_user("xa", Role.GATE_OPERATOR, gates=("CM",))


# --- The fee on the trip and declaration pages ---------------------------------------------


def test_the_trip_page_quotes_the_fee_and_creates_the_invoice(exporter):
    code = trip_codes(declare(exporter))[0]
    client = client_for(exporter)
    html = client.get(reverse("declarations:trip", args=[code])).content.decode()
    assert "Infrastructure fee" in html
    assert "600,000 VND" in html  # VT6 with a 40-ft container of durian (demo rate)
    assert "VT6, Export, fresh produce: 600,000 VND" in html
    assert 'data-action="invoice"' in html

    response = client.post(reverse("fees:invoice_new"), {"trip": code.lower()})
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("fees:invoice", args=[invoice.code])
    assert [i.trip.code for i in invoice.items.all()] == [code]

    html = client.get(reverse("declarations:trip", args=[code])).content.decode()
    assert invoice.code in html and "Unpaid" in html
    assert 'data-action="invoice"' not in html
    # A second try is refused with a message, not a 500.
    again = client.post(reverse("fees:invoice_new"), {"trip": code}, follow=True)
    assert f"already has invoice {invoice.code}" in again.content.decode()


def test_the_declaration_page_invoices_every_trip_at_once(exporter, gate_operator):
    declaration = declare(exporter)
    client = client_for(exporter)
    html = client.get(reverse("declarations:detail", args=[declaration.pk])).content.decode()
    assert 'data-action="invoice-all"' in html
    assert "250,000 VND" in html and "600,000 VND" in html
    response = client.post(reverse("fees:invoice_new"), {"declaration": str(declaration.pk)})
    invoice = Invoice.objects.get()
    assert response.url == reverse("fees:invoice", args=[invoice.code])
    assert invoice.amount_vnd == 850_000
    html = client.get(reverse("declarations:detail", args=[declaration.pk])).content.decode()
    assert 'data-action="invoice-all"' not in html
    assert html.count(reverse("fees:invoice", args=[invoice.code])) >= 2
    # The gate operator sees the fee and the invoice, but no button to create one.
    trip = trip_codes(declaration)[0]
    html = client_for(gate_operator).get(reverse("declarations:trip", args=[trip])).content
    assert invoice.code.encode() in html and b'data-action="invoice"' not in html


def test_officers_cannot_create_invoices(exporter, gate_operator, customs_officer):
    code = trip_codes(declare(exporter))[0]
    for user in (gate_operator, customs_officer):
        response = client_for(user).post(reverse("fees:invoice_new"), {"trip": code})
        assert response.status_code == 403
    assert client_for(None).post(reverse("fees:invoice_new"), {"trip": code}).status_code == 302
    assert not Invoice.objects.exists()
    # Customs sees no fee panel on the trip page.
    html = client_for(customs_officer).get(reverse("declarations:trip", args=[code])).content
    assert b'data-testid="fee-panel"' not in html


def test_a_rival_cannot_invoice_anothers_trip(exporter, rival):
    code = trip_codes(declare(exporter))[0]
    response = client_for(rival).post(reverse("fees:invoice_new"), {"trip": code})
    assert response.status_code == 404
    assert client_for(rival).post(reverse("fees:invoice_new"), {"trip": "../x"}).status_code == 404
    assert not Invoice.objects.exists()


# --- The invoice page ----------------------------------------------------------------------


def test_the_invoice_page_shows_the_vietqr_and_the_transfer_details(exporter):
    invoice = invoice_of(exporter, trip_codes(declare(exporter)))
    html = client_for(exporter).get(reverse("fees:invoice", args=[invoice.code])).content.decode()
    assert f'aria-label="VietQR to pay invoice {invoice.code}"' in html
    assert f'data-payload="{invoice.qr_payload}"' in html
    bank = BankAccount.objects.get(code="VCB-LS")
    for text in (bank.bank_name, bank.bank_bin, bank.account_number, bank.account_name):
        assert text in html
    assert "850,000 VND" in html
    assert "Công ty TNHH Nông sản Xanh Lạng Sơn" in html  # the payer
    assert "VT4, Export, fresh produce: 250,000 VND" in html
    assert 'data-fee-live="' in html and 'data-status="unpaid"' in html
    assert "Download receipt" not in html
    # In Vietnamese and Chinese, the lines and the amounts follow the reader.
    vi = client_for(exporter, "vi").get(reverse("fees:invoice", args=[invoice.code])).content
    assert "850.000 đ".encode() in vi and "Chưa thanh toán".encode() in vi
    zh = client_for(exporter, "zh-hans").get(reverse("fees:invoice", args=[invoice.code])).content
    assert "850,000 越南盾".encode() in zh and "未付款".encode() in zh


def test_the_status_poll_is_small_until_the_payment_arrives(exporter):
    invoice = invoice_of(exporter, trip_codes(declare(exporter))[:1])
    client = client_for(exporter)
    live = reverse("fees:invoice_live", args=[invoice.code])
    waiting = client.get(live, {"since": "unpaid"})
    assert waiting.json() == {"status": "unpaid"}
    assert waiting["Cache-Control"] == "no-store"
    receipt = pay(invoice)
    paid = client.get(live, {"since": "unpaid"}).json()
    assert paid["status"] == "paid"
    assert receipt.number in paid["html"]
    assert reverse("fees:receipt_pdf", args=[invoice.code]) in paid["html"]
    html = client.get(reverse("fees:invoice", args=[invoice.code])).content.decode()
    assert "Download receipt (PDF)" in html and "<svg" not in html


def test_who_sees_an_invoice(exporter, rival, gate_operator, far_operator, customs_officer, leader):
    invoice = invoice_of(exporter, trip_codes(declare(exporter))[:1])
    pay(invoice)
    urls = [
        reverse("fees:invoice", args=[invoice.code]),
        reverse("fees:invoice_live", args=[invoice.code]),
        reverse("fees:receipt_pdf", args=[invoice.code]),
    ]
    for url in urls:
        assert client_for(rival).get(url).status_code == 404, url
        assert client_for(far_operator).get(url).status_code == 404, url
        assert client_for(customs_officer).get(url).status_code == 403, url
        assert client_for(leader).get(url).status_code == 403, url
        assert client_for(None).get(url).status_code == 302, url
    assert client_for(gate_operator).get(urls[0]).status_code == 200
    # The lists are scoped the same way.
    index = reverse("fees:invoices")
    assert invoice.code.encode() in client_for(exporter).get(index).content
    assert invoice.code.encode() in client_for(gate_operator).get(index).content
    assert invoice.code.encode() not in client_for(rival).get(index).content
    assert invoice.code.encode() not in client_for(far_operator).get(index).content
    assert client_for(customs_officer).get(index).status_code == 403
    # A lower-case code goes to the invoice's address.
    lower = client_for(exporter).get(reverse("fees:invoice", args=[invoice.code.lower()]))
    assert lower.status_code == 302 and lower.url == urls[0]


def test_the_invoice_list_filters_by_status(exporter):
    codes = trip_codes(declare(exporter))
    paid, unpaid = invoice_of(exporter, codes[:1]), invoice_of(exporter, codes[1:])
    pay(paid)
    client = client_for(exporter)
    html = client.get(reverse("fees:invoices"), {"status": "paid"}).content.decode()
    assert paid.code in html and unpaid.code not in html
    html = client.get(reverse("fees:invoices"), {"status": "nonsense"}).content.decode()
    assert paid.code in html and unpaid.code in html


# --- Receipts ------------------------------------------------------------------------------


def test_the_receipt_downloads_as_a_pdf(exporter, gate_operator, settings):
    settings.SITE_URL = "https://cuakhau.example.vn"
    invoice = invoice_of(exporter, trip_codes(declare(exporter))[:1])
    url = reverse("fees:receipt_pdf", args=[invoice.code])
    assert client_for(exporter).get(url).status_code == 404  # not paid: no receipt yet
    receipt = pay(invoice)
    response = client_for(exporter).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    filename = f"bien-lai-{receipt.number.replace('/', '-')}.pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    # Made once and kept: the operator gets the same file.
    again = client_for(gate_operator).get(url)
    assert again.content == response.content
    receipt.refresh_from_db()
    assert bytes(receipt.pdf) == response.content


def test_the_public_check_page_shows_the_receipt_and_no_personal_data(exporter, gate_operator):
    declaration = declare(exporter)
    invoice = invoice_of(exporter, trip_codes(declaration))
    receipt = pay(invoice)
    page = client_for(None).get(reverse("fees:receipt_check", args=[receipt.verify_token]))
    assert page.status_code == 200
    html = page.content.decode()
    assert receipt.number in html and invoice.code in html and "850,000 VND" in html
    assert 'data-status="valid"' in html
    for code in trip_codes(declaration):
        assert code in html
    assert "Hữu Nghị" in html or "Huu Nghi" in html
    for private in (
        "Nguyễn Văn Tài",
        "0912345678",
        "020085001234",
        "12C",
        "Công ty TNHH Nông sản",
        invoice.payer_tax_code,
        "CONG TY NONG SAN",
    ):
        assert private not in html, private

    services.invoice_refund(
        actor=Actor.of(gate_operator),
        invoice_code=invoice.code,
        reason="Xe không qua cửa khẩu",
    )
    html = client_for(None).get(reverse("fees:receipt_check", args=[receipt.verify_token]))
    assert b'data-status="refunded"' in html.content

    missing = client_for(None).get(reverse("fees:receipt_check", args=["not-a-real-token"]))
    assert missing.status_code == 404
    assert b"this receipt was not issued by the platform" in missing.content


# --- The driver's page ---------------------------------------------------------------------


def test_the_driver_page_shows_the_invoice_qr_then_paid(exporter):
    code = trip_codes(declare(exporter))[0]
    driver = reverse("declarations:driver", args=[links.driver_token(code)])
    live = reverse("fees:driver_fee", args=[links.driver_token(code)])
    client = client_for(None)
    html = client.get(driver).content.decode()
    assert 'data-testid="driver-fee"' not in html and f'data-fee-live="{live}"' in html
    assert client.get(live, {"since": ""}).json() == {"status": ""}

    invoice = invoice_of(exporter, [code])
    html = client.get(driver).content.decode()
    assert f'aria-label="VietQR to pay invoice {invoice.code}"' in html
    assert "600,000 VND" in html
    created = client.get(live, {"since": ""}).json()
    assert created["status"] == "unpaid" and invoice.code in created["html"]

    receipt = pay(invoice)
    html = client.get(driver).content.decode()
    assert receipt.number in html and "VietQR to pay" not in html
    assert "Download receipt" not in html  # the receipt itself stays with the enterprise
    assert client.get(reverse("fees:driver_fee", args=["forged"])).status_code == 404


# --- Reconciliation ------------------------------------------------------------------------


def test_operators_match_an_unmatched_payment_by_hand(exporter, gate_operator):
    invoice = invoice_of(exporter, trip_codes(declare(exporter))[:1])
    notice = notify("chuyen tien phi ha tang", invoice.amount_vnd)  # no invoice code
    assert notice.status == "unmatched"
    client = client_for(gate_operator)
    page = client.get(reverse("fees:reconciliation"))
    html = page.content.decode()
    assert notice.reference in html and "chuyen tien phi ha tang" in html
    assert "Unmatched" in html and "600,000 VND" in html
    assert reverse("fees:reconciliation").encode() in client.get(reverse("fees:invoices")).content

    match = reverse("fees:notice_match", args=[notice.pk])
    missing_reason = client.post(match, {"invoice": invoice.code, "reason": " "}, follow=True)
    assert "A reason is required." in missing_reason.content.decode()
    wrong = client.post(match, {"invoice": "HD00000000", "reason": "x"}, follow=True)
    assert "Invoice HD00000000 not found." in wrong.content.decode()

    done = client.post(
        match, {"invoice": invoice.code.lower(), "reason": "Khách ghi sai nội dung"}, follow=True
    )
    html = done.content.decode()
    assert f"matched to invoice {invoice.code}" in html
    assert "Nothing to reconcile" in html
    invoice.refresh_from_db()
    notice.refresh_from_db()
    assert invoice.status == "paid" and notice.status == "resolved"
    assert Receipt.objects.filter(invoice=invoice).exists()
    # Done once: a second try is a message, not a second receipt.
    client.post(match, {"invoice": invoice.code, "reason": "again"})
    assert Receipt.objects.filter(invoice=invoice).count() == 1


def test_operators_record_a_refund_and_an_overpayment_shows_its_invoice(exporter, gate_operator):
    invoice = invoice_of(exporter, trip_codes(declare(exporter))[:1])
    notice = notify(f"{invoice.code}", invoice.amount_vnd + 50_000)
    assert notice.status == "overpaid"
    client = client_for(gate_operator)
    html = client.get(reverse("fees:reconciliation")).content.decode()
    assert "Overpaid" in html and invoice.code in html and "650,000 VND" in html
    refund = reverse("fees:notice_refund", args=[notice.pk])
    done = client.post(refund, {"reason": "Hoàn 50.000 đ thừa"}, follow=True)
    assert f"Refund of payment {notice.reference} recorded." in done.content.decode()
    notice.refresh_from_db()
    assert notice.status == "refunded"
    assert "Nothing to reconcile" in client.get(reverse("fees:reconciliation")).content.decode()


def test_the_reconciliation_is_the_gate_operators(
    exporter, gate_operator, far_operator, customs_officer
):
    invoice = invoice_of(exporter, trip_codes(declare(exporter))[:1])
    short = notify(invoice.code, 1_000)  # underpaid: belongs to the invoice's gate
    assert short.status == "underpaid"
    url = reverse("fees:reconciliation")
    assert client_for(exporter).get(url).status_code == 403
    assert client_for(customs_officer).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302
    assert short.reference.encode() in client_for(gate_operator).get(url).content
    assert short.reference.encode() not in client_for(far_operator).get(url).content
    refund = reverse("fees:notice_refund", args=[short.pk])
    assert client_for(far_operator).post(refund, {"reason": "x"}).status_code == 404
    assert client_for(exporter).post(refund, {"reason": "x"}).status_code == 403
    assert client_for(gate_operator).get(refund).status_code == 405
    short.refresh_from_db()
    assert short.status == "underpaid"


def test_an_operator_refunds_a_paid_invoice_from_its_page(exporter, gate_operator):
    invoice = invoice_of(exporter, trip_codes(declare(exporter))[:1])
    pay(invoice)
    page = client_for(gate_operator).get(reverse("fees:invoice", args=[invoice.code]))
    assert b"Refund this invoice" in page.content
    assert (
        b"Refund this invoice"
        not in client_for(exporter).get(reverse("fees:invoice", args=[invoice.code])).content
    )
    url = reverse("fees:invoice_refund", args=[invoice.code])
    assert client_for(exporter).post(url, {"reason": "x"}).status_code == 403
    done = client_for(gate_operator).post(url, {"reason": "Xe quay đầu"}, follow=True)
    assert f"Invoice {invoice.code} refunded." in done.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == "refunded"


def test_the_menus_offer_the_fee_pages(exporter, gate_operator):
    html = client_for(exporter).get(reverse("fees:invoices")).content.decode()
    assert f'href="{reverse("fees:invoices")}" aria-current="page"' in html
    assert reverse("fees:reconciliation") not in html
    html = client_for(gate_operator).get(reverse("fees:reconciliation")).content.decode()
    assert f'href="{reverse("fees:reconciliation")}" aria-current="page"' in html
