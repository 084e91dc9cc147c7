from django.urls import path

from cuakhau.declarations import views

app_name = "declarations"
urlpatterns = [
    path("declarations/", views.declaration_list, name="list"),
    path("declarations/new/", views.declaration_new, name="new"),
    path("declarations/<int:pk>/", views.declaration_detail, name="detail"),
    path("declarations/<int:pk>/edit/", views.declaration_edit, name="edit"),
    path("declarations/<int:pk>/correction/", views.declaration_correct, name="correct"),
    path("declarations/<int:pk>/submit/", views.declaration_submit, name="submit"),
    path("declarations/<int:pk>/cancel/", views.declaration_cancel, name="cancel"),
    path("trips/", views.trip_list, name="trips"),
    path("trips/<str:code>/", views.trip_detail, name="trip"),
    path("trips/<str:code>/cancel/", views.trip_cancel, name="trip_cancel"),
    path("trips/<str:code>/qr.png", views.trip_qr_png, name="trip_qr"),
    path("trips/<str:code>/print/", views.trip_print, name="trip_print"),
    path("trips/<str:code>/<slug:step>/", views.trip_step, name="trip_step"),
    path("check-in/", views.check_in, name="check_in"),
    path("corrections/", views.correction_list, name="corrections"),
    path("corrections/<int:pk>/decision/", views.correction_decide, name="correction_decide"),
    path("d/<str:token>", views.driver, name="driver"),
]
