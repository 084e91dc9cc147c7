"""SMS through the configured adapter (the log-only default, or a gateway's), e-mail through
Django's e-mail backend."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import pytest
from django.core import mail

from cuakhau.notifications.models import OutboxMessage, Status
from cuakhau.notifications.services import Notice, notices_enqueue, outbox_deliver_due
from cuakhau.notifications.sms import mask_phone

pytestmark = pytest.mark.django_db


class RecordingSms:
    """A gateway as a test sees it: what was sent, and whether it should refuse."""

    sent: ClassVar[list[dict[str, str]]] = []
    refuse: ClassVar[bool] = False

    def send(self, *, to: str, text: str, event_id: str) -> None:
        if self.refuse:
            raise RuntimeError("gateway: quota exceeded")
        self.sent.append({"to": to, "text": text, "event_id": event_id})


@pytest.fixture
def gateway(settings: Any) -> type[RecordingSms]:
    settings.CUAKHAU_SMS_ADAPTER = f"{__name__}.RecordingSms"
    RecordingSms.sent, RecordingSms.refuse = [], False
    return RecordingSms


def call_driver(n: int = 1) -> Notice:
    return Notice(
        kind="trip.called",
        event_id=f"trip-event-{n}",
        payload={},
        sms_to="0912345678",
        sms_text="Xe 12C-123.45: mời vào cổng Hữu Nghị, số 17.",
    )


def test_by_default_an_sms_is_only_logged_with_the_number_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    notices_enqueue([call_driver()])
    with caplog.at_level(logging.INFO, logger="cuakhau.sms"):
        report = outbox_deliver_due()
    assert report.delivered == 1
    assert "091****678" in caplog.text and "0912345678" not in caplog.text
    assert "mời vào cổng Hữu Nghị" in caplog.text
    assert OutboxMessage.objects.get().status == Status.DELIVERED


def test_an_sms_goes_through_the_adapter_of_the_settings(gateway: type[RecordingSms]) -> None:
    notices_enqueue([call_driver()])
    assert outbox_deliver_due().delivered == 1
    assert gateway.sent == [
        {
            "to": "0912345678",
            "text": "Xe 12C-123.45: mời vào cổng Hữu Nghị, số 17.",
            "event_id": "trip-event-1",
        }
    ]


def test_a_gateway_refusal_is_retried(gateway: type[RecordingSms]) -> None:
    gateway.refuse = True
    notices_enqueue([call_driver()])
    assert outbox_deliver_due().retried == 1
    message = OutboxMessage.objects.get()
    assert message.status == Status.PENDING
    assert message.last_error == "RuntimeError: gateway: quota exceeded"


def test_an_email_goes_through_the_email_backend(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notices_enqueue(
        [
            Notice(
                kind="trip.call_expired",
                event_id="trip-event-9",
                payload={},
                email_to="dieuhanh@nongsan.example.vn",
                email_subject="Chuyến ABCD2345 quá hạn gọi",
                email_body="Xe không đến cổng trong 30 phút.",
            )
        ]
    )
    assert outbox_deliver_due().delivered == 1
    (email,) = mail.outbox
    assert email.to == ["dieuhanh@nongsan.example.vn"]
    assert email.subject == "Chuyến ABCD2345 quá hạn gọi"
    assert email.extra_headers["X-CuaKhau-Event-Id"] == "trip-event-9"


def test_an_unreachable_mail_server_is_retried(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    notices_enqueue(
        [Notice("trip.called", "trip-event-3", {}, email_to="a@example.vn", email_body="x")]
    )
    assert outbox_deliver_due().retried == 1
    assert "refused" in OutboxMessage.objects.get().last_error.lower()


def test_phone_numbers_are_masked() -> None:
    assert mask_phone("0912345678") == "091****678"
    assert mask_phone("+8613800138000") == "+861*******000"
    assert mask_phone("12345") == "*****"
