from django.urls import path

from cuakhau.checks import views

app_name = "checks"
urlpatterns = [
    path("checks/", views.pending, name="pending"),
    path("checks/<str:code>/", views.decide, name="decide"),
]
