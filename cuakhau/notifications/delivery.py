"""Sending one outbox message over its channel. No database here: the services claim messages,
call ``send`` outside any transaction, and record the ``Outcome``."""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from http.client import HTTPConnection, HTTPSConnection
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage

from cuakhau.notifications.models import Channel, OutboxMessage
from cuakhau.notifications.signing import sign
from cuakhau.notifications.sms import sms_adapter

USER_AGENT = "CuaKhau-Webhooks/1"
ERROR_LENGTH = 500  # of a receiver's answer kept as the error, for operators

# Retries: 30 s after the first failure, doubling, at most an hour apart.
RETRY_BASE_S = 30
RETRY_CAP_S = 3600


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt (1, 2, …)."""
    return timedelta(seconds=min(RETRY_BASE_S * 2 ** max(attempts - 1, 0), RETRY_CAP_S))


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    error: str = ""
    status_code: int | None = None


def webhook_body(message: OutboxMessage) -> bytes:
    """The JSON a receiver gets; the same bytes on every retry (only the signature changes)."""
    envelope: dict[str, Any] = {
        "id": message.event_id,
        "kind": message.kind,
        "created_at": message.created_at.isoformat(),
        "data": message.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def webhook_headers(message: OutboxMessage, secret: str, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-CuaKhau-Event-Id": message.event_id,
        "X-CuaKhau-Event": message.kind,
        # The wall clock, not the worker's round time: receivers compare it with theirs.
        "X-CuaKhau-Signature": sign(secret, body, int(time.time())),
    }


def send(message: OutboxMessage) -> Outcome:
    """Deliver ``message`` once; never raises (an error is an ``Outcome``)."""
    try:
        if message.channel == Channel.WEBHOOK:
            return _send_webhook(message)
        if message.channel == Channel.EMAIL:
            return _send_email(message)
        if message.channel == Channel.SMS:
            return _send_sms(message)
        return Outcome(False, f"unknown channel {message.channel!r}")
    except Exception as error:
        return Outcome(False, _describe(error))


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:ERROR_LENGTH]


def _send_webhook(message: OutboxMessage) -> Outcome:
    endpoint = message.endpoint
    if endpoint is None:
        return Outcome(False, "the webhook endpoint no longer exists")
    refusal = address_refusal(message.recipient)
    if refusal:
        return Outcome(False, refusal)
    body = webhook_body(message)
    parts = urlsplit(message.recipient)
    # http.client rather than urllib: headers go out as written, and a redirect is an answer,
    # not a delivery (following it would turn the POST into a GET, or reach an address the
    # endpoint's checks never saw). HTTPS certificates are verified.
    connection_class = HTTPSConnection if parts.scheme == "https" else HTTPConnection
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = connection_class(
        parts.hostname or "", parts.port, timeout=settings.CUAKHAU_WEBHOOK_TIMEOUT_SECONDS
    )
    try:
        connection.request(
            "POST", target, body=body, headers=webhook_headers(message, endpoint.secret, body)
        )
        response = connection.getresponse()
        status = response.status
        answer = response.read(ERROR_LENGTH).decode("utf-8", "replace").strip()
    finally:
        connection.close()
    if 200 <= status < 300:
        return Outcome(True, status_code=status)
    return Outcome(False, f"HTTP {status} {answer}".strip()[:ERROR_LENGTH], status)


def address_refusal(url: str) -> str:
    """Why the platform will not call ``url``, or "" when it may.

    In production a webhook may only reach public addresses: an enterprise must not make the
    platform call into its own network. The name is resolved here, just before sending."""
    if settings.CUAKHAU_WEBHOOK_ALLOW_LOCAL_HTTP:
        return ""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return "only https:// URLs are allowed"
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError as error:
        return _describe(error)
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            return f"{parts.hostname} resolves to a non-public address ({address})"
    return ""


def _send_email(message: OutboxMessage) -> Outcome:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={"X-CuaKhau-Event-Id": message.event_id, "X-CuaKhau-Event": message.kind},
    )
    sent = email.send(fail_silently=False)
    return Outcome(True) if sent else Outcome(False, "the mail server accepted no recipient")


def _send_sms(message: OutboxMessage) -> Outcome:
    sms_adapter().send(to=message.recipient, text=message.body, event_id=message.event_id)
    return Outcome(True)
