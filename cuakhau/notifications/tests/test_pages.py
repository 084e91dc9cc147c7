"""Pages: an enterprise's webhooks (the secret shown once), the operators' failed deliveries
with "retry now", and the worker command."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from cuakhau.accounts.models import User
from cuakhau.notifications.models import NotificationEvent, OutboxMessage, Status, WebhookEndpoint
from cuakhau.notifications.services import Notice, notices_enqueue
from cuakhau.notifications.tests.conftest import Receiver


def signed_in(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the assertions read the English page
    client.force_login(user)
    return client


def test_an_enterprise_adds_a_webhook_and_sees_the_secret_once(exporter: User) -> None:
    client = signed_in(exporter)

    page = client.post("/webhooks/", {"url": "https://erp.example.vn/hook", "description": "ERP"})

    assert page.status_code == 200
    secret = WebhookEndpoint.objects.get().secret
    assert secret in page.content.decode()
    assert page["Cache-Control"] == "no-store"
    again = client.get("/webhooks/").content.decode()
    assert secret not in again and "https://erp.example.vn/hook" in again


def test_a_bad_url_is_explained_on_the_page(exporter: User, settings: Any) -> None:
    settings.CUAKHAU_WEBHOOK_ALLOW_LOCAL_HTTP = False
    page = signed_in(exporter).post("/webhooks/", {"url": "http://erp.example.vn/hook"})
    assert page.status_code == 400
    assert "https://" in page.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_the_page_buttons_test_disable_enable_and_delete(
    exporter: User, rival: User, receiver: Receiver
) -> None:
    client = signed_in(exporter)
    client.post("/webhooks/", {"url": receiver.url})
    hook = WebhookEndpoint.objects.get()

    tested = client.post(f"/webhooks/{hook.pk}/test/", follow=True)
    assert "delivered" in tested.content.decode()
    assert len(receiver.requests) == 1

    client.post(f"/webhooks/{hook.pk}/disable/")
    hook.refresh_from_db()
    assert not hook.is_active
    client.post(f"/webhooks/{hook.pk}/enable/")
    hook.refresh_from_db()
    assert hook.is_active

    # The rival's buttons do nothing to it
    signed_in(rival).post(f"/webhooks/{hook.pk}/delete/")
    hook.refresh_from_db()
    assert hook.deleted_at is None

    client.post(f"/webhooks/{hook.pk}/delete/")
    hook.refresh_from_db()
    assert hook.deleted_at is not None and hook.deleted_by == exporter
    assert client.get(f"/webhooks/{hook.pk}/delete/").status_code == 405
    assert client.post(f"/webhooks/{hook.pk}/explode/").status_code == 404


def test_officers_have_no_webhooks_page(customs_officer: User) -> None:
    assert signed_in(customs_officer).get("/webhooks/").status_code == 403
    assert Client().get("/webhooks/").status_code == 302  # to sign in


@pytest.fixture
def failed_sms(exporter: User) -> OutboxMessage:
    notices_enqueue(
        [
            Notice(
                "trip.called",
                "trip-event-5",
                {},
                exporter.enterprise_id,
                sms_to="0912345678",
                sms_text="Mời xe vào",
            )
        ]
    )
    OutboxMessage.objects.update(status=Status.FAILED, attempts=8, last_error="gateway down")
    return OutboxMessage.objects.get()


def test_operators_see_failed_deliveries_and_retry_one(
    failed_sms: OutboxMessage, gate_operator: User
) -> None:
    client = signed_in(gate_operator)

    page = client.get("/notifications/failed/").content.decode()

    assert "trip-event-5" in page and "gateway down" in page
    assert "091****678" in page and "0912345678" not in page

    client.post(f"/notifications/{failed_sms.pk}/retry/")

    failed_sms.refresh_from_db()
    assert failed_sms.status == Status.PENDING
    assert NotificationEvent.objects.get(action="message_retried").actor == gate_operator
    # Retried once more: a second press is refused with a message, not an error page
    call_command("deliver_notifications", stdout=io.StringIO())
    done = client.post(f"/notifications/{failed_sms.pk}/retry/", follow=True)
    assert done.status_code == 200
    assert "trip-event-5" not in client.get("/notifications/failed/").content.decode()


def test_enterprises_and_officers_have_no_failed_deliveries_page(
    exporter: User, customs_officer: User, failed_sms: OutboxMessage
) -> None:
    for user in (exporter, customs_officer):
        client = signed_in(user)
        assert client.get("/notifications/failed/").status_code == 403
        assert client.post(f"/notifications/{failed_sms.pk}/retry/").status_code == 403


def test_the_worker_command_prints_a_line_per_round(exporter: User, monkeypatch: Any) -> None:
    notices_enqueue([Notice("trip.called", "trip-event-1", {}, sms_to="0912345678")])
    out = io.StringIO()
    call_command("deliver_notifications", stdout=out)
    assert "delivered 1, retried 0, failed 0" in out.getvalue()

    # --loop: rounds until stopped (here the second sleep is a Ctrl-C)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("time.sleep", sleep)
    # (the worker drops stale connections each round; the test's own must stay)
    monkeypatch.setattr(
        "cuakhau.notifications.management.commands.deliver_notifications.close_old_connections",
        lambda: None,
    )
    out = io.StringIO()
    call_command("deliver_notifications", "--loop", "--interval", "2", stdout=out)
    lines = out.getvalue().splitlines()
    assert sum("delivered 0, retried 0, failed 0" in line for line in lines) == 2
    assert lines[-1] == "Stopped." and sleeps == [2, 2]
