"""Sign-in throttling, production settings, and enterprise API tokens."""

from __future__ import annotations

import os
import subprocess
import sys

from django.test import Client

from cuakhau.accounts.models import ApiToken
from cuakhau.conftest import PASSWORD, Api, fruit_export


def login(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_out_even_with_the_right_one(exporter, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "alice", "wrong-password").status_code == 200
    # The fifth wrong password locks the account out; then even the right one is refused.
    assert login(client, "alice", "wrong-password").status_code == 429
    locked = login(client, "alice", PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_right_password_signs_in(exporter):
    client = Client()
    response = login(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(exporter.pk)


def run_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ.setdefault("
            "'DJANGO_SETTINGS_MODULE', 'cuakhau.settings'); django.setup(); "
            "from django.conf import settings; print(settings.SESSION_COOKIE_SECURE)",
        ],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_settings({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_with_a_secret_key_uses_secure_cookies():
    result = run_settings({"DEBUG": "0", "SECRET_KEY": "x" * 50})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_a_token_is_shown_once_and_stored_only_as_a_digest(api_as, exporter):
    created = api_as(exporter).post("/tokens", {"name": "ERP kho"})
    assert created.status_code == 201, created.json()
    plain = created.json()["token"]
    stored = ApiToken.objects.get()
    assert plain.startswith(f"ck_{stored.key_id}_")
    assert plain not in (stored.digest, stored.key_id)
    assert stored.digest == ApiToken.digest_of(plain.split("_", 2)[2])
    listed = api_as(exporter).get("/tokens").json()
    assert "token" not in listed[0]


def test_a_token_acts_for_its_enterprise_and_stops_when_revoked(api_as, exporter, rival):
    plain = api_as(exporter).post("/tokens", {"name": "ERP"}).json()["token"]
    system = Api(Client(), token=plain)
    created = system.post("/declarations?submit=true", fruit_export())
    assert created.status_code == 201
    event = created.json()["trips"][0]
    assert event["enterprise"] == exporter.enterprise.name
    rival_declaration = api_as(rival).post("/declarations", fruit_export()).json()
    assert system.get(f"/declarations/{rival_declaration['id']}").status_code == 404

    token_id = ApiToken.objects.get().pk
    assert api_as(exporter).post(f"/tokens/{token_id}/revoke").status_code == 200
    assert system.get("/declarations").status_code == 401
    again = api_as(exporter).post(f"/tokens/{token_id}/revoke")
    assert again.status_code == 409


def test_actions_through_a_token_are_recorded_as_such(api_as, exporter):
    from cuakhau.declarations.models import TripEvent

    plain = api_as(exporter).post("/tokens", {"name": "ERP"}).json()["token"]
    Api(Client(), token=plain).post("/declarations?submit=true", fruit_export())
    event = TripEvent.objects.first()
    assert (event.actor_kind, event.actor.username) == ("token", "alice")
    assert event.actor_label == "alice / ERP"


def test_another_enterprise_cannot_revoke_my_token(api_as, exporter, rival):
    api_as(exporter).post("/tokens", {"name": "ERP"})
    token_id = ApiToken.objects.get().pk
    assert api_as(rival).post(f"/tokens/{token_id}/revoke").status_code == 404
    assert ApiToken.objects.get().revoked_at is None


def test_a_forged_token_is_refused(exporter):
    api_as_forger = Api(Client(), token="ck_000000000000_not-a-real-secret")
    response = api_as_forger.get("/declarations")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_an_enterprise_tax_code_is_checked_when_it_is_saved_in_the_admin(db):
    import pytest
    from django.core.exceptions import ValidationError

    from cuakhau.accounts.models import Enterprise

    wrong = Enterprise(name="Công ty Sai Mã", tax_code="0100109107", country="VN")
    with pytest.raises(ValidationError) as refused:
        wrong.full_clean()
    assert "tax_code" in refused.value.message_dict
    right = Enterprise(name="Công ty Đúng Mã", tax_code="0100109106-001", country="VN")
    right.full_clean()
    assert right.tax_code == "0100109106001"
