"""The benchmark-only route stays out of the platform unless a benchmark asks for it."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve

from cuakhau.api import api

pytestmark = pytest.mark.skipif(
    bool(os.getenv("CUAKHAU_BENCHMARK_ROUTES")),
    reason="CUAKHAU_BENCHMARK_ROUTES is set: this run opted in to the benchmark routes",
)


def test_bench_route_is_not_mounted_by_default(client):
    # Given the default settings
    assert settings.BENCHMARK_ROUTES is False

    # When anyone posts to the benchmark route
    response = client.post("/api/v1/bench/insert", {}, content_type="application/json")

    # Then it does not exist, neither as a URL nor in the OpenAPI schema
    assert response.status_code == 404
    with pytest.raises(Resolver404):
        resolve("/api/v1/bench/insert")
    assert not [path for path in api.get_openapi_schema()["paths"] if "bench" in path]
