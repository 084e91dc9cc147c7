"""Writes on accounts: enterprise API tokens (created, revoked), with who and when."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cuakhau.accounts.models import TOKEN_PREFIX, ApiToken
from cuakhau.accounts.permissions import require_enterprise
from cuakhau.core.actors import Actor
from cuakhau.core.errors import Conflict, FieldError, NotFound, invalid
from cuakhau.core.text import Text

TOKEN_NOT_FOUND = Text("Không tìm thấy mã truy cập.", "API token not found.", "未找到 API 令牌。")
TOKEN_REVOKED = Text(
    "Mã truy cập đã bị thu hồi.", "The token is already revoked.", "该令牌已被撤销。"
)
NAME_REQUIRED = Text("Hãy đặt tên cho mã truy cập.", "Give the token a name.", "请为令牌命名。")
MAX_ACTIVE_TOKENS = 20


def api_token_create(*, actor: Actor, name: str) -> tuple[ApiToken, str]:
    """A new token for the actor's enterprise. The plain token is returned once, never stored."""
    user = actor.user
    assert user is not None
    enterprise_id = require_enterprise(user)
    if not name.strip():
        raise invalid([FieldError("name", "required", NAME_REQUIRED)])
    with transaction.atomic(durable=True):
        if (
            ApiToken.objects.active().filter(enterprise_id=enterprise_id).count()
            >= MAX_ACTIVE_TOKENS
        ):
            raise Conflict(
                "too_many_tokens",
                Text(
                    f"Mỗi doanh nghiệp có tối đa {MAX_ACTIVE_TOKENS} mã truy cập đang dùng.",
                    f"An enterprise may have at most {MAX_ACTIVE_TOKENS} active tokens.",
                    f"每个企业最多可有 {MAX_ACTIVE_TOKENS} 个有效令牌。",
                ),
            )
        key_id, secret = ApiToken.new_key()
        token = ApiToken.objects.create(
            enterprise_id=enterprise_id,
            user=user,
            name=name.strip()[:100],
            key_id=key_id,
            digest=ApiToken.digest_of(secret),
        )
    return token, f"{TOKEN_PREFIX}{key_id}_{secret}"


def api_token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    user = actor.user
    assert user is not None
    enterprise_id = require_enterprise(user)
    with transaction.atomic(durable=True):
        token = (
            ApiToken.objects.select_for_update()
            .filter(pk=token_id, enterprise_id=enterprise_id)
            .first()
        )
        if token is None:
            raise NotFound("token_not_found", TOKEN_NOT_FOUND)
        # Conditional flip: a second revoke of the same token changes nothing and says so.
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=user
        )
        if revoked != 1:
            raise Conflict("token_revoked", TOKEN_REVOKED)
        token.refresh_from_db()
    return token
