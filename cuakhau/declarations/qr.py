"""Trip codes and their signed QR payloads. Pure Python: the key is passed in.

The QR carries a URL ending in ``CODE.SIGNATURE`` so that a phone opens the trip's public page
and a yard scanner gives the operator something the platform can verify. A forged or altered
code fails the HMAC check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cuakhau.core.errors import FieldError, InvalidInput
from cuakhau.core.text import Text

# Crockford's base32: no I, L, O or U, so codes survive being read aloud and typed.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
SIGNATURE_LENGTH = 16
QR_PATH = "/q/"


def new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


_LOOKALIKES = str.maketrans("OIL", "011")


def normalize_code(raw: str) -> str:
    """Accept what people type: lower case, spaces, dashes, and O/I/L for 0/1/1."""
    text = raw.strip().upper().replace("-", "").replace(" ", "")
    return text.translate(_LOOKALIKES)


def is_code(text: str) -> bool:
    return len(text) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in text)


def signature(code: str, key: bytes) -> str:
    digest = hmac.new(key, b"trip-qr:" + code.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:SIGNATURE_LENGTH]


def qr_payload(code: str, key: bytes, site_url: str) -> str:
    return f"{site_url.rstrip('/')}{QR_PATH}{code}.{signature(code, key)}"


BAD_QR = Text(
    vi="Mã QR không hợp lệ hoặc đã bị sửa đổi. Hãy nhập mã chuyến hoặc biển số.",
    en="The QR code is not valid or has been altered. Type the trip code or the plate instead.",
    zh="二维码无效或已被篡改。请输入车次编号或车牌号。",
)


def verify_qr(payload: str, key: bytes) -> str:
    """The trip code a scanned QR stands for; ``InvalidInput`` if it was forged or altered."""
    token = payload.strip().rstrip("/").rsplit("/", 1)[-1]
    code, _, sig = token.partition(".")
    code = code.upper()
    if not is_code(code) or not hmac.compare_digest(
        sig.upper().encode(), signature(code, key).encode()
    ):
        raise InvalidInput(
            code="qr_invalid", message=BAD_QR, errors=[FieldError("qr", "qr_invalid", BAD_QR)]
        )
    return code
