"""Sign in and out, each role's start page, the lock-out page, and the API token page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cuakhau.accounts.models import ApiToken, User
from cuakhau.accounts.roles import Role
from cuakhau.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def client_for(user: User | None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def test_login_page_renders(db):
    page = Client().get(reverse("accounts:login"))
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()


def test_signing_in_through_the_page_lands_on_the_roles_start_page(exporter):
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": "alice", "password": PASSWORD}, follow=True
    )
    assert [url for url, _ in response.redirect_chain] == [
        reverse("accounts:home"),
        reverse("declarations:list"),
    ]


def test_a_wrong_password_is_refused_on_the_page(exporter):
    page = client_for(None).post(
        reverse("accounts:login"), {"username": "alice", "password": "wrong"}
    )
    assert page.status_code == 200
    assert "Please enter a correct username and password." in page.content.decode()


@pytest.mark.parametrize(
    ("role", "start"),
    [
        (Role.GATE_OPERATOR, "declarations:check_in"),
        (Role.CUSTOMS, "checks:pending"),
        (Role.BORDER_GUARD, "checks:pending"),
        (Role.PLANT_QUARANTINE, "checks:pending"),
        (Role.LEADER, "situation:home"),
        (Role.ADMINISTRATOR, "situation:home"),
    ],
)
def test_home_sends_each_role_to_its_start_page(db, role, start):
    user = make_user(f"user-{role.value}", role)
    response = client_for(user).get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(start)


def test_staff_administrators_start_in_the_admin(db):
    admin = make_user("root", Role.ADMINISTRATOR)
    admin.is_staff = True
    admin.save()
    assert client_for(admin).get(reverse("accounts:home"))["Location"] == reverse("admin:index")


def test_signing_out_is_a_post(exporter):
    client = client_for(exporter)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("situation:home")
    assert client.get(reverse("declarations:list")).status_code == 302


def test_too_many_wrong_passwords_show_the_lock_out_page_in_three_languages(exporter, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "alice", "password": "wrong"})
    page = client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    assert page.status_code == 429
    html = page.content.decode()
    assert "Tài khoản tạm thời bị khóa" in html
    assert "Account temporarily locked" in html
    assert "账户已被暂时锁定" in html
    assert "15" in html  # minutes


def test_tokens_page_creates_shows_once_and_revokes(exporter):
    client = client_for(exporter)
    assert client.get(reverse("accounts:tokens")).status_code == 200
    page = client.post(reverse("accounts:tokens"), {"name": "ERP"})
    assert page.status_code == 200
    plain = page.context["created"]
    assert plain.startswith("ck_") and plain in page.content.decode()
    assert page["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(enterprise=exporter.enterprise)
    assert ApiToken.digest_of(plain.split("_", 2)[2]) == token.digest
    listing = client.get(reverse("accounts:tokens")).content.decode()
    assert "ERP" in listing and plain not in listing  # never shown again
    client.post(reverse("accounts:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_token_needs_a_name(exporter):
    page = client_for(exporter).post(reverse("accounts:tokens"), {"name": "  "})
    assert page.status_code == 400
    assert "Give the token a name." in page.content.decode()


def test_another_enterprises_token_cannot_be_revoked(exporter, rival):
    client_for(exporter).post(reverse("accounts:tokens"), {"name": "ERP"})
    token = ApiToken.objects.get()
    page = client_for(rival).post(reverse("accounts:token_revoke", args=[token.pk]), follow=True)
    assert "API token not found." in page.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
