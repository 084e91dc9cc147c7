"""Validation and normalisation of the identifiers a border crossing is made of.

Pure Python (no Django): vehicle plates (Vietnamese and Chinese), ISO 6346 container numbers,
HS codes (Vietnam's 8 digits, checked against the HS 2022 subheadings in ``data/hs2022.csv``),
VNACCS customs declaration numbers, tax codes, seal numbers, phone numbers and identity
documents. Every function returns the canonical form used for storage and matching, or raises
:class:`IdentifierError` with a stable ``code`` and a message in Vietnamese, English and Chinese
that names the bad value and says what is expected. The rules are those of domain.md §12.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

from stdnum import iso6346
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError
from stdnum.vn import mst

from cuakhau.core.errors import FieldError
from cuakhau.core.text import Text

__all__ = [
    "CN_PROVINCES",
    "ERROR_CODES",
    "VN_SERIES_LETTERS",
    "VN_SPECIAL_SERIES",
    "IdentifierError",
    "Plate",
    "hs_chapter",
    "normalize_plate_text",
    "parse_cn_plate",
    "parse_plate",
    "parse_vn_plate",
    "validate_container_number",
    "validate_customs_declaration_number",
    "validate_hs_code",
    "validate_person_id",
    "validate_phone",
    "validate_seal_number",
    "validate_tax_code",
]

# ---------------------------------------------------------------------------------------------
# Messages. Keys are error codes, or "code:variant" when one code has several wordings.
# ---------------------------------------------------------------------------------------------

_LABELS: dict[str, Text] = {
    "plate": Text("biển số xe", "plate number", "车牌号"),
    "country": Text("quốc gia của biển số", "plate country", "车牌所属国家"),
    "container": Text("số container", "container number", "集装箱号"),
    "hs": Text("mã HS", "HS code", "HS编码"),
    "declaration": Text("số tờ khai hải quan", "customs declaration number", "报关单号"),
    "tax_code": Text("mã số thuế", "tax code", "税号"),
    "seal": Text("số niêm phong", "seal number", "封条号"),
    "phone": Text("số điện thoại", "phone number", "电话号码"),
    "person_id": Text("số giấy tờ tùy thân", "identity document number", "证件号码"),
}

_MESSAGES: dict[str, Text] = {
    "required": Text(
        "Chưa nhập {label}.",
        "The {label} is missing.",
        "未填写{label}。",
    ),
    # Plates, both countries
    "plate_country": Text(
        "Quốc gia biển số {value} không được hỗ trợ: chỉ nhận biển số Việt Nam (VN) hoặc"
        " Trung Quốc (CN).",
        "Plate country {value} is not supported: only Vietnamese (VN) and Chinese (CN) plates"
        " are accepted.",
        "不支持车牌国家 {value}：仅接受越南（VN）或中国（CN）车牌。",
    ),
    "plate_not_trailer:VN": Text(
        "Biển số {value} không phải biển rơ-moóc: biển rơ-moóc và sơ-mi rơ-moóc Việt Nam có"
        " sê-ri R, ví dụ 51R-141.39.",
        "Plate {value} is not a trailer plate: Vietnamese trailer and semi-trailer plates use"
        " series R, e.g. 51R-141.39.",
        "车牌 {value} 不是挂车号牌：越南挂车和半挂车号牌使用系列字母 R，例如 51R-141.39。",
    ),
    "plate_not_trailer:CN": Text(
        "Biển số {value} không phải biển rơ-moóc: biển rơ-moóc Trung Quốc kết thúc bằng chữ 挂,"
        " ví dụ 桂F·1234挂.",
        "Plate {value} is not a trailer plate: Chinese trailer plates end in 挂, e.g. 桂F·1234挂.",
        "车牌 {value} 不是挂车号牌：中国挂车号牌以“挂”字结尾，例如 桂F·1234挂。",
    ),
    "plate_is_trailer:VN": Text(
        "Biển số {value} là biển rơ-moóc (sê-ri R): ở đây hãy nhập biển số đầu kéo hoặc xe tải;"
        " biển rơ-moóc nhập vào ô rơ-moóc.",
        "Plate {value} is a trailer plate (series R): enter the tractor or truck plate here and"
        " the trailer plate in the trailer field.",
        "车牌 {value} 是挂车号牌（系列 R）：此处请填写牵引车或货车号牌，挂车号牌请填在挂车栏。",
    ),
    "plate_is_trailer:CN": Text(
        "Biển số {value} là biển rơ-moóc (kết thúc bằng 挂): ở đây hãy nhập biển số đầu kéo hoặc"
        " xe tải; biển rơ-moóc nhập vào ô rơ-moóc.",
        "Plate {value} is a trailer plate (it ends in 挂): enter the tractor or truck plate here"
        " and the trailer plate in the trailer field.",
        "车牌 {value} 是挂车号牌（以“挂”结尾）：此处请填写牵引车或货车号牌，挂车号牌请填在挂车栏。",
    ),
    # Vietnamese plates
    "vn_plate_format": Text(
        "Biển số {value} không đúng dạng biển số Việt Nam: cần 2 chữ số mã địa phương, sê-ri"
        " rồi 5 chữ số (biển cũ 4 chữ số), ví dụ 12C-123.45.",
        "Plate {value} is not a Vietnamese plate: expected a 2-digit locality code, the series"
        " and 5 digits (4 on old plates), e.g. 12C-123.45.",
        "车牌 {value} 不符合越南车牌格式：应为2位地区代码、系列字母和5位数字（旧车牌为4位），"
        "例如 12C-123.45。",
    ),
    "vn_plate_locality": Text(
        "Biển số {value} có mã địa phương {locality} không hợp lệ: mã địa phương là số từ 11"
        " đến 99 (Lạng Sơn là 12).",
        "Plate {value} has an invalid locality code {locality}: it must be a number from 11"
        " to 99 (Lạng Sơn is 12).",
        "车牌 {value} 的地区代码 {locality} 无效：应为11至99之间的数字（谅山为12）。",
    ),
    "vn_plate_series": Text(
        "Biển số {value} có chữ {letter} trong sê-ri, chữ này không được dùng: sê-ri chỉ dùng"
        " các chữ {allowed}; riêng chữ R chỉ dùng cho rơ-moóc (ví dụ 51R-141.39).",
        "Plate {value} has the letter {letter} in its series, which is not allowed: series"
        " letters are {allowed}; R is used alone, for trailers only (e.g. 51R-141.39).",
        "车牌 {value} 的系列中含有不允许的字母 {letter}：系列字母只能是 {allowed}；"
        "R 仅单独用于挂车（例如 51R-141.39）。",
    ),
    "vn_plate_number": Text(
        "Biển số {value} phải có 5 chữ số sau sê-ri (biển cũ 4 chữ số), ví dụ 12C-123.45 hoặc"
        " 12C-1234.",
        "Plate {value} must have 5 digits after the series (4 on old plates), e.g. 12C-123.45"
        " or 12C-1234.",
        "车牌 {value} 的系列字母之后应有5位数字（旧车牌为4位），例如 12C-123.45 或 12C-1234。",
    ),
    # Chinese plates
    "cn_plate_province_missing": Text(
        "Biển số {value} thiếu chữ Hán viết tắt tên tỉnh ở đầu: biển số Trung Quốc bắt đầu bằng"
        " chữ tỉnh, ví dụ 桂F·12345 (桂 là Quảng Tây).",
        "Plate {value} lacks the province character: Chinese plates start with the province"
        " character, e.g. 桂F·12345 (桂 is Guangxi).",
        "车牌 {value} 缺少省份简称：中国车牌以省份汉字开头，例如 桂F·12345（桂为广西）。",
    ),
    "cn_plate_province": Text(
        "Biển số {value} bắt đầu bằng {char}, không phải chữ viết tắt tên tỉnh của Trung Quốc:"
        " chữ đầu phải là một trong {provinces}.",
        "Plate {value} starts with {char}, which is not a Chinese province character: the first"
        " character must be one of {provinces}.",
        "车牌 {value} 的首字 {char} 不是省份简称：首字应为 {provinces} 之一。",
    ),
    "cn_plate_authority": Text(
        "Biển số {value} phải có một chữ cái Latin (A–Z) ngay sau chữ tỉnh, ví dụ 桂F·12345.",
        "Plate {value} must have a Latin letter (A–Z) right after the province character,"
        " e.g. 桂F·12345.",
        "车牌 {value} 的省份简称之后应为一个英文字母（A–Z），例如 桂F·12345。",
    ),
    "cn_plate_letter_io": Text(
        "Biển số {value} có chữ I hoặc O: biển số Trung Quốc không dùng hai chữ này (dễ nhầm"
        " với số 1 và 0).",
        "Plate {value} contains the letter I or O, which Chinese plates never use (they are"
        " easily confused with 1 and 0).",
        "车牌 {value} 含有字母 I 或 O：中国车牌不使用这两个字母（易与数字1和0混淆）。",
    ),
    "cn_plate_format": Text(
        "Biển số {value} không đúng dạng biển số Trung Quốc: sau chữ tỉnh và chữ cái cần 5 chữ"
        " cái hoặc chữ số (xe năng lượng mới: 6, bắt đầu hoặc kết thúc bằng D hoặc F; rơ-moóc:"
        " 4 và chữ 挂), ví dụ 桂F·12345.",
        "Plate {value} is not a Chinese plate: after the province character and the letter come"
        " 5 letters or digits (new-energy plates: 6, starting or ending with D or F; trailers:"
        " 4 and 挂), e.g. 桂F·12345.",
        "车牌 {value} 不符合中国车牌格式：省份简称和字母之后应为5位字母或数字（新能源车牌为6位，"
        "首位或末位为D或F；挂车为4位加“挂”），例如 桂F·12345。",
    ),
    # Containers
    "container_length": Text(
        "Số container {value} có {length} ký tự: số container phải có đúng 11 ký tự (4 chữ cái"
        " và 7 chữ số), ví dụ CSQU3054383.",
        "Container number {value} has {length} characters: it must have exactly 11 (4 letters"
        " and 7 digits), e.g. CSQU3054383.",
        "集装箱号 {value} 有 {length} 个字符：应为11位（4个字母加7位数字），例如 CSQU3054383。",
    ),
    "container_format": Text(
        "Số container {value} không đúng dạng: cần 4 chữ cái rồi 7 chữ số, ví dụ CSQU3054383.",
        "Container number {value} is not in the right form: 4 letters then 7 digits, e.g."
        " CSQU3054383.",
        "集装箱号 {value} 格式错误：应为4个字母加7位数字，例如 CSQU3054383。",
    ),
    "container_category": Text(
        "Số container {value} có chữ thứ tư là {letter}: chữ này phải là U (container chở hàng),"
        " J (thiết bị rời gắn vào container) hoặc Z (rơ-moóc, khung xe).",
        "Container number {value} has {letter} as its fourth letter: it must be U (freight"
        " container), J (detachable equipment) or Z (trailer or chassis).",
        "集装箱号 {value} 的第四个字母是 {letter}：应为 U（货运集装箱）、J（可拆卸设备）"
        "或 Z（拖车或底盘车）。",
    ),
    "container_check_digit": Text(
        "Số container {value} sai số kiểm tra: số cuối phải là {expected}.",
        "Container number {value} has a wrong check digit: the last digit should be {expected}.",
        "集装箱号 {value} 校验位错误：最后一位应为 {expected}。",
    ),
    # HS codes
    "hs_format": Text(
        "Mã HS {value} chỉ được gồm chữ số (có thể viết 0810.60.00), ví dụ 08106000.",
        "HS code {value} must contain digits only (0810.60.00 is fine too), e.g. 08106000.",
        "HS编码 {value} 只能包含数字（也可写作 0810.60.00），例如 08106000。",
    ),
    "hs_length": Text(
        "Mã HS {value} có {length} chữ số: Việt Nam dùng mã HS 8 chữ số, ví dụ 0810.60.00.",
        "HS code {value} has {length} digits: Vietnam uses 8-digit HS codes, e.g. 0810.60.00.",
        "HS编码 {value} 有 {length} 位数字：越南使用8位HS编码，例如 0810.60.00。",
    ),
    "hs_unknown:chapter": Text(
        "Mã HS {value} không tồn tại: danh mục HS 2022 không có chương {chapter}.",
        "HS code {value} does not exist: there is no chapter {chapter} in HS 2022.",
        "HS编码 {value} 不存在：HS 2022 中没有第 {chapter} 章。",
    ),
    "hs_unknown:heading": Text(
        "Mã HS {value} không tồn tại: chương {chapter} không có nhóm {heading} trong danh mục"
        " HS 2022.",
        "HS code {value} does not exist: chapter {chapter} has no heading {heading} in HS 2022.",
        "HS编码 {value} 不存在：HS 2022 第 {chapter} 章中没有品目 {heading}。",
    ),
    "hs_unknown:subheading": Text(
        "Mã HS {value} không tồn tại: nhóm {heading} (chương {chapter}) không có phân nhóm"
        " {subheading} trong danh mục HS 2022.",
        "HS code {value} does not exist: heading {heading} (chapter {chapter}) has no"
        " subheading {subheading} in HS 2022.",
        "HS编码 {value} 不存在：HS 2022 品目 {heading}（第 {chapter} 章）下没有子目 {subheading}。",
    ),
    # VNACCS declarations
    "declaration_format": Text(
        "Số tờ khai hải quan {value} chỉ được gồm chữ số: số tờ khai VNACCS có 12 chữ số, ví dụ"
        " 103456789012.",
        "Customs declaration number {value} must contain digits only: VNACCS numbers have 12"
        " digits, e.g. 103456789012.",
        "报关单号 {value} 只能包含数字：VNACCS 报关单号为12位数字，例如 103456789012。",
    ),
    "declaration_length": Text(
        "Số tờ khai hải quan {value} có {length} chữ số: số tờ khai VNACCS có đúng 12 chữ số,"
        " ví dụ 103456789012.",
        "Customs declaration number {value} has {length} digits: VNACCS numbers have exactly"
        " 12, e.g. 103456789012.",
        "报关单号 {value} 有 {length} 位数字：VNACCS 报关单号应为12位，例如 103456789012。",
    ),
    # Tax codes
    "tax_code_format:VN": Text(
        "Mã số thuế {value} chỉ được gồm chữ số: mã số thuế Việt Nam có 10 chữ số, hoặc 13 chữ"
        " số với đơn vị phụ thuộc (ví dụ 0100109106-001).",
        "Tax code {value} must contain digits only: Vietnamese tax codes have 10 digits, or 13"
        " for a branch (e.g. 0100109106-001).",
        "税号 {value} 只能包含数字：越南税号为10位数字，分支机构为13位（例如 0100109106-001）。",
    ),
    "tax_code_length:VN": Text(
        "Mã số thuế {value} có {length} chữ số: mã số thuế Việt Nam có 10 chữ số, hoặc 13 chữ"
        " số với đơn vị phụ thuộc (ví dụ 0100109106-001).",
        "Tax code {value} has {length} digits: Vietnamese tax codes have 10 digits, or 13 for"
        " a branch (e.g. 0100109106-001).",
        "税号 {value} 有 {length} 位数字：越南税号为10位数字，分支机构为13位"
        "（例如 0100109106-001）。",
    ),
    "tax_code_invalid:VN": Text(
        "Mã số thuế {value} không hợp lệ: chữ số thứ 3 đến 9 không thể đều bằng 0 và mã đơn vị"
        " phụ thuộc không thể là 000.",
        "Tax code {value} is not valid: digits 3 to 9 cannot all be 0 and a branch suffix"
        " cannot be 000.",
        "税号 {value} 无效：第3至9位不能全为0，分支机构代码不能为000。",
    ),
    "tax_code_check_digit:VN": Text(
        "Mã số thuế {value} sai số kiểm tra: chữ số thứ 10 phải là {expected}.",
        "Tax code {value} has a wrong check digit: the 10th digit should be {expected}.",
        "税号 {value} 校验位错误：第10位应为 {expected}。",
    ),
    "tax_code_check_digit:VN_none": Text(
        "Mã số thuế {value} không hợp lệ: không có mã số thuế nào bắt đầu bằng 9 chữ số"
        " {prefix}; hãy kiểm tra lại.",
        "Tax code {value} is not valid: no tax code can start with the 9 digits {prefix};"
        " please check it.",
        "税号 {value} 无效：不存在以 {prefix} 这9位数字开头的税号，请核对。",
    ),
    "tax_code_length:CN": Text(
        "Mã số thuế {value} có {length} ký tự: mã tín dụng xã hội thống nhất của Trung Quốc có"
        " đúng 18 ký tự, ví dụ 91110000600037341L.",
        "Tax code {value} has {length} characters: a Chinese unified social credit code has"
        " exactly 18, e.g. 91110000600037341L.",
        "税号 {value} 有 {length} 个字符：统一社会信用代码应为18位，例如 91110000600037341L。",
    ),
    "tax_code_format:CN": Text(
        "Mã số thuế {value} không đúng dạng mã tín dụng xã hội thống nhất của Trung Quốc: 8 ký"
        " tự đầu là chữ số, các ký tự còn lại là chữ số hoặc chữ cái (không dùng I, O, S, V, Z).",
        "Tax code {value} is not a Chinese unified social credit code: the first 8 characters"
        " are digits, the rest digits or letters (never I, O, S, V or Z).",
        "税号 {value} 不符合统一社会信用代码格式：前8位为数字，其余为数字或大写字母"
        "（不使用 I、O、S、V、Z）。",
    ),
    "tax_code_check_digit:CN": Text(
        "Mã số thuế {value} sai ký tự kiểm tra: ký tự cuối phải là {expected}.",
        "Tax code {value} has a wrong check character: the last character should be {expected}.",
        "税号 {value} 校验码错误：最后一位应为 {expected}。",
    ),
    "tax_code_format:other": Text(
        "Mã số thuế {value} không hợp lệ: cần từ 3 đến 20 chữ cái (A–Z) hoặc chữ số.",
        "Tax code {value} is not valid: it must have 3 to 20 letters (A–Z) or digits.",
        "税号 {value} 无效：应为3至20位字母（A–Z）或数字。",
    ),
    # Seals
    "seal_format": Text(
        "Số niêm phong {value} không hợp lệ: cần từ 4 đến 20 chữ cái (A–Z) hoặc chữ số.",
        "Seal number {value} is not valid: it must have 4 to 20 letters (A–Z) or digits.",
        "封条号 {value} 无效：应为4至20位字母（A–Z）或数字。",
    ),
    # Phones
    "phone_format": Text(
        "Số điện thoại {value} không hợp lệ: chỉ nhận số di động Việt Nam (ví dụ 0912 345 678"
        " hoặc +84 912 345 678) hoặc Trung Quốc (ví dụ +86 138 0013 8000).",
        "Phone number {value} is not valid: only Vietnamese mobile numbers (e.g. 0912 345 678"
        " or +84 912 345 678) and Chinese ones (e.g. +86 138 0013 8000) are accepted.",
        "电话号码 {value} 无效：仅接受越南手机号（例如 0912 345 678 或 +84 912 345 678）"
        "或中国手机号（例如 +86 138 0013 8000）。",
    ),
    "phone_country": Text(
        "Số điện thoại {value} không thuộc Việt Nam (+84) hay Trung Quốc (+86): chỉ nhận số di"
        " động của hai nước này.",
        "Phone number {value} is neither Vietnamese (+84) nor Chinese (+86): only mobile"
        " numbers of these two countries are accepted.",
        "电话号码 {value} 既不是越南（+84）也不是中国（+86）号码：仅接受这两个国家的手机号。",
    ),
    "phone_vn": Text(
        "Số điện thoại {value} không phải số di động Việt Nam: sau +84 (hoặc số 0 đầu) cần 9"
        " chữ số bắt đầu bằng 3, 5, 7, 8 hoặc 9, ví dụ 0912 345 678.",
        "Phone number {value} is not a Vietnamese mobile number: after +84 (or the leading 0)"
        " come 9 digits starting with 3, 5, 7, 8 or 9, e.g. 0912 345 678.",
        "电话号码 {value} 不是越南手机号：+84（或开头的0）之后应为以3、5、7、8或9开头的9位数字，"
        "例如 0912 345 678。",
    ),
    "phone_cn": Text(
        "Số điện thoại {value} không phải số di động Trung Quốc: sau +86 cần 11 chữ số bắt đầu"
        " bằng 13 đến 19, ví dụ +86 138 0013 8000.",
        "Phone number {value} is not a Chinese mobile number: after +86 come 11 digits starting"
        " with 13 to 19, e.g. +86 138 0013 8000.",
        "电话号码 {value} 不是中国手机号：+86 之后应为以13至19开头的11位数字，"
        "例如 +86 138 0013 8000。",
    ),
    # Identity documents
    "person_id_format:VN": Text(
        "Số giấy tờ {value} không hợp lệ: cần số căn cước công dân 12 chữ số, số chứng minh nhân"
        " dân cũ 9 chữ số, hoặc số hộ chiếu (1 chữ cái và 7 chữ số, ví dụ C1234567).",
        "Identity document number {value} is not valid: expected a 12-digit citizen ID (CCCD),"
        " a 9-digit old ID card number, or a passport number (one letter and 7 digits, e.g."
        " C1234567).",
        "证件号码 {value} 无效：应为12位越南公民身份证号、9位旧身份证号，"
        "或护照号（1个字母加7位数字，例如 C1234567）。",
    ),
    "person_id_format:CN": Text(
        "Số giấy tờ {value} không hợp lệ: cần số căn cước cư dân Trung Quốc 18 ký tự (17 chữ số"
        " và 1 chữ số hoặc X), hoặc số hộ chiếu (E hoặc G và 8 chữ số, hoặc E, một chữ cái và"
        " 7 chữ số; ví dụ E12345678, EA1234567).",
        "Identity document number {value} is not valid: expected an 18-character Chinese"
        " resident ID (17 digits and a digit or X) or a passport number (E or G and 8 digits,"
        " or E, a letter and 7 digits; e.g. E12345678, EA1234567).",
        "证件号码 {value} 无效：应为18位居民身份证号（17位数字加1位数字或X），"
        "或护照号（E或G加8位数字，或E加1个字母和7位数字，例如 E12345678、EA1234567）。",
    ),
    "person_id_check_digit:CN": Text(
        "Số căn cước cư dân Trung Quốc {value} sai số kiểm tra: ký tự cuối phải là {expected}.",
        "Chinese resident ID {value} has a wrong check digit: the last character should be"
        " {expected}.",
        "居民身份证号 {value} 校验码错误：最后一位应为 {expected}。",
    ),
    "person_id_invalid:CN": Text(
        "Số căn cước cư dân Trung Quốc {value} không hợp lệ: ngày sinh hoặc mã địa phương"
        " (6 chữ số đầu) không tồn tại.",
        "Chinese resident ID {value} is not valid: its birth date or its region code (the first"
        " 6 digits) does not exist.",
        "居民身份证号 {value} 无效：出生日期或地区代码（前6位）不存在。",
    ),
    "person_id_format:other": Text(
        "Số giấy tờ {value} không hợp lệ: cần từ 5 đến 20 chữ cái (A–Z) hoặc chữ số.",
        "Identity document number {value} is not valid: it must have 5 to 20 letters (A–Z)"
        " or digits.",
        "证件号码 {value} 无效：应为5至20位字母（A–Z）或数字。",
    ),
}

#: Every ``IdentifierError.code`` this module raises.
ERROR_CODES: frozenset[str] = frozenset(key.split(":")[0] for key in _MESSAGES)


class IdentifierError(ValueError):
    """A malformed identifier: ``code`` is stable, ``message`` is for people (vi, en, zh)."""

    code: str
    message: Text
    value: str

    def __init__(self, code: str, message: Text, value: str = "") -> None:
        super().__init__(code, message, value)
        self.code = code
        self.message = message
        self.value = value

    def __str__(self) -> str:
        return f"{self.code}: {self.message.en}"

    def to_field_error(self, path: str) -> FieldError:
        return FieldError(path=path, code=self.code, message=self.message)


def _error(key: str, value: str, **values: str | int | Text) -> IdentifierError:
    """Build the error for message ``key`` ("code" or "code:variant"); ``Text`` values are
    taken in each message's own language."""
    template = _MESSAGES[key]

    def one(language: str) -> str:
        resolved = {k: v.get(language) if isinstance(v, Text) else v for k, v in values.items()}
        return str(getattr(template, language)).format(value=value, **resolved)

    if any(isinstance(v, Text) for v in values.values()):
        message = Text(vi=one("vi"), en=one("en"), zh=one("zh"))
    else:
        message = template.format(value=value, **values)
    return IdentifierError(key.split(":")[0], message, value)


def _required(kind: str) -> IdentifierError:
    return _error("required", "", label=_LABELS[kind])


def _shown(raw: str) -> str:
    """The input as the user typed it, on one line and of bounded length, for messages."""
    text = " ".join(raw.split())
    return text if len(text) <= 40 else text[:39] + "…"


def _compact(raw: str, strip: str = "-") -> str:
    """NFKC (full-width → ASCII), upper-case, without any whitespace or the ``strip`` chars."""
    text = unicodedata.normalize("NFKC", raw).upper()
    return "".join(c for c in text if not c.isspace() and c not in strip)


_ASCII_DIGITS = re.compile(r"[0-9]+")
_ASCII_ALNUM = re.compile(r"[A-Z0-9]+")

# ---------------------------------------------------------------------------------------------
# Vehicle plates
# ---------------------------------------------------------------------------------------------

#: Series letters of Vietnamese plates; R is only for trailers and Đ only in special series.
VN_SERIES_LETTERS = "ABCDEFGHKLMNPSTUVXYZ"
VN_TRAILER_SERIES = "R"
#: Two-letter series named in the rules (any two allowed letters are accepted).
VN_SPECIAL_SERIES: frozenset[str] = frozenset({"LD", "KT", "DA"})
#: Province characters of Chinese plates (桂 = Guangxi, across the border from Lạng Sơn).
CN_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
CN_TRAILER_SUFFIX = "挂"

_PLATE_SEPARATORS = "-.·•・‧–—"
_VN_PLATE = re.compile(r"([0-9]{2})([A-ZĐ]{1,2})([0-9]+)")
_CN_NEW_ENERGY = "DF"


@dataclass(frozen=True, slots=True)
class Plate:
    country: Literal["VN", "CN"]
    normalized: str
    display: str
    is_trailer: bool

    def __str__(self) -> str:
        return self.display


def normalize_plate_text(raw: str) -> str:
    """Upper-case, full-width → ASCII, without separators (``-`` ``.`` ``·``) or whitespace.

    Two-line rear plates ("12C\\n123.45") become one line; Đ and Chinese characters are kept
    (the look-alike Ð, U+00D0, is read as Đ).
    """
    text = _compact(raw, _PLATE_SEPARATORS)
    return text.replace("Ð", "Đ")


def _check_trailer(plate: Plate, trailer: bool | None, value: str) -> Plate:
    if trailer is True and not plate.is_trailer:
        raise _error(f"plate_not_trailer:{plate.country}", value)
    if trailer is False and plate.is_trailer:
        raise _error(f"plate_is_trailer:{plate.country}", value)
    return plate


def parse_vn_plate(raw: str, *, trailer: bool | None = None) -> Plate:
    """A Vietnamese plate: ``12C-123.45``, ``29LD-123.45``, ``12C-1234``, trailer ``51R-141.39``.

    ``trailer=True`` requires series R, ``False`` refuses it, ``None`` accepts both.
    """
    value = _shown(raw)
    norm = normalize_plate_text(raw)
    if not norm:
        raise _required("plate")
    match = _VN_PLATE.fullmatch(norm)
    if match is None:
        raise _error("vn_plate_format", value)
    locality, series, number = match.groups()
    if int(locality) < 11:
        raise _error("vn_plate_locality", value, locality=locality)
    if len(number) == 6 and len(series) == 1:  # letter + digit series: 29F1-123.45
        series, number = series + number[0], number[1:]
    if len(number) not in (4, 5):
        raise _error("vn_plate_number", value)
    is_trailer = series == VN_TRAILER_SERIES
    if not is_trailer:
        for letter in series:
            if letter.isalpha() and letter not in VN_SERIES_LETTERS and letter != "Đ":
                raise _error(
                    "vn_plate_series", value, letter=letter, allowed=" ".join(VN_SERIES_LETTERS)
                )
    shown_number = f"{number[:3]}.{number[3:]}" if len(number) == 5 else number
    plate = Plate(
        country="VN",
        normalized=f"{locality}{series}{number}",
        display=f"{locality}{series}-{shown_number}",
        is_trailer=is_trailer,
    )
    return _check_trailer(plate, trailer, value)


def parse_cn_plate(raw: str, *, trailer: bool | None = None) -> Plate:
    """A Chinese plate: ``桂F·12345``, new-energy ``桂F·D12345``, trailer ``桂F·1234挂``.

    ``trailer=True`` requires the 挂 suffix, ``False`` refuses it, ``None`` accepts both.
    """
    value = _shown(raw)
    norm = normalize_plate_text(raw)
    if not norm:
        raise _required("plate")
    province, rest = norm[0], norm[1:]
    if province.isascii() and province.isalnum():
        raise _error("cn_plate_province_missing", value)
    if province not in CN_PROVINCES:
        raise _error("cn_plate_province", value, char=province, provinces=CN_PROVINCES)
    if not rest or not ("A" <= rest[0] <= "Z"):
        raise _error("cn_plate_authority", value)
    authority, serial = rest[0], rest[1:]
    is_trailer = serial.endswith(CN_TRAILER_SUFFIX)
    body = serial[: -len(CN_TRAILER_SUFFIX)] if is_trailer else serial
    if not _ASCII_ALNUM.fullmatch(body):
        raise _error("cn_plate_format", value)
    if "I" in body or "O" in body:
        raise _error("cn_plate_letter_io", value)
    if is_trailer:
        ok = len(body) == 4
    else:
        new_energy = len(body) == 6 and (body[0] in _CN_NEW_ENERGY or body[-1] in _CN_NEW_ENERGY)
        ok = len(body) == 5 or new_energy
    if not ok:
        raise _error("cn_plate_format", value)
    plate = Plate(
        country="CN",
        normalized=f"{province}{authority}{serial}",
        display=f"{province}{authority}·{serial}",
        is_trailer=is_trailer,
    )
    return _check_trailer(plate, trailer, value)


def parse_plate(raw: str, country: str, *, trailer: bool | None = None) -> Plate:
    """Parse a plate of ``country`` ("VN" or "CN", any case)."""
    code = country.strip().upper()
    if code == "VN":
        return parse_vn_plate(raw, trailer=trailer)
    if code == "CN":
        return parse_cn_plate(raw, trailer=trailer)
    if not code:
        raise _required("country")
    raise _error("plate_country", _shown(country))


# ---------------------------------------------------------------------------------------------
# Containers (ISO 6346)
# ---------------------------------------------------------------------------------------------

_CONTAINER = re.compile(r"[A-Z]{4}[0-9]{7}")
_CONTAINER_CATEGORIES = "UJZ"


def validate_container_number(raw: str) -> str:
    """An ISO 6346 container number, e.g. ``CSQU 305438 3`` → ``CSQU3054383``."""
    number = _compact(raw)
    if not number:
        raise _required("container")
    if len(number) != 11:
        raise _error("container_length", _shown(raw), length=len(number))
    if not _CONTAINER.fullmatch(number):
        raise _error("container_format", number)
    if number[3] not in _CONTAINER_CATEGORIES:
        raise _error("container_category", number, letter=number[3])
    try:
        return iso6346.validate(number)
    except ValidationError as exc:
        expected = iso6346.calc_check_digit(number[:10])
        raise _error("container_check_digit", number, expected=expected) from exc


# ---------------------------------------------------------------------------------------------
# HS codes
# ---------------------------------------------------------------------------------------------

HS_DATA_PATH = Path(__file__).resolve().parent / "data" / "hs2022.csv"


class _HsTable(NamedTuple):
    chapters: frozenset[str]
    headings: frozenset[str]
    subheadings: frozenset[str]


@functools.cache
def _hs_table() -> _HsTable:
    levels: dict[str, set[str]] = {"2": set(), "4": set(), "6": set()}
    with HS_DATA_PATH.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            codes = levels.get(row["level"])
            if codes is not None:
                codes.add(row["hscode"])
    return _HsTable(frozenset(levels["2"]), frozenset(levels["4"]), frozenset(levels["6"]))


def _hs_digits(raw: str) -> str:
    digits = _compact(raw, ".")
    if not digits:
        raise _required("hs")
    if not _ASCII_DIGITS.fullmatch(digits):
        raise _error("hs_format", _shown(raw))
    return digits


def validate_hs_code(raw: str) -> str:
    """Vietnam's 8-digit HS code (``0810.60.00`` → ``08106000``) of an HS 2022 subheading."""
    code = _hs_digits(raw)
    if len(code) != 8:
        raise _error("hs_length", _shown(raw), length=len(code))
    table = _hs_table()
    if code[:6] in table.subheadings:
        return code
    shown = f"{code[:4]}.{code[4:6]}.{code[6:]}"
    chapter, heading, subheading = code[:2], code[:4], f"{code[:4]}.{code[4:6]}"
    if chapter not in table.chapters:
        raise _error("hs_unknown:chapter", shown, chapter=chapter)
    if heading not in table.headings:
        raise _error("hs_unknown:heading", shown, chapter=chapter, heading=heading)
    raise _error(
        "hs_unknown:subheading", shown, chapter=chapter, heading=heading, subheading=subheading
    )


def hs_chapter(code: str) -> int:
    """The chapter (first two digits) of an HS code as an int: ``"0810.60.00"`` → 8."""
    digits = _hs_digits(code)
    if len(digits) < 2:
        raise _error("hs_length", _shown(code), length=len(digits))
    return int(digits[:2])


# ---------------------------------------------------------------------------------------------
# Customs declarations, tax codes, seals
# ---------------------------------------------------------------------------------------------


def validate_customs_declaration_number(raw: str) -> str:
    """A VNACCS customs declaration number: exactly 12 digits."""
    number = _compact(raw, "-.")
    if not number:
        raise _required("declaration")
    if not _ASCII_DIGITS.fullmatch(number):
        raise _error("declaration_format", _shown(raw))
    if len(number) != 12:
        raise _error("declaration_length", _shown(raw), length=len(number))
    return number


def validate_tax_code(raw: str, country: str = "VN") -> str:
    """A tax code in compact form: VN MST (10 or 13 digits), CN USCC (18), others 3–20."""
    code = country.strip().upper()
    if code == "VN":
        return _vn_tax_code(raw)
    if code == "CN":
        return _cn_tax_code(raw)
    number = _compact(raw, "-./")
    if not number:
        raise _required("tax_code")
    if not (_ASCII_ALNUM.fullmatch(number) and 3 <= len(number) <= 20):
        raise _error("tax_code_format:other", _shown(raw))
    return number


def _vn_tax_code(raw: str) -> str:
    number = mst.compact(_compact(raw, "-."))
    if not number:
        raise _required("tax_code")
    value = _shown(raw)
    if not _ASCII_DIGITS.fullmatch(number):
        raise _error("tax_code_format:VN", value)
    if len(number) not in (10, 13):
        raise _error("tax_code_length:VN", value, length=len(number))
    try:
        return mst.validate(number)
    except InvalidComponent as exc:
        raise _error("tax_code_invalid:VN", value) from exc
    except ValidationError as exc:
        expected = mst.calc_check_digit(number)
        if len(expected) == 1:
            raise _error("tax_code_check_digit:VN", value, expected=expected) from exc
        raise _error("tax_code_check_digit:VN_none", value, prefix=number[:9]) from exc


def _cn_tax_code(raw: str) -> str:
    number = uscc.compact(_compact(raw))
    if not number:
        raise _required("tax_code")
    value = _shown(raw)
    if len(number) != 18:
        raise _error("tax_code_length:CN", value, length=len(number))
    try:
        return uscc.validate(number)
    except InvalidChecksum as exc:
        expected = uscc.calc_check_digit(number)
        raise _error("tax_code_check_digit:CN", value, expected=expected) from exc
    except ValidationError as exc:
        raise _error("tax_code_format:CN", value) from exc


_SEAL = re.compile(r"[A-Z0-9]{4,20}")


def validate_seal_number(raw: str) -> str:
    """A customs or e-seal number: 4–20 letters and digits, ``ab-12 34`` → ``AB1234``."""
    number = _compact(raw)
    if not number:
        raise _required("seal")
    if not _SEAL.fullmatch(number):
        raise _error("seal_format", _shown(raw))
    return number


# ---------------------------------------------------------------------------------------------
# Phones
# ---------------------------------------------------------------------------------------------

_VN_MOBILE = re.compile(r"[35789][0-9]{8}")
_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def validate_phone(raw: str) -> str:
    """A Vietnamese or Chinese mobile number in E.164: ``0912 345 678`` → ``+84912345678``."""
    text = _compact(raw, "-.()/")
    if not text:
        raise _required("phone")
    value = _shown(raw)
    international = text.startswith(("+", "00"))
    digits = text[1:] if text.startswith("+") else text[2:] if international else text
    if not _ASCII_DIGITS.fullmatch(digits):
        raise _error("phone_format", value)
    if international:
        if digits.startswith("84"):
            national = digits[2:]
            if national.startswith("0") and len(national) == 10:  # "+84 0912 …"
                national = national[1:]
            return _vn_mobile(national, value)
        if digits.startswith("86"):
            return _cn_mobile(digits[2:], value)
        raise _error("phone_country", value)
    if digits.startswith("0"):
        return _vn_mobile(digits[1:], value)
    if len(digits) == 11 and digits.startswith("84"):
        return _vn_mobile(digits[2:], value)
    if len(digits) == 11 and digits.startswith("1"):
        return _cn_mobile(digits, value)
    if len(digits) == 13 and digits.startswith("86"):
        return _cn_mobile(digits[2:], value)
    raise _error("phone_format", value)


def _vn_mobile(national: str, value: str) -> str:
    if not _VN_MOBILE.fullmatch(national):
        raise _error("phone_vn", value)
    return f"+84{national}"


def _cn_mobile(national: str, value: str) -> str:
    if not _CN_MOBILE.fullmatch(national):
        raise _error("phone_cn", value)
    return f"+86{national}"


# ---------------------------------------------------------------------------------------------
# Identity documents
# ---------------------------------------------------------------------------------------------

_VN_PERSON_ID = re.compile(r"[0-9]{12}|[0-9]{9}|[A-Z][0-9]{7}")
_CN_RESIDENT_ID = re.compile(r"[0-9]{17}[0-9X]")
_CN_PASSPORT = re.compile(r"[EG][0-9]{8}|E[A-Z][0-9]{7}")
_OTHER_PERSON_ID = re.compile(r"[A-Z0-9]{5,20}")


def validate_person_id(raw: str, nationality: str) -> str:
    """An identity document number in compact upper-case form.

    VN: 12-digit CCCD, 9-digit old CMND or passport (letter + 7 digits); CN: 18-character
    resident ID (check digit, birth date and region checked) or passport (E/G + 8 digits,
    E + letter + 7 digits); any other nationality: 5–20 letters and digits.
    """
    number = _compact(raw)
    if not number:
        raise _required("person_id")
    value = _shown(raw)
    code = nationality.strip().upper()
    if code == "VN":
        if not _VN_PERSON_ID.fullmatch(number):
            raise _error("person_id_format:VN", value)
        return number
    if code == "CN":
        if _CN_RESIDENT_ID.fullmatch(number):
            try:
                return ric.validate(number)
            except InvalidChecksum as exc:
                expected = ric.calc_check_digit(number)
                raise _error("person_id_check_digit:CN", value, expected=expected) from exc
            except ValidationError as exc:
                raise _error("person_id_invalid:CN", value) from exc
        if not _CN_PASSPORT.fullmatch(number):
            raise _error("person_id_format:CN", value)
        return number
    if not _OTHER_PERSON_ID.fullmatch(number):
        raise _error("person_id_format:other", value)
    return number
