"""Input types shared by every API schema. Pure pydantic, no Django."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}


def _clean(value: str) -> str:
    # PostgreSQL refuses NUL and UTF-8 refuses lone surrogates: refuse both here, as bad input,
    # rather than let them reach the database and fail there.
    if any(ch in _CONTROL for ch in value):
        raise PydanticCustomError("control_characters", "control characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("invalid_unicode", "the text is not valid Unicode") from None
    return value.strip()


# The length is checked on the text as sent (what the OpenAPI maxLength says), then cleaned.
CleanStr = Annotated[str, AfterValidator(_clean)]
TinyStr = Annotated[str, Field(max_length=16), AfterValidator(_clean)]
ShortStr = Annotated[str, Field(max_length=40), AfterValidator(_clean)]
NameStr = Annotated[str, Field(max_length=200), AfterValidator(_clean)]
LongStr = Annotated[str, Field(max_length=500), AfterValidator(_clean)]

# A primary key as the database can hold it: larger numbers are refused as bad input (422)
# instead of overflowing a bigint column.
DbId = Annotated[int, Field(ge=1, le=9_223_372_036_854_775_807)]


# --- Date and time input ----------------------------------------------------------------------

# The platform's clock (settings.TIME_ZONE): a time sent without an offset is Vietnam time.
LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?"
)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
MAX_OFFSET = timedelta(hours=14)


def _iso_text(value: Any) -> Any:
    # Pydantic would also read 1700000000 or "0.5" as Unix timestamps and "2026-11-23" as
    # midnight; the API documents an ISO 8601 date and time, so that is what it accepts.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.fullmatch(value.strip()):
        raise PydanticCustomError(
            "datetime_parsing", "expected an ISO 8601 date and time, e.g. 2026-11-23T08:00+07:00"
        )
    return value.strip()


def _in_range(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TIME)
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        # Real offsets run from −12:00 to +14:00; PostgreSQL refuses beyond ±15:59.
        raise PydanticCustomError("datetime_range", "the UTC offset is out of range")
    try:
        # Years 1 and 9999 with an offset do not fit in UTC: refuse them here, not in the ORM.
        in_utc = value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("datetime_range", "the date is out of range") from None
    if not EARLIEST <= in_utc < LATEST:
        raise PydanticCustomError("datetime_range", "the date is out of range")
    return value


# An aware date and time between 1970 and 9000; without an offset it is Vietnam time.
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_in_range)]


def _day_in_range(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise PydanticCustomError("date_range", "the date is out of range")
    return value


# A calendar day between 1970 and 9000.
IsoDate = Annotated[date, AfterValidator(_day_in_range)]
