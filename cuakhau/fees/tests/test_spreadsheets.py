"""Fee schedules to Excel and back: a round trip keeps every rate, a wrong workbook is refused
with the row of each problem and nothing saved, a schedule with invoices cannot change, and the
admin's import and export pages work."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from cuakhau.accounts.models import User
from cuakhau.core.actors import Actor
from cuakhau.core.errors import InvalidInput
from cuakhau.fees import services, spreadsheets
from cuakhau.fees.models import FeeRate, FeeSchedule
from cuakhau.fees.tests.test_payments import declare

pytestmark = pytest.mark.django_db
FIRST_RATE_ROW = 12  # nine header rows, a blank one, the table's heading


def rates_of(code: str) -> dict[tuple[str, str, str], tuple[int, bool, str]]:
    return {
        (r.vehicle_class.code, r.regime.code, r.category): (r.amount_vnd, r.is_demo, r.note)
        for r in FeeRate.objects.filter(schedule__code=code).select_related(
            "vehicle_class", "regime"
        )
    }


def exported(**header):
    """The seeded schedule exported, with header values changed (by key)."""
    book = load_workbook(io.BytesIO(spreadsheets.export_schedules(FeeSchedule.objects.all())))
    sheet = book.worksheets[0]
    for row in sheet.iter_rows(min_row=1, max_row=9):
        if row[0].value in header:
            row[1].value = header[row[0].value]
    return book, sheet


def save(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_export_then_import_as_a_new_version_keeps_every_rate():
    original = rates_of("NQ09-2025")
    assert len(original) == 60
    book, sheet = exported(schedule_code="NQ-2026", effective_from=date(2026, 1, 1))
    assert [c.value for c in sheet[11]] == list(spreadsheets.TABLE)
    assert sheet.cell(FIRST_RATE_ROW, 4).number_format == spreadsheets.VND_FORMAT
    assert isinstance(sheet.cell(FIRST_RATE_ROW, 4).value, int)
    sheet.cell(FIRST_RATE_ROW, 4).value = 123_000
    changed = (
        sheet.cell(FIRST_RATE_ROW, 1).value,
        sheet.cell(FIRST_RATE_ROW, 2).value,
        sheet.cell(FIRST_RATE_ROW, 3).value,
    )

    summary = spreadsheets.import_schedules(save(book))

    assert summary.rows_read == 60
    assert summary.schedules_created == ["NQ-2026"] and summary.rates_created == 60
    new = FeeSchedule.objects.get(code="NQ-2026")
    old = FeeSchedule.objects.get(code="NQ09-2025")
    assert new.effective_from == date(2026, 1, 1) and new.legal_basis == old.legal_basis
    assert (new.inland_import_percent, new.maximum_vnd) == (130, 5_000_000)
    imported = rates_of("NQ-2026")
    assert imported[changed][0] == 123_000
    assert {k: v for k, v in imported.items() if k != changed} == {
        k: v for k, v in original.items() if k != changed
    }
    # The later schedule wins from its first day, as the fee rules read them.
    from cuakhau.fees import rules

    assert rules.schedule_on(services.schedules(), date(2026, 3, 1)).code == "NQ-2026"
    assert rules.schedule_on(services.schedules(), date(2025, 12, 31)).code == "NQ09-2025"


def test_reimporting_an_unused_schedule_updates_it_in_place():
    book, sheet = exported(legal_basis="NQ 09/2025 (sửa)")
    sheet.cell(FIRST_RATE_ROW, 4).value = 99_000
    sheet.cell(FIRST_RATE_ROW + 1, 5).value = "không"
    sheet.delete_rows(FIRST_RATE_ROW + 2)
    summary = spreadsheets.import_schedules(save(book))
    assert summary.schedules_updated == ["NQ09-2025"] and not summary.schedules_created
    assert (summary.rows_read, summary.rates_created) == (59, 0)
    assert (summary.rates_updated, summary.rates_deleted) == (2, 1)
    assert FeeSchedule.objects.get().legal_basis == "NQ 09/2025 (sửa)"
    assert FeeRate.objects.count() == 59


def test_a_wrong_workbook_is_refused_with_its_rows_and_nothing_is_saved():
    before = (FeeSchedule.objects.count(), FeeRate.objects.count(), rates_of("NQ09-2025"))
    # A closed period that starts before the seeded schedule and ends inside it.
    book, sheet = exported(
        schedule_code="NQ-SAI", effective_from=date(2025, 1, 1), effective_to=date(2025, 12, 31)
    )
    sheet.cell(FIRST_RATE_ROW, 1).value = "VT9"
    sheet.cell(FIRST_RATE_ROW + 1, 4).value = -5
    for column in range(1, 4):  # row 15 repeats row 14's key
        sheet.cell(FIRST_RATE_ROW + 3, column).value = sheet.cell(FIRST_RATE_ROW + 2, column).value
    sheet.cell(FIRST_RATE_ROW + 4, 3).value = "vegetables"

    with pytest.raises(InvalidInput) as refused:
        spreadsheets.import_schedules(save(book))

    errors = {(e.path, e.code) for e in refused.value.errors}
    title = sheet.title
    assert errors == {
        (f"{title}.12", "unknown_vehicle_class"),
        (f"{title}.13", "bad_amount"),
        (f"{title}.15", "duplicate_rate"),
        (f"{title}.16", "unknown_category"),
        (f"{title}.3", "period_overlap"),
    }
    messages = {e.path: e.message for e in refused.value.errors}
    assert messages[f"{title}.12"].vi.startswith(f"Trang «{title}», dòng 12:")
    assert "row 12" in messages[f"{title}.12"].en and "第 12 行" in messages[f"{title}.12"].zh
    assert "row 14" in messages[f"{title}.15"].en  # names the first row with that key
    assert refused.value.code == "fee_workbook_invalid"
    assert "nothing was saved" in refused.value.message.en
    assert (FeeSchedule.objects.count(), FeeRate.objects.count(), rates_of("NQ09-2025")) == before


@pytest.mark.parametrize(
    ("start", "end", "refused"),
    [
        (date(2025, 5, 8), None, True),  # the same first day: ambiguous
        (date(2024, 1, 1), date(2025, 5, 7), False),  # ends the day before
        (date(2024, 1, 1), None, False),  # open-ended: replaced by the later one
        (date(2027, 1, 1), date(2027, 12, 31), False),  # replaces the open-ended one a while
    ],
)
def test_periods_follow_the_rule_that_the_latest_started_schedule_wins(start, end, refused):
    book, _ = exported(schedule_code="NQ-X", effective_from=start, effective_to=end)
    if refused:
        with pytest.raises(InvalidInput) as error:
            spreadsheets.import_schedules(save(book))
        assert [e.code for e in error.value.errors] == ["period_overlap"]
        assert not FeeSchedule.objects.filter(code="NQ-X").exists()
    else:
        spreadsheets.import_schedules(save(book))
        assert FeeSchedule.objects.filter(code="NQ-X").exists()


def test_a_schedule_with_invoices_cannot_be_changed_by_import(exporter):
    _, codes = declare(exporter)
    services.invoice_create(actor=Actor.of(exporter), trip_codes=codes[:1])
    book, _ = exported()
    with pytest.raises(InvalidInput) as refused:
        spreadsheets.import_schedules(save(book))
    assert [e.code for e in refused.value.errors] == ["schedule_invoiced"]
    assert "new version" in refused.value.errors[0].message.en


def test_not_a_workbook_is_refused():
    with pytest.raises(InvalidInput) as refused:
        spreadsheets.import_schedules(b"not a spreadsheet")
    assert refused.value.errors[0].code == "not_a_workbook"


def test_the_admin_lists_exports_and_imports_schedules(client):
    admin = User.objects.create_superuser("root", "root@example.vn", "Cua-khau-2026!")
    client.force_login(admin)
    listing = client.get("/admin/fees/feeschedule/")
    assert listing.status_code == 200
    assert b"NQ09-2025" in listing.content and b"/admin/fees/feeschedule/import/" in listing.content

    exported_file = client.get("/admin/fees/feeschedule/export/")
    assert exported_file.status_code == 200
    book = load_workbook(io.BytesIO(exported_file.content))
    assert book.worksheets[0]["B1"].value == "NQ09-2025"

    action = client.post(
        "/admin/fees/feeschedule/",
        {
            "action": "export_to_excel",
            "_selected_action": [FeeSchedule.objects.get().pk],
        },
    )
    assert action.status_code == 200 and action["Content-Type"].startswith("application/vnd")

    book, sheet = exported(schedule_code="NQ-2026", effective_from=date(2026, 1, 1))
    upload = io.BytesIO(save(book))
    upload.name = "bieu-phi.xlsx"
    done = client.post("/admin/fees/feeschedule/import/", {"workbook": upload}, follow=True)
    assert done.status_code == 200 and FeeSchedule.objects.filter(code="NQ-2026").exists()
    assert b"NQ-2026" in done.content and b"60" in done.content

    sheet.cell(FIRST_RATE_ROW, 4).value = -1
    sheet["B1"].value = "NQ-2027"
    bad = io.BytesIO(save(book))
    bad.name = "sai.xlsx"
    refused = client.post("/admin/fees/feeschedule/import/", {"workbook": bad})
    assert refused.status_code == 200 and b"import-errors" in refused.content
    assert not FeeSchedule.objects.filter(code="NQ-2027").exists()

    # Read-only records and the bank account without its secret in the list.
    for page in ("invoice", "paymentnotice", "receipt", "bankaccount"):
        assert client.get(f"/admin/fees/{page}/").status_code == 200
    assert client.get("/admin/fees/invoice/add/").status_code == 403
    accounts = client.get("/admin/fees/bankaccount/")
    from cuakhau.fees.models import BankAccount

    assert BankAccount.objects.get().notice_secret.encode() not in accounts.content


def test_the_admin_form_refuses_an_overlapping_period(client):
    client.force_login(User.objects.create_superuser("root", "root@example.vn", "Cua-khau-2026!"))
    schedule = FeeSchedule.objects.get()
    assert client.get(f"/admin/fees/feeschedule/{schedule.pk}/change/").status_code == 200
    form = {
        "code": "NQ-TRUNG",
        "legal_basis": "Thử",
        "effective_from": "2025-05-08",
        "inland_import_percent": 130,
        "transshipment_percent": 30,
        "ore_export_factor": 5,
        "maximum_vnd": 5_000_000,
        "rates-TOTAL_FORMS": 0,
        "rates-INITIAL_FORMS": 0,
        "rates-MIN_NUM_FORMS": 0,
        "rates-MAX_NUM_FORMS": 1000,
    }
    refused = client.post("/admin/fees/feeschedule/add/", form)
    assert refused.status_code == 200 and "NQ09-2025" in refused.content.decode()
    assert not FeeSchedule.objects.filter(code="NQ-TRUNG").exists()
    form["effective_from"] = "2027-01-01"
    assert client.post("/admin/fees/feeschedule/add/", form).status_code == 302
    assert FeeSchedule.objects.filter(code="NQ-TRUNG").exists()


def test_the_leaders_page_renders_in_every_language(client):
    from cuakhau.accounts.roles import Role
    from cuakhau.conftest import make_user

    client.force_login(make_user("lanh", Role.LEADER))
    for code in ("vi", "en", "zh-hans"):
        client.cookies["django_language"] = code
        page = client.get("/reports/fees/")
        assert page.status_code == 200
    assert "收费收入" in page.content.decode()
