"""Signed things handed to people outside the platform: the trip QR and the driver's link."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import segno
from django.conf import settings
from django.core import signing

from cuakhau.declarations import qr

DRIVER_SALT = "cuakhau.driver-link"


def qr_key() -> bytes:
    """The HMAC key for trip QR codes, derived from SECRET_KEY (rotating it voids old codes)."""
    return hashlib.sha256(b"cuakhau.trip-qr:" + settings.SECRET_KEY.encode()).digest()


def trip_qr_payload(code: str) -> str:
    return qr.qr_payload(code, qr_key(), settings.SITE_URL)


def qr_svg(payload: str, *, scale: int = 6) -> str:
    """The QR as inline SVG (no external files, prints sharp)."""
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(
        buffer, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True, nl=False
    )
    return buffer.getvalue().decode()


def qr_png(payload: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def driver_token(code: str) -> str:
    return signing.TimestampSigner(salt=DRIVER_SALT).sign(code)


def driver_code(token: str) -> str | None:
    """The trip code a driver link stands for, or None if forged or expired."""
    try:
        return signing.TimestampSigner(salt=DRIVER_SALT).unsign(
            token, max_age=timedelta(days=settings.DRIVER_LINK_DAYS)
        )
    except signing.BadSignature:
        return None
