"""Roles and what they may do, as plain data (no Django) so rules and tests share one truth."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ENTERPRISE = "enterprise"
    GATE_OPERATOR = "gate_operator"
    CUSTOMS = "customs"
    BORDER_GUARD = "border_guard"
    PLANT_QUARANTINE = "plant_quarantine"
    ANIMAL_QUARANTINE = "animal_quarantine"
    MEDICAL_QUARANTINE = "medical_quarantine"
    LEADER = "leader"
    ADMINISTRATOR = "administrator"


class AgencyCode(StrEnum):
    MANAGEMENT_BOARD = "management_board"
    CUSTOMS = "customs"
    BORDER_GUARD = "border_guard"
    PLANT_QUARANTINE = "plant_quarantine"
    ANIMAL_QUARANTINE = "animal_quarantine"
    MEDICAL_QUARANTINE = "medical_quarantine"


# The agency an officer of each role must belong to.
AGENCY_OF_ROLE: dict[Role, AgencyCode] = {
    Role.GATE_OPERATOR: AgencyCode.MANAGEMENT_BOARD,
    Role.CUSTOMS: AgencyCode.CUSTOMS,
    Role.BORDER_GUARD: AgencyCode.BORDER_GUARD,
    Role.PLANT_QUARANTINE: AgencyCode.PLANT_QUARANTINE,
    Role.ANIMAL_QUARANTINE: AgencyCode.ANIMAL_QUARANTINE,
    Role.MEDICAL_QUARANTINE: AgencyCode.MEDICAL_QUARANTINE,
}

# Roles whose work is scoped to the gates they are assigned to.
GATE_SCOPED_ROLES: frozenset[Role] = frozenset({*AGENCY_OF_ROLE, Role.LEADER})

# Agencies that record a check decision on trips (the management board runs the yards instead).
CHECKING_AGENCIES: frozenset[AgencyCode] = frozenset(AGENCY_OF_ROLE.values()) - {
    AgencyCode.MANAGEMENT_BOARD
}

# Who may move a trip through the yard and gate steps.
CHECK_IN_ROLES: frozenset[Role] = frozenset({Role.GATE_OPERATOR})
CALL_ROLES: frozenset[Role] = frozenset({Role.GATE_OPERATOR})
CONTROL_ENTRY_ROLES: frozenset[Role] = frozenset({Role.GATE_OPERATOR, Role.BORDER_GUARD})
DEPARTURE_ROLES: frozenset[Role] = frozenset({Role.GATE_OPERATOR, Role.BORDER_GUARD})
TRANSSHIPMENT_ROLES: frozenset[Role] = frozenset({Role.GATE_OPERATOR, Role.CUSTOMS})
