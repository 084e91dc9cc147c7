"""API authentication: a signed-in session (with CSRF) or an enterprise's bearer token."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from cuakhau.accounts.models import TOKEN_PREFIX, ApiToken, User
from cuakhau.accounts.roles import Role

# Writing last_used_at on every call would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def user_for_token(raw: str) -> tuple[User, ApiToken] | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    key_id, _, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    if not key_id or not secret or len(key_id) > 16:
        return None
    # One query on every API call: join only what the call needs (the user and their enterprise;
    # the token's own enterprise must be that same one).
    token = (
        ApiToken.objects.filter(key_id=key_id, revoked_at__isnull=True)
        .select_related("user__enterprise")
        .first()
    )
    if token is None or not hmac.compare_digest(token.digest, ApiToken.digest_of(secret)):
        return None
    user = token.user
    if (
        not user.is_active
        or user.role != Role.ENTERPRISE
        or user.enterprise is None
        or not user.enterprise.is_active
        or user.enterprise_id != token.enterprise_id
    ):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user, token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer ck_…`` — an enterprise's own systems."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = user_for_token(token)
        if found is None:
            return None
        user, api_token = found
        request.user = user
        request.api_token = api_token  # type: ignore[attr-defined]
        return user


class ActiveSessionAuth(SessionAuth):
    """The signed-in user of the pages, CSRF-checked on writes."""

    def __call__(self, request: HttpRequest) -> Any:
        # Without a signed-in session there is nothing to protect from CSRF: answer 401, not 403.
        user = request.user
        if not (user.is_authenticated and user.is_active):
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        return user if user.is_authenticated and user.is_active else None


AUTH = [TokenAuth(), ActiveSessionAuth()]
