"""Invoices, the banks' payment notices, receipts and reconciliation: paid once whatever the bank
repeats, forged or replayed notices refused, mismatches queued for operators, receipts numbered
without gaps even under concurrent payments, and the gate's rule on when the fee is due."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from cuakhau.conftest import electronics_import, fruit_export
from cuakhau.core.actors import Actor
from cuakhau.core.errors import Conflict, InvalidInput, NotAllowed
from cuakhau.declarations import services as declaration_services
from cuakhau.declarations.documents import DeclarationDoc
from cuakhau.declarations.models import Trip
from cuakhau.fees import services
from cuakhau.fees.models import BankAccount, Invoice, InvoiceEvent, PaymentNotice, Receipt
from cuakhau.fees.vietqr import parse
from cuakhau.gates.models import Gate, WorkingHours
from cuakhau.notifications import signing

pytestmark = pytest.mark.django_db


def declare(user, doc=None):
    declaration = declaration_services.declaration_create(
        actor=Actor.of(user), doc=DeclarationDoc.model_validate(doc or fruit_export()), submit=True
    )
    return declaration, [t.code for t in declaration.trips.order_by("position")]


def bank():
    return BankAccount.objects.get(code="VCB-LS")


def notify(invoice_code, amount, reference="FT26327000001", *, secret=None, at=None, body=None):
    raw = (
        body
        or json.dumps(
            {
                "reference": reference,
                "amount": amount,
                "description": f"CK {invoice_code} thanh toan phi",
                "transferred_at": timezone.now().isoformat(),
                "payer_account": "0011001932418",
                "payer_name": "CONG TY NONG SAN",
            }
        ).encode()
    )
    stamp = int((at or timezone.now()).timestamp())
    header = signing.sign(secret or bank().notice_secret, raw, stamp)
    return services.bank_notice_receive(bank_code="VCB-LS", body=raw, signature=header)


def test_an_invoice_per_declaration_with_its_lines_and_a_vietqr(exporter):
    declaration, codes = declare(exporter)
    invoice = services.invoice_create(actor=Actor.of(exporter), declaration_id=declaration.pk)
    items = list(invoice.items.order_by("pk"))
    assert [i.trip.code for i in items] == codes
    # VT6 with a 40-ft container and VT4, both durian exports (fresh produce, demo rates).
    assert [i.amount_vnd for i in items] == [600_000, 250_000]
    assert invoice.amount_vnd == 850_000
    assert items[0].lines[0]["en"] == "VT6, Export, fresh produce: 600,000 VND"
    qr = parse(invoice.qr_payload)
    assert (qr.bank_bin, qr.amount, qr.purpose) == ("970436", 850_000, invoice.code)
    assert InvoiceEvent.objects.get(invoice=invoice).action == "create"
    with pytest.raises(Conflict) as again:
        services.invoice_create(actor=Actor.of(exporter), declaration_id=declaration.pk)
    assert again.value.code == "nothing_to_invoice"


def test_a_matching_notice_pays_once_and_issues_a_numbered_receipt(exporter):
    _, codes = declare(exporter)
    invoice = services.invoice_create(actor=Actor.of(exporter), trip_codes=codes[:1])
    first = notify(invoice.code, invoice.amount_vnd)
    assert (first.repeated, first.notice.status) == (False, "matched")
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    receipt = Receipt.objects.get(invoice=invoice)
    assert receipt.number == f"{timezone.localdate().year}/000001"
    # The bank sends the same notice again: nothing is paid twice.
    again = notify(invoice.code, invoice.amount_vnd)
    assert again.repeated and again.notice.pk == first.notice.pk
    assert Receipt.objects.count() == 1 and PaymentNotice.objects.count() == 1
    # The same reference with another amount is refused.
    with pytest.raises(Conflict) as reused:
        notify(invoice.code, 1)
    assert reused.value.code == "reference_reused"


def test_forged_and_replayed_notices_are_refused(exporter):
    _, codes = declare(exporter)
    invoice = services.invoice_create(actor=Actor.of(exporter), trip_codes=codes[:1])
    with pytest.raises(NotAllowed):
        notify(invoice.code, invoice.amount_vnd, secret="not-the-bank")
    with pytest.raises(NotAllowed):
        notify(invoice.code, invoice.amount_vnd, at=timezone.now() - timedelta(minutes=10))
    raw = json.dumps(
        {"reference": "X1", "amount": 5, "description": "x", "transferred_at": "2026-11-23T08:00"}
    ).encode()
    tampered = raw.replace(b'"amount": 5', b'"amount": 9')
    header = signing.sign(bank().notice_secret, raw, int(timezone.now().timestamp()))
    with pytest.raises(NotAllowed):
        services.bank_notice_receive(bank_code="VCB-LS", body=tampered, signature=header)
    assert not PaymentNotice.objects.exists()
    invoice.refresh_from_db()
    assert invoice.status == "unpaid"


def test_short_over_and_unmatched_payments_wait_for_operators(exporter, gate_operator):
    _, codes = declare(exporter)
    short = services.invoice_create(actor=Actor.of(exporter), trip_codes=codes[:1])
    over = services.invoice_create(actor=Actor.of(exporter), trip_codes=codes[1:])
    assert notify(short.code, short.amount_vnd - 1000, "R1").notice.status == "underpaid"
    overpaid = notify(over.code, over.amount_vnd + 50_000, "R2").notice
    assert overpaid.status == "overpaid"
    over.refresh_from_db()
    assert over.status == "paid"  # covered; the excess is refunded by hand
    stray = notify("HD00000000", 123_000, "R3").notice
    assert stray.status == "unmatched"

    operator = Actor.of(gate_operator)
    with pytest.raises(Conflict) as too_little:
        services.notice_match(
            actor=operator, notice_id=stray.pk, invoice_code=short.code, reason="Khách chuyển nhầm"
        )
    assert too_little.value.code == "notice_short"
    with pytest.raises(InvalidInput):
        services.notice_refund(actor=operator, notice_id=stray.pk, reason=" ")
    services.notice_refund(actor=operator, notice_id=stray.pk, reason="Trả lại người chuyển")
    services.notice_refund(actor=operator, notice_id=overpaid.pk, reason="Hoàn phần thừa")
    big = notify("ghi chu sai", short.amount_vnd, "R4").notice
    services.notice_match(
        actor=operator, notice_id=big.pk, invoice_code=short.code, reason="Sai nội dung chuyển"
    )
    short.refresh_from_db()
    assert short.status == "paid"
    assert set(PaymentNotice.objects.values_list("reference", "status")) == {
        ("R1", "underpaid"),
        ("R2", "refunded"),
        ("R3", "refunded"),
        ("R4", "resolved"),
    }
    assert InvoiceEvent.objects.filter(action="match_by_hand", actor=gate_operator).exists()
    with pytest.raises(Conflict):
        services.notice_refund(actor=operator, notice_id=big.pk, reason="lần nữa")


def test_cancelling_a_trip_voids_its_unpaid_invoice_and_a_paid_one_can_be_refunded(
    exporter, gate_operator
):
    _, codes = declare(exporter)
    unpaid = services.invoice_create(actor=Actor.of(exporter), trip_codes=codes[:1])
    declaration_services.trip_cancel(actor=Actor.of(exporter), trip_code=codes[0], reason="Hủy")
    unpaid.refresh_from_db()
    assert unpaid.status == "void"
    paid = services.invoice_create(actor=Actor.of(exporter), trip_codes=codes[1:])
    notify(paid.code, paid.amount_vnd)
    refunded = services.invoice_refund(
        actor=Actor.of(gate_operator), invoice_code=paid.code, reason="Xe không xuất cảnh"
    )
    assert refunded.status == "refunded"
    assert Receipt.objects.filter(invoice=paid).exists()  # the series keeps its number
    with pytest.raises(NotAllowed):
        services.invoice_refund(actor=Actor.of(exporter), invoice_code=paid.code, reason="x")


def test_imports_delivered_inland_are_invoiced_at_130_percent(exporter):
    _, codes = declare(exporter, electronics_import())
    invoice = services.invoice_create(actor=Actor.of(exporter), trip_codes=codes)
    item = invoice.items.get()
    assert item.route == "inland"
    assert any("130%" in line["en"] for line in item.lines)


def test_the_gate_decides_when_the_fee_is_due(exporter, gate_operator):
    WorkingHours.objects.all().delete()
    Gate.objects.filter(code="CKHN").update(fee_due="call_up")
    _, codes = declare(exporter)
    operator = Actor.of(gate_operator)
    for code in codes:
        declaration_services.trip_check_in(
            actor=operator, yard_code="XC", by=declaration_services.CheckInBy(code=code)
        )
    from cuakhau.gates.models import Passage
    from cuakhau.queueing.services import dispatch_passage

    passage = Passage.objects.get(code="HN-1119")
    result = dispatch_passage(actor=operator, passage_id=passage.pk, direction="export")
    assert result.call_ups == []
    assert result.run.holds == {"fee_unpaid": 2}
    with pytest.raises(Conflict) as unpaid:
        declaration_services.trip_call(actor=operator, trip_code=codes[0])
    assert unpaid.value.code == "fee_unpaid"
    assert "before call-up" in unpaid.value.message.en

    invoice = services.invoice_create(actor=Actor.of(exporter), trip_codes=codes[:1])
    notify(invoice.code, invoice.amount_vnd)
    result = dispatch_passage(actor=operator, passage_id=passage.pk, direction="export")
    assert [c.trip_code for c in result.call_ups] == [codes[0]]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_payments_get_consecutive_receipt_numbers(exporter):
    invoices = []
    for _ in range(4):
        _, codes = declare(exporter)
        for code in codes:
            invoices.append(services.invoice_create(actor=Actor.of(exporter), trip_codes=[code]))
    barrier = threading.Barrier(len(invoices))
    errors = []

    def pay(index, invoice):
        try:
            barrier.wait()
            notify(invoice.code, invoice.amount_vnd, reference=f"FT{index:04d}")
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=pair) for pair in enumerate(invoices)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sequences = sorted(Receipt.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, len(invoices) + 1))
    assert Invoice.objects.filter(status="paid").count() == len(invoices)


def test_a_gate_that_wants_the_fee_before_departure_holds_the_truck_until_paid(
    exporter, gate_operator, border_guard
):
    Gate.objects.filter(code="TT").update(fee_due="departure")
    _, codes = declare(exporter, electronics_import())
    code = codes[0]
    operator, guard = Actor.of(gate_operator), Actor.of(border_guard)
    declaration_services.trip_check_in(
        actor=operator, yard_code="BN", by=declaration_services.CheckInBy(code=code)
    )
    # Skip the agencies' checks: the rule under test is the last step's.
    Trip.objects.filter(code=code).update(state="CLEARED")
    with pytest.raises(Conflict) as unpaid:
        declaration_services.trip_depart(actor=guard, trip_code=code, reason="Rời cửa khẩu")
    assert unpaid.value.code == "fee_unpaid"
    assert "trước khi rời đi" in unpaid.value.message.vi
    assert Trip.objects.get(code=code).state == "CLEARED"
    invoice = services.invoice_create(actor=Actor.of(exporter), trip_codes=[code])
    notify(invoice.code, invoice.amount_vnd)
    declaration_services.trip_depart(actor=guard, trip_code=code, reason="Rời cửa khẩu")
    assert Trip.objects.get(code=code).state == "DEPARTED"
