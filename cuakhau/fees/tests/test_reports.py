"""Fee revenue and reconciliation: totals by gate, class, regime and route add up, the center
keeps 10 %, refunds subtract, the bank's notices reconcile with the receipts, the Excel file
holds the same numbers, and the leaders' page shows each leader their own gates only."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from cuakhau.accounts.roles import Role
from cuakhau.conftest import electronics_import, make_user
from cuakhau.core.actors import Actor
from cuakhau.fees import reports, services
from cuakhau.fees.tests.test_payments import declare, notify
from cuakhau.gates.capacity import VIETNAM
from cuakhau.gates.models import Gate

pytestmark = pytest.mark.django_db


def today():
    return timezone.now().astimezone(VIETNAM).date()


@pytest.fixture
def paid(exporter, gate_operator):
    """Durian at Hữu Nghị (two trips, one refunded after an overpayment), electronics at Tân
    Thanh, and a transfer that matches nothing."""
    _, fruit = declare(exporter)
    durian = services.invoice_create(actor=Actor.of(exporter), trip_codes=fruit[:1])
    small = services.invoice_create(actor=Actor.of(exporter), trip_codes=fruit[1:])
    _, chips = declare(exporter, electronics_import())
    chip = services.invoice_create(actor=Actor.of(exporter), trip_codes=chips)
    notify(durian.code, durian.amount_vnd, "R1")
    notify(small.code, small.amount_vnd + 50_000, "R2")  # overpaid: 50,000 stays open
    notify(chip.code, chip.amount_vnd, "R3")
    notify("HD99999999", 123_000, "R4")  # unmatched
    services.invoice_refund(
        actor=Actor.of(gate_operator), invoice_code=small.code, reason="Xe không qua"
    )
    return {"durian": durian, "small": small, "chip": chip}


def by_key(lines):
    return {line.key: line for line in lines}


def test_totals_add_up_by_every_grouping_with_the_share_and_the_refund(paid, settings):
    durian, small, chip = (
        paid["durian"].amount_vnd,
        paid["small"].amount_vnd,
        paid["chip"].amount_vnd,
    )
    assert (durian, small, chip) == (600_000, 250_000, 1_040_000)  # VT6, VT4, VT6 inland 130 %
    report = reports.fee_report(today(), today())
    total = report.total
    assert (total.trips, total.gross) == (3, durian + small + chip)
    assert (total.refunded_trips, total.refunded, total.net) == (1, small, durian + chip)
    assert total.center == total.net // 10 == 164_000
    assert total.province == total.net - total.center
    for _, _, lines in report.groupings:
        assert sum(line.gross for line in lines) == total.gross
        assert sum(line.refunded for line in lines) == total.refunded
        assert sum(line.trips for line in lines) == total.trips
    gates = {Gate.objects.get(pk=k).code: v for k, v in by_key(report.by_gate).items()}
    assert (gates["CKHN"].gross, gates["CKHN"].refunded) == (durian + small, small)
    assert (gates["TT"].gross, gates["TT"].net) == (chip, chip)
    assert {k: v.gross for k, v in by_key(report.by_class).items()} == {
        "VT4": small,
        "VT6": durian + chip,
    }
    assert {k: v.net for k, v in by_key(report.by_regime).items()} == {"XK": durian, "NK": chip}
    assert {k: v.gross for k, v in by_key(report.by_route).items()} == {
        "standard": durian + small,
        "inland": chip,
    }
    assert by_key(report.daily)[today()].net == total.net
    assert report.monthly[-1].net == total.net

    settings.CUAKHAU_FEE_CENTER_SHARE_PERCENT = 15
    assert reports.fee_report(today(), today()).total.center == total.net * 15 // 100


def test_the_day_reconciles_notices_receipts_and_revenue(paid, gate_operator):
    day = by_key_day(reports.fee_report(today(), today()).reconciliation)
    durian, small, chip = (paid[k].amount_vnd for k in ("durian", "small", "chip"))
    assert day.notices == 4
    assert day.received == durian + small + 50_000 + chip + 123_000
    assert day.receipted == durian + small + chip
    assert day.open == 50_000 + 123_000
    assert (day.returned, day.difference) == (0, 0)
    assert (day.receipts, day.receipts_amount, day.receipts_other_days) == (3, day.receipted, 0)
    assert day.revenue == day.receipts_amount and day.receipts_difference == 0

    from cuakhau.fees.models import PaymentNotice

    stray = PaymentNotice.objects.get(reference="R4")
    services.notice_refund(actor=Actor.of(gate_operator), notice_id=stray.pk, reason="Trả lại")
    after = by_key_day(reports.fee_report(today(), today()).reconciliation)
    assert (after.open, after.returned, after.difference) == (50_000, 123_000, 0)


def by_key_day(days):
    return next(d for d in days if d.day == today())


def test_the_excel_file_holds_the_same_totals(paid):
    report = reports.fee_report(today(), today())
    book = load_workbook(io.BytesIO(reports.workbook(report, "en")))
    assert book.sheetnames == [
        "By day",
        "By month",
        "By border gate",
        "By vehicle class",
        "By goods regime",
        "By route",
        "Reconciliation",
    ]
    for name in book.sheetnames[:-1]:
        sheet = book[name]
        last = [c.value for c in sheet[sheet.max_row]]
        assert last[0] == "Total"
        assert last[1:] == [
            3,
            report.total.gross,
            1,
            report.total.refunded,
            report.total.net,
            report.total.center,
            report.total.province,
        ]
        assert "#,##0" in sheet.cell(2, 3).number_format
    daily = book["By day"]
    assert daily.cell(2, 1).value.date() == today()
    recon = book["Reconciliation"]
    headings = [c.value for c in recon[1]]
    row = dict(zip(headings, (c.value for c in recon[2]), strict=True))
    assert row["Difference"] == 0 and row["Receipts total"] == report.total.gross


def test_leaders_see_their_gates_and_enterprises_are_refused(paid, client, exporter, leader):
    url = f"/reports/fees/?month={today():%Y-%m}"
    client.force_login(exporter)
    assert client.get(url).status_code == 403
    assert client.get("/reports/fees/excel/").status_code == 403

    client.force_login(leader)  # Hữu Nghị and Tân Thanh
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["report"].total.net == 1_640_000
    assert b"<svg" in page.content and b"/reports/fees/excel/" in page.content
    assert "/reports/fees/" in [item.url for item in page.context["nav_items"]]

    huu_nghi = make_user("lanhhn", Role.LEADER, gates=("CKHN",))
    client.force_login(huu_nghi)
    only = client.get(url).context["report"]
    assert (only.total.gross, only.total.net) == (850_000, 600_000)
    assert only.reconciliation_total.received == 600_000 + 300_000 + 123_000  # no Tân Thanh

    chi_ma = make_user("lanhcm", Role.LEADER, gates=("CM",))
    client.force_login(chi_ma)
    assert client.get(url).context["report"].total.gross == 0

    download = client.get(f"/reports/fees/excel/?from={today()}&to={today()}")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    load_workbook(io.BytesIO(download.content))


def test_administrators_see_every_gate_and_the_page_is_cheap(
    paid, client, administrator, django_assert_max_num_queries
):
    client.force_login(administrator)
    with django_assert_max_num_queries(15):
        page = client.get("/reports/fees/", {"from": "2020-01-01", "to": str(today())})
    assert page.status_code == 200
    report = page.context["report"]
    assert report.total.gross == 1_890_000
    assert (report.end - report.start).days == reports.MAX_DAYS - 1  # a year at most


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get("/reports/fees/")
    assert response.status_code == 302 and "login" in response["Location"]
