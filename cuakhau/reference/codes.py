"""Small code lists every declaration uses: countries, units of quantity, currencies. No Django."""

from __future__ import annotations

from cuakhau.core.text import Text

# ISO 3166-1 alpha-2 (officially assigned codes).
COUNTRIES: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    """.split()  # noqa: SIM905 - a code list reads best as words
)

# UN/ECE Recommendation 20 codes used on VNACCS declarations for border freight.
UNITS: dict[str, Text] = {
    "KGM": Text("kilôgam", "kilogram", "千克"),
    "TNE": Text("tấn", "tonne", "吨"),
    "CTN": Text("thùng carton", "carton", "纸箱"),
    "PCE": Text("chiếc", "piece", "个"),
    "SET": Text("bộ", "set", "套"),
    "BG": Text("bao", "bag", "袋"),
    "BX": Text("hộp", "box", "盒"),
    "PK": Text("kiện", "package", "件"),
    "PL": Text("pallet", "pallet", "托盘"),
    "LTR": Text("lít", "litre", "升"),
    "MTQ": Text("mét khối", "cubic metre", "立方米"),
    "MTR": Text("mét", "metre", "米"),
    "HEA": Text("con", "head", "头"),
    "NAR": Text("cái", "article", "件"),
}

CURRENCIES: frozenset[str] = frozenset({"USD", "VND", "CNY", "EUR", "JPY", "KRW", "THB", "SGD"})

CONTAINER_SIZES: frozenset[int] = frozenset({20, 40, 45})
