"""Benchmark-only routes: the database-bound reference for ``benchmarks/api.py``.

Mounted only when ``CUAKHAU_BENCHMARK_ROUTES=1`` (``settings.BENCHMARK_ROUTES``). The table is
created by the benchmark with raw SQL (``BENCH_TABLE_SQL``), not by a migration: it exists only
in the throw-away benchmark database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.http import HttpRequest
from ninja import Router, Schema, Status

from cuakhau.core.schemas import ShortStr

BENCH_TABLE = "bench_row"
BENCH_TABLE_SQL = (
    f"CREATE TABLE IF NOT EXISTS {BENCH_TABLE} ("
    " id bigserial PRIMARY KEY,"
    " payload varchar(40) NOT NULL,"
    " created_at timestamptz NOT NULL DEFAULT now())"
)

router = Router(tags=["benchmark"], auth=None)


class BenchIn(Schema):
    payload: ShortStr = ""


class BenchOut(Schema):
    id: int
    payload: str
    created_at: datetime


@router.post("/bench/insert", response={201: BenchOut}, include_in_schema=False)
def bench_insert(request: HttpRequest, body: BenchIn) -> Status[dict[str, Any]]:
    """One INSERT and one SELECT, each in autocommit: what any write endpoint pays at least."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BENCH_TABLE} (payload) VALUES (%s) RETURNING id",  # noqa: S608
            [body.payload],
        )
        (row_id,) = cursor.fetchone()
        cursor.execute(
            f"SELECT id, payload, created_at FROM {BENCH_TABLE} WHERE id = %s",  # noqa: S608
            [row_id],
        )
        found_id, payload, created_at = cursor.fetchone()
    return Status(201, {"id": found_id, "payload": payload, "created_at": created_at})
