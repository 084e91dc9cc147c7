"""The webhook signature, as enterprises verify it. Pure Python (no Django), so that this file
can be copied as is into a receiver.

Each request carries ``X-CuaKhau-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
HMAC-SHA256 with the endpoint's secret over ``f"{t}.".encode() + raw_body``. Signing the time
too means a captured request cannot be replayed later than ``tolerance_s``; receivers must
still dedupe by ``X-CuaKhau-Event-Id``, since a retried delivery is signed again.
"""

from __future__ import annotations

import hashlib
import hmac

SCHEME = "v1"


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of ``"{timestamp}." + body`` under ``secret``."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-CuaKhau-Signature`` header value for ``body`` sent at ``timestamp``."""
    return f"t={timestamp},{SCHEME}={signature(secret, body, timestamp)}"


def parse(header: str) -> tuple[int, list[str]] | None:
    """``(timestamp, [v1 signatures])`` from a header, or ``None`` when it is malformed.

    Several ``v1=`` entries are allowed so that a secret can be rotated without a gap."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            return None
        if key == "t":
            if not value.isdigit() or len(value) > 12:
                return None
            timestamp = int(value)
        elif key == SCHEME:
            signatures.append(value)
    if timestamp is None or not signatures:
        return None
    return timestamp, signatures


def verify(secret: str, body: bytes, header: str, now: float, tolerance_s: int = 300) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` at a time within ``tolerance_s`` of
    ``now`` (Unix seconds). Compares in constant time."""
    parsed = parse(header)
    if parsed is None:
        return False
    timestamp, signatures = parsed
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = signature(secret, body, timestamp)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
