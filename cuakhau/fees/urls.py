from django.urls import path, re_path

from cuakhau.fees import views

INVOICE = r"^invoices/(?P<code>[A-Za-z0-9]{1,16})/"

app_name = "fees"
urlpatterns = [
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/new/", views.invoice_new, name="invoice_new"),
    re_path(INVOICE + r"$", views.invoice_detail, name="invoice"),
    re_path(INVOICE + r"live/$", views.invoice_live, name="invoice_live"),
    re_path(INVOICE + r"receipt\.pdf$", views.receipt_download, name="receipt_pdf"),
    re_path(INVOICE + r"refund/$", views.invoice_refund, name="invoice_refund"),
    re_path(
        r"^receipts/(?P<token>[A-Za-z0-9_-]{1,32})/$", views.receipt_check, name="receipt_check"
    ),
    path("payments/reconciliation/", views.reconciliation, name="reconciliation"),
    path("payments/notices/<int:notice_id>/match/", views.notice_match, name="notice_match"),
    path("payments/notices/<int:notice_id>/refund/", views.notice_refund, name="notice_refund"),
    path("d/<str:token>/fee/", views.driver_fee_live, name="driver_fee"),
]
