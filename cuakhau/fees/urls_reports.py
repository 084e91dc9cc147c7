from django.urls import path

from cuakhau.fees import views_reports

app_name = "fee_reports"

urlpatterns = [
    path("reports/fees/", views_reports.report, name="index"),
    path("reports/fees/excel/", views_reports.report_excel, name="excel"),
]
