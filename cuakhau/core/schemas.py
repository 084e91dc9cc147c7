"""Input types shared by every API schema. Pure pydantic, no Django."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}


def _clean(value: str) -> str:
    # PostgreSQL refuses NUL and UTF-8 refuses lone surrogates: refuse both here, as bad input,
    # rather than let them reach the database and fail there.
    if any(ch in _CONTROL for ch in value):
        raise ValueError("control characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the text is not valid Unicode") from None
    return value.strip()


CleanStr = Annotated[str, AfterValidator(_clean)]
TinyStr = Annotated[str, AfterValidator(_clean), Field(max_length=16)]


ShortStr = Annotated[str, AfterValidator(_clean), Field(max_length=40)]
NameStr = Annotated[str, AfterValidator(_clean), Field(max_length=200)]
LongStr = Annotated[str, AfterValidator(_clean), Field(max_length=500)]

# A primary key as the database can hold it: larger numbers are refused as bad input (422)
# instead of overflowing a bigint column.
DbId = Annotated[int, Field(ge=1, le=9_223_372_036_854_775_807)]
