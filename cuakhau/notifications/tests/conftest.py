"""Fixtures for the notifications tests: a real HTTP receiver on 127.0.0.1 and an endpoint of
the exporter's enterprise pointing at it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cuakhau.accounts.models import User
from cuakhau.core.actors import Actor
from cuakhau.notifications.models import WebhookEndpoint
from cuakhau.notifications.services import webhook_endpoint_create


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An enterprise's system: records every request and answers with the next status of
    ``statuses`` (the last one is repeated)."""

    url: str
    statuses: list[int] = field(default_factory=lambda: [200])
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Received) -> int:
        with self.lock:
            self.requests.append(request)
            return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]

    def event_ids(self) -> list[str]:
        return [r.headers["X-CuaKhau-Event-Id"] for r in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status = box["r"].answer(Received(self.path, dict(self.headers.items()), body))
            answer = b"ok" if status < 400 else b"receiver broken"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/cuakhau/events")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box["r"]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _local_webhooks(settings: Any) -> None:
    # The receivers listen on 127.0.0.1 over plain http, as in development.
    settings.CUAKHAU_WEBHOOK_ALLOW_LOCAL_HTTP = True
    settings.CUAKHAU_NOTIFICATION_MAX_ATTEMPTS = 8
    settings.CUAKHAU_SMS_ADAPTER = "cuakhau.notifications.sms.LogSmsAdapter"


@pytest.fixture
def endpoint(exporter: User, receiver: Receiver) -> tuple[WebhookEndpoint, str]:
    """The exporter's endpoint at the receiver, and its secret."""
    return webhook_endpoint_create(actor=Actor.of(exporter), url=receiver.url)
