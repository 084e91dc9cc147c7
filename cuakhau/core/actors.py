"""Who does something: a person, an enterprise's system through a token, a device, the platform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cuakhau.accounts.models import User


@dataclass(frozen=True, slots=True)
class Actor:
    user: User | None
    kind: str = "user"  # user | token | device | system
    label: str = ""

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user=user, kind="user", label=user.get_username())

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user=None, kind="system", label=label)
