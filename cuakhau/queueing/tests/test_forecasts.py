"""The twin's call-up forecast on the live queue: a refresh forecasts every waiting truck, the
pages and the API show it while it is fresh (the plan's estimate otherwise), each enterprise
sees only its own trucks, and the dispatcher calling trucks meanwhile loses nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cuakhau.core.actors import Actor
from cuakhau.declarations import links
from cuakhau.declarations.lifecycle import TripState
from cuakhau.declarations.models import Trip
from cuakhau.gates.models import CapacityPlan
from cuakhau.queueing import forecasts, selectors, services
from cuakhau.queueing.models import CallForecast, EnterpriseOutcome, QueueEntry
from cuakhau.queueing.templatetags.queue import both_times_range
from cuakhau.twin.forecast import DEFAULT_CALL_TO_LEAVE

pytestmark = pytest.mark.django_db


def hn_plan(**changes: Any) -> CapacityPlan:
    capacity_plan = CapacityPlan.objects.select_related("passage").get(
        passage__code="HN-1119", direction="export"
    )
    for name, value in changes.items():
        setattr(capacity_plan, name, value)
    capacity_plan.save()
    return capacity_plan


def refresh(now: datetime | None = None, replications: int = 20) -> forecasts.ForecastRefresh:
    return forecasts.forecast_refresh(
        hn_plan().passage_id, "export", now=now, replications=replications
    )


def trip_id(code: str) -> int:
    return Trip.objects.values_list("pk", flat=True).get(code=code)


def page(user: Any, code: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client.get(reverse("declarations:trip", args=[code])).content.decode()


def at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@pytest.fixture
def queued(declare, check_in) -> list[str]:
    """Three trucks in the Hữu Nghị freight road's queue, one place in its control area: two
    steel trucks, then a fruit truck that the green lane puts first."""
    hn_plan(control_area_room=1)
    codes = [*declare(2, green=False), *declare(1)]
    for code in codes:
        check_in(code)
    return codes


def test_a_refresh_forecasts_every_waiting_truck_in_queue_order(queued):
    # Given three trucks waiting for one place, nothing in the history yet
    now = timezone.now()

    # When
    done = refresh(now)

    # Then each has a P50 and a P90, one place apart: the green truck first, then the steel
    assert done.trucks == 3
    rows = {row.trip_id: row for row in CallForecast.objects.all()}
    assert set(rows) == {trip_id(code) for code in queued}
    places = selectors.queue_places(rows, now=now)
    in_order = sorted(rows.values(), key=lambda row: places[row.trip_id].position)
    assert [row.trip_id for row in in_order] == [trip_id(queued[i]) for i in (2, 0, 1)]
    p50s = [row.p50_at for row in in_order]
    assert all(p50 is not None for p50 in p50s)
    assert p50s == sorted(p50s) and len(set(p50s)) == 3
    assert all(row.p50_at <= row.p90_at for row in in_order)
    assert all(row.computed_at == now and row.called_share == 1.0 for row in in_order)
    # One place, 45 minutes a truck without history: the first is called in the cycle that runs
    # now, the last two stays later (forecasts are stored to the second).
    last = (p50s[-1] - now).total_seconds()
    assert 2 * DEFAULT_CALL_TO_LEAVE - 1 <= last <= 2 * DEFAULT_CALL_TO_LEAVE + 120


def test_the_api_and_the_trip_page_show_the_twin_forecast_while_it_is_fresh(
    queued, exporter, api_as, settings
):
    refresh()
    code = queued[1]
    forecast = CallForecast.objects.get(trip__code=code)

    place = api_as(exporter).get(f"/trips/{code}/queue").json()
    assert place["prediction_source"] == "twin"
    assert at(place["predicted_call_at"]) == forecast.p50_at
    assert at(place["predicted_call_p90_at"]) == forecast.p90_at
    html = page(exporter, code)
    assert 'data-prediction-source="twin"' in html
    assert "Forecast by the digital twin" in html
    assert "China time" in html

    # Older than the maximum age: the plan's estimate again, with no P90.
    settings.CUAKHAU_FORECAST_MAX_AGE_MINUTES = 0
    place = api_as(exporter).get(f"/trips/{code}/queue").json()
    assert place["prediction_source"] == "plan"
    assert place["predicted_call_at"] is not None
    assert place["predicted_call_p90_at"] is None
    html = page(exporter, code)
    assert 'data-prediction-source="plan"' in html
    assert "estimate from the passage's capacity" in html


def test_a_forecast_is_fresh_for_the_configured_minutes(queued, settings):
    settings.CUAKHAU_FORECAST_MAX_AGE_MINUTES = 15
    now = timezone.now()
    refresh(now)
    ids = [trip_id(code) for code in queued]

    soon = selectors.queue_places(ids, now=now + timedelta(minutes=14))
    late = selectors.queue_places(ids, now=now + timedelta(minutes=16))

    assert {place.prediction_source for place in soon.values()} == {"twin"}
    assert {place.prediction_source for place in late.values()} == {"plan"}
    assert all(place.predicted_call_p90_at is None for place in late.values())
    # A forecast call already due is shown as now, not in the past.
    first = soon[trip_id(queued[2])]
    assert first.predicted_call_at == now + timedelta(minutes=14)


def test_the_enterprise_list_and_the_driver_page_show_the_range(queued, exporter):
    refresh()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(exporter)
    listing = client.get(reverse("declarations:list")).content.decode()
    assert listing.count('data-prediction-source="twin"') == 3
    token = links.driver_token(queued[1])
    driver = Client().get(reverse("declarations:driver", args=[token])).content.decode()
    assert 'data-prediction-source="twin"' in driver
    fragment = (
        Client(HTTP_ACCEPT_LANGUAGE="en")
        .get(reverse("queueing:driver_place", args=[token]))
        .content.decode()
    )
    assert "Forecast by the digital twin" in fragment


def test_an_enterprise_sees_only_its_own_trucks_forecasts(
    declare, check_in, exporter, rival, api_as
):
    mine = declare(1)[0]
    theirs = declare(1, user=rival)[0]
    check_in(mine)
    check_in(theirs)
    refresh()
    assert CallForecast.objects.count() == 2

    assert api_as(exporter).get(f"/trips/{theirs}/queue").status_code == 404
    assert api_as(rival).get(f"/trips/{theirs}/queue").json()["prediction_source"] == "twin"
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(exporter)
    assert client.get(reverse("declarations:trip", args=[theirs])).status_code == 404
    listing = client.get(reverse("declarations:list")).content.decode()
    assert mine in listing and theirs not in listing


def test_a_refresh_while_trucks_are_called_keeps_their_calls(queued, gate_operator):
    # The dispatcher calls while the twin runs (after the refresh read the queue, before it
    # writes): the calls stand, and the called truck shows its call, not a forecast.
    hn_plan(control_area_room=2)
    real = forecasts.forecast_calls
    called: list[str] = []

    def run_and_dispatch_meanwhile(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        dispatched = services.dispatch_passage(
            actor=Actor.of(gate_operator), passage_id=hn_plan().passage_id, direction="export"
        )
        called.extend(call.trip_code for call in dispatched.call_ups)
        return result

    with mock.patch.object(forecasts, "forecast_calls", run_and_dispatch_meanwhile):
        done = refresh()

    assert done.trucks == 3
    assert called == [queued[2], queued[0]]
    for code in called:
        entry = QueueEntry.objects.select_related("trip").get(trip__code=code)
        assert (entry.status, entry.trip.state) == ("called", TripState.CALLED)
        assert entry.called_at is not None and entry.lane is not None
    places = selectors.queue_places([trip_id(code) for code in queued])
    assert [places[trip_id(code)].status for code in called] == ["called", "called"]
    assert places[trip_id(queued[2])].prediction_source == ""
    waiting = places[trip_id(queued[1])]
    assert (waiting.status, waiting.position, waiting.prediction_source) == ("waiting", 1, "twin")


def test_a_truck_back_after_a_no_show_has_the_plans_estimate_until_the_next_refresh(
    queued, gate_operator
):
    refresh()
    operator = Actor.of(gate_operator)
    services.dispatch_passage(actor=operator, passage_id=hn_plan().passage_id, direction="export")
    services.trip_no_show(actor=operator, trip_code=queued[2], reason="Không đến")
    back = trip_id(queued[2])

    assert selectors.queue_place(back).prediction_source == "plan"
    refresh()
    assert selectors.queue_place(back).prediction_source == "twin"
    # The dispatcher's record of the no-show is untouched by the refresh.
    assert QueueEntry.objects.get(trip_id=back).no_shows == 1


def test_a_paused_passage_has_no_forecast(queued, gate_operator):
    refresh()
    services.passage_pause(
        actor=Actor.of(gate_operator),
        passage_code="HN-1119",
        direction="export",
        paused=True,
        reason="Mưa lớn",
    )

    assert refresh().trucks == 0
    assert not CallForecast.objects.exists()
    assert selectors.queue_place(trip_id(queued[0])).prediction_source == "plan"


def test_the_scheduled_refresh_covers_every_export_passage_with_a_plan(queued):
    done = forecasts.forecasts_refresh_all()

    by_passage = {(r.passage_id, r.direction): r.trucks for r in done}
    assert by_passage[(hn_plan().passage_id, "export")] == 3
    assert {direction for _, direction in by_passage} == {"export"}
    assert CallForecast.objects.count() == 3


def test_the_state_reads_arrivals_no_shows_and_stays_from_history(declare, check_in, exporter):
    # Given ten trucks that went through last week: one place, one no-show among them
    capacity_plan = hn_plan(control_area_room=1)
    now = timezone.now()
    codes = declare(10, green=False)
    for code in codes:
        check_in(code)
    history = QueueEntry.objects.filter(trip__code__in=codes).order_by("trip_id")
    minutes = [30, 35, 40, 45, 50, 55, 60, 65, 70, 75]
    for i, entry in enumerate(history):
        # Two of them a week ago at this hour, one two weeks ago an hour later.
        joined = {0: now - timedelta(days=7), 1: now - timedelta(days=7)}.get(i, now)
        if i == 2:
            joined = now - timedelta(days=14, hours=-1)
        called = now - timedelta(days=1, minutes=minutes[i])
        QueueEntry.objects.filter(pk=entry.pk).update(
            status=QueueEntry.Status.DONE, called_at=called, joined_at=joined
        )
        Trip.objects.filter(pk=entry.trip_id).update(
            state=TripState.DEPARTED, state_changed_at=now - timedelta(days=1)
        )
        kind = "no_show" if i == 0 else "showed"
        EnterpriseOutcome.objects.create(
            enterprise=exporter.enterprise, trip_id=entry.trip_id, kind=kind, at=called
        )

    state = forecasts.live_state(capacity_plan, now)

    assert state is not None and state.waiting == []
    # Since the first arrival on record this hour of the week came round once (two arrivals
    # then), the next hour twice (one arrival); booked trucks and this hour's are not counted.
    assert state.arrivals[0] == {"general": 2.0}
    assert state.arrivals[1] == {"general": 0.5}
    assert sorted(state.call_to_leave) == [m * 60.0 for m in minutes]
    assert state.no_show_probability == pytest.approx((1 + 0.02 * 20) / (10 + 20))
    assert state.room == 1 and len(state.hour_calls) == forecasts.HORIZON_HOURS + 1


def test_without_history_the_state_takes_the_defaults(queued):
    state = forecasts.live_state(hn_plan(), timezone.now())

    assert state is not None and len(state.waiting) == 3
    assert state.arrivals == []
    assert list(state.call_to_leave) == [DEFAULT_CALL_TO_LEAVE]
    assert state.no_show_probability == pytest.approx(0.02)
    assert state.inside_elapsed == []


def test_a_range_reads_on_both_sides_clocks_with_the_day_written_once():
    start = datetime.fromisoformat("2025-01-08T14:05:00+07:00")
    same_day = str(both_times_range(start, start + timedelta(hours=2, minutes=25)))
    assert ">14:05</time>–<time" in same_day and ">16:30 08/01</time>" in same_day
    assert '<span lang="zh-Hans">15:05–17:30</span>' in same_day
    overnight = str(both_times_range(start + timedelta(hours=9), start + timedelta(hours=18)))
    assert ">23:05 08/01</time> – <time" in overnight and ">08:05 09/01</time>" in overnight
    assert '<span lang="zh-Hans">00:05–09:05</span>' in overnight  # the same day in China
    assert both_times_range(start, None) == both_times_range(start, start)
