"""Typed domain errors with a stable code and a message in Vietnamese, English and Chinese.

Pure Python: rules modules raise these, the API maps ``status`` to the HTTP response, and pages
show ``message`` in the reader's language. Nothing is stored when one is raised inside a service.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cuakhau.core.text import Text


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input field; ``path`` is dotted, e.g. ``trips.0.tractor_plate``."""

    path: str
    code: str
    message: Text

    def as_dict(self, language: str | None = None) -> dict[str, object]:
        return {
            "field": self.path,
            "code": self.code,
            "message": self.message.get(language),
            "messages": self.message.as_dict(),
        }


@dataclass
class DomainError(Exception):
    code: str
    message: Text
    errors: list[FieldError] = field(default_factory=list)
    status = 400

    def __post_init__(self) -> None:
        super().__init__(self.code, self.message.en)

    def __str__(self) -> str:
        return f"{self.code}: {self.message.en}"


class InvalidInput(DomainError):
    """The input breaks a rule; ``errors`` lists every offending field."""

    status = 422

    def under(self, prefix: str) -> InvalidInput:
        """The same errors for input nested under ``prefix`` in a larger body."""
        return InvalidInput(
            code=self.code,
            message=self.message,
            errors=[FieldError(f"{prefix}.{e.path}", e.code, e.message) for e in self.errors],
        )


class NotAllowed(DomainError):
    """The actor may see the object but may not do this to it."""

    status = 403


class NotFound(DomainError):
    """No such object, or the actor may not see it (the two are not told apart)."""

    status = 404


class Conflict(DomainError):
    """The object's state does not allow the action (for example an invalid transition)."""

    status = 409


class RateLimited(DomainError):
    status = 429


def invalid(errors: list[FieldError]) -> InvalidInput:
    """One error for a list of field errors, with a summary naming how many there are."""
    count = len(errors)
    return InvalidInput(
        code="invalid_input",
        message=Text(
            vi=f"Dữ liệu chưa hợp lệ: {count} lỗi cần sửa.",
            en=f"The input is not valid: {count} error(s) to fix.",
            zh=f"输入数据无效：有 {count} 处错误需要更正。",
        ),
        errors=errors,
    )
