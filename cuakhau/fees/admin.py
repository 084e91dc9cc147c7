"""Fee tables for administrators: schedules with their rates, Excel export and import;
invoices, payment notices and receipts read-only (they change only through the services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cuakhau.core.admin import ReadOnlyAdmin
from cuakhau.core.errors import InvalidInput
from cuakhau.core.views import say
from cuakhau.fees import spreadsheets
from cuakhau.fees.models import (
    BankAccount,
    FeeRate,
    FeeSchedule,
    Invoice,
    InvoiceItem,
    PaymentNotice,
    Receipt,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 5 * 1024 * 1024


def _invoiced(schedule: FeeSchedule | None) -> bool:
    return schedule is not None and Invoice.objects.filter(schedule_code=schedule.code).exists()


class FeeRateInline(admin.TabularInline):
    model = FeeRate
    extra = 0
    fields = ("vehicle_class", "regime", "category", "amount_vnd", "is_demo", "note")

    def _locked(self, obj: Any) -> bool:
        return _invoiced(obj)

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return not self._locked(obj) and super().has_delete_permission(request, obj)


class FeeScheduleForm(forms.ModelForm):
    class Meta:
        model = FeeSchedule
        fields = (
            "code",
            "legal_basis",
            "effective_from",
            "effective_to",
            "inland_import_percent",
            "transshipment_percent",
            "ore_export_factor",
            "maximum_vnd",
            "note",
        )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        start, end = data.get("effective_from"), data.get("effective_to")
        code = data.get("code") or (self.instance.code if self.instance.pk else "")
        if start is not None and (end is None or end >= start):
            problem = spreadsheets.period_problem(code, start, end)
            if problem is not None:
                raise forms.ValidationError(say(problem))
        return data


@admin.register(FeeSchedule)
class FeeScheduleAdmin(admin.ModelAdmin):
    form = FeeScheduleForm
    inlines = [FeeRateInline]
    list_display = (
        "code",
        "legal_basis",
        "effective_from",
        "effective_to",
        "rate_count",
        "demo_rates",
    )
    search_fields = ("code", "legal_basis")
    actions = ["export_to_excel"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FeeSchedule]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_rates=Count("rates"),
                n_demo=Count("rates", filter=Q(rates__is_demo=True)),
            )
        )

    @admin.display(description=gettext_lazy("rates"), ordering="n_rates")
    def rate_count(self, obj: Any) -> int:
        return int(obj.n_rates)

    @admin.display(description=gettext_lazy("demo rates"), ordering="n_demo")
    def demo_rates(self, obj: Any) -> int:
        return int(obj.n_demo)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if _invoiced(obj):
            # Invoices were issued under it: only its end and note may change.
            return [
                f.name for f in FeeSchedule._meta.fields if f.name not in ("effective_to", "note")
            ]
        return super().get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return not _invoiced(obj) and super().has_delete_permission(request, obj)

    @admin.action(description=gettext_lazy("Export to Excel"))
    def export_to_excel(self, request: HttpRequest, queryset: QuerySet[FeeSchedule]) -> Any:
        return _xlsx(spreadsheets.export_schedules(queryset.order_by("effective_from")))

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="fees_feeschedule_import",
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="fees_feeschedule_export",
            ),
        ]
        return extra + super().get_urls()

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        return _xlsx(spreadsheets.export_schedules(FeeSchedule.objects.order_by("effective_from")))

    def import_view(self, request: HttpRequest) -> HttpResponse:
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import from Excel"),
        }
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            return HttpResponseRedirect(reverse("admin:index"))
        if request.method == "POST":
            upload = request.FILES.get("workbook")
            if upload is None or upload.size is None or upload.size > MAX_UPLOAD:
                context["problem"] = _("Choose an Excel workbook (.xlsx) of at most 5 MB.")
            else:
                try:
                    summary = spreadsheets.import_schedules(upload.read())
                except InvalidInput as error:
                    context["problem"] = say(error.message)
                    context["details"] = [say(e.message) for e in error.errors]
                else:
                    text = _(
                        "%(rows)d rows read; schedules created: %(created)s; updated: "
                        "%(updated)s; rates created %(rc)d, updated %(ru)d, removed %(rd)d."
                    ) % {
                        "rows": summary.rows_read,
                        "created": ", ".join(summary.schedules_created) or "—",
                        "updated": ", ".join(summary.schedules_updated) or "—",
                        "rc": summary.rates_created,
                        "ru": summary.rates_updated,
                        "rd": summary.rates_deleted,
                    }
                    messages.success(request, text)
                    return HttpResponseRedirect(reverse("admin:fees_feeschedule_changelist"))
        return TemplateResponse(request, "admin/fees/feeschedule/import.html", context)


def _xlsx(content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="bieu-phi.xlsx"'
    return response


class BankAccountForm(forms.ModelForm):
    notice_secret = forms.CharField(
        label=gettext_lazy("notice secret"),
        required=False,
        max_length=128,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy("Leave empty to keep the current secret."),
    )

    class Meta:
        model = BankAccount
        fields = (
            "code",
            "bank_name",
            "bank_bin",
            "account_number",
            "account_name",
            "notice_secret",
            "is_active",
        )

    def clean_notice_secret(self) -> str:
        value = str(self.cleaned_data.get("notice_secret") or "")
        if not value:
            if not self.instance.pk:
                raise forms.ValidationError(_("A new account needs the bank's notice secret."))
            return str(self.instance.notice_secret)
        return value


@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    form = BankAccountForm
    list_display = ("code", "bank_name", "bank_bin", "account_number", "account_name", "is_active")


class InvoiceItemInline(admin.TabularInline):
    model = InvoiceItem
    extra = 0
    fields = ("trip", "vehicle_class", "regime", "route", "categories", "amount_vnd", "live")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("code", "gate", "payer_name", "amount_vnd", "status", "created_at", "paid_at")
    list_filter = ("status", "gate")
    search_fields = ("code", "payer_name", "payer_tax_code")
    list_select_related = ("gate",)
    date_hierarchy = "created_at"
    inlines = [InvoiceItemInline]


@admin.register(PaymentNotice)
class PaymentNoticeAdmin(ReadOnlyAdmin):
    list_display = ("reference", "bank_account", "amount_vnd", "status", "received_at", "invoice")
    list_filter = ("status", "bank_account")
    search_fields = ("reference", "description", "invoice__code")
    list_select_related = ("bank_account", "invoice")
    date_hierarchy = "received_at"


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ("number", "invoice", "amount_vnd", "issued_at")
    search_fields = ("number", "invoice__code")
    list_select_related = ("invoice",)
    exclude = ("pdf", "verify_token")
    date_hierarchy = "issued_at"
