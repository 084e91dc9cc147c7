"""Which agencies must check a trip, and how a check's decision may change. No Django."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from cuakhau.accounts.roles import AgencyCode
from cuakhau.core.errors import Conflict, FieldError, invalid
from cuakhau.core.text import Text


class CheckStatus(StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    HELD = "held"
    REFUSED = "refused"


# Plant quarantine: HS chapters 06–14, and these listed plant products from other chapters
# (headings; wood, cotton, oil-cake and other residues that carry pests).
PLANT_CHAPTERS = range(6, 15)
PLANT_LISTED_HEADINGS = frozenset(
    {"2302", "2303", "2304", "2305", "2306", "2308", "4401", "4403", "4404", "4406", "5201"}
)
# Animal quarantine: HS chapters 01–05, and listed animal products from other chapters.
ANIMAL_CHAPTERS = range(1, 6)
ANIMAL_LISTED_HEADINGS = frozenset(
    {"1501", "1502", "1503", "1504", "1601", "1602", "2301", "4101", "4102", "4103", "5101", "5102"}
)

ALWAYS_REQUIRED = (AgencyCode.CUSTOMS, AgencyCode.BORDER_GUARD)


def required_agencies(
    hs_codes: Iterable[str], *, gate_requires_medical_quarantine: bool = False
) -> list[AgencyCode]:
    """The agencies whose check a trip with these goods needs, in a stable order."""
    required: list[AgencyCode] = list(ALWAYS_REQUIRED)
    plant = animal = False
    for code in hs_codes:
        chapter = int(code[:2])
        heading = code[:4]
        plant = plant or chapter in PLANT_CHAPTERS or heading in PLANT_LISTED_HEADINGS
        animal = animal or chapter in ANIMAL_CHAPTERS or heading in ANIMAL_LISTED_HEADINGS
    if plant:
        required.append(AgencyCode.PLANT_QUARANTINE)
    if animal:
        required.append(AgencyCode.ANIMAL_QUARANTINE)
    if gate_requires_medical_quarantine:
        required.append(AgencyCode.MEDICAL_QUARANTINE)
    return required


# A decided check may still move: a held one is passed or refused after the inspection.
_ALLOWED: dict[CheckStatus, frozenset[CheckStatus]] = {
    CheckStatus.PENDING: frozenset({CheckStatus.PASSED, CheckStatus.HELD, CheckStatus.REFUSED}),
    CheckStatus.HELD: frozenset({CheckStatus.PASSED, CheckStatus.REFUSED}),
    CheckStatus.PASSED: frozenset(),
    CheckStatus.REFUSED: frozenset(),
}

STATUS_NAMES: dict[CheckStatus, Text] = {
    CheckStatus.PENDING: Text("Chờ kiểm tra", "Pending", "待检查"),
    CheckStatus.PASSED: Text("Đạt", "Passed", "通过"),
    CheckStatus.HELD: Text("Tạm giữ", "Held", "暂扣"),
    CheckStatus.REFUSED: Text("Từ chối", "Refused", "拒绝"),
}


def check_decision(current: CheckStatus, decision: CheckStatus, reason: str) -> CheckStatus:
    """Validate an officer's decision on a check; return the new status."""
    if decision not in _ALLOWED[current]:
        now, wanted = STATUS_NAMES[current], STATUS_NAMES[decision]
        raise Conflict(
            code="check_decision_not_allowed",
            message=Text(
                vi=f"Kết quả kiểm tra đang là «{now.vi}», không thể chuyển sang «{wanted.vi}».",
                en=f"The check is «{now.en}»; it cannot become «{wanted.en}».",
                zh=f"检查结果为「{now.zh}」，不能改为「{wanted.zh}」。",
            ),
        )
    if decision in (CheckStatus.HELD, CheckStatus.REFUSED) and not reason.strip():
        raise invalid(
            [
                FieldError(
                    "reason",
                    "reason_required",
                    Text(
                        vi="Phải ghi rõ lý do khi tạm giữ hoặc từ chối.",
                        en="A reason is required to hold or refuse.",
                        zh="暂扣或拒绝时必须填写原因。",
                    ),
                )
            ]
        )
    return decision


def trip_outcome(statuses: Iterable[CheckStatus]) -> CheckStatus:
    """What the checks together say: refused if any refused, held if any held, passed when all
    passed, else pending."""
    seen = set(statuses)
    for status in (CheckStatus.REFUSED, CheckStatus.HELD, CheckStatus.PENDING):
        if status in seen:
            return status
    return CheckStatus.PASSED
