"""Text in the platform's three languages, usable from pure modules (no Django).

Domain errors carry a ``Text`` so that the API can return every language at once and pages can
pick the reader's. Vietnamese comes first: it is the language of the officials and most users.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LANGUAGES: tuple[str, ...] = ("vi", "en", "zh")


def language_key(code: str | None) -> str:
    """Map a Django language code ("vi", "en-us", "zh-hans") onto a ``Text`` field name."""
    if not code:
        return "vi"
    short = code.lower().split("-")[0].split("_")[0]
    return short if short in LANGUAGES else "vi"


@dataclass(frozen=True, slots=True)
class Text:
    vi: str
    en: str
    zh: str

    def get(self, language: str | None) -> str:
        return str(getattr(self, language_key(language)))

    def format(self, **values: Any) -> Text:
        """Fill the placeholders; a value that is itself a ``Text`` goes in its own language."""

        def pick(language: str) -> dict[str, Any]:
            return {k: v.get(language) if isinstance(v, Text) else v for k, v in values.items()}

        return Text(
            vi=self.vi.format(**pick("vi")),
            en=self.en.format(**pick("en")),
            zh=self.zh.format(**pick("zh")),
        )

    def as_dict(self) -> dict[str, str]:
        return {"vi": self.vi, "en": self.en, "zh": self.zh}

    def __str__(self) -> str:
        return self.vi
