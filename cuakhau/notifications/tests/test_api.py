"""The webhooks API (the enterprise's own endpoints) and the operators' deliveries API: who
may do what, bad input in three languages, the test event."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from cuakhau.accounts.models import User
from cuakhau.conftest import Api
from cuakhau.notifications.models import NotificationEvent, OutboxMessage, Status, WebhookEndpoint
from cuakhau.notifications.services import (
    MAX_ENDPOINTS,
    TESTS_PER_MINUTE,
    Notice,
    notices_enqueue,
    outbox_deliver_due,
)
from cuakhau.notifications.signing import verify
from cuakhau.notifications.tests.conftest import Receiver

HOOK = "https://erp.nongsan.example.vn/cuakhau/webhook"
ApiAs = Callable[[User | None], Api]


def delete(api: Api, path: str) -> Any:
    return api.client.delete(f"/api/v1{path}", **api.headers)


def test_an_enterprise_registers_a_webhook_and_sees_its_secret_once(
    exporter: User, api_as: ApiAs
) -> None:
    api = api_as(exporter)

    created = api.post("/webhooks", {"url": HOOK, "description": "ERP"})

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["secret_hint"] == f"whsec_…{body['secret'][-4:]}"
    assert (body["url"], body["is_active"], body["created_by"]) == (HOOK, True, "alice")
    listed = api.get("/webhooks").json()
    assert [w["id"] for w in listed] == [body["id"]]
    assert "secret" not in listed[0]
    event = NotificationEvent.objects.get()
    assert (event.action, event.actor, event.endpoint_id) == (
        "endpoint_created",
        exporter,
        body["id"],
    )


def test_an_api_token_manages_its_enterprises_webhooks(token_api: Api, exporter: User) -> None:
    created = token_api.post("/webhooks", {"url": HOOK})
    assert created.status_code == 201
    hook = created.json()["id"]
    assert token_api.post(f"/webhooks/{hook}/disable").json()["is_active"] is False
    assert token_api.post(f"/webhooks/{hook}/enable").json()["is_active"] is True
    assert delete(token_api, f"/webhooks/{hook}").status_code == 204
    assert token_api.get("/webhooks").json() == []
    event = NotificationEvent.objects.filter(action="endpoint_deleted").get()
    assert event.actor_kind == "token" and event.actor_label == "alice / ERP"


def test_others_cannot_see_or_touch_an_enterprises_webhooks(
    exporter: User, rival: User, customs_officer: User, gate_operator: User, api_as: ApiAs
) -> None:
    hook = api_as(exporter).post("/webhooks", {"url": HOOK}).json()["id"]

    # Another enterprise: not found
    bob = api_as(rival)
    assert bob.get("/webhooks").json() == []
    for path in (f"/webhooks/{hook}/test", f"/webhooks/{hook}/disable", f"/webhooks/{hook}/enable"):
        assert bob.post(path).status_code == 404, path
    assert delete(bob, f"/webhooks/{hook}").status_code == 404
    # Officers: forbidden; nobody signed in: 401
    for officer in (customs_officer, gate_operator):
        assert api_as(officer).get("/webhooks").status_code == 403
        assert api_as(officer).post("/webhooks", {"url": HOOK}).status_code == 403
    assert api_as(None).get("/webhooks").status_code == 401
    assert WebhookEndpoint.objects.get().is_active


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("", "url_required"),
        ("erp.example.vn/hook", "url_invalid"),
        ("ftp://erp.example.vn/hook", "url_invalid"),
        ("https://erp.example.vn:99999/hook", "url_invalid"),
        ("http://erp.example.vn/hook", "url_https"),
        ("https://user:pass@erp.example.vn/hook", "url_credentials"),
        ("https://10.0.0.5/hook", "url_private"),
        ("https://localhost/hook", "url_private"),
        ("http://127.0.0.1:8080/hook", "url_https"),
    ],
)
def test_a_bad_url_is_refused_in_three_languages(
    url: str, code: str, exporter: User, api_as: ApiAs, settings: Any
) -> None:
    settings.CUAKHAU_WEBHOOK_ALLOW_LOCAL_HTTP = False  # production
    response = api_as(exporter).post("/webhooks", {"url": url})
    assert response.status_code == 422, response.content
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == ("url", code)
    assert set(error["messages"]) == {"vi", "en", "zh"}
    assert WebhookEndpoint.objects.count() == 0


def test_local_http_is_allowed_in_development(exporter: User, api_as: ApiAs) -> None:
    # (the tests' settings allow it, as DEBUG does)
    for url in ("http://127.0.0.1:8080/hook", "http://localhost/hook"):
        assert api_as(exporter).post("/webhooks", {"url": url}).status_code == 201
    assert api_as(exporter).post("/webhooks", {"url": "http://10.0.0.5/"}).status_code == 422


def test_a_url_twice_or_too_many_webhooks_is_a_conflict(exporter: User, api_as: ApiAs) -> None:
    api = api_as(exporter)
    assert api.post("/webhooks", {"url": HOOK}).status_code == 201
    twice = api.post("/webhooks", {"url": HOOK})
    assert (twice.status_code, twice.json()["code"]) == (409, "webhook_exists")
    for n in range(MAX_ENDPOINTS - 1):
        assert api.post("/webhooks", {"url": f"{HOOK}/{n}"}).status_code == 201
    too_many = api.post("/webhooks", {"url": f"{HOOK}/x"})
    assert (too_many.status_code, too_many.json()["code"]) == (409, "too_many_webhooks")
    # A deleted one frees its URL and its place
    first = api.get("/webhooks").json()[0]["id"]
    assert delete(api, f"/webhooks/{first}").status_code == 204
    assert api.post("/webhooks", {"url": HOOK}).status_code == 201


def test_unknown_fields_are_refused(exporter: User, api_as: ApiAs) -> None:
    response = api_as(exporter).post("/webhooks", {"url": HOOK, "secret": "mine"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "secret"


def test_a_test_event_reaches_the_receiver_signed(
    exporter: User, api_as: ApiAs, receiver: Receiver
) -> None:
    api = api_as(exporter)
    created = api.post("/webhooks", {"url": receiver.url}).json()

    result = api.post(f"/webhooks/{created['id']}/test")

    assert result.status_code == 200
    body = result.json()
    assert (body["delivered"], body["status_code"], body["error"]) == (True, 200, "")
    (request,) = receiver.requests
    assert request.headers["X-CuaKhau-Event"] == "webhook.test"
    assert request.headers["X-CuaKhau-Event-Id"] == body["event_id"]
    assert verify(
        created["secret"], request.body, request.headers["X-CuaKhau-Signature"], time.time()
    )


def test_a_failed_test_event_says_why_and_is_not_retried(
    exporter: User, api_as: ApiAs, receiver: Receiver, gate_operator: User
) -> None:
    receiver.statuses = [500]
    api = api_as(exporter)
    hook = api.post("/webhooks", {"url": receiver.url}).json()["id"]

    body = api.post(f"/webhooks/{hook}/test").json()

    assert (body["delivered"], body["status_code"]) == (False, 500)
    assert "receiver broken" in body["error"]
    assert OutboxMessage.objects.get().status == Status.FAILED
    # An enterprise's test is its own business, not the operators'
    assert api_as(gate_operator).get("/notifications/failed").json()["count"] == 0


def test_test_events_are_rate_limited(exporter: User, api_as: ApiAs) -> None:
    api = api_as(exporter)
    hook = api.post("/webhooks", {"url": "http://127.0.0.1:9/closed"}).json()["id"]
    for _ in range(TESTS_PER_MINUTE):
        assert api.post(f"/webhooks/{hook}/test").status_code == 200
    limited = api.post(f"/webhooks/{hook}/test")
    assert (limited.status_code, limited.json()["code"]) == (429, "test_rate_limited")


def test_disabling_a_webhook_cancels_its_undelivered_events(exporter: User, api_as: ApiAs) -> None:
    api = api_as(exporter)
    hook = api.post("/webhooks", {"url": HOOK}).json()["id"]
    notices_enqueue([Notice("trip.called", "trip-event-1", {}, exporter.enterprise_id)])

    api.post(f"/webhooks/{hook}/disable")

    assert OutboxMessage.objects.get().status == Status.CANCELLED
    notices_enqueue([Notice("trip.called", "trip-event-2", {}, exporter.enterprise_id)])
    assert OutboxMessage.objects.count() == 1  # a disabled webhook gets nothing new
    assert NotificationEvent.objects.filter(action="endpoint_disabled").get().data == {
        "cancelled": 1
    }


# --- Operators ---------------------------------------------------------------------------------


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
    OutboxMessage.objects.update(
        status=Status.FAILED, attempts=8, max_attempts=8, last_error="gateway down"
    )
    return OutboxMessage.objects.get()


def test_operators_list_failed_deliveries_with_numbers_masked(
    failed_sms: OutboxMessage, gate_operator: User, administrator: User, api_as: ApiAs
) -> None:
    for user in (gate_operator, administrator):
        page = api_as(user).get("/notifications/failed").json()
        assert page["count"] == 1
        (row,) = page["items"]
        assert row["recipient"] == "091****678"
        assert (row["channel"], row["status"], row["attempts"]) == ("sms", "failed", 8)
        assert row["enterprise"] == "Công ty TNHH Nông sản Xanh Lạng Sơn"
        assert row["last_error"] == "gateway down" and row["next_attempt_at"] is None


def test_only_operators_see_or_retry_deliveries(
    failed_sms: OutboxMessage,
    exporter: User,
    customs_officer: User,
    leader: User,
    token_api: Api,
    api_as: ApiAs,
) -> None:
    for api in (api_as(exporter), api_as(customs_officer), api_as(leader), token_api):
        assert api.get("/notifications/failed").status_code == 403
        assert api.post(f"/notifications/{failed_sms.pk}/retry").status_code == 403
    assert api_as(None).get("/notifications/failed").status_code == 401
    assert OutboxMessage.objects.get().status == Status.FAILED


def test_an_operator_retries_a_failed_delivery(
    failed_sms: OutboxMessage, gate_operator: User, api_as: ApiAs
) -> None:
    api = api_as(gate_operator)

    response = api.post(f"/notifications/{failed_sms.pk}/retry")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["max_attempts"]) == ("pending", 9)
    event = NotificationEvent.objects.get(action="message_retried")
    assert (event.actor, event.message_id) == (gate_operator, failed_sms.pk)
    assert event.data == {"status_before": "failed", "attempts": 8}
    assert outbox_deliver_due().delivered == 1
    # Delivered: nothing to retry any more
    again = api.post(f"/notifications/{failed_sms.pk}/retry")
    assert (again.status_code, again.json()["code"]) == (409, "delivery_delivered")
    assert api.post("/notifications/999999/retry").status_code == 404


def test_an_operator_cannot_retry_an_enterprises_test_event(
    exporter: User, gate_operator: User, api_as: ApiAs
) -> None:
    hook = api_as(exporter).post("/webhooks", {"url": "http://127.0.0.1:9/x"}).json()["id"]
    api_as(exporter).post(f"/webhooks/{hook}/test")
    message = OutboxMessage.objects.get()
    assert api_as(gate_operator).post(f"/notifications/{message.pk}/retry").status_code == 404


def test_the_failed_list_takes_a_fixed_number_of_queries(
    exporter: User,
    gate_operator: User,
    api_as: ApiAs,
    django_assert_num_queries: Any,
) -> None:
    notices_enqueue(
        [
            Notice("trip.called", f"e-{n}", {}, exporter.enterprise_id, sms_to="0912345678")
            for n in range(30)
        ]
    )
    OutboxMessage.objects.update(status=Status.FAILED, attempts=8)
    api = api_as(gate_operator)
    api.get("/notifications/failed")  # warm the session
    # session + user, count, one page (with the enterprise joined)
    with django_assert_num_queries(4):
        assert api.get("/notifications/failed", limit=50).json()["count"] == 30
