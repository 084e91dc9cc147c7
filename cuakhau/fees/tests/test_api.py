"""The fee over HTTP: a quote, an invoice with its VietQR, the bank's signed notice, the
operators' reconciliation queue and the public check of a receipt."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from cuakhau.conftest import fruit_export
from cuakhau.fees.models import BankAccount, Receipt
from cuakhau.fees.vietqr import parse
from cuakhau.notifications import signing

pytestmark = pytest.mark.django_db


def bank_post(body: dict, *, secret: str | None = None):
    raw = json.dumps(body).encode()
    secret = secret or BankAccount.objects.get(code="VCB-LS").notice_secret
    header = signing.sign(secret, raw, int(timezone.now().timestamp()))
    return Client().post(
        "/api/v1/banks/VCB-LS/notices",
        data=raw,
        content_type="application/json",
        HTTP_X_BANK_SIGNATURE=header,
    )


def notice(code: str, amount: int, reference: str = "FT1") -> dict:
    return {
        "reference": reference,
        "amount": amount,
        "description": f"{code} phi ha tang",
        "transferred_at": timezone.now().isoformat(),
    }


def test_quote_invoice_pay_and_check_the_receipt(api_as, exporter, rival, gate_operator):
    enterprise = api_as(exporter)
    declared = enterprise.post("/declarations?submit=true", fruit_export()).json()
    code = declared["trips"][0]["code"]
    quote = enterprise.get(f"/trips/{code}/fee").json()
    assert quote["amount_vnd"] == 600_000 and quote["demo_rate"] is True
    assert quote["lines"][0]["text"]["zh"].startswith("VT6，")

    created = enterprise.post("/invoices", {"declaration_id": declared["id"]})
    assert created.status_code == 201, created.json()
    invoice = created.json()
    assert parse(invoice["vietqr"]).purpose == invoice["code"]
    assert [i["trip"] for i in invoice["items"]] == [t["code"] for t in declared["trips"]]
    assert api_as(rival).get(f"/invoices/{invoice['code']}").status_code == 404
    assert api_as(gate_operator).get(f"/invoices/{invoice['code']}").status_code == 200

    forged = bank_post(notice(invoice["code"], invoice["amount_vnd"]), secret="guess")
    assert forged.status_code == 403
    paid = bank_post(notice(invoice["code"], invoice["amount_vnd"]))
    assert paid.status_code == 200, paid.content
    assert paid.json()["status"] == "matched" and paid.json()["receipt"]
    again = bank_post(notice(invoice["code"], invoice["amount_vnd"]))
    assert again.json()["repeated"] is True
    assert enterprise.get(f"/invoices/{invoice['code']}").json()["status"] == "paid"

    token = Receipt.objects.get().verify_token
    check = api_as(None).get(f"/public/receipts/{token}").json()
    assert check["amount_vnd"] == invoice["amount_vnd"] and check["invoice_status"] == "paid"
    assert api_as(None).get("/public/receipts/not-a-receipt").status_code == 404


def test_operators_work_the_reconciliation_queue(api_as, exporter, gate_operator, customs_officer):
    enterprise = api_as(exporter)
    declared = enterprise.post("/declarations?submit=true", fruit_export()).json()
    invoice = enterprise.post("/invoices", {"trips": [declared["trips"][0]["code"]]}).json()
    assert bank_post(notice("no code here", invoice["amount_vnd"], "FT9")).json()["status"] == (
        "unmatched"
    )
    operator = api_as(gate_operator)
    queue = operator.get("/payments/notices").json()["items"]
    assert [n["reference"] for n in queue] == ["FT9"]
    assert api_as(customs_officer).get("/payments/notices").json()["items"] == []
    assert enterprise.get("/payments/notices").json()["items"] == []
    matched = operator.post(
        f"/payments/notices/{queue[0]['id']}/match",
        {"invoice": invoice["code"], "reason": "Khách ghi sai nội dung chuyển khoản"},
    )
    assert matched.status_code == 200, matched.json()
    assert matched.json()["status"] == "resolved"
    assert enterprise.get(f"/invoices/{invoice['code']}").json()["receipt_number"]
    assert operator.get("/payments/notices").json()["items"] == []


def test_bad_invoice_requests_say_what_is_wrong(api_as, exporter):
    enterprise = api_as(exporter)
    empty = enterprise.post("/invoices", {})
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "trips"
    assert enterprise.post("/invoices", {"trips": ["ZZZZZZZZ"]}).status_code == 404
