"""Public pages: the clearance situation, trip tracking, the QR landing page, languages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cuakhau.conftest import fruit_export
from cuakhau.core.actors import Actor
from cuakhau.declarations import links, services
from cuakhau.declarations.documents import DeclarationDoc
from cuakhau.declarations.models import Trip
from cuakhau.declarations.services import CheckInBy

pytestmark = pytest.mark.django_db


@pytest.fixture
def trip(exporter, gate_operator) -> Trip:
    doc = DeclarationDoc.model_validate(fruit_export())
    declaration = services.declaration_create(actor=Actor.of(exporter), doc=doc, submit=True)
    first = declaration.trips.order_by("position").first()
    return services.trip_check_in(
        actor=Actor.of(gate_operator), yard_code="XC", by=CheckInBy(code=first.code)
    )


def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_home_explains_the_platform_and_counts_trips_per_gate(trip):
    page = english().get(reverse("situation:home"))
    assert page.status_code == 200
    summaries = {s.gate.code: s for s in page.context["summaries"]}
    assert set(summaries) >= {"CKHN", "TT", "CN", "CM"}
    assert summaries["CKHN"].counts == {"ARRIVED": 1, "DECLARED": 1}
    assert summaries["CKHN"].on_site == 1
    assert summaries["TT"].counts == {}
    html = page.content.decode()
    assert 'data-gate="CKHN"' in html
    assert reverse("situation:track") in html


def test_home_counts_in_a_fixed_number_of_queries(trip, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        english().get(reverse("situation:home"))


def test_tracking_shows_status_without_personal_data(trip):
    page = english().get(reverse("situation:track"), {"code": trip.code.lower()})
    assert page.status_code == 200
    html = page.content.decode()
    assert trip.code in html
    assert 'data-state="ARRIVED"' in html and "In the yard, queued" in html
    assert "Customs: Pending" in html
    for private in ("12C-123.45", "12C12345", "Nguyễn Văn Tài", "0912345678", "912345678"):
        assert private not in html


def test_tracking_an_unknown_code(db):
    page = english().get(reverse("situation:track"), {"code": "ZZZZZZZZ"})
    assert page.status_code == 404
    assert "Trip ZZZZZZZZ not found." in page.content.decode()


def test_a_scanned_qr_opens_the_trips_public_page(trip):
    path = links.trip_qr_payload(trip.code).split("://", 1)[1].split("/", 1)[1]
    page = english().get("/" + path)
    assert page.status_code == 200
    assert 'data-state="ARRIVED"' in page.content.decode()


def test_a_forged_qr_shows_an_error(trip):
    token = links.trip_qr_payload(trip.code).rsplit("/", 1)[1]
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    page = english().get(reverse("situation:qr", args=[forged]))
    assert page.status_code == 400
    html = page.content.decode()
    assert "The QR code is not valid or has been altered." in html
    assert 'data-state="' not in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "追踪车次"), ("en", "Track a trip"), ("vi", "Tra cứu chuyến xe")],
)
def test_the_language_switcher_changes_the_pages_language(db, language, expected):
    client = Client()
    response = client.post(reverse("set_language"), {"language": language, "next": "/"})
    assert response.status_code == 302
    html = client.get(reverse("situation:home")).content.decode()
    assert expected in html
    assert f'<html lang="{language}">' in html


def test_vietnamese_is_the_default(db):
    html = Client().get(reverse("situation:home")).content.decode()
    assert '<html lang="vi">' in html
    assert "Tra cứu chuyến xe" in html


def test_state_names_follow_the_language(trip):
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(
        reverse("situation:track"), {"code": trip.code}
    )
    assert "已入场排队" in page.content.decode()
