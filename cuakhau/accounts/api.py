"""HTTP API for the signed-in user and the enterprise's API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from cuakhau.accounts.auth import AUTH, ActiveSessionAuth
from cuakhau.accounts.models import ApiToken
from cuakhau.accounts.permissions import require_enterprise
from cuakhau.accounts.services import api_token_create, api_token_revoke
from cuakhau.core.api import InputSchema, actor_of, responses
from cuakhau.core.schemas import DbId, NameStr

router = Router(tags=["accounts"], auth=AUTH)


class MeOut(Schema):
    username: str
    full_name: str
    role: str
    enterprise: str | None = None
    enterprise_tax_code: str | None = None
    agency: str | None = None
    gates: list[str]


@router.get("/me", response=responses({200: MeOut}))
def me(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    return {
        "username": user.get_username(),
        "full_name": user.get_full_name(),
        "role": user.role,
        "enterprise": user.enterprise.name if user.enterprise else None,
        "enterprise_tax_code": user.enterprise.tax_code if user.enterprise else None,
        "agency": user.agency.code if user.agency else None,
        "gates": sorted(user.gates.values_list("code", flat=True)),
    }


class TokenIn(InputSchema):
    name: NameStr


class TokenOut(Schema):
    id: int
    name: str
    key_id: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class NewTokenOut(TokenOut):
    token: str


def _token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "key_id": token.key_id,
        "created_at": token.created_at,
        "created_by": token.user.get_username(),
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


# Tokens are managed from a signed-in session only: a leaked token must not mint new ones.
@router.get("/tokens", response=responses({200: list[TokenOut]}), auth=ActiveSessionAuth())
def token_list(request: HttpRequest) -> Any:
    enterprise_id = require_enterprise(request.auth)  # type: ignore[attr-defined]
    tokens = ApiToken.objects.filter(enterprise_id=enterprise_id).select_related("user")
    return [_token_out(t) for t in tokens]


@router.post("/tokens", response=responses({201: NewTokenOut}, 409), auth=ActiveSessionAuth())
def token_create(request: HttpRequest, payload: TokenIn) -> Any:
    """Create a token; the response shows it once and only its digest is kept."""
    token, plain = api_token_create(actor=actor_of(request), name=payload.name)
    return Status(201, {**_token_out(token), "token": plain})


@router.post(
    "/tokens/{token_id}/revoke",
    response=responses({200: TokenOut}, 409),
    auth=ActiveSessionAuth(),
)
def token_revoke(request: HttpRequest, token_id: DbId) -> Any:
    token = api_token_revoke(actor=actor_of(request), token_id=token_id)
    return _token_out(token)
