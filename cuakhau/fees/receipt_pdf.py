"""The receipt for the infrastructure fee as a PDF (domain.md §7). Pure Python: no Django.

An A4 page: Vietnamese first, with the Chinese and English label under each Vietnamese one, the
trip and payer, the fee lines, the total in figures and in Vietnamese words, how it was paid, the
legal basis, and a QR code (drawn as vector squares) for the public verification page.

The fonts are the system's, never copied into the repository: Noto Sans CJK (Debian package
``fonts-noto-cjk``) covers Vietnamese and Chinese alike. fpdf2 reads its TrueType collection and
CFF outlines and embeds a subset. The simplified-Chinese face is picked from the collection by
name. Directories in ``CUAKHAU_FONT_DIRS`` (``os.pathsep``-separated) are searched before the
usual ones.

The output is deterministic: the PDF's dates come from ``issued_at``, so the same receipt gives
the same bytes.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]
from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos

from cuakhau.core.text import Text

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
FONT_PACKAGE = "fonts-noto-cjk"
FONT_DIRS_ENV = "CUAKHAU_FONT_DIRS"
FONT_DIRS: tuple[str, ...] = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
)
FONT_FAMILY = (
    "Noto Sans CJK SC"  # the simplified-Chinese face: Chinese glyphs as written in Guangxi
)
# Best first: Debian's collections, then single-face builds of the same font.
REGULAR_FILES = ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf")
BOLD_FILES = ("NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold.otf", "NotoSansSC-Bold.otf")

TITLE = Text(
    vi="BIÊN LAI THU PHÍ SỬ DỤNG CÔNG TRÌNH KẾT CẤU HẠ TẦNG",
    zh="口岸基础设施使用费收据",
    en="Receipt for the border gate infrastructure fee",
)
ELECTRONIC = Text(vi="Biên lai điện tử", zh="电子收据", en="Electronic receipt")
VERIFY = Text(
    vi="Biên lai điện tử — kiểm tra tại:",
    zh="电子收据 — 请扫描二维码或访问以下网址核验：",
    en="Electronic receipt — verify at:",
)
NUMBER = Text(vi="Số biên lai", zh="收据编号", en="Receipt no.")
ISSUED_AT = Text(vi="Thời điểm thu", zh="收费时间", en="Issued at")
GATE = Text(vi="Cửa khẩu", zh="口岸", en="Border gate")
INVOICE = Text(vi="Mã hoá đơn", zh="账单编号", en="Invoice code")
TRIP = Text(vi="Mã chuyến", zh="车次编号", en="Trip code")
TRACTOR = Text(vi="Biển số đầu kéo", zh="牵引车车牌", en="Tractor plate")
TRAILER = Text(vi="Biển số rơ moóc", zh="挂车车牌", en="Trailer plate")
PAYER = Text(vi="Người nộp phí", zh="缴费人", en="Payer")
TAX_CODE = Text(vi="Mã số thuế", zh="纳税人识别号", en="Tax code")
ENTERPRISE = Text(vi="Doanh nghiệp", zh="企业", en="Enterprise")
ROW_NO = Text(vi="STT", zh="序号", en="No.")
ITEM = Text(vi="Nội dung thu", zh="收费项目", en="Item")
AMOUNT = Text(vi="Số tiền", zh="金额", en="Amount")
TOTAL = Text(vi="Tổng cộng", zh="合计", en="Total")
IN_WORDS = Text(vi="Bằng chữ", zh="金额大写", en="In words")
PAID_VIA = Text(vi="Hình thức thanh toán", zh="支付方式", en="Paid via")
LEGAL_BASIS = Text(vi="Căn cứ thu phí", zh="收费依据", en="Legal basis")
COLLECTOR = Text(vi="Đơn vị thu phí", zh="收费单位", en="Collected by")
VIETNAM_TIME = "giờ Việt Nam, UTC+7"
NONE = "—"


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    label: Text
    amount_vnd: int


@dataclass(frozen=True, slots=True)
class ReceiptData:
    number: str
    issued_at: datetime
    invoice_code: str
    trip_code: str
    tractor_plate: str
    trailer_plate: str
    gate_name: Text
    payer_name: str
    payer_tax_code: str
    enterprise_name: str
    lines: Sequence[ReceiptLine]
    total_vnd: int
    paid_via: str
    legal_basis: str
    collector: Text
    verify_url: str


class FontNotFound(RuntimeError):
    """No font on this system can print Vietnamese and Chinese."""


@dataclass(frozen=True, slots=True)
class FontFace:
    path: Path
    index: int = 0  # the face within a TrueType collection (.ttc)


@dataclass(frozen=True, slots=True)
class ReceiptFonts:
    regular: FontFace
    bold: FontFace


# ---------------------------------------------------------------------------------------------
# Amounts


def format_vnd(amount: int) -> str:
    """The Vietnamese way: dots between thousands, then the đồng sign: ``800.000 đ``."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,} đ".replace(",", ".")


_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def _hundreds(n: int, *, inner: bool) -> list[str]:
    """0 < n < 1000 read aloud; ``inner`` after a higher group: 5 → "không trăm linh năm"."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or inner:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        else:
            words.append(_DIGITS[units])
    return words


def _below_billion(n: int, *, inner: bool) -> list[str]:
    words: list[str] = []
    for group, unit in ((n // 1_000_000, "triệu"), (n // 1000 % 1000, "nghìn"), (n % 1000, "")):
        if group:
            words += _hundreds(group, inner=inner or bool(words))
            if unit:
                words.append(unit)
    return words


def _number_words(n: int) -> list[str]:
    if n >= 1_000_000_000:
        words = [*_number_words(n // 1_000_000_000), "tỷ"]
        if n % 1_000_000_000:
            words += _below_billion(n % 1_000_000_000, inner=True)
        return words
    return _below_billion(n, inner=False)


def vnd_in_words(amount: int) -> str:
    """The amount in Vietnamese words: ``800000`` → ``"Tám trăm nghìn đồng"``."""
    if amount < 0:
        raise ValueError("a receipt amount cannot be negative")
    text = " ".join(_number_words(amount)) if amount else "không"
    return f"{text[0].upper()}{text[1:]} đồng"


# ---------------------------------------------------------------------------------------------
# Fonts


def font_dirs() -> list[Path]:
    extra = [d for d in os.environ.get(FONT_DIRS_ENV, "").split(os.pathsep) if d]
    return [Path(d).expanduser() for d in (*extra, *FONT_DIRS)]


def _find_file(names: Sequence[str], dirs: Sequence[Path]) -> Path | None:
    for name in names:
        for directory in dirs:
            if directory.is_dir():
                found = sorted(directory.rglob(name))
                if found:
                    return found[0]
    return None


def _face(path: Path) -> FontFace:
    """A single font, or the face of a collection whose family is ``FONT_FAMILY``."""
    if path.suffix.lower() != ".ttc":
        return FontFace(path)
    collection = TTCollection(str(path), lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            names = font["name"]
            if FONT_FAMILY in (names.getDebugName(1), names.getDebugName(16)):
                return FontFace(path, index)
    finally:
        collection.close()
    return FontFace(path, 0)


def find_fonts(dirs: Sequence[Path] | None = None) -> ReceiptFonts:
    """Noto Sans CJK (regular and bold) in ``dirs``; ``FontNotFound`` says what to install."""
    search = list(dirs) if dirs is not None else font_dirs()
    regular = _find_file(REGULAR_FILES, search)
    if regular is None:
        raise FontNotFound(
            f"No font for Vietnamese and Chinese receipts: none of {', '.join(REGULAR_FILES)} "
            f"under {', '.join(str(d) for d in search)}. Install the Debian package "
            f"{FONT_PACKAGE} (apt-get install {FONT_PACKAGE}) or name a directory holding "
            f"Noto Sans CJK in {FONT_DIRS_ENV}."
        )
    bold = _find_file(BOLD_FILES, search)
    face = _face(regular)
    return ReceiptFonts(regular=face, bold=_face(bold) if bold else face)


@functools.cache
def system_fonts() -> ReceiptFonts:
    """``find_fonts()`` once per process (scanning /usr/share/fonts takes a moment)."""
    return find_fonts()


# ---------------------------------------------------------------------------------------------
# Layout

FONT = "receipt"
PAGE_MARGIN = 15.0  # mm
LABEL_WIDTH = 45.0
ROW_GAP = 1.6
INK = (20, 20, 20)
MUTED = (105, 105, 105)
RULE = (170, 170, 170)
QR_SIZE = 36.0
QR_QUIET = 4  # modules of white around the code


@dataclass(frozen=True, slots=True)
class Field:
    label: Text
    value: str
    note: str = ""  # under the value, smaller: the Chinese and English of a name
    bold: bool = False


class _Page:
    def __init__(self, fonts: ReceiptFonts) -> None:
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_margins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
        pdf.set_auto_page_break(auto=True, margin=PAGE_MARGIN)
        pdf.c_margin = 0
        pdf.add_font(FONT, "", str(fonts.regular.path), collection_font_number=fonts.regular.index)
        pdf.add_font(FONT, "B", str(fonts.bold.path), collection_font_number=fonts.bold.index)
        pdf.add_page()
        self.pdf = pdf
        self.left = PAGE_MARGIN
        self.width = pdf.w - 2 * PAGE_MARGIN

    def text(
        self,
        x: float,
        y: float,
        width: float,
        text: str,
        *,
        size: float,
        bold: bool = False,
        color: tuple[int, int, int] = INK,
        align: Align = Align.L,
    ) -> float:
        """Write ``text`` wrapped into ``width`` at (x, y); the y below it."""
        pdf = self.pdf
        pdf.set_font(FONT, "B" if bold else "", size)
        pdf.set_text_color(*color)
        pdf.set_xy(x, y)
        pdf.multi_cell(
            width,
            size * 0.46,  # mm per line: 1.3 × the size in points
            text,
            align=align,
            new_x=XPos.LEFT,
            new_y=YPos.NEXT,
            wrapmode=WrapMode.CHAR if _no_spaces(text) else WrapMode.WORD,
        )
        return pdf.get_y()

    def label(
        self,
        x: float,
        y: float,
        width: float,
        label: Text,
        *,
        size: float = 9.5,
        align: Align = Align.L,
    ) -> float:
        """A Vietnamese label in bold, the Chinese and English one under it, smaller and grey."""
        y = self.text(x, y, width, label.vi, size=size, bold=True, align=align)
        second = f"{label.zh} / {label.en}"
        return self.text(x, y, width, second, size=size * 0.78, color=MUTED, align=align)

    def room(self, height: float) -> float:
        """The y to write at: a new page if ``height`` would not fit (rows never split)."""
        if self.pdf.get_y() + height > self.pdf.h - PAGE_MARGIN:
            self.pdf.add_page()
        return self.pdf.get_y()

    def row(self, *fields: Field) -> None:
        """Fields side by side, each a label and its value, on a grid of ``LABEL_WIDTH``."""
        y = self.room(12)
        share = self.width / len(fields)
        bottom = y
        for column, field in enumerate(fields):
            x = self.left + column * share
            x_value, width = x + LABEL_WIDTH, share - LABEL_WIDTH - 3
            bottom = max(bottom, self.label(x, y, LABEL_WIDTH - 3, field.label))
            below = self.text(x_value, y, width, field.value or NONE, size=10.5, bold=field.bold)
            if field.note:
                below = self.text(x_value, below, width, field.note, size=8, color=MUTED)
            bottom = max(bottom, below)
        self.pdf.set_y(bottom + ROW_GAP)

    def rule(self, *, weight: float = 0.2, color: tuple[int, int, int] = RULE) -> None:
        y = self.pdf.get_y()
        self.pdf.set_draw_color(*color)
        self.pdf.set_line_width(weight)
        self.pdf.line(self.left, y, self.left + self.width, y)
        self.pdf.set_y(y + ROW_GAP)

    def qr(self, x: float, y: float, size: float, data: str) -> None:
        """The QR code as filled rectangles (one per run of dark modules): sharp at any zoom."""
        code = segno.make(data, error="m")
        modules = code.symbol_size(border=QR_QUIET)[0]
        step = size / modules
        self.pdf.set_fill_color(0, 0, 0)
        for row, start, length in _dark_runs(code):
            self.pdf.rect(
                x + (start + QR_QUIET) * step,
                y + (row + QR_QUIET) * step,
                length * step,
                step,
                style="F",
            )


def _no_spaces(text: str) -> bool:
    return " " not in text.strip()


def _dark_runs(code: segno.QRCode) -> Iterator[tuple[int, int, int]]:
    """(row, first column, length) of each horizontal run of dark modules, without border."""
    for row, modules in enumerate(code.matrix_iter(border=0)):
        start: int | None = None
        for column, dark in enumerate([*modules, 0]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                yield row, start, column - start
                start = None


def _check(receipt: ReceiptData) -> None:
    if receipt.issued_at.tzinfo is None or receipt.issued_at.utcoffset() is None:
        raise ValueError("issued_at must be an aware datetime")
    if not receipt.lines:
        raise ValueError("a receipt needs at least one line")
    if any(line.amount_vnd < 0 for line in receipt.lines):
        raise ValueError("a receipt line cannot be negative")
    if sum(line.amount_vnd for line in receipt.lines) != receipt.total_vnd:
        raise ValueError("the receipt's total is not the sum of its lines")


def render_receipt_pdf(receipt: ReceiptData, *, fonts: ReceiptFonts | None = None) -> bytes:
    """The receipt as an A4 PDF (one page unless it has a great many lines).

    ``fonts`` defaults to the system's Noto Sans CJK (``FontNotFound`` if there is none).
    ``ValueError`` if the receipt does not add up or ``issued_at`` is naive.
    """
    _check(receipt)
    page = _Page(fonts or system_fonts())
    pdf = page.pdf
    issued = receipt.issued_at.astimezone(VIETNAM)
    pdf.set_creation_date(receipt.issued_at)
    pdf.set_lang("vi")
    pdf.set_title(f"{TITLE.vi} — {receipt.number}")
    pdf.set_subject(f"{TITLE.en} {receipt.number}")
    pdf.set_author(receipt.collector.vi)
    pdf.set_creator("Cửa khẩu số")

    left, width = page.left, page.width

    # The collector, and the receipt number on the right.
    top = pdf.get_y()
    number_width = 55.0
    y = page.text(left, top, width - number_width - 5, receipt.collector.vi, size=10, bold=True)
    y = page.text(left, y, width - number_width - 5, receipt.collector.zh, size=8.5, color=MUTED)
    y = page.text(left, y, width - number_width - 5, receipt.collector.en, size=8.5, color=MUTED)
    right = left + width - number_width
    y_number = page.text(
        right,
        top,
        number_width,
        f"{NUMBER.vi} / {NUMBER.zh} / {NUMBER.en}",
        size=7.5,
        color=MUTED,
        align=Align.R,
    )
    y_number = page.text(
        right, y_number, number_width, receipt.number, size=13, bold=True, align=Align.R
    )
    pdf.set_y(max(y, y_number) + 3)
    page.rule(weight=0.5, color=INK)

    # The title.
    y = pdf.get_y() + 2
    y = page.text(left, y, width, TITLE.vi, size=14, bold=True, align=Align.C)
    y = page.text(left, y + 0.5, width, TITLE.zh, size=11.5, align=Align.C)
    y = page.text(left, y, width, TITLE.en, size=10, align=Align.C)
    subtitle = f"({ELECTRONIC.vi} / {ELECTRONIC.zh} / {ELECTRONIC.en})"
    y = page.text(left, y + 0.5, width, subtitle, size=8, color=MUTED, align=Align.C)
    pdf.set_y(y + 4)

    # Who, what, when.
    gate = receipt.gate_name
    page.row(Field(ISSUED_AT, f"{issued:%d/%m/%Y %H:%M:%S} ({VIETNAM_TIME})"))
    page.row(Field(GATE, gate.vi, f"{gate.zh} · {gate.en}"))
    page.row(Field(TRIP, receipt.trip_code, bold=True), Field(INVOICE, receipt.invoice_code))
    page.row(
        Field(TRACTOR, receipt.tractor_plate, bold=True),
        Field(TRAILER, receipt.trailer_plate, bold=True),
    )
    page.row(Field(PAYER, receipt.payer_name), Field(TAX_CODE, receipt.payer_tax_code))
    page.row(Field(ENTERPRISE, receipt.enterprise_name))
    pdf.set_y(pdf.get_y() + 2)

    # The lines.
    no_width, amount_width = 14.0, 42.0
    item_x = left + no_width
    item_width = width - no_width - amount_width - 4
    amount_x = left + width - amount_width
    page.rule(weight=0.4, color=INK)
    y = pdf.get_y()
    bottom = max(
        page.label(left, y, no_width - 2, ROW_NO, size=9),
        page.label(item_x, y, item_width, ITEM, size=9),
        page.label(amount_x, y, amount_width, AMOUNT, size=9, align=Align.R),
    )
    pdf.set_y(bottom + 1)
    page.rule()
    for index, line in enumerate(receipt.lines, start=1):
        y = page.room(16)
        page.text(left, y, no_width - 2, str(index), size=10)
        below = page.text(item_x, y, item_width, line.label.vi, size=10)
        below = page.text(
            item_x, below, item_width, f"{line.label.zh} · {line.label.en}", size=8, color=MUTED
        )
        page.text(amount_x, y, amount_width, format_vnd(line.amount_vnd), size=10, align=Align.R)
        pdf.set_y(below + 1)
        page.rule()
    y = page.room(14)
    below = page.text(item_x, y, item_width, TOTAL.vi, size=11, bold=True)
    below = page.text(item_x, below, item_width, f"{TOTAL.zh} / {TOTAL.en}", size=8.5, color=MUTED)
    page.text(
        amount_x,
        y,
        amount_width,
        format_vnd(receipt.total_vnd),
        size=12,
        bold=True,
        align=Align.R,
    )
    pdf.set_y(below + 1)
    page.rule(weight=0.4, color=INK)
    page.row(Field(IN_WORDS, f"{vnd_in_words(receipt.total_vnd)}."))
    pdf.set_y(pdf.get_y() + 1)

    # How and under which rule it was paid, and to whom.
    collector = receipt.collector
    page.row(Field(PAID_VIA, receipt.paid_via))
    page.row(Field(LEGAL_BASIS, receipt.legal_basis))
    page.row(Field(COLLECTOR, collector.vi, f"{collector.zh} · {collector.en}"))
    pdf.set_y(pdf.get_y() + 2)
    page.rule()

    # The QR for the verification page, the address printed under it.
    y = page.room(QR_SIZE + 6) + 1
    page.qr(left + width - QR_SIZE, y, QR_SIZE, receipt.verify_url)
    text_width = width - QR_SIZE - 6
    below = page.text(left, y + 6, text_width, VERIFY.vi, size=10, bold=True)
    below = page.text(left, below, text_width, VERIFY.zh, size=8.5, color=MUTED)
    page.text(left, below, text_width, VERIFY.en, size=8.5, color=MUTED)
    page.text(left, y + QR_SIZE, width, receipt.verify_url, size=9, align=Align.R)
    return bytes(pdf.output())
