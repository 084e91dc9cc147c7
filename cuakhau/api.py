"""The platform's HTTP API at ``/api/v1``: one NinjaAPI, one router per domain app."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja import NinjaAPI, Schema

from cuakhau.accounts.api import router as accounts_router
from cuakhau.checks.api import router as checks_router
from cuakhau.core.api import QueryParser, install_error_handlers
from cuakhau.declarations.api import public_router, trips_router
from cuakhau.declarations.api import router as declarations_router
from cuakhau.fees.api import public_router as fees_public_router
from cuakhau.fees.api import router as fees_router
from cuakhau.notifications.api import operators_router as notifications_router
from cuakhau.notifications.api import router as webhooks_router
from cuakhau.queueing.api import public_router as queue_public_router
from cuakhau.queueing.api import router as queue_router
from cuakhau.reference.api import router as reference_router
from cuakhau.twin.api import router as twin_router

api = NinjaAPI(
    title="Cửa khẩu số — Digital Border Gate API",
    version="1",
    description=(
        "Declarations, trips, check-in and agency decisions for the Lạng Sơn border gates. "
        "Authenticate with `Authorization: Bearer ck_…` (an enterprise token) or a signed-in "
        "session with its CSRF token. Errors carry a code and the message in Vietnamese, "
        "English and Chinese; field errors name the field by its dotted path."
    ),
    urls_namespace="api",
    parser=QueryParser(),
)
install_error_handlers(api)


class HealthOut(Schema):
    status: str
    version: str


@api.get("/health", response=HealthOut, auth=None, tags=["public"])
def health(request: HttpRequest) -> dict[str, str]:
    """Liveness for load balancers: answers without touching the database."""
    return {"status": "ok", "version": api.version}


api.add_router("", reference_router)
api.add_router("", public_router)
api.add_router("", accounts_router)
api.add_router("", declarations_router)
api.add_router("", trips_router)
api.add_router("", checks_router)
api.add_router("", queue_router)
api.add_router("", queue_public_router)
api.add_router("", fees_router)
api.add_router("", fees_public_router)
api.add_router("", webhooks_router)
api.add_router("", notifications_router)
api.add_router("", twin_router)

if settings.BENCHMARK_ROUTES:
    from cuakhau.core.bench_api import router as bench_router

    api.add_router("", bench_router)
