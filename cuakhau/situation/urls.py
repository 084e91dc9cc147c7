from django.urls import path

from cuakhau.situation import views

app_name = "situation"
urlpatterns = [
    path("", views.home, name="home"),
    path("track/", views.track, name="track"),
    path("q/<str:token>", views.qr_landing, name="qr"),
]
