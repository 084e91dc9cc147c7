"""Tests of the identifier rules (domain.md §12); pure Python, no database."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso6346
from stdnum.cn import ric, uscc

from cuakhau.core.errors import FieldError
from cuakhau.reference import identifiers as ids
from cuakhau.reference.identifiers import (
    ERROR_CODES,
    IdentifierError,
    Plate,
    hs_chapter,
    normalize_plate_text,
    parse_cn_plate,
    parse_plate,
    parse_vn_plate,
    validate_container_number,
    validate_customs_declaration_number,
    validate_hs_code,
    validate_person_id,
    validate_phone,
    validate_seal_number,
    validate_tax_code,
)


def error_of(call: Callable[[], object]) -> IdentifierError:
    with pytest.raises(IdentifierError) as info:
        call()
    error = info.value
    assert error.code in ERROR_CODES
    for text in (error.message.vi, error.message.en, error.message.zh):
        assert text.strip()
        assert "{" not in text, text  # every placeholder was filled
    return error


# ---------------------------------------------------------------------------------------------
# Plates
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12C\n123.45", "12C12345"),
        ("12C\r\n12345", "12C12345"),
        ("12c 123.45", "12C12345"),
        ("\t12C-123.45 ", "12C12345"),
        ("１２Ｃ－１２３．４５", "12C12345"),  # full-width
        ("桂F·12345", "桂F12345"),
        ("桂 f 1234 挂", "桂F1234挂"),
        ("12đa-123.45", "12ĐA12345"),
        ("12ÐA12345", "12ĐA12345"),  # look-alike Eth read as Đ
    ],
)
def test_normalize_plate_text(raw: str, expected: str) -> None:
    assert normalize_plate_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "normalized", "display", "is_trailer"),
    [
        ("12C-123.45", "12C12345", "12C-123.45", False),
        ("12C\n123.45", "12C12345", "12C-123.45", False),
        ("12C\r\n12345", "12C12345", "12C-123.45", False),
        ("12C 123.45", "12C12345", "12C-123.45", False),
        ("12c12345", "12C12345", "12C-123.45", False),
        ("12C-1234", "12C1234", "12C-1234", False),
        ("29LD-123.45", "29LD12345", "29LD-123.45", False),
        ("29KT 12345", "29KT12345", "29KT-123.45", False),
        ("12DA-1234", "12DA1234", "12DA-1234", False),
        ("51F1-123.45", "51F112345", "51F1-123.45", False),
        ("80ĐA-123.45", "80ĐA12345", "80ĐA-123.45", False),
        ("99Z-999.99", "99Z99999", "99Z-999.99", False),
        ("11A-000.01", "11A00001", "11A-000.01", False),
        ("51R-141.39", "51R14139", "51R-141.39", True),
        ("51R\n141.39", "51R14139", "51R-141.39", True),
        ("12R-1234", "12R1234", "12R-1234", True),
    ],
)
def test_vn_plate_valid(raw: str, normalized: str, display: str, is_trailer: bool) -> None:
    plate = parse_vn_plate(raw)
    assert plate == Plate("VN", normalized, display, is_trailer)
    assert str(plate) == display
    assert parse_plate(raw, "vn") == plate


def test_vn_trailer_flag() -> None:
    assert parse_vn_plate("51R\n141.39", trailer=True).is_trailer
    assert not parse_vn_plate("12C\n123.45", trailer=False).is_trailer
    assert error_of(lambda: parse_vn_plate("12C-123.45", trailer=True)).code == "plate_not_trailer"
    error = error_of(lambda: parse_vn_plate("51R-141.39", trailer=False))
    assert error.code == "plate_is_trailer"
    assert "51R-141.39" in error.message.en


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("00C-123.45", "vn_plate_locality"),
        ("10C-123.45", "vn_plate_locality"),
        ("05A12345", "vn_plate_locality"),
        ("12I-123.45", "vn_plate_series"),
        ("12J-123.45", "vn_plate_series"),
        ("12O-123.45", "vn_plate_series"),
        ("12Q-123.45", "vn_plate_series"),
        ("12W-123.45", "vn_plate_series"),
        ("12CW-123.45", "vn_plate_series"),
        ("12CR-123.45", "vn_plate_series"),
        ("12RA-123.45", "vn_plate_series"),
        ("12C-123", "vn_plate_number"),
        ("12C-1234567", "vn_plate_number"),
        ("12LD-123456", "vn_plate_number"),
        ("C12-123.45", "vn_plate_format"),
        ("1C-123.45", "vn_plate_format"),
        ("12-123.45", "vn_plate_format"),
        ("12C-12A45", "vn_plate_format"),
        ("12CDE-12345", "vn_plate_format"),
        ("桂F12345", "vn_plate_format"),
        ("", "required"),
        (" \n ", "required"),
    ],
)
def test_vn_plate_invalid(raw: str, code: str) -> None:
    assert error_of(lambda: parse_vn_plate(raw)).code == code


def test_vn_plate_series_message_lists_allowed_letters() -> None:
    error = error_of(lambda: parse_vn_plate("12W\n123.45"))
    assert "A B C D E F G H K L M N P S T U V X Y Z" in error.message.vi
    assert "12W 123.45" in error.message.en  # the value as typed, on one line
    assert " W " in error.message.en


@pytest.mark.parametrize(
    ("raw", "normalized", "display", "is_trailer"),
    [
        ("桂F12345", "桂F12345", "桂F·12345", False),
        ("桂F·12345", "桂F12345", "桂F·12345", False),
        ("桂f 1a2b3", "桂F1A2B3", "桂F·1A2B3", False),
        ("粤B-D12345", "粤BD12345", "粤B·D12345", False),
        ("桂FF12345", "桂FF12345", "桂F·F12345", False),
        ("桂F12345D", "桂F12345D", "桂F·12345D", False),
        ("桂F·1234挂", "桂F1234挂", "桂F·1234挂", True),
        ("京A1234挂", "京A1234挂", "京A·1234挂", True),
    ],
)
def test_cn_plate_valid(raw: str, normalized: str, display: str, is_trailer: bool) -> None:
    plate = parse_cn_plate(raw)
    assert plate == Plate("CN", normalized, display, is_trailer)
    assert parse_plate(raw, "CN") == plate


def test_cn_trailer_flag() -> None:
    assert parse_cn_plate("桂F1234挂", trailer=True).is_trailer
    assert not parse_cn_plate("桂F12345", trailer=False).is_trailer
    assert error_of(lambda: parse_cn_plate("桂F12345", trailer=True)).code == "plate_not_trailer"
    error = error_of(lambda: parse_cn_plate("桂F1234挂", trailer=False))
    assert error.code == "plate_is_trailer"
    assert "挂" in error.message.zh


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("F12345", "cn_plate_province_missing"),
        ("GF12345", "cn_plate_province_missing"),
        ("12345", "cn_plate_province_missing"),
        ("港F12345", "cn_plate_province"),
        ("越F12345", "cn_plate_province"),
        ("桂12345", "cn_plate_authority"),
        ("桂", "cn_plate_authority"),
        ("桂FI2345", "cn_plate_letter_io"),
        ("桂F1O345", "cn_plate_letter_io"),
        ("桂F1234", "cn_plate_format"),
        ("桂F123456", "cn_plate_format"),  # 6 characters without D/F
        ("桂F1234567", "cn_plate_format"),
        ("桂F12345挂", "cn_plate_format"),
        ("桂F123挂", "cn_plate_format"),
        ("桂F1234学", "cn_plate_format"),
        ("", "required"),
    ],
)
def test_cn_plate_invalid(raw: str, code: str) -> None:
    assert error_of(lambda: parse_cn_plate(raw)).code == code


def test_cn_plate_missing_province_message() -> None:
    error = error_of(lambda: parse_cn_plate("F12345"))
    assert "桂F·12345" in error.message.en
    assert "province" in error.message.en


@pytest.mark.parametrize("country", ["", "LA", "vietnam", "X"])
def test_parse_plate_unknown_country(country: str) -> None:
    code = error_of(lambda: parse_plate("12C-123.45", country)).code
    assert code == ("required" if not country else "plate_country")


@given(
    locality=st.integers(11, 99),
    letter=st.sampled_from(ids.VN_SERIES_LETTERS),
    number=st.integers(0, 99999),
    separator=st.sampled_from(["-", " ", "\n", "\r\n", ""]),
    lower=st.booleans(),
)
def test_vn_plate_roundtrip(
    locality: int, letter: str, number: int, separator: str, lower: bool
) -> None:
    digits = f"{number:05d}"
    raw = f"{locality}{letter}{separator}{digits[:3]}.{digits[3:]}"
    plate = parse_vn_plate(raw.lower() if lower else raw, trailer=False)
    assert plate.normalized == f"{locality}{letter}{digits}"
    assert plate.display == f"{locality}{letter}-{digits[:3]}.{digits[3:]}"
    # parsing is idempotent on both stored forms
    assert parse_vn_plate(plate.normalized) == plate
    assert parse_vn_plate(plate.display) == plate


@given(st.text(max_size=20))
def test_plate_parsers_never_crash(raw: str) -> None:
    for parse in (parse_vn_plate, parse_cn_plate):
        try:
            plate = parse(raw)
        except IdentifierError as error:
            code = error.code
        else:
            code = ""
            assert parse(plate.normalized) == plate
            assert parse(plate.display) == plate
        assert not code or code in ERROR_CODES


# ---------------------------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------------------------

_ALPHABET = "0123456789A BCDEFGHIJK LMNOPQRSTU VWXYZ"


def _iso6346_sum_mod_11(number: str) -> int:
    """The ISO 6346 weighted sum mod 11 of the first ten characters (domain.md §12)."""
    return sum(_ALPHABET.index(c) << i for i, c in enumerate(number[:10])) % 11


@pytest.mark.parametrize(
    ("number", "remainder"),
    [("CSQU3000010", 0), ("MSKU3000020", 0), ("CSQU3000140", 10), ("MSKU3000000", 10)],
)
def test_container_check_digit_zero(number: str, remainder: int) -> None:
    assert _iso6346_sum_mod_11(number) == remainder
    assert iso6346.calc_check_digit(number[:10]) == "0"
    assert validate_container_number(number) == number
    wrong = number[:10] + "1"
    error = error_of(lambda: validate_container_number(wrong))
    assert error.code == "container_check_digit"
    assert error.message.en.endswith("should be 0.")


@pytest.mark.parametrize(
    "raw",
    ["CSQU3054383", "csqu3054383", "CSQU 305438 3", "CSQU-305438-3", " csqu 3054383\n"],
)
def test_container_valid(raw: str) -> None:
    assert validate_container_number(raw) == "CSQU3054383"


def test_container_wrong_check_digit_names_expected() -> None:
    error = error_of(lambda: validate_container_number("CSQU3054384"))
    assert error.code == "container_check_digit"
    assert error.message.vi == "Số container CSQU3054384 sai số kiểm tra: số cuối phải là 3."
    assert error.message.en == (
        "Container number CSQU3054384 has a wrong check digit: the last digit should be 3."
    )
    assert error.message.zh == "集装箱号 CSQU3054384 校验位错误：最后一位应为 3。"


def test_container_changed_serial_digit() -> None:
    changed = "CSQU3054483"
    expected = iso6346.calc_check_digit(changed[:10])
    assert expected != "3"
    error = error_of(lambda: validate_container_number(changed))
    assert error.code == "container_check_digit"
    assert f"should be {expected}." in error.message.en


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("CSQR3054383", "container_category"),  # R: stdnum accepts it, the rules do not
        ("CSQA3054383", "container_category"),
        ("CSQU305438", "container_length"),
        ("CSQU30543833", "container_length"),
        ("CSQ03054383", "container_format"),
        ("CSQU30543A3", "container_format"),
        ("ĐSQU3054383", "container_format"),
        ("", "required"),
    ],
)
def test_container_invalid(raw: str, code: str) -> None:
    assert error_of(lambda: validate_container_number(raw)).code == code


@given(
    owner=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
    category=st.sampled_from("UJZ"),
    serial=st.integers(0, 999_999),
)
def test_container_computed_check_digit_is_accepted(owner: str, category: str, serial: int) -> None:
    body = f"{owner}{category}{serial:06d}"
    number = body + str(_iso6346_sum_mod_11(body) % 10)
    assert validate_container_number(number.lower()) == number


# ---------------------------------------------------------------------------------------------
# HS codes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("08106000", "08106000"),
        ("0810.60.00", "08106000"),
        ("0810 60 00", "08106000"),
        ("85423100", "85423100"),
        ("8541.49.00", "85414900"),
        ("01012100", "01012100"),
    ],
)
def test_hs_valid(raw: str, expected: str) -> None:
    assert validate_hs_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code", "fragment"),
    [
        ("85414000", "hs_unknown", "heading 8541 (chapter 85) has no subheading 8541.40"),
        ("85990000", "hs_unknown", "chapter 85 has no heading 8599"),
        ("77010000", "hs_unknown", "no chapter 77"),
        ("0810600", "hs_length", "7 digits"),
        ("081060001", "hs_length", "9 digits"),
        ("0810.6A.00", "hs_format", "0810.6A.00"),
        ("0810-60-00", "hs_format", "digits only"),
        ("", "required", "HS code"),
    ],
)
def test_hs_invalid(raw: str, code: str, fragment: str) -> None:
    error = error_of(lambda: validate_hs_code(raw))
    assert error.code == code
    assert fragment in error.message.en


@pytest.mark.parametrize(
    ("raw", "chapter"), [("08106000", 8), ("0810.60.00", 8), ("85423100", 85), ("01", 1)]
)
def test_hs_chapter(raw: str, chapter: int) -> None:
    assert hs_chapter(raw) == chapter


@pytest.mark.parametrize("raw", ["8", "AB", ""])
def test_hs_chapter_invalid(raw: str) -> None:
    error_of(lambda: hs_chapter(raw))


def test_hs_table_loaded_once() -> None:
    table = ids._hs_table()
    assert ids._hs_table() is table
    assert "081060" in table.subheadings
    assert "854140" not in table.subheadings
    assert len(table.subheadings) == 5613


# ---------------------------------------------------------------------------------------------
# Customs declarations, tax codes, seals
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"), [("103456789012", "103456789012"), (" 1034 5678 9012 ", "103456789012")]
)
def test_declaration_valid(raw: str, expected: str) -> None:
    assert validate_customs_declaration_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("10345678901", "declaration_length"),
        ("1034567890123", "declaration_length"),
        ("10345678901A", "declaration_format"),
        ("E42345678901", "declaration_format"),
        ("", "required"),
    ],
)
def test_declaration_invalid(raw: str, code: str) -> None:
    assert error_of(lambda: validate_customs_declaration_number(raw)).code == code


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("0100109106", "VN", "0100109106"),
        ("0100109106-001", "VN", "0100109106001"),
        ("0100109106001", "vn", "0100109106001"),
        (" 0100 109 106 ", "VN", "0100109106"),
        ("91110000600037341L", "CN", "91110000600037341L"),
        ("91110000600037341l", "cn", "91110000600037341L"),
        ("DE123456789", "DE", "DE123456789"),
        ("abc", "LA", "ABC"),
    ],
)
def test_tax_code_valid(raw: str, country: str, expected: str) -> None:
    assert validate_tax_code(raw, country) == expected


def test_tax_code_defaults_to_vn() -> None:
    assert validate_tax_code("0100109106") == "0100109106"


def test_cn_uscc_example_is_valid_for_stdnum() -> None:
    assert uscc.is_valid("91110000600037341L")


@pytest.mark.parametrize(
    ("raw", "country", "code", "fragment"),
    [
        ("0100109107", "VN", "tax_code_check_digit", "should be 6"),
        ("0100109107-001", "VN", "tax_code_check_digit", "should be 6"),
        ("1001091080", "VN", "tax_code_check_digit", "no tax code can start"),
        ("0100000001", "VN", "tax_code_invalid", "cannot all be 0"),
        ("0100109106-000", "VN", "tax_code_invalid", "000"),
        ("010010910", "VN", "tax_code_length", "9 digits"),
        ("01001091060", "VN", "tax_code_length", "11 digits"),
        ("01001O9106", "VN", "tax_code_format", "digits only"),
        ("91110000600037341A", "CN", "tax_code_check_digit", "should be L"),
        ("9111000060003734L", "CN", "tax_code_length", "17 characters"),
        ("9111000A600037341L", "CN", "tax_code_format", "first 8"),
        ("91110000600037341I", "CN", "tax_code_format", "first 8"),
        ("AB", "LA", "tax_code_format", "3 to 20"),
        ("ÄB12", "LA", "tax_code_format", "3 to 20"),
        ("", "VN", "required", "tax code"),
        ("", "CN", "required", "tax code"),
    ],
)
def test_tax_code_invalid(raw: str, country: str, code: str, fragment: str) -> None:
    error = error_of(lambda: validate_tax_code(raw, country))
    assert error.code == code
    assert fragment in error.message.en


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("ab-12 34", "AB1234"), ("VN123456", "VN123456"), ("1234", "1234"), ("A" * 20, "A" * 20)],
)
def test_seal_valid(raw: str, expected: str) -> None:
    assert validate_seal_number(raw) == expected


@pytest.mark.parametrize("raw", ["ABC", "A" * 21, "AB#123", "AB/123", "ĐA1234", ""])
def test_seal_invalid(raw: str) -> None:
    assert error_of(lambda: validate_seal_number(raw)).code in {"seal_format", "required"}


# ---------------------------------------------------------------------------------------------
# Phones
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912345678", "+84912345678"),
        ("0912 345 678", "+84912345678"),
        ("0912.345.678", "+84912345678"),
        ("+84912345678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("84 912 345 678", "+84912345678"),
        ("0084912345678", "+84912345678"),
        ("+84 0912 345 678", "+84912345678"),
        ("0388888888", "+84388888888"),
        ("(+84) 56-789-1234", "+84567891234"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("13800138000", "+8613800138000"),
        ("8613800138000", "+8613800138000"),
        ("0086 199 1234 5678", "+8619912345678"),
        ("＋８６ １３８００１３８０００", "+8613800138000"),
    ],
)
def test_phone_valid(raw: str, expected: str) -> None:
    assert validate_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("0212345678", "phone_vn"),  # landline-style prefix
        ("091234567", "phone_vn"),
        ("09123456789", "phone_vn"),
        ("+84 112 345 678", "phone_vn"),
        ("+8491234567", "phone_vn"),
        ("+86 128 0013 8000", "phone_cn"),
        ("+86 138 0013 800", "phone_cn"),
        ("12800138000", "phone_cn"),
        ("+1 555 123 4567", "phone_country"),
        ("+33612345678", "phone_country"),
        ("912345678", "phone_format"),
        ("2800138000", "phone_format"),
        ("0912ABC678", "phone_format"),
        ("++84912345678", "phone_format"),
        ("", "required"),
    ],
)
def test_phone_invalid(raw: str, code: str) -> None:
    assert error_of(lambda: validate_phone(raw)).code == code


@given(first=st.sampled_from("35789"), rest=st.integers(0, 99_999_999))
def test_vn_phone_forms_agree(first: str, rest: int) -> None:
    national = f"{first}{rest:08d}"
    expected = f"+84{national}"
    for raw in (f"0{national}", f"+84{national}", f"84 {national}", f"+84 0{national}"):
        assert validate_phone(raw) == expected


# ---------------------------------------------------------------------------------------------
# Identity documents
# ---------------------------------------------------------------------------------------------

CN_ID = "360426199101010071"


@pytest.mark.parametrize(
    ("raw", "nationality", "expected"),
    [
        ("001099012345", "VN", "001099012345"),
        ("001 099 012 345", "vn", "001099012345"),
        ("123456789", "VN", "123456789"),
        ("c1234567", "VN", "C1234567"),
        (CN_ID, "CN", CN_ID),
        ("11010519491231002x", "CN", "11010519491231002X"),
        ("E12345678", "CN", "E12345678"),
        ("g12345678", "CN", "G12345678"),
        ("EA1234567", "CN", "EA1234567"),
        ("X1234567", "LA", "X1234567"),
        ("AB12-345", "FR", "AB12345"),
    ],
)
def test_person_id_valid(raw: str, nationality: str, expected: str) -> None:
    assert validate_person_id(raw, nationality) == expected


def _cn_id_with_check(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


@pytest.mark.parametrize(
    ("raw", "nationality", "code"),
    [
        ("00109901234", "VN", "person_id_format"),
        ("0010990123456", "VN", "person_id_format"),
        ("12345678", "VN", "person_id_format"),
        ("CC123456", "VN", "person_id_format"),
        ("360426199101010072", "CN", "person_id_check_digit"),
        (_cn_id_with_check("36042619911301007"), "CN", "person_id_invalid"),  # month 13
        ("36042619910101007", "CN", "person_id_format"),
        ("F12345678", "CN", "person_id_format"),
        ("E1234567", "CN", "person_id_format"),
        ("ABCD", "LA", "person_id_format"),
        ("A" * 21, "LA", "person_id_format"),
        ("", "VN", "required"),
    ],
)
def test_person_id_invalid(raw: str, nationality: str, code: str) -> None:
    assert error_of(lambda: validate_person_id(raw, nationality)).code == code


def test_cn_resident_id_check_digit_message() -> None:
    error = error_of(lambda: validate_person_id("360426199101010072", "CN"))
    assert "最后一位应为 1" in error.message.zh


# ---------------------------------------------------------------------------------------------
# The error type itself
# ---------------------------------------------------------------------------------------------


def test_to_field_error_keeps_path() -> None:
    error = error_of(lambda: parse_vn_plate("12W-123.45"))
    field = error.to_field_error("trips.0.tractor_plate")
    assert field == FieldError("trips.0.tractor_plate", "vn_plate_series", error.message)
    assert field.as_dict("zh")["message"] == error.message.zh
    assert field.as_dict()["field"] == "trips.0.tractor_plate"


def test_error_is_a_value_error_and_pickles() -> None:
    error = error_of(lambda: validate_container_number("CSQU3054384"))
    assert isinstance(error, ValueError)
    assert str(error).startswith("container_check_digit: Container number CSQU3054384")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert (copy.code, copy.message, copy.value) == (error.code, error.message, error.value)


def test_required_messages_name_the_field() -> None:
    error = error_of(lambda: validate_container_number("  "))
    assert error.message.as_dict() == {
        "vi": "Chưa nhập số container.",
        "en": "The container number is missing.",
        "zh": "未填写集装箱号。",
    }


def test_every_message_has_three_languages() -> None:
    for key, text in ids._MESSAGES.items():
        assert text.vi, key
        assert text.en, key
        assert text.zh, key
        assert text.vi != text.en, key
        assert text.zh != text.en, key


@pytest.mark.parametrize(
    "call",
    [
        lambda: parse_vn_plate("12I12345"),
        lambda: parse_cn_plate("港F12345"),
        lambda: validate_container_number("CSQU3054384"),
        lambda: validate_hs_code("85414000"),
        lambda: validate_tax_code("0100109107"),
        lambda: validate_phone("+1 555 123 4567"),
        lambda: validate_person_id("12345678", "VN"),
        lambda: validate_seal_number("AB"),
        lambda: validate_customs_declaration_number("1234"),
    ],
)
def test_messages_name_the_bad_value(call: Callable[[], object]) -> None:
    error = error_of(call)
    assert error.value
    for text in (error.message.vi, error.message.en, error.message.zh):
        assert error.value in text
