"""List pages read a fixed number of queries, however many rows they show (NetBox's habit)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cuakhau.accounts.models import User
from cuakhau.conftest import fruit_export
from cuakhau.core.actors import Actor
from cuakhau.declarations import services
from cuakhau.declarations.documents import DeclarationDoc
from cuakhau.declarations.services import CheckInBy

pytestmark = pytest.mark.django_db


def declare_and_check_in(exporter: User, operator: User, count: int, offset: int = 0) -> None:
    for i in range(offset, offset + count):
        document = fruit_export()
        document["trips"][0]["tractor_plate"] = f"12C-{100 + i:03d}.01"
        document["trips"][1]["tractor_plate"] = f"12C-{100 + i:03d}.02"
        document["customs_declarations"][0]["number"] = f"305{i:09d}"
        doc = DeclarationDoc.model_validate(document)
        declaration = services.declaration_create(actor=Actor.of(exporter), doc=doc, submit=True)
        trip = declaration.trips.order_by("position").first()
        by = CheckInBy(code=trip.code)
        services.trip_check_in(actor=Actor.of(operator), yard_code="XC", by=by)


def queries(user: User, url: str) -> int:
    client = Client()
    client.force_login(user)
    client.get(url)  # warm the session and the reference index
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("who", "name"),
    [
        ("exporter", "declarations:list"),
        ("gate_operator", "declarations:trips"),
        ("gate_operator", "declarations:check_in"),
        ("customs_officer", "checks:pending"),
        ("border_guard", "declarations:trips"),
    ],
)
def test_list_pages_do_not_grow_with_their_rows(request, exporter, gate_operator, who, name):
    user = request.getfixturevalue(who)
    declare_and_check_in(exporter, gate_operator, 2)
    few = queries(user, reverse(name))
    declare_and_check_in(exporter, gate_operator, 5, offset=2)
    assert queries(user, reverse(name)) == few
