"""The receipt PDF: one page that reads in Vietnamese, Chinese and English, with the numbers that
matter, a QR that is the verification URL's, the same bytes for the same receipt, and a clear
error when the system has no font for it. No database: the renderer is plain Python."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pytest
import segno
from pypdf.generic import ContentStream

from cuakhau.core.text import Text
from cuakhau.fees import receipt_pdf
from cuakhau.fees.receipt_pdf import (
    FontNotFound,
    ReceiptData,
    ReceiptLine,
    find_fonts,
    format_vnd,
    render_receipt_pdf,
    vnd_in_words,
)

VERIFY_URL = "https://cuakhau.langson.gov.vn/bien-lai/2026-000123/9F3KQ2MZ7XW1ABCD"

RECEIPT = ReceiptData(
    number="2026/000123",
    issued_at=datetime(2026, 11, 23, 7, 5, 9, tzinfo=UTC),  # 14:05:09 in Vietnam
    invoice_code="HD26000123",
    trip_code="7K3M9QXA",
    tractor_plate="12C-123.45",
    trailer_plate="12R-006.78",
    gate_name=Text(
        vi="Cửa khẩu quốc tế Hữu Nghị", zh="友谊关口岸", en="Huu Nghi International Border Gate"
    ),
    payer_name="Nguyễn Văn Đức",
    payer_tax_code="4900123456",
    enterprise_name="Công ty TNHH Vận tải Đồng Đăng",
    lines=(
        ReceiptLine(
            Text(
                vi="VT6, xuất khẩu, hàng thông thường",
                zh="VT6，出口，普通货物",
                en="VT6, export, ordinary goods",
            ),
            800_000,
        ),
    ),
    total_vnd=800_000,
    paid_via="VietQR — Vietcombank 970436, ref FT26327123456",
    legal_basis="Nghị quyết 09/2025/NQ-HĐND tỉnh Lạng Sơn",
    collector=Text(
        vi="Trung tâm Quản lý cửa khẩu tỉnh Lạng Sơn",
        zh="谅山省口岸管理中心",
        en="Lang Son Border Gate Management Center",
    ),
    verify_url=VERIFY_URL,
)


def text_of(pdf: bytes) -> str:
    """The page's text. pypdf reads fpdf2's two-byte codes as a NUL and a character; drop NULs."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\x00", "")


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_receipt_pdf(RECEIPT)


def test_it_is_a_one_page_a4_pdf(pdf):
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (
        210,
        297,
    )
    assert reader.metadata is not None
    assert "2026/000123" in (reader.metadata.title or "")


def test_the_fonts_are_embedded(pdf):
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    for font in page["/Resources"]["/Font"].values():
        descendant = font.get_object()["/DescendantFonts"][0].get_object()
        assert "NotoSansCJK" in descendant["/BaseFont"]
        assert "/FontFile3" in descendant["/FontDescriptor"]  # the CFF outlines, subset


def test_the_text_is_vietnamese_first_with_chinese_and_english(pdf):
    text = text_of(pdf)
    for expected in [
        "BIÊN LAI THU PHÍ SỬ DỤNG CÔNG TRÌNH KẾT CẤU HẠ TẦNG",
        "口岸基础设施使用费收据",
        "Số biên lai",
        "收据编号 / Receipt no.",
        "2026/000123",
        "23/11/2026 14:05:09",  # issued_at in Vietnam time
        "HD26000123",
        "7K3M9QXA",
        "12C-123.45",
        "12R-006.78",
        "Cửa khẩu quốc tế Hữu Nghị",
        "友谊关口岸",
        "Nguyễn Văn Đức",
        "4900123456",
        "Công ty TNHH Vận tải Đồng Đăng",
        "VT6, xuất khẩu, hàng thông thường",
        "普通货物",
        "800.000 đ",
        "Tổng cộng",
        "合计 / Total",
        "Tám trăm nghìn đồng",
        "VietQR — Vietcombank 970436, ref FT26327123456",
        "Nghị quyết 09/2025/NQ-HĐND tỉnh Lạng Sơn",
        "Trung tâm Quản lý cửa khẩu tỉnh Lạng Sơn",
        "谅山省口岸管理中心",
        "Biên lai điện tử — kiểm tra tại",
        VERIFY_URL,
    ]:
        assert expected in text, expected
    assert text.index("Biên lai điện tử") < text.index(VERIFY_URL)


def test_the_qr_drawn_is_the_verification_urls(pdf):
    """Rebuild the module grid from the filled rectangles and compare it with segno's."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    content = ContentStream(reader.pages[0].get_contents(), reader)
    pending: list[list[float]] = []
    runs: list[list[float]] = []
    for operands, operator in content.operations:
        if operator == b"re":
            pending.append([float(v) for v in operands])
        elif operator == b"f":
            runs += pending
        if operator in (b"f", b"S", b"n", b"B"):
            pending = []
    assert runs
    step = min(abs(h) for *_, h in runs)
    left = min(x for x, *_ in runs)
    top = max(y for _, y, *_ in runs)
    drawn: set[tuple[int, int]] = set()
    for x, y, w, _ in runs:
        row, column = round((top - y) / step), round((x - left) / step)
        drawn.update((row, column + i) for i in range(round(w / step)))
    expected = {
        (r, c)
        for r, row in enumerate(segno.make(VERIFY_URL, error="m").matrix_iter(border=0))
        for c, dark in enumerate(row)
        if dark
    }
    assert drawn == expected


def test_the_same_receipt_gives_the_same_pdf(pdf):
    assert render_receipt_pdf(RECEIPT) == pdf


def test_a_receipt_with_two_lines_and_no_trailer():
    receipt = replace(
        RECEIPT,
        trailer_plate="",
        lines=(
            ReceiptLine(Text(vi="VT4, nhập khẩu", zh="VT4，进口", en="VT4, import"), 300_000),
            ReceiptLine(
                Text(vi="Phụ thu giao hàng nội địa", zh="内地交货附加", en="Inland surcharge"),
                90_000,
            ),
        ),
        total_vnd=390_000,
    )
    text = text_of(render_receipt_pdf(receipt))
    assert "300.000 đ" in text and "90.000 đ" in text and "390.000 đ" in text
    assert "Ba trăm chín mươi nghìn đồng" in text
    assert "内地交货附加" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"issued_at": datetime(2026, 11, 23, 14, 5)}, "aware"),
        ({"total_vnd": 700_000}, "sum"),
        ({"lines": ()}, "at least one line"),
    ],
)
def test_an_inconsistent_receipt_is_refused(change, message):
    with pytest.raises(ValueError, match=message):
        render_receipt_pdf(replace(RECEIPT, **change))


@pytest.mark.parametrize(
    ("amount", "formatted"),
    [(0, "0 đ"), (5_000, "5.000 đ"), (800_000, "800.000 đ"), (4_000_000, "4.000.000 đ")],
)
def test_amounts_are_written_the_vietnamese_way(amount, formatted):
    assert format_vnd(amount) == formatted


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (15, "Mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (105, "Một trăm linh năm đồng"),
        (100_000, "Một trăm nghìn đồng"),
        (300_000, "Ba trăm nghìn đồng"),
        (800_000, "Tám trăm nghìn đồng"),
        (1_500_000, "Một triệu năm trăm nghìn đồng"),
        (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
        (2_010_000, "Hai triệu không trăm mười nghìn đồng"),
        (4_000_000, "Bốn triệu đồng"),
        (5_000_000, "Năm triệu đồng"),
        (1_000_250_000, "Một tỷ hai trăm năm mươi nghìn đồng"),
        (1_000_050_000, "Một tỷ không trăm năm mươi nghìn đồng"),
        (2_000_000_000_000, "Hai nghìn tỷ đồng"),
    ],
)
def test_the_total_in_words(amount, words):
    assert vnd_in_words(amount) == words


def test_fonts_are_found_on_this_system():
    fonts = find_fonts()
    assert fonts.regular.path.name.startswith("NotoSans")
    assert fonts.bold.path.name.startswith("NotoSans")
    if fonts.regular.path.suffix == ".ttc":  # Debian's collection: JP, KR, SC, TC, HK, mono…
        assert (fonts.regular.index, fonts.bold.index) == (2, 2)  # the simplified-Chinese face


def test_a_missing_font_names_the_debian_package(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(receipt_pdf, "FONT_DIRS", (str(tmp_path),))
    monkeypatch.delenv(receipt_pdf.FONT_DIRS_ENV, raising=False)
    receipt_pdf.system_fonts.cache_clear()
    try:
        with pytest.raises(FontNotFound, match=re.escape("fonts-noto-cjk")) as raised:
            render_receipt_pdf(RECEIPT)
        assert str(tmp_path) in str(raised.value)
    finally:
        receipt_pdf.system_fonts.cache_clear()


def test_the_font_directory_can_be_named(tmp_path: Path, monkeypatch):
    found = find_fonts()
    (tmp_path / "noto").mkdir()
    (tmp_path / "noto" / found.regular.path.name).symlink_to(found.regular.path)
    monkeypatch.setenv(receipt_pdf.FONT_DIRS_ENV, str(tmp_path))
    monkeypatch.setattr(receipt_pdf, "FONT_DIRS", ())
    fonts = find_fonts()
    assert fonts.regular.path.parent == tmp_path / "noto"
    assert fonts.bold == fonts.regular  # no bold face there: the regular one stands in


def test_a_long_receipt_breaks_between_rows():
    lines = tuple(
        ReceiptLine(
            Text(vi=f"Dòng {i}, tạm nhập tái xuất", zh="暂时进口复出口", en="re-export"), 400_000
        )
        for i in range(1, 16)
    )
    pdf = render_receipt_pdf(replace(RECEIPT, lines=lines, total_vnd=6_000_000))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    last = reader.pages[1].extract_text().replace("\x00", "")
    assert "Dòng 15, tạm nhập tái xuất" in last and "6.000.000 đ" in last and VERIFY_URL in last
    first = reader.pages[0].extract_text().replace("\x00", "")
    assert first.count("400.000 đ") == sum(f"Dòng {i}," in first for i in range(1, 16))
