"""SMS gateways. The platform talks to one through an adapter named by the
``CUAKHAU_SMS_ADAPTER`` setting (a dotted path to a class built without arguments).

An adapter's ``send`` returns when the gateway accepted the message and raises on any failure
(the outbox then retries with backoff). It may be called from several threads at once.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("cuakhau.sms")


class SmsAdapter(Protocol):
    def send(self, *, to: str, text: str, event_id: str) -> None:
        """Hand ``text`` for the phone number ``to`` to the gateway, or raise."""


class SmsError(Exception):
    """The gateway refused the message; ``str()`` says why (shown to operators)."""


class LogSmsAdapter:
    """Development and pilots without a gateway: the message is only written to the log."""

    def send(self, *, to: str, text: str, event_id: str) -> None:
        logger.info("SMS %s to %s: %s", event_id, mask_phone(to), text)


def mask_phone(number: str) -> str:
    """A phone number as operators and logs show it: the prefix and the last three digits."""
    digits = [i for i, ch in enumerate(number) if ch.isdigit()]
    if len(digits) <= 6:
        return "*" * len(number)
    hidden = set(digits[3:-3])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(number))


@cache
def _adapter_class(path: str) -> type[SmsAdapter]:
    return import_string(path)  # type: ignore[no-any-return]


def sms_adapter() -> SmsAdapter:
    """A fresh adapter of the configured class."""
    return _adapter_class(settings.CUAKHAU_SMS_ADAPTER)()
