"""VietQR payloads: the real one of domain.md §12 parses and rebuilds byte for byte; what the
code makes parses back to the same fields and passes its CRC; a changed character fails."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cuakhau.fees.vietqr import VietQR, VietQRError, crc16_ccitt_false, parse, parse_tlv

REAL = (
    "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA"
    "530370454061200005802VN62170813ung ho lu lut6304C15C"
)


def test_the_crc_is_ccitt_false():
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_the_real_payload_parses_and_rebuilds_exactly():
    qr = parse(REAL)
    assert qr == VietQR(
        bank_bin="970415", account="0011001932418", amount=120000, purpose="ung ho lu lut"
    )
    assert qr.payload() == REAL


def test_an_invoice_payload_has_the_fields_in_order():
    payload = VietQR("970436", "0071000123456", 800000, "HD26000123").payload()
    fields = parse_tlv(payload)
    assert [f for f, _ in fields] == ["00", "01", "38", "53", "54", "58", "62", "63"]
    assert dict(fields)["54"] == "800000"
    assert dict(parse_tlv(dict(fields)["62"]))["08"] == "HD26000123"


@pytest.mark.parametrize("position", [0, 10, 40, 75, len(REAL) - 6, len(REAL) - 1])
def test_a_changed_character_fails_the_crc(position):
    swapped = "1" if REAL[position] != "1" else "2"
    broken = REAL[:position] + swapped + REAL[position + 1 :]
    with pytest.raises(VietQRError):
        parse(broken)


def test_vietnamese_purposes_are_folded_to_ascii():
    qr = VietQR("970415", "0011001932418", 100000, "Phí hạ tầng Đồng Đăng")
    assert parse(qr.payload()).purpose == "Phi ha tang Dong Dang"


@pytest.mark.parametrize(
    "bad",
    [
        VietQR("97041", "1", 1),
        VietQR("970415", "12AB", 1),
        VietQR("97041٥", "1", 1),  # an Arabic-Indic digit is still not a BIN digit
        VietQR("970415", "1", 0),
        VietQR("970415", "1", 1, "x" * 26),
        VietQR("970415", "1", 1, "hoá đơn #1"),
    ],
)
def test_values_that_cannot_make_a_payload_are_refused(bad):
    with pytest.raises(VietQRError):
        bad.payload()


@given(
    bank=st.from_regex(r"97[0-9]{4}", fullmatch=True),
    account=st.from_regex(r"[0-9]{6,19}", fullmatch=True),
    amount=st.integers(min_value=1, max_value=10**12),
    purpose=st.from_regex(r"[A-Z0-9]{1,25}", fullmatch=True),
    dynamic=st.booleans(),
)
def test_every_payload_parses_back_to_its_fields(bank, account, amount, purpose, dynamic):
    qr = VietQR(bank, account, amount, purpose, dynamic)
    assert parse(qr.payload()) == qr
