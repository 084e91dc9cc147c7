"""VietQR payloads (NAPAS, EMVCo merchant-presented QR): build and parse. No Django.

A payload is a string of TLV fields: a 2-digit id, a 2-digit length and the value; some values
are TLV strings themselves. The last field is 63, a CRC-16/CCITT-FALSE (polynomial 0x1021,
initial value 0xFFFF) over everything before it including "6304", as 4 upper-case hex digits.
domain.md §12 gives the layout and a real payload the tests check.

The purpose (field 62, sub-field 08) carries the invoice code, so the bank's notice names the
invoice it pays and reconciliation is automatic.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"  # transfer to an account (QRIBFTTC: to a card)
CURRENCY_VND = "704"
COUNTRY = "VN"
STATIC, DYNAMIC = "11", "12"
_PURPOSE_CHARS = re.compile(r"[A-Za-z0-9 .,\-_/:]*")
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also takes other scripts' digits


class VietQRError(ValueError):
    """A payload that is not a well-formed VietQR, or values that cannot make one."""


def crc16_ccitt_false(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def tlv(field_id: str, value: str) -> str:
    if len(field_id) != 2 or not field_id.isdigit():
        raise VietQRError(f"field id {field_id!r} is not two digits")
    if len(value) > 99:
        raise VietQRError(f"field {field_id} is longer than 99 characters")
    return f"{field_id}{len(value):02d}{value}"


def parse_tlv(text: str) -> list[tuple[str, str]]:
    """The fields of a TLV string, in order."""
    fields: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        head = text[i : i + 4]
        if len(head) < 4 or not _DIGITS.fullmatch(head):
            raise VietQRError(f"broken field header at position {i}")
        length = int(head[2:])
        value = text[i + 4 : i + 4 + length]
        if len(value) != length:
            raise VietQRError(f"field {head[:2]} is cut short")
        fields.append((head[:2], value))
        i += 4 + length
    return fields


def ascii_purpose(text: str) -> str:
    """Banks carry the purpose as plain ASCII: drop Vietnamese diacritics (đ → d)."""
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in folded if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class VietQR:
    bank_bin: str  # the 6-digit NAPAS bank identification number, e.g. 970436
    account: str  # the beneficiary account number
    amount: int | None = None  # VND; a dynamic QR carries the amount
    purpose: str = ""  # the transfer's description: here, the invoice code
    dynamic: bool = True

    def payload(self) -> str:
        """The payload string to encode in the QR code."""
        if not _DIGITS.fullmatch(self.bank_bin) or len(self.bank_bin) != 6:
            raise VietQRError("the bank BIN is 6 digits")
        if not _DIGITS.fullmatch(self.account) or not 1 <= len(self.account) <= 19:
            raise VietQRError("the account number is 1 to 19 digits")
        if self.amount is not None and not 0 < self.amount <= 10**13:
            raise VietQRError("the amount must be a positive number of dong")
        purpose = ascii_purpose(self.purpose)
        if not _PURPOSE_CHARS.fullmatch(purpose) or len(purpose) > 25:
            raise VietQRError("the purpose is up to 25 letters, digits and spaces")
        beneficiary = tlv("00", self.bank_bin) + tlv("01", self.account)
        merchant = tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv("02", SERVICE_TO_ACCOUNT)
        parts = [
            tlv("00", "01"),
            tlv("01", DYNAMIC if self.dynamic else STATIC),
            tlv("38", merchant),
            tlv("53", CURRENCY_VND),
        ]
        if self.amount is not None:
            parts.append(tlv("54", str(self.amount)))
        parts.append(tlv("58", COUNTRY))
        if purpose:
            parts.append(tlv("62", tlv("08", purpose)))
        body = "".join(parts) + "6304"
        return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def parse(payload: str) -> VietQR:
    """Read a VietQR payload back; ``VietQRError`` if its structure or its CRC is wrong."""
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise VietQRError("the payload does not end with a CRC field (63)")
    expected = f"{crc16_ccitt_false(payload[:-4].encode('utf-8')):04X}"
    if payload[-4:].upper() != expected:
        raise VietQRError("the CRC does not match: the payload was changed or misread")
    fields = dict(parse_tlv(payload))
    if fields.get("00") != "01":
        raise VietQRError("not an EMVCo payload (field 00 must be 01)")
    merchant = dict(parse_tlv(fields.get("38", "")))
    if merchant.get("00") != NAPAS_GUID:
        raise VietQRError("not a NAPAS VietQR (field 38 has no A000000727)")
    beneficiary = dict(parse_tlv(merchant.get("01", "")))
    if fields.get("53", CURRENCY_VND) != CURRENCY_VND:
        raise VietQRError("the currency is not VND (704)")
    amount = fields.get("54")
    if amount is not None and not _DIGITS.fullmatch(amount):
        raise VietQRError("the amount is not a whole number of dong")
    extra = dict(parse_tlv(fields.get("62", "")))
    return VietQR(
        bank_bin=beneficiary.get("00", ""),
        account=beneficiary.get("01", ""),
        amount=int(amount) if amount is not None else None,
        purpose=extra.get("08", ""),
        dynamic=fields.get("01") == DYNAMIC,
    )
