from django.urls import path

from cuakhau.twin import views

app_name = "twin"

urlpatterns = [
    path("twin/", views.index, name="index"),
    path("twin/live/", views.runs_live, name="runs_live"),
    path("twin/runs/new/", views.run_new, name="run_new"),
    path("twin/runs/<int:run_id>/", views.run_detail, name="run"),
    path("twin/runs/<int:run_id>/live/", views.run_live, name="run_live"),
    path("twin/compare/", views.compare, name="compare"),
    path("twin/scenarios/new/", views.scenario_new, name="scenario_new"),
    path("twin/scenarios/<int:scenario_id>/", views.scenario_edit, name="scenario"),
]
