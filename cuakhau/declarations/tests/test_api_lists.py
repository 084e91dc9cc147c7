"""List endpoints read one page from the database, however large the user's scope."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from cuakhau.conftest import fruit_export


def declare(api, n: int) -> None:
    doc = fruit_export()
    doc["customs_declarations"][0]["number"] = f"3051234{n:05d}"
    doc["trips"][0]["tractor_plate"] = f"12C-{n:03d}.11"
    doc["trips"][1]["tractor_plate"] = f"12C-{n:03d}.22"
    doc["trips"][0]["containers"] = []
    assert api.post("/declarations?submit=true", doc).status_code == 201


def test_a_page_of_trips_costs_the_same_queries_for_3_or_12_declarations(api_as, exporter):
    api = api_as(exporter)
    costs = []
    for total in (3, 12):
        while len(api.get("/declarations").json()["items"]) < total:
            declare(api, len(api.get("/declarations").json()["items"]))
        with CaptureQueriesContext(connection) as queries:
            page = api.get("/trips", limit=4, offset=2).json()
        assert page["count"] == total * 2
        assert len(page["items"]) == 4
        costs.append(len(queries))
    assert costs[0] == costs[1]


def test_pages_are_at_most_500_rows(api_as, exporter):
    reply = api_as(exporter).get("/trips", limit=501)
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["field"] == "limit"
