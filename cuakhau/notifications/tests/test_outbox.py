"""The outbox: notices become messages in the caller's transaction; workers deliver them over
real HTTP, signed, retried with backoff, given up after the last attempt; nothing is lost when
a process dies and nothing is sent for a transaction that rolled back."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cuakhau.accounts.models import User
from cuakhau.accounts.roles import Role
from cuakhau.conftest import make_enterprise, make_user
from cuakhau.core.actors import Actor
from cuakhau.notifications import services
from cuakhau.notifications.models import Channel, OutboxMessage, Status, WebhookEndpoint
from cuakhau.notifications.services import Notice, notices_enqueue, outbox_deliver_due
from cuakhau.notifications.signing import verify
from cuakhau.notifications.tests.conftest import Receiver

T0 = timezone.now().replace(microsecond=0) + timedelta(days=1)


def called(enterprise_id: int | None, n: int = 1, **extra: Any) -> Notice:
    return Notice(
        kind="trip.called",
        event_id=f"trip-event-{n}",
        payload={"code": "ABCD2345", "state": "called", "at": T0},
        enterprise_id=enterprise_id,
        **extra,
    )


def one_message() -> OutboxMessage:
    (message,) = OutboxMessage.objects.all()
    return message


# --- Webhooks over real HTTP ---------------------------------------------------------------------


def test_a_webhook_is_signed_and_delivered(
    exporter: User, endpoint: tuple[WebhookEndpoint, str], receiver: Receiver
) -> None:
    # Given a notice for the exporter's enterprise, written in the event's transaction
    hook, secret = endpoint
    with transaction.atomic():
        notices_enqueue([called(exporter.enterprise_id)], now=T0)
    assert receiver.requests == []  # enqueueing sends nothing

    # When a worker runs
    report = outbox_deliver_due(now=T0)

    # Then the receiver got one POST, signed with the endpoint's secret
    assert (report.delivered, report.retried, report.failed) == (1, 0, 0)
    (request,) = receiver.requests
    assert request.path == "/cuakhau/events"
    assert request.headers["X-CuaKhau-Event-Id"] == "trip-event-1"
    assert request.headers["X-CuaKhau-Event"] == "trip.called"
    assert request.headers["Content-Type"].startswith("application/json")
    assert verify(secret, request.body, request.headers["X-CuaKhau-Signature"], now=time.time())
    assert not verify(
        "whsec_other", request.body, request.headers["X-CuaKhau-Signature"], time.time()
    )
    body = json.loads(request.body)
    assert body["id"] == "trip-event-1" and body["kind"] == "trip.called"
    assert body["data"] == {
        "code": "ABCD2345",
        "state": "called",
        "at": T0.isoformat().replace("+00:00", "Z"),
    }
    assert body["created_at"] == T0.isoformat()
    message = one_message()
    assert (message.status, message.attempts, message.delivered_at) == (Status.DELIVERED, 1, T0)
    assert message.endpoint == hook and message.last_status_code == 200
    # …and a second round has nothing to do
    assert outbox_deliver_due(now=T0 + timedelta(hours=2)).attempted == 0


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(
    exporter: User, endpoint: tuple[WebhookEndpoint, str], receiver: Receiver
) -> None:
    # Given a receiver that fails twice with a 500, then answers 200
    receiver.statuses = [500, 503, 200]
    notices_enqueue([called(exporter.enterprise_id)], now=T0)

    # When workers run at the first attempt and whenever a message is due
    first = outbox_deliver_due(now=T0)
    message = one_message()

    # Then the first failure waits 30 s, with the receiver's answer as the error
    assert (first.retried, message.status, message.attempts) == (1, Status.PENDING, 1)
    assert message.next_attempt_at == T0 + timedelta(seconds=30)
    assert message.last_status_code == 500 and "receiver broken" in message.last_error
    assert outbox_deliver_due(now=T0 + timedelta(seconds=29)).attempted == 0

    # …the second one 60 s after it
    t1 = T0 + timedelta(seconds=30)
    assert outbox_deliver_due(now=t1).retried == 1
    assert one_message().next_attempt_at == t1 + timedelta(seconds=60)
    assert outbox_deliver_due(now=t1 + timedelta(seconds=59)).attempted == 0

    # …and the third attempt is delivered
    t2 = t1 + timedelta(seconds=60)
    assert outbox_deliver_due(now=t2).delivered == 1
    message = one_message()
    assert (message.status, message.attempts, message.last_error) == (Status.DELIVERED, 3, "")

    # The receiver saw the same event id and the same body each time (it dedupes by the id)
    assert receiver.event_ids() == ["trip-event-1"] * 3
    assert len({r.body for r in receiver.requests}) == 1


def test_the_backoff_doubles_up_to_an_hour() -> None:
    from cuakhau.notifications.delivery import retry_delay

    delays = [retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_after_the_last_attempt_a_message_fails_for_good(
    exporter: User,
    endpoint: tuple[WebhookEndpoint, str],
    receiver: Receiver,
    settings: Any,
    gate_operator: User,
) -> None:
    # Given three attempts allowed and a receiver that always fails
    settings.CUAKHAU_NOTIFICATION_MAX_ATTEMPTS = 3
    receiver.statuses = [500]
    notices_enqueue([called(exporter.enterprise_id)], now=T0)

    # When workers run each time it is due
    now = T0
    results = []
    for _ in range(3):
        report = outbox_deliver_due(now=now)
        results.append((report.retried, report.failed))
        now = one_message().next_attempt_at

    # Then it was retried twice and failed on the third attempt, and is due no more
    assert results == [(1, 0), (1, 0), (0, 1)]
    message = one_message()
    assert (message.status, message.attempts) == (Status.FAILED, 3)
    assert outbox_deliver_due(now=now + timedelta(days=1)).attempted == 0
    assert len(receiver.requests) == 3

    # …and an operator retrying it gives it one more attempt
    services.outbox_message_retry(actor=Actor.of(gate_operator), message_id=message.pk, now=now)
    receiver.statuses = [200]
    assert outbox_deliver_due(now=now).delivered == 1
    assert one_message().status == Status.DELIVERED


def test_a_receiver_that_redirects_has_not_received_the_event(
    exporter: User, endpoint: tuple[WebhookEndpoint, str], receiver: Receiver
) -> None:
    receiver.statuses = [302]
    notices_enqueue([called(exporter.enterprise_id)], now=T0)
    assert outbox_deliver_due(now=T0).retried == 1
    assert one_message().last_status_code == 302
    assert len(receiver.requests) == 1  # not followed


def test_a_receiver_that_is_down_is_retried(exporter: User) -> None:
    WebhookEndpoint.objects.create(
        enterprise_id=exporter.enterprise_id, url="http://127.0.0.1:9/closed", secret="whsec_x"
    )
    notices_enqueue([called(exporter.enterprise_id)], now=T0)
    assert outbox_deliver_due(now=T0).retried == 1
    assert "refused" in one_message().last_error.lower()


def test_in_production_a_webhook_may_not_reach_a_private_address(
    exporter: User, endpoint: tuple[WebhookEndpoint, str], receiver: Receiver, settings: Any
) -> None:
    # An endpoint registered while allowed, a worker that no longer allows private addresses
    settings.CUAKHAU_WEBHOOK_ALLOW_LOCAL_HTTP = False
    WebhookEndpoint.objects.filter(pk=endpoint[0].pk).update(url="https://127.0.0.1:1/x")
    notices_enqueue([called(exporter.enterprise_id)], now=T0)
    assert outbox_deliver_due(now=T0).retried == 1
    assert "non-public address" in one_message().last_error
    assert receiver.requests == []


# --- Enqueueing: idempotent, bulk ------------------------------------------------------------


def test_the_same_event_is_enqueued_once(
    exporter: User, endpoint: tuple[WebhookEndpoint, str], receiver: Receiver
) -> None:
    # Given the same event enqueued twice (a retried dispatcher cycle), and twice in one batch
    notice = called(exporter.enterprise_id, sms_to="0912345678", sms_text="Mời xe vào")
    notices_enqueue([notice, notice], now=T0)
    notices_enqueue([notice], now=T0 + timedelta(seconds=5))

    # Then there is one message per channel and recipient
    assert sorted(OutboxMessage.objects.values_list("channel", flat=True)) == ["sms", "webhook"]

    # …and the receiver gets it once
    outbox_deliver_due(now=T0 + timedelta(seconds=5))
    assert receiver.event_ids() == ["trip-event-1"]


def test_a_notice_goes_to_every_active_endpoint_of_its_enterprise_only(
    exporter: User, rival: User, receiver: Receiver
) -> None:
    actor = Actor.of(exporter)
    one, _ = services.webhook_endpoint_create(actor=actor, url=receiver.url + "?a=1")
    two, _ = services.webhook_endpoint_create(actor=actor, url=receiver.url + "?a=2")
    off, _ = services.webhook_endpoint_create(actor=actor, url=receiver.url + "?a=3")
    services.webhook_endpoint_set_active(actor=actor, endpoint_id=off.pk, active=False)
    services.webhook_endpoint_create(actor=Actor.of(rival), url=receiver.url + "?rival")

    notices_enqueue([called(exporter.enterprise_id), called(None, 2)], now=T0)

    assert set(OutboxMessage.objects.values_list("endpoint_id", flat=True)) == {one.pk, two.pk}
    outbox_deliver_due(now=T0)
    assert sorted(r.path for r in receiver.requests) == [
        "/cuakhau/events?a=1",
        "/cuakhau/events?a=2",
    ]


def test_enqueueing_many_notices_takes_one_read_and_one_insert(exporter: User, rival: User) -> None:
    # Given endpoints of two enterprises, and a dispatcher's cycle of 100 notices
    for user in (exporter, rival):
        WebhookEndpoint.objects.create(
            enterprise_id=user.enterprise_id, url="https://erp.example.vn/h", secret="whsec_x"
        )
    notices = [
        called(
            (exporter, rival)[n % 2].enterprise_id,
            n,
            sms_to=f"09123{n:05d}",
            sms_text="Mời xe vào cổng",
            email_to="dieuhanh@example.vn" if n % 10 == 0 else "",
        )
        for n in range(100)
    ]

    # When they are enqueued
    with CaptureQueriesContext(connection) as queries:
        rows = notices_enqueue(notices, now=T0)

    # Then one SELECT reads the endpoints and the rest is the bulk INSERT (SQLite caps a
    # statement at 999 parameters, so Django splits it there; PostgreSQL takes it in one)
    sql = [q["sql"].lstrip().split()[0].upper() for q in queries.captured_queries]
    assert sql.count("SELECT") == 1
    assert set(sql) == {"SELECT", "INSERT"}
    if connection.vendor == "postgresql":
        assert len(sql) == 2
    assert len(rows) == OutboxMessage.objects.count() == 100 + 100 + 10


# --- Crash safety ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_committed_notice_is_delivered_after_its_process_died(receiver: Receiver) -> None:
    # Given a process that commits an event with its notice, and dies before delivering it
    enterprise = make_enterprise("Công ty TNHH Vải thiều Bắc Giang", 100_000_005)
    user = make_user("vai", Role.ENTERPRISE, enterprise=enterprise)
    _, secret = services.webhook_endpoint_create(actor=Actor.of(user), url=receiver.url)

    def doomed_process() -> None:
        with transaction.atomic():
            notices_enqueue([called(enterprise.pk, 7)])
        connection.close()  # …and then it is gone, without a delivery call

    thread = threading.Thread(target=doomed_process)
    thread.start()
    thread.join()
    assert receiver.requests == []

    # When a worker runs later
    report = outbox_deliver_due()

    # Then the event is delivered
    assert report.delivered == 1
    (request,) = receiver.requests
    assert request.headers["X-CuaKhau-Event-Id"] == "trip-event-7"
    assert verify(secret, request.body, request.headers["X-CuaKhau-Signature"], time.time())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_notice_of_a_rolled_back_transaction_is_never_sent(receiver: Receiver) -> None:
    enterprise = make_enterprise("Công ty TNHH Vải thiều Bắc Giang", 100_000_005)
    user = make_user("vai", Role.ENTERPRISE, enterprise=enterprise)
    services.webhook_endpoint_create(actor=Actor.of(user), url=receiver.url)

    # Given an event whose transaction fails after its notice was written
    def failing_event() -> None:
        with transaction.atomic():
            notices_enqueue([called(enterprise.pk, 8, sms_to="0912345678", sms_text="x")])
            assert OutboxMessage.objects.count() == 2
            raise RuntimeError("the trip update failed")

    with pytest.raises(RuntimeError):
        failing_event()

    # Then nothing is left to send, and nothing is sent
    assert OutboxMessage.objects.count() == 0
    assert outbox_deliver_due(now=timezone.now() + timedelta(days=1)).attempted == 0
    assert receiver.requests == []


def test_a_message_whose_worker_died_mid_send_is_sent_again_when_its_lease_ends(
    exporter: User, endpoint: tuple[WebhookEndpoint, str], receiver: Receiver
) -> None:
    # Given a worker that claimed the message and died before recording anything
    notices_enqueue([called(exporter.enterprise_id)], now=T0)
    dead_claim, claimed = services._claim(T0, 100)
    assert [m.status for m in claimed] == [Status.SENDING]
    lease_end = one_message().next_attempt_at
    assert lease_end > T0

    # When other workers run: during the lease nothing happens, after it the message is sent
    assert outbox_deliver_due(now=lease_end - timedelta(seconds=1)).attempted == 0
    assert outbox_deliver_due(now=lease_end).delivered == 1

    # Then it is delivered once more (the second attempt), and the dead worker's late record
    # (were it to wake up) changes nothing
    message = one_message()
    assert (message.status, message.attempts) == (Status.DELIVERED, 2)
    from cuakhau.notifications.delivery import Outcome

    assert services._record(claimed[0], dead_claim, Outcome(False, "late"), lease_end) == ""
    assert one_message().status == Status.DELIVERED
    assert receiver.event_ids() == ["trip-event-1"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_never_send_the_same_message(receiver: Receiver, settings: Any) -> None:
    # Given 30 notices due at once
    settings.CUAKHAU_NOTIFICATION_SEND_THREADS = 2
    enterprise = make_enterprise("Công ty TNHH Vải thiều Bắc Giang", 100_000_005)
    user = make_user("vai", Role.ENTERPRISE, enterprise=enterprise)
    services.webhook_endpoint_create(actor=Actor.of(user), url=receiver.url)
    notices_enqueue([called(enterprise.pk, n) for n in range(30)])

    # When three workers run at the same moment, in small rounds
    barrier = threading.Barrier(3)

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            while outbox_deliver_due(limit=4).attempted:
                pass
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Then each event reached the receiver exactly once
    assert sorted(receiver.event_ids()) == sorted(f"trip-event-{n}" for n in range(30))
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.DELIVERED}
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}


def test_a_deleted_or_disabled_endpoint_cancels_what_it_has_not_received(
    exporter: User, endpoint: tuple[WebhookEndpoint, str], receiver: Receiver
) -> None:
    hook, _ = endpoint
    notices_enqueue([called(exporter.enterprise_id)], now=T0)
    services.webhook_endpoint_delete(actor=Actor.of(exporter), endpoint_id=hook.pk)
    assert one_message().status == Status.CANCELLED
    assert outbox_deliver_due(now=T0).attempted == 0
    # …and a deleted endpoint gets no new events
    notices_enqueue([called(exporter.enterprise_id, 2)], now=T0)
    assert OutboxMessage.objects.filter(channel=Channel.WEBHOOK).count() == 1
