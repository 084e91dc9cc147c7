"""Permission predicates: what a user may do to which object. Raise typed errors, return nothing."""

from __future__ import annotations

from collections.abc import Iterable

from cuakhau.accounts.models import User
from cuakhau.accounts.roles import AGENCY_OF_ROLE, Role
from cuakhau.core.errors import NotAllowed
from cuakhau.core.text import Text

ROLE_NAMES: dict[str, Text] = {
    Role.ENTERPRISE: Text("người dùng doanh nghiệp", "enterprise user", "企业用户"),
    Role.GATE_OPERATOR: Text("cán bộ điều hành cửa khẩu", "gate operator", "口岸调度员"),
    Role.CUSTOMS: Text("hải quan", "customs", "海关"),
    Role.BORDER_GUARD: Text("biên phòng", "border guard", "边防"),
    Role.PLANT_QUARANTINE: Text("kiểm dịch thực vật", "plant quarantine", "植物检疫"),
    Role.ANIMAL_QUARANTINE: Text("kiểm dịch động vật", "animal quarantine", "动物检疫"),
    Role.MEDICAL_QUARANTINE: Text("kiểm dịch y tế", "medical quarantine", "卫生检疫"),
    Role.LEADER: Text("lãnh đạo", "leader", "领导"),
    Role.ADMINISTRATOR: Text("quản trị viên", "administrator", "管理员"),
}


def role_forbidden(roles: Iterable[Role]) -> NotAllowed:
    names = [ROLE_NAMES[r] for r in sorted(roles)]
    return NotAllowed(
        code="role_not_allowed",
        message=Text(
            vi="Việc này dành cho: " + ", ".join(n.vi for n in names) + ".",
            en="This is for: " + ", ".join(n.en for n in names) + ".",
            zh="此操作仅限：" + "、".join(n.zh for n in names) + "。",
        ),
    )


GATE_FORBIDDEN = Text(
    vi="Bạn không được phân công tại cửa khẩu này.",
    en="You are not assigned to this border gate.",
    zh="您未被分配到该口岸。",
)


def require_role(user: User, roles: frozenset[Role]) -> None:
    if user.role_enum not in roles:
        raise role_forbidden(roles)


def require_gate(user: User, gate_id: int) -> None:
    if not user.is_administrator and gate_id not in user.gate_ids():
        raise NotAllowed(code="gate_not_assigned", message=GATE_FORBIDDEN)


def require_enterprise(user: User) -> int:
    """The user's enterprise id; only enterprise users declare trips."""
    if user.role != Role.ENTERPRISE or user.enterprise_id is None:
        raise role_forbidden({Role.ENTERPRISE})
    return user.enterprise_id


def agency_code_of(user: User) -> str | None:
    role = user.role_enum
    agency = AGENCY_OF_ROLE.get(role) if role else None
    return agency.value if agency else None
